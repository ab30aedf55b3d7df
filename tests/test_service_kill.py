"""A cycle killed with SIGKILL at any point loses nothing and stores nothing twice.

The process is killed at the named fault-injection points of the cycle
(``LUMI_TEST_KILL_AT``, see :data:`pipeline.ingest.cycle.KILL_AT_ENV`), then restarted on the
same SQLite file: every entry of the feed ends up stored exactly once, the feed's state is
that of a successful poll, and the dead process's lease runs out and is taken over.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from loopback import LoopbackServer, RequestRecord, Response, free_port, reap
from sqlalchemy import func, select

from pipeline.ingest.cycle import KILL_AT_ENV, run_cycle
from pipeline.ingest.registry import load_registry
from pipeline.settings import load_settings
from pipeline.store import (
    ArticleRow,
    ArticleSourceRow,
    FeedRow,
    Store,
    StoryArticleRow,
    claim_digest_day,
    claim_feeds,
    count_rows,
    feed_leases,
    finish_digest_day,
    open_store,
    store_totals,
    utcnow,
)

REPO = Path(__file__).resolve().parents[1]
ENTRIES = 5
LEASE_SECONDS = 2


def _rss(entries: int = ENTRIES) -> bytes:
    items = "".join(
        f"<item><title>Crash test story {n}</title><link>http://loopback.invalid/story/{n}"
        f"</link><guid>crash-{n}</guid><description>Story {n}: a few words of text for the "
        f"reader.</description></item>"
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Crash feed</title><link>http://loopback.invalid/</link>"
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


class _Feed:
    """The feed's route: records each request, and may hold its answer until released."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.body = _rss()

    def __call__(self, _request: RequestRecord) -> Response:
        self.arrived.set()
        self.gate.wait(20)
        return Response(200, {"Content-Type": "application/rss+xml"}, self.body)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict]:
    """A loopback feed server, a registry naming its one feed, and a `lumi` environment."""
    feed = _Feed()
    with LoopbackServer() as server:
        server.add_route("/crash.xml", feed)
        registry = tmp_path / "feeds.yaml"
        registry.write_text(
            yaml.safe_dump(
                {
                    "feeds": [
                        {
                            "id": "crash",
                            "url": server.url("/crash.xml"),
                            "title": "Crash",
                            "language": "en",
                            "tags": ["t"],
                        }
                    ]
                }
            ),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
        env.update(
            {
                "LUMI_FEEDS": str(registry),
                "LUMI_DATABASE_URL": f"sqlite:///{tmp_path / 'lumi.db'}",
                "LUMI_ALLOWED_ADDRESSES": server.host_port,
                "LUMI_FETCH_PAGES": "0",
                "LUMI_LEASE_SECONDS": str(LEASE_SECONDS),
                "LUMI_HTTP_PORT": "0",
                "LUMI_EXPORT_DIR": str(tmp_path / "digests"),
                "LUMI_AI_POLICY_URL": "https://pub.example/ai",
            }
        )
        store = open_store(env["LUMI_DATABASE_URL"], auto_migrate=True)
        _digests_already_written(store)
        try:
            yield {"server": server, "feed": feed, "env": env, "store": store}
        finally:
            store.close()


def _digests_already_written(store: Store) -> None:
    """Mark the recent digest days written, so `lumi run` spends its start on the cycle."""
    today = utcnow().date()
    for back in range(4):
        day = today - timedelta(days=back)
        assert claim_digest_day(store, day, "earlier")
        finish_digest_day(store, day, "earlier", ok=True)


def _lumi(
    env: dict[str, str], command: str, kill_at: str | None = None, **kwargs
) -> subprocess.Popen:
    env = dict(env)
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", command],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _sources(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [
            (feed_id, key)
            for feed_id, key in session.execute(
                select(ArticleSourceRow.feed_id, ArticleSourceRow.entry_key)
            )
        ]


def _feed_row(store: Store) -> tuple:
    with store.session() as session:
        row = session.scalars(select(FeedRow).where(FeedRow.id == "crash")).one()
        return row.state, row.next_poll_at, row.body_hash, row.last_success_at


def _killed(world: dict, command: str, point: str) -> subprocess.Popen:
    """Run ``lumi <command>`` until it kills itself at ``point``; check what it left."""
    proc = _lumi(world["env"], command, kill_at=point)
    try:
        proc.wait(timeout=120)
    finally:
        reap(proc)
    assert proc.returncode == -signal.SIGKILL
    store = world["store"]
    stored = {"after-fetch": 0, "mid-insert": 1, "before-state-update": ENTRIES}[point]
    assert len(_sources(store)) == stored
    # no poll was recorded: the feed is still due, and the dead process still holds it
    state, next_poll, body_hash, _ = _feed_row(store)
    assert (state, next_poll, body_hash) == ("new", None, None)
    (lease,) = feed_leases(store)
    assert lease.holder.split(":")[1] == str(proc.pid)
    # while the lease lasts (a clock just before it runs out), no other instance gets it
    just_before = lease.until - timedelta(seconds=0.1)
    probe = claim_feeds(store, just_before, "probe", until=just_before + timedelta(seconds=60))
    assert probe.feeds == [] and probe.skipped == ("crash",)
    assert lease.until <= utcnow() + timedelta(seconds=LEASE_SECONDS)
    # the restart comes once the lease has run out (LUMI_LEASE_SECONDS after the claim) and
    # the stored articles are older than a lease (their cycle surely stopped)
    with store.session() as session:
        fetched = session.scalar(select(func.max(ArticleRow.fetched_at)))
    ready = max(lease.until, (fetched or lease.until) + timedelta(seconds=LEASE_SECONDS))
    time.sleep(max(0.0, (ready - utcnow()).total_seconds()) + 0.2)
    return proc


