"""Poll scheduling: server hints within bounds, and jittered exponential backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pipeline.ingest.polltiming import (
    BACKOFF_CAP,
    backoff_until,
    next_poll_at,
    parse_retry_after,
    server_hint_seconds,
)
from pipeline.settings import Settings, load_settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    return load_settings(env={})


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def minutes_after_now(moment: datetime) -> float:
    return (moment - NOW).total_seconds() / 60


def test_plain_interval_without_hints(settings: Settings) -> None:
    assert minutes_after_now(next_poll_at(NOW, interval_minutes=60, settings=settings)) == 60


def test_rss_ttl_longer_than_interval_wins(settings: Settings) -> None:
    when = next_poll_at(NOW, interval_minutes=60, ttl_minutes=180, settings=settings)
    assert minutes_after_now(when) == 180


def test_cache_control_max_age_wins_when_longest(settings: Settings) -> None:
    headers = {"cache-control": "public, max-age=7200"}
    assert (
        minutes_after_now(
            next_poll_at(NOW, interval_minutes=60, headers=headers, settings=settings)
        )
        == 120
    )


def test_shorter_hints_never_poll_earlier_than_interval(settings: Settings) -> None:
    headers = {"Cache-Control": "max-age=60", "Expires": _http_date(NOW + timedelta(minutes=5))}
    assert (
        minutes_after_now(
            next_poll_at(NOW, interval_minutes=60, headers=headers, settings=settings)
        )
        == 60
    )


def test_expires_is_measured_from_the_servers_date_header(settings: Settings) -> None:
    server_now = NOW - timedelta(hours=1)  # server clock one hour behind ours
    headers = {
        "date": _http_date(server_now),
        "expires": _http_date(server_now + timedelta(hours=3)),
    }
    assert (
        minutes_after_now(
            next_poll_at(NOW, interval_minutes=60, headers=headers, settings=settings)
        )
        == 180
    )


def test_expires_without_date_is_measured_from_now(settings: Settings) -> None:
    headers = {"expires": _http_date(NOW + timedelta(hours=2))}
    assert server_hint_seconds(headers, NOW) == 7200


def test_retry_after_header_delays_the_next_poll(settings: Settings) -> None:
    headers = {"retry-after": "10800"}
    assert (
        minutes_after_now(
            next_poll_at(NOW, interval_minutes=60, headers=headers, settings=settings)
        )
        == 180
    )


def test_next_poll_is_clamped_to_min_and_max(settings: Settings) -> None:
    assert minutes_after_now(next_poll_at(NOW, interval_minutes=1, settings=settings)) == 15
    far = {"cache-control": "max-age=31536000"}
    assert (
        minutes_after_now(next_poll_at(NOW, interval_minutes=60, headers=far, settings=settings))
        == 1440
    )
    narrow = settings.replace(min_poll_minutes=30, max_poll_minutes=90)
    assert minutes_after_now(next_poll_at(NOW, interval_minutes=5, settings=narrow)) == 30
    assert minutes_after_now(next_poll_at(NOW, interval_minutes=600, settings=narrow)) == 90


def test_unreadable_hints_are_ignored(settings: Settings) -> None:
    headers = {"expires": "0", "cache-control": "no-cache", "retry-after": "soon"}
    assert server_hint_seconds(headers, NOW) == 0
    assert (
        minutes_after_now(
            next_poll_at(NOW, interval_minutes=60, headers=headers, settings=settings)
        )
        == 60
    )


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(_http_date(NOW + timedelta(minutes=10)), NOW) == 600
    assert parse_retry_after(_http_date(NOW - timedelta(minutes=10)), NOW) == 0
    assert parse_retry_after("next tuesday", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_backoff_doubles_per_failure_within_jitter(settings: Settings) -> None:
    base = settings.backoff_base_minutes
    for failures in range(1, 6):
        delay = minutes_after_now(
            backoff_until(NOW, failures=failures, settings=settings, rng=random.Random(failures))
        )
        full = base * 2 ** (failures - 1)
        assert full / 2 <= delay <= full


def test_backoff_jitter_is_deterministic_with_a_seeded_rng(settings: Settings) -> None:
    first = backoff_until(NOW, failures=3, settings=settings, rng=random.Random(7))
    again = backoff_until(NOW, failures=3, settings=settings, rng=random.Random(7))
    other = backoff_until(NOW, failures=3, settings=settings, rng=random.Random(8))
    assert first == again
    assert first != other


def test_backoff_is_capped_at_24_hours(settings: Settings) -> None:
    for failures in (12, 50, 10_000):
        until = backoff_until(NOW, failures=failures, settings=settings, rng=random.Random(1))
        assert until - NOW <= BACKOFF_CAP
        assert until - NOW >= BACKOFF_CAP / 2


def test_backoff_is_never_earlier_than_retry_after(settings: Settings) -> None:
    until = backoff_until(
        NOW, failures=1, retry_after=7200, settings=settings, rng=random.Random(3)
    )
    assert until - NOW >= timedelta(hours=2)


def test_naive_now_is_read_as_utc(settings: Settings) -> None:
    when = next_poll_at(NOW.replace(tzinfo=None), interval_minutes=60, settings=settings)
    assert when == NOW + timedelta(hours=1)
