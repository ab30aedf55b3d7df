"""A process killed with SIGKILL at any point loses nothing and stores nothing twice.

The process is killed at the named fault-injection points (``LUMI_TEST_KILL_AT``, see
:mod:`pipeline.faults`), then restarted on the same SQLite file. A cycle killed after fetch,
mid-insert or before the feed state update: every entry of the feed ends up stored exactly
once, the feed's state is that of a successful poll, and the dead process's lease runs out
and is taken over. A digest killed during its export: every visible file is absent or
complete, and the day is written once. A reclassify killed between batches: a rerun ends
with the results of an unkilled run, and a further run stores nothing.
(``bench/chaos.py`` kills at random points many times in a row.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from crashes import (
    archive_articles,
    classifications,
    copy_sqlite,
    http_get,
    lumi,
    run_lumi,
    serve_until_a_cycle,
    stored_sources,
    visible_files,
)
from loopback import LoopbackServer, RequestRecord, Response, free_port, reap
from sqlalchemy import delete, func, select

from pipeline.ingest.cycle import run_cycle
from pipeline.ingest.registry import load_registry
from pipeline.publish.digest import STALE_TEMP_SECONDS, digest_filename
from pipeline.reclassify import BATCH as RECLASSIFY_BATCH
from pipeline.settings import load_settings
from pipeline.store import (
    ArticleRow,
    DigestRunRow,
    FeedRow,
    Store,
    StoryArticleRow,
    claim_digest_day,
    claim_feeds,
    count_rows,
    digest_runs,
    feed_leases,
    finish_digest_day,
    open_store,
    store_totals,
    utcnow,
)

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


def _feed_row(store: Store) -> tuple:
    with store.session() as session:
        row = session.scalars(select(FeedRow).where(FeedRow.id == "crash")).one()
        return row.state, row.next_poll_at, row.body_hash, row.last_success_at


def _killed(world: dict, command: str, point: str) -> subprocess.Popen:
    """Run ``lumi <command>`` until it kills itself at ``point``; check what it left."""
    proc = lumi(world["env"], command, kill_at=point)
    try:
        proc.wait(timeout=120)
    finally:
        reap(proc)
    assert proc.returncode == -signal.SIGKILL
    store = world["store"]
    stored = {"after-fetch": 0, "mid-insert": 1, "before-state-update": ENTRIES}[point]
    assert len(stored_sources(store)) == stored
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
    keys = stored_sources(store)
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


def _stop(proc: subprocess.Popen) -> int:
    """SIGTERM, then the exit code: it must come within 10 s."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def test_a_killed_service_restarts_takes_its_lease_over_and_finishes_its_articles(world) -> None:
    _killed(world, "run", "before-state-update")
    port = free_port()
    proc = lumi({**world["env"], "LUMI_HTTP_PORT": str(port)}, "run")
    try:
        deadline = time.monotonic() + 120
        health: dict = {}
        while time.monotonic() < deadline and not health.get("last_cycle"):
            with contextlib.suppress(OSError):
                health = json.loads(http_get(f"http://127.0.0.1:{port}/healthz"))
            time.sleep(0.3)
        assert health.get("last_cycle"), "the restarted service never finished a cycle"
        assert health["last_cycle"]["failed"] == 0
        metrics = http_get(f"http://127.0.0.1:{port}/metrics")
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
    proc = lumi(world["env"], "run")
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
    proc = lumi(env, "run")
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
    assert stored_sources(world["store"]) == []  # nothing of the abandoned poll was committed
    fetch = lumi(env, "fetch")
    _out, err = fetch.communicate(timeout=120)
    assert fetch.returncode == 0, err
    assert len(stored_sources(world["store"])) == ENTRIES
    assert len(set(stored_sources(world["store"]))) == ENTRIES


# --- SIGKILL during the digest export ---------------------------------------------------------

FORMATS = ("md", "html", "json", "atom")


def _assert_complete_or_absent(export: dict[str, bytes], reference: dict[str, bytes]) -> None:
    """Each visible file is one of the complete export's files, byte for byte."""
    assert set(export) <= set(reference)
    for name, data in export.items():
        assert data == reference[name], f"{name} is not the complete file"


def _filled(world: dict) -> str:
    """Store the feed's entries (an unkilled cycle) and return today's date, the day their
    stories belong to."""
    settings = load_settings(world["env"])
    sources = load_registry(Path(world["env"]["LUMI_FEEDS"]))
    assert run_cycle(world["store"], settings, sources, classify=False).new == ENTRIES
    return utcnow().date().isoformat()


