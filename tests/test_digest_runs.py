"""The service's daily digest: each day written once across restarts and instances."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.service import Service
from pipeline.settings import load_settings
from pipeline.store import (
    CLAIM_TIMEOUT,
    claim_digest_day,
    digest_runs,
    open_store,
    written_digest_days,
)

DAY = date(2026, 11, 20)


def _at(day: date, hour: int = 7, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _service(store, written: list[date], **overrides) -> Service:
    settings = load_settings({}).replace(timezone="UTC", **overrides)
    return Service(store, settings, lambda: None, digest=written.append)


def test_the_day_is_written_once_across_runs_and_instances(store) -> None:
    written: list[date] = []
    first = _service(store, written)
    assert first.run_digest_job(now=_at(DAY)) == [DAY - timedelta(days=1)]
    assert first.run_digest_job(now=_at(DAY, 9)) == []
    # a restart or a second instance on the same database
    second = _service(store, written)
    assert second.run_digest_job(now=_at(DAY, 7, 5)) == []
    assert second.catch_up_digests(now=_at(DAY, 8)) == []
    assert written == [DAY - timedelta(days=1)]
    (run,) = digest_runs(store)
    assert (run.day, run.instance, run.outcome) == (
        DAY - timedelta(days=1),
        first.instance,
        "written",
    )
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_current_writes_today_and_previous_yesterday(store) -> None:
    written: list[date] = []
    _service(store, written, digest_day="current").run_digest_job(now=_at(DAY, 23))
    assert written == [DAY]
    assert written_digest_days(store) == [DAY]


def test_missed_days_are_caught_up_once_oldest_first(store) -> None:
    written: list[date] = []
    service = _service(store, written)
    service.run_digest_job(now=_at(DAY))  # writes DAY-1
    # down for three digest times; restarted on DAY+4 after its digest time
    restarted = _service(store, written)
    assert restarted.catch_up_digests(now=_at(DAY + timedelta(days=4), 8)) == [
        DAY,
        DAY + timedelta(days=1),
        DAY + timedelta(days=2),
        DAY + timedelta(days=3),
    ]
    assert restarted.run_digest_job(now=_at(DAY + timedelta(days=4))) == []
    assert written == [DAY + timedelta(days=n) for n in range(-1, 4)]


def test_a_start_before_the_digest_time_does_not_write_early(store) -> None:
    written: list[date] = []
    service = _service(store, written)
    assert service.catch_up_digests(now=_at(DAY, 6, 59)) == [DAY - timedelta(days=2)]


def test_catch_up_is_capped_at_fourteen_days(store) -> None:
    written: list[date] = []
    service = _service(store, written)
    service.run_digest_job(now=_at(DAY))
    later = DAY + timedelta(days=40)
    service.run_digest_job(now=_at(later))
    assert written[1:] == [later - timedelta(days=n) for n in range(14, 0, -1)]


def test_a_failed_day_is_retried(store) -> None:
    calls: list[date] = []

    def flaky(day: date) -> None:
        calls.append(day)
        if len(calls) == 1:
            raise RuntimeError("disk full")

    settings = load_settings({}).replace(timezone="UTC")
    service = Service(store, settings, lambda: None, digest=flaky)
    assert service.run_digest_job(now=_at(DAY)) == []
    assert [r.outcome for r in digest_runs(store)] == ["failed"]
    assert service.run_digest_job(now=_at(DAY, 8)) == [DAY - timedelta(days=1)]


def test_two_concurrent_claims_have_one_winner(db_url: str) -> None:
    stores = [open_store(db_url, auto_migrate=True)]
    stores.append(open_store(db_url))
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def claim(index: int) -> None:
        barrier.wait()
        results.append(claim_digest_day(stores[index], DAY, f"instance-{index}"))

    try:
        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for opened in stores:
            opened.close()
    assert sorted(results) == [False, True]


def test_a_stale_claim_is_taken_over(store) -> None:
    start = _at(DAY)
    assert claim_digest_day(store, DAY, "crashed", now=start)
    assert not claim_digest_day(
        store, DAY, "other", now=start + CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    assert claim_digest_day(store, DAY, "other", now=start + CLAIM_TIMEOUT + timedelta(seconds=1))
    (run,) = digest_runs(store)
    assert run.instance == "other" and run.outcome == "running"


def test_a_claim_of_a_gone_process_on_this_host_is_taken_over_at_once(store) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid names no process now
    start = _at(DAY)
    here = socket.gethostname()
    assert claim_digest_day(store, DAY, f"{here}:{child.pid}:dead0000", now=start)
    assert claim_digest_day(store, DAY, "restarted", now=start + timedelta(seconds=5))
    (run,) = digest_runs(store)
    assert run.instance == "restarted" and run.outcome == "running"


def test_a_claim_under_this_process_pid_by_an_earlier_instance_is_taken_over(store) -> None:
    # a restarted container's service is PID 1 again: the earlier PID 1 is gone
    start = _at(DAY)
    me = f"{socket.gethostname()}:{os.getpid()}:now00000"
    assert claim_digest_day(store, DAY, f"{socket.gethostname()}:{os.getpid()}:old00000", now=start)
    assert claim_digest_day(store, DAY, me, now=start + timedelta(seconds=5))
    assert not claim_digest_day(store, DAY, me, now=start + timedelta(seconds=6))
    (run,) = digest_runs(store)
    assert run.instance == me


def test_a_claim_of_a_live_process_or_another_host_waits_for_its_timeout(store) -> None:
    start = _at(DAY)
    here = socket.gethostname()
    for day, holder in (
        (DAY, f"{here}:{os.getppid()}:live0000"),  # a process that is running
        (DAY + timedelta(days=1), f"elsewhere.example:{2**22 + 7}:far00000"),  # not ours to check
        (DAY + timedelta(days=2), "instance-of-another-shape"),
    ):
        assert claim_digest_day(store, day, holder, now=start)
        assert not claim_digest_day(store, day, "restarted", now=start + timedelta(seconds=5))
        assert {r.day: r.instance for r in digest_runs(store)}[day] == holder


def test_an_invalid_digest_day_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="LUMI_DIGEST_DAY"):
        load_settings({"LUMI_DIGEST_DAY": "tomorrow"})


def test_the_real_digest_writer_writes_the_day_once(tmp_path: Path) -> None:
    from pipeline.cli import _digest_job

    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    settings = load_settings({}).replace(export_dir=str(tmp_path / "digests"), timezone="UTC")
    now = datetime.now(UTC)
    try:
        for _ in range(2):
            Service(
                store, settings, lambda: None, digest=_digest_job(store, settings)
            ).run_digest_job(now=now)
        assert len(digest_runs(store)) == 1
    finally:
        store.close()
    yesterday = (now - timedelta(days=1)).date()
    written = tmp_path / "digests" / f"lumi-digest-{yesterday.isoformat()}.json"
    assert json.loads(written.read_text("utf-8"))["items"] == []