def _assert_stored_once_and_consistent(world: dict, polls: int) -> None:
    store = world["store"]
    keys = _sources(store)
    assert len(keys) == len(set(keys)) == ENTRIES
    totals = store_totals(store)
    assert (totals.articles, totals.sources) == (ENTRIES, ENTRIES)
    state, next_poll, body_hash, last_success = _feed_row(store)
    assert state == "ok" and body_hash and last_success is not None
    assert next_poll is not None and next_poll > utcnow()
    assert feed_leases(store) == []
    assert world["server"].hits["/crash.xml"] == polls
    # every article went on to its story, also those the killed cycle stored and left
    with store.session() as session:
        assert count_rows(session, StoryArticleRow) == ENTRIES


@pytest.mark.parametrize("point", ["after-fetch", "mid-insert", "before-state-update"])
def test_a_cycle_killed_at_any_point_loses_nothing_after_a_restart(world, point) -> None:
    _killed(world, "fetch", point)
    assert world["server"].hits["/crash.xml"] == 1
    # the restarted instance: the same cycle `lumi fetch` and `lumi run` use
    settings = load_settings(world["env"])
    sources = load_registry(Path(world["env"]["LUMI_FEEDS"]))
    store = world["store"]
    report = run_cycle(store, settings, sources, classify=False)
    assert [f.feed_id for f in report.feeds] == ["crash"] and report.failed == 0
    assert report.leases_taken_over == ("crash",)
    stored_before = {"after-fetch": 0, "mid-insert": 1, "before-state-update": ENTRIES}[point]
    assert report.feeds[0].new == ENTRIES - stored_before
    _assert_stored_once_and_consistent(world, polls=2)
    # and nothing is due or stored again afterwards
    again = run_cycle(store, settings, sources, classify=False)
    assert again.feeds == ()
    _assert_stored_once_and_consistent(world, polls=2)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()


def _stop(proc: subprocess.Popen) -> int:
    """SIGTERM, then the exit code: it must come within 10 s."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def test_a_killed_service_restarts_takes_its_lease_over_and_finishes_its_articles(world) -> None:
    _killed(world, "run", "before-state-update")
    port = free_port()
    proc = _lumi({**world["env"], "LUMI_HTTP_PORT": str(port)}, "run")
    try:
        deadline = time.monotonic() + 120
        health: dict = {}
        while time.monotonic() < deadline and not health.get("last_cycle"):
            with contextlib.suppress(OSError):
                health = json.loads(_get(f"http://127.0.0.1:{port}/healthz"))
            time.sleep(0.3)
        assert health.get("last_cycle"), "the restarted service never finished a cycle"
        assert health["last_cycle"]["failed"] == 0
        metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert "lumi_feed_leases_claimed_total 1.0" in metrics
        assert "lumi_feed_leases_taken_over_total 1.0" in metrics
        assert "lumi_feed_leases_skipped_total 0.0" in metrics
        assert _stop(proc) == 0
        stderr = proc.stderr.read()
    finally:
        reap(proc)
    assert "feed lease taken over" in stderr and "feed_id=crash" in stderr
    _assert_stored_once_and_consistent(world, polls=2)


def test_sigterm_during_a_poll_lets_it_finish_and_exits_zero(world) -> None:
    feed = world["feed"]
    # an empty feed: the stop waits for the poll in flight, not for classifying articles
    feed.body = _rss(entries=0)
    feed.gate.clear()  # the poll stays in flight until released
    proc = _lumi(world["env"], "run")
    try:
        assert feed.arrived.wait(120), "the service never polled the feed"
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        feed.gate.set()
        # the cycle in flight ends, its results and leases are stored, then it exits
        assert proc.wait(timeout=10) == 0
    finally:
        feed.gate.set()
        reap(proc)
    assert feed_leases(world["store"]) == []
    state, next_poll, _, last_success = _feed_row(world["store"])
    assert state == "ok" and last_success is not None and next_poll is not None
    assert world["server"].hits["/crash.xml"] == 1


def test_sigterm_abandons_a_poll_that_outlasts_the_grace_and_still_exits_zero(world) -> None:
    """A feed that answers in 20 s (inside a 60 s request deadline) cannot hold the stop:
    the service exits 0 within 10 s, releases its lease, and the next run polls the feed
    again and stores its entries once."""
    feed = world["feed"]
    feed.gate.clear()  # the answer waits for the gate (20 s at most)
    env = {**world["env"], "LUMI_HTTP_TIMEOUT": "60"}
    proc = _lumi(env, "run")
    try:
        assert feed.arrived.wait(120), "the service never polled the feed"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 10
        stderr = proc.stderr.read()
    finally:
        feed.gate.set()
        reap(proc)
    assert "abandoned" in stderr
    assert feed_leases(world["store"]) == []
    assert _sources(world["store"]) == []  # nothing of the abandoned poll was committed
    fetch = _lumi(env, "fetch")
    _out, err = fetch.communicate(timeout=120)
    assert fetch.returncode == 0, err
    assert len(_sources(world["store"])) == ENTRIES
    assert len(set(_sources(world["store"]))) == ENTRIES