def test_a_digest_killed_during_export_leaves_only_complete_files(world, tmp_path) -> None:
    day = _filled(world)
    runs_before = digest_runs(world["store"])
    reference_dir = tmp_path / "reference"
    done = lumi(world["env"], "digest", args=["--date", day, "--out", str(reference_dir)])
    _out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    reference = visible_files(reference_dir)
    assert len(reference) == len(FORMATS)
    exports = Path(world["env"]["LUMI_EXPORT_DIR"])
    proc = lumi(world["env"], "digest", kill_at="during-export", args=["--date", day])
    try:
        proc.wait(timeout=120)
    finally:
        reap(proc)
    assert proc.returncode == -signal.SIGKILL
    killed = visible_files(exports)
    # some formats are in place, the others not there at all: nothing half-written
    assert 0 < len(killed) < len(FORMATS)
    _assert_complete_or_absent(killed, reference)
    # the one-shot command keeps no ledger: the scheduled digest's rows are as they were
    assert digest_runs(world["store"]) == runs_before
    left = [p for p in exports.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    assert left, "the killed export left its unreplaced temporary files"
    hour_ago = time.time() - STALE_TEMP_SECONDS - 60
    for tmp in left:
        os.utime(tmp, (hour_ago, hour_ago))  # as if the kill was long ago
    rerun = lumi(world["env"], "digest", args=["--date", day])
    _out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert visible_files(exports) == reference
    assert digest_runs(world["store"]) == runs_before
    # the next export of those files swept the stale temporary ones away
    assert not [p for p in exports.iterdir() if p.name.startswith(".")]


def test_a_service_killed_during_its_digest_writes_the_day_once_after_restarts(world) -> None:
    store = world["store"]
    _filled(world)
    with store.session() as session:
        session.execute(delete(DigestRunRow))  # a fresh ledger: the start writes one day
    proc = lumi(world["env"], "run", kill_at="during-export")
    try:
        proc.wait(timeout=120)
    finally:
        reap(proc)
    assert proc.returncode == -signal.SIGKILL
    # the ledger: one day claimed by the dead process, never finished
    (run,) = digest_runs(store)
    assert run.outcome == "running" and run.finished_at is None
    assert run.instance.split(":")[1] == str(proc.pid)
    exports = Path(world["env"]["LUMI_EXPORT_DIR"])
    names = {digest_filename(run.day, fmt) for fmt in FORMATS}
    assert 0 < len(visible_files(exports)) < len(FORMATS) and set(visible_files(exports)) <= names
    # the claimant ran on this host and its process is gone: the restart takes the day over
    # at once instead of waiting out the claim's timeout, and writes it
    serve_until_a_cycle(world["env"])
    (written,) = digest_runs(store)
    assert written.day == run.day and written.outcome == "written"
    export = visible_files(exports)
    assert set(export) == names
    json.loads(export[digest_filename(run.day, "json")])
    # and a further start does not write the day again
    mtimes = {name: (exports / name).stat().st_mtime_ns for name in names}
    serve_until_a_cycle(world["env"])
    assert digest_runs(store) == [written]
    assert {name: (exports / name).stat().st_mtime_ns for name in names} == mtimes


# --- SIGKILL during reclassify ----------------------------------------------------------------


def _reclassify(env: dict[str, str], kill_at: str | None = None) -> subprocess.CompletedProcess:
    return run_lumi(env, "reclassify", kill_at=kill_at, args=["--json"])


def test_a_reclassify_killed_mid_run_finishes_on_rerun_as_an_unkilled_run(world, tmp_path) -> None:
    store = world["store"]
    archive_articles(store, articles=RECLASSIFY_BATCH + 20)  # two batches
    untouched = tmp_path / "untouched.db"
    copy_sqlite(world["env"]["LUMI_DATABASE_URL"].removeprefix("sqlite:///"), untouched)
    killed = _reclassify(world["env"], kill_at="during-reclassify")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # the first batch is committed, the second is not
    stored_then = classifications(store)
    assert {row[0] for row in stored_then} and len({row[0] for row in stored_then}) < (
        RECLASSIFY_BATCH + 20
    )
    rerun = _reclassify(world["env"])
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["stored"] > 0
    # the reference: the same archive reclassified by one unkilled run
    reference_env = {**world["env"], "LUMI_DATABASE_URL": f"sqlite:///{untouched}"}
    unkilled = _reclassify(reference_env)
    assert unkilled.returncode == 0, unkilled.stderr
    reference = open_store(reference_env["LUMI_DATABASE_URL"])
    try:
        assert classifications(store) == classifications(reference)
    finally:
        reference.close()
    # and a further run changes nothing
    final = classifications(store)
    again = _reclassify(world["env"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["stored"] == 0
    assert classifications(store) == final
