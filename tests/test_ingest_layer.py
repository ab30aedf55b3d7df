"""The ingest side over the storage layer: a bug is ``internal``, a locked database never
stalls the fetches, and reading feed health writes nothing."""

from __future__ import annotations

import ast
import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml
from fixtures_http import guarded_settings

import pipeline.ingest.cycle as cycle_module
from pipeline.errors import ERROR_CLASSES
from pipeline.health import feed_states
from pipeline.ingest.cycle import run_cycle
from pipeline.records import FeedSource, RegistrySync
from pipeline.store import (
    due_feeds,
    feed_health,
    open_store,
    record_polls,
    store_totals,
    sync_registry,
    utcnow,
)

REPO = Path(__file__).resolve().parents[1]
RSS = "feeds/formats/rss-parser/test/input/guardian.rss"

#: the modules that must reach the database only through pipeline.store's functions
LAYERED = (
    "pipeline/ingest/cycle.py",
    "pipeline/health.py",
    "pipeline/service.py",
    "pipeline/demo.py",
)


def _src(feed_id: str, url: str) -> FeedSource:
    return FeedSource(feed_id, url, feed_id, "en", ("test",))


def test_a_crash_in_lumi_is_internal_and_never_counts_toward_disabling(
    store, loopback_server, monkeypatch
):
    settings = guarded_settings(
        loopback_server, fetch_pages=False, http_timeout=3.0, disable_after_errors=3
    )
    sources = [
        _src("good", loopback_server.url(RSS)),
        _src("buggy", loopback_server.url("_fault/ok")),
    ]
    sync_registry(store, sources)
    # one more counted failure would disable it
    record_polls(store, [{"id": "buggy", "consecutive_failures": 2, "state": "failing"}])
    real = cycle_module.parse_feed

    def parse(feed_id: str, *args, **kwargs):
        if feed_id == "buggy":
            raise RuntimeError("a bug in Lumi's parsing")
        return real(feed_id, *args, **kwargs)

    monkeypatch.setattr(cycle_module, "parse_feed", parse)
    crashes: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = crashes.append  # type: ignore[method-assign]
    logger = logging.getLogger("lumi.ingest")
    logger.addHandler(handler)
    try:
        report = run_cycle(store, settings, sources, classify=False)
    finally:
        logger.removeHandler(handler)

    outcome = {f.feed_id: f for f in report.feeds}
    assert outcome["good"].error_class is None and outcome["good"].new > 0
    assert outcome["buggy"].error_class == "internal"
    assert store_totals(store).sources == outcome["good"].new
    health = {h.id: h for h in feed_health(store)}
    buggy = health["buggy"]
    assert buggy.error_class == "internal"
    assert buggy.error_message and "RuntimeError" in buggy.error_message
    assert buggy.consecutive_failures == 2
    assert buggy.state == "failing"
    assert buggy.next_poll_at is not None and buggy.next_poll_at > utcnow()
    assert "internal" in ERROR_CLASSES
    logged = [r for r in crashes if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged, "the crash is logged with its traceback"


def test_a_locked_database_never_stalls_the_fetch_event_loop(
    tmp_path, loopback_server, monkeypatch
):
    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    settings = guarded_settings(loopback_server, fetch_pages=False, http_timeout=10.0)
    sources = [_src(f"feed-{i}", loopback_server.url(RSS) + f"?copy={i}") for i in range(3)]
    sync_registry(store, sources)
    now = utcnow()
    feeds = due_feeds(store, now, force=True)
    hold = 2.0
    # Another writer holds SQLite's write lock; it lets go ``hold`` seconds after the cycle's
    # first write began, so that write certainly waits (busy timeout) for that long.
    locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(hold, lambda: locker.execute("COMMIT"))
    waits: list[tuple[float, float]] = []
    real_store_entry = cycle_module.store_entry

    def store_entry(*args, **kwargs):
        if not release.is_alive() and not waits:
            release.start()
        started = time.monotonic()
        try:
            return real_store_entry(*args, **kwargs)
        finally:
            waits.append((started, time.monotonic()))

    monkeypatch.setattr(cycle_module, "store_entry", store_entry)
    try:

        async def main() -> tuple[object, list[float]]:
            ticks: list[float] = []
            done = asyncio.Event()

            async def heartbeat() -> None:
                while not done.is_set():
                    ticks.append(time.monotonic())
                    await asyncio.sleep(0.02)

            beat = asyncio.create_task(heartbeat())
            ran = await cycle_module._run(store, settings, feeds, now)
            done.set()
            await beat
            return ran, ticks

        try:
            ran, ticks = asyncio.run(main())
        finally:
            if release.is_alive():
                release.join()
            else:
                locker.rollback()
            locker.close()
        assert waits, "the cycle wrote"
        began, ended = waits[0]
        assert ended - began >= hold * 0.9, "the first write waited for the lock"
        # A write on the loop's thread would freeze the heartbeat for the whole wait; off the
        # loop, the heartbeat keeps beating in every quarter of it, however loaded the machine.
        quarter = (ended - began) / 4
        beats = [
            sum(began + k * quarter <= t < began + (k + 1) * quarter for t in ticks)
            for k in range(4)
        ]
        assert all(beats), f"heartbeats per quarter of the lock wait: {beats}"
        outcomes = ran.outcomes  # type: ignore[attr-defined]
        assert all(o.error_class is None for o in outcomes)
        assert store_totals(store).sources == sum(o.new for o in outcomes) > 0
    finally:
        store.close()


def test_feed_states_only_reads_and_a_sync_says_what_it_changed(store):
    sources = [
        FeedSource("a", "https://a.example/feed", "A", "en"),
        FeedSource("b", "https://b.example/feed", "B", "en"),
    ]
    assert sync_registry(store, sources) == RegistrySync(added=("a", "b"))
    assert not sync_registry(store, sources).changed
    edited = [
        FeedSource("a", "https://a.example/moved", "A", "en"),
        FeedSource("c", "https://c.example/feed", "C", "en", ("new",)),
    ]
    # reading health never syncs: the registry edit is not visible until synced
    assert [s["id"] for s in feed_states(store)] == ["a", "b"]
    assert [s["id"] for s in feed_states(store)] == ["a", "b"]
    synced = sync_registry(store, edited)
    assert synced == RegistrySync(added=("c",), moved=("a",), removed=("b",))
    states = {s["id"]: s for s in feed_states(store)}
    assert sorted(states) == ["a", "c"]
    assert states["a"]["url"] == "https://a.example/moved" and states["c"]["state"] == "new"


def test_feeds_check_syncs_the_registry_visibly(tmp_path):
    registry = tmp_path / "feeds.yaml"
    feeds = [{"id": "one", "url": "https://one.example/feed", "title": "One", "language": "en"}]
    registry.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env.update(
        {"LUMI_DATABASE_URL": f"sqlite:///{tmp_path / 'lumi.db'}", "LUMI_FEEDS": str(registry)}
    )

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "feeds", "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )

    first = check()
    assert first.returncode == 0, first.stderr
    assert "one" in first.stdout and "new" in first.stdout
    assert "1 added (one)" in first.stderr
    again = check()
    assert again.returncode == 0 and "synced" not in again.stderr


def test_the_ingest_side_reaches_the_database_only_through_the_store():
    for name in LAYERED:
        tree = ast.parse((REPO / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
                names: list[str] = []
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(m == "sqlalchemy" or m.startswith("sqlalchemy.") for m in modules), name
            assert not any(n.endswith("Row") for n in names), name
