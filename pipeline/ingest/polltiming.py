"""When to poll a feed next: server hints on success, jittered exponential backoff on failure.

Pure functions of their arguments (the clock and the random source are passed in), so the
scheduler, ``lumi fetch`` and the tests agree on every date::

    next_poll_at(now, interval_minutes=60, headers=result.headers, ttl_minutes=feed.ttl_minutes,
                 settings=settings)
    backoff_until(now, failures=3, retry_after=exc.retry_after, settings=settings, rng=rng)
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = [
    "BACKOFF_CAP",
    "RETRY_AFTER_CEILING",
    "backoff_until",
    "next_poll_at",
    "parse_http_date",
    "parse_retry_after",
    "server_hint_seconds",
]

#: Longest backoff after failures, whatever the failure count.
BACKOFF_CAP = timedelta(hours=24)
#: Longest Retry-After honoured; a larger value is read as this (a typo must not park a feed
#: for years).
RETRY_AFTER_CEILING = timedelta(days=7)

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.I)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_http_date(value: str) -> datetime | None:
    """Parse an HTTP date (``Wed, 21 Oct 2015 07:28:00 GMT``); None when unreadable.

    Args:
        value: a header value.

    Returns:
        An aware datetime (UTC when the value names no zone), or None.
    """
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return _aware(parsed)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Read a ``Retry-After`` value as seconds from ``now``.

    Args:
        value: delta-seconds (``"120"``) or an HTTP date.
        now: the current time (naive means UTC).

    Returns:
        Seconds to wait (0 when the date is past, at most :data:`RETRY_AFTER_CEILING`), or None
        when absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    ceiling = RETRY_AFTER_CEILING.total_seconds()
    if text.isdigit():
        return min(float(text), ceiling)
    when = parse_http_date(text)
    if when is None:
        return None
    return min(max(0.0, (when - _aware(now)).total_seconds()), ceiling)


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


def server_hint_seconds(headers: Mapping[str, str] | None, now: datetime) -> float:
    """The longest wait the server asked for: Cache-Control max-age, Expires, Retry-After.

    ``Expires`` is measured from the response's ``Date`` when present (the server's clock),
    else from ``now``. ``no-store``/``no-cache`` do not shorten the poll interval.

    Args:
        headers: response headers (any case).
        now: the current time.

    Returns:
        Seconds, 0 when the headers carry no hint.
    """
    h = _lower(headers)
    hints = [0.0]
    match = _MAX_AGE.search(h.get("cache-control", ""))
    if match:
        hints.append(float(match.group(1)))
    if "expires" in h:
        expires = parse_http_date(h["expires"])
        base = parse_http_date(h["date"]) if "date" in h else None
        if expires is not None:
            hints.append((expires - (base or _aware(now))).total_seconds())
    retry = parse_retry_after(h.get("retry-after"), now)
    if retry is not None:
        hints.append(retry)
    return max(hints)


def next_poll_at(
    now: datetime,
    *,
    interval_minutes: float,
    headers: Mapping[str, str] | None = None,
    ttl_minutes: float | None = None,
    settings: Settings,
) -> datetime:
    """When to poll a feed next after a successful (or 304) fetch.

    ``now`` + max(interval, RSS ``<ttl>``, Cache-Control max-age, Expires, Retry-After),
    clamped to [``min_poll_minutes``, ``max_poll_minutes``].

    Args:
        now: the current time.
        interval_minutes: the feed's ``poll_minutes`` or the ``poll_minutes`` setting.
        headers: the response headers (server hints), if any.
        ttl_minutes: the feed's RSS ``<ttl>``, if any.
        settings: reads ``min_poll_minutes`` and ``max_poll_minutes``.

    Returns:
        The next poll time, in ``now``'s time zone (UTC when ``now`` is naive).
    """
    now = _aware(now)
    wait = max(
        float(interval_minutes) * 60.0,
        float(ttl_minutes or 0) * 60.0,
        server_hint_seconds(headers, now),
    )
    low = float(settings.min_poll_minutes) * 60.0
    high = max(low, float(settings.max_poll_minutes) * 60.0)
    return now + timedelta(seconds=min(max(wait, low), high))


def backoff_until(
    now: datetime,
    *,
    failures: int,
    retry_after: float | None = None,
    settings: Settings,
    rng: random.Random | None = None,
) -> datetime:
    """When to retry a feed after ``failures`` consecutive failures.

    The delay doubles from ``backoff_base_minutes`` per failure, is capped at
    :data:`BACKOFF_CAP` (24 h), and is jittered to between half and all of that ("equal
    jitter", so feeds that failed together do not retry together). It is never earlier than
    the server's ``Retry-After`` (up to :data:`RETRY_AFTER_CEILING`).

    Args:
        now: the current time.
        failures: consecutive failures so far, counting this one (values below 1 count as 1).
        retry_after: seconds the server asked to wait (429/503), if any.
        settings: reads ``backoff_base_minutes``.
        rng: the random source (pass a seeded ``random.Random`` for repeatable dates).

    Returns:
        The earliest time to try again.
    """
    now = _aware(now)
    rng = rng or random.Random()
    steps = min(max(failures, 1) - 1, 32)
    cap = BACKOFF_CAP.total_seconds()
    delay = min(float(settings.backoff_base_minutes) * 60.0 * (2**steps), cap)
    delay = delay / 2.0 + rng.uniform(0.0, delay / 2.0)
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), RETRY_AFTER_CEILING.total_seconds()))
    return now + timedelta(seconds=delay)
