"""Database faults: another writer holding SQLite's write lock (3 s, 30 s), a lost PostgreSQL
connection and a deadlock, a full database (``max_page_count``, a small tmpfs), a read-only
and a corrupt database, an unwritable export folder.

Lumi waits, runs the whole transaction again, rolls back cleanly, says what is wrong in one
line, stays up, and resumes when the fault clears; a feed whose entries were not stored keeps
its state, so the next cycle stores them; no partial export is ever visible.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fixtures_http import guarded_settings
from sqlalchemy import event, text

from pipeline.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
)
from pipeline.ingest.cycle import run_cycle
from pipeline.records import FeedSource
from pipeline.service import Service
from pipeline.store import (
    Store,
    claim_digest_day,
    digest_runs,
    feed_health,
    open_store,
    store_totals,
    sync_registry,
)
from pipeline.store.engine import RetryPolicy

REPO = Path(__file__).resolve().parents[2]
RSS = "feeds/formats/rss-parser/test/input/content-encoded.rss"


# --- helpers ---------------------------------------------------------------------------------


def _sources(server: Any) -> list[FeedSource]:
    return [FeedSource("sample", server.url(RSS), "Sample feed", "en", ("test",))]


_REFERENCE: dict[str, int] = {}


def _reference_sources(tmp_path: Path, server: Any) -> int:
    """How many entry sources one undisturbed cycle stores from the test feed."""
    if RSS not in _REFERENCE:
        store = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
        try:
            report = run_cycle(store, _settings(server), _sources(server), classify=False)
            assert report.failed == 0 and report.new > 0
            _REFERENCE[RSS] = store_totals(store).sources
        finally:
            store.close()
    return _REFERENCE[RSS]


def _cycle_stores_everything(database_url: str, server: Any, expected: int) -> None:
    """The next cycle, once the fault has cleared, succeeds and the store holds every entry."""
    store = open_store(database_url)
    try:
        report = run_cycle(store, _settings(server), _sources(server), classify=False)
        assert report.failed == 0
        assert store_totals(store).sources == expected, "nothing lost, nothing twice"
    finally:
        store.close()


def _settings(server: Any) -> Any:
    return guarded_settings(server, fetch_pages=False, http_timeout=10.0)


@contextmanager
def _write_lock(
    db: Path, seconds: float, *, until: threading.Event | None = None
) -> Iterator[None]:
    """Another connection holds the database's write lock (``BEGIN IMMEDIATE``) from now
    until ``seconds`` later (or, given ``until``, until it is set: at most ``seconds``)."""
    locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    wake = until or threading.Event()
    release = threading.Thread(target=lambda: (wake.wait(seconds), locker.execute("COMMIT")))
    release.start()
    try:
        yield
    finally:
        release.join()
        locker.close()


@contextmanager
def _on_every_connection(store: Store, *pragmas: str) -> Iterator[None]:
    """Run ``pragmas`` on each connection the store opens while the block runs (the pool is
    emptied on the way in and out, so every connection gets them, and none keeps them)."""

    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    store.engine.dispose()
    event.listen(store.engine, "connect", apply)
    try:
        yield
    finally:
        event.remove(store.engine, "connect", apply)
        store.engine.dispose()


def _page_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


def _lines(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records]


@contextmanager
def _records(name: str, seen: threading.Event | None = None) -> Iterator[list[logging.LogRecord]]:
    """The records logger ``name`` emits while the block runs (``seen`` is set at the first)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)

    def emit(record: logging.LogRecord) -> None:
        records.append(record)
        if seen is not None:
            seen.set()

    handler.emit = emit  # type: ignore[method-assign]
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def _env(tmp_path: Path, server: Any, database_url: str) -> dict[str, str]:
    registry = tmp_path / "feeds.yaml"
    registry.write_text(
        json.dumps(
            {
                "feeds": [
                    {"id": s.id, "url": s.url, "title": s.title, "language": "en"}
                    for s in _sources(server)
                ]
            }
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env.update(
        {
            "LUMI_DATABASE_URL": database_url,
            "LUMI_FEEDS": str(registry),
            "LUMI_ALLOWED_ADDRESSES": server.host_port,
            "LUMI_FETCH_PAGES": "0",
            "LUMI_HTTP_TIMEOUT": "10",
            "LUMI_EXPORT_DIR": str(tmp_path / "export"),
            "LUMI_SPACY_MODEL": "none",
        }
    )
    return env


def _lumi(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        cwd=REPO,
    )


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The command's ``error:`` line; it is the only one and nothing dumps a traceback."""
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "[SQL:" not in proc.stderr, proc.stderr
    return errors[0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (skips when mounting is not permitted)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'not permitted'}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system ``folder`` is on to the last byte; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):  # smaller and smaller, to the last byte
            while True:
                try:
                    if os.write(fd, b"\0" * size) == 0:
                        break
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def _serve_health(store: Store, settings: Any, cycle: Any) -> Service:
    """A service (no scheduler) whose /healthz answers on a free loopback port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    service = Service(store, settings.replace(http_host="127.0.0.1", http_port=port), cycle)
    service.bind()
    assert service._http is not None
    threading.Thread(target=service._http.serve_forever, daemon=True).start()
    service._serving = True
    return service


def _healthz(service: Service) -> tuple[int, dict[str, Any]]:
    assert service.http_address is not None
    host, port = service.http_address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# --- a lock held by another writer -----------------------------------------------------------


def test_a_write_lock_held_3_s_is_waited_out_and_the_cycle_stores_everything(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    try:
        with _write_lock(db, 3.0):
            report = run_cycle(
                store, _settings(loopback_server), _sources(loopback_server), classify=False
            )
        assert report.failed == 0
        assert store_totals(store).sources == expected
        (feed,) = feed_health(store)
        assert feed.last_success_at is not None and feed.error_class is None
    finally:
        store.close()


def test_a_write_lock_held_30_s_fails_a_short_retry_in_one_line_and_the_default_outlasts_it(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    settings, sources = _settings(loopback_server), _sources(loopback_server)
    try:
        with _records("lumi.store") as logged, _write_lock(db, 30.0):
            store.retry = RetryPolicy(deadline_s=0.5)  # an operator's patience: far below 30 s
            with pytest.raises(DatabaseBusy) as busy:
                run_cycle(store, settings, sources, classify=False)
            message = str(busy.value)
            assert "\n" not in message and "busy" in message and "gave up after" in message
            assert store_totals(store).sources == 0
            logged.clear()
            store.retry = RetryPolicy()  # the default outlasts the rest of the lock
            claimed: list[bool] = []  # the digest's run row, written meanwhile, waits too
            claim = threading.Thread(
                target=lambda: claimed.append(claim_digest_day(store, date(2026, 1, 5), "me"))
            )
            claim.start()
            report = run_cycle(store, settings, sources, classify=False)
            claim.join()
        assert claimed == [True]
        assert [(r.day, r.outcome) for r in digest_runs(store)] == [(date(2026, 1, 5), "running")]
        assert report.failed == 0
        assert store_totals(store).sources == expected, "nothing was lost"
        (feed,) = feed_health(store)
        assert feed.last_success_at is not None
        retries = [r for r in logged if getattr(r, "error_class", None) == "database_busy"]
        # a statement waits at most a few seconds for the lock: the rest of the 30 s take
        # several retries, each logged once, in one line, with its attempt number
        by_writer: dict[int | None, list[int]] = {}
        for r in retries:
            by_writer.setdefault(r.thread, []).append(r.attempts)  # type: ignore[attr-defined]
        assert len(by_writer) == 2, "the cycle and the digest claim both waited"
        assert all(n == list(range(1, len(n) + 1)) for n in by_writer.values()), by_writer
        assert max(len(n) for n in by_writer.values()) >= 2, _lines(logged)
        assert all("\n" not in line for line in _lines(retries))
    finally:
        store.close()


def test_lumi_db_retry_seconds_sets_how_long_lumi_fetch_retries_a_held_lock(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    db = tmp_path / "lumi.db"
    open_store(f"sqlite:///{db}").close()
    env = {**_env(tmp_path, loopback_server, f"sqlite:///{db}"), "LUMI_DB_RETRY_SECONDS": "1"}
    done = threading.Event()
    with _write_lock(db, 100.0, until=done):
        try:
            proc = _lumi(["fetch", "--all"], env)
        finally:
            done.set()
    assert proc.returncode == 1, proc.stderr
    line = _one_error_line(proc)
    assert "busy" in line and "gave up after" in line
    _cycle_stores_everything(f"sqlite:///{db}", loopback_server, expected)


def test_a_reclassify_batch_rerun_after_a_lock_counts_and_stores_each_result_once(
    tmp_path, loopback_server, monkeypatch
):
    import pipeline.store.engine as engine_module
    from pipeline.classify import classifier_config
    from pipeline.reclassify import reclassify

    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    settings = _settings(loopback_server)
    config = classifier_config(settings.replace(spacy_model="none"))
    try:
        run_cycle(store, settings, _sources(loopback_server), classify=False)
        would = reclassify(store, only=["risk_themes"], dry_run=True, config=config)
        assert would.stored > 0
        # statements give up on the lock within a fifth of a second; the lock is let go
        # once the batch's commit has met it, so its whole transaction (and its counting)
        # certainly ran again
        monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_S", 0.2)
        store.engine.dispose()
        retried = threading.Event()
        with _records("lumi.store", retried) as logged, _write_lock(db, 60, until=retried):
            done = reclassify(store, only=["risk_themes"], config=config)
        assert any(getattr(r, "error_class", None) == "database_busy" for r in logged)
        assert (done.articles, done.stored, done.changed) == (
            would.articles,
            would.stored,
            would.changed,
        )
        assert store_totals(store).classifications == would.stored, "each result once"
    finally:
        store.close()


# --- PostgreSQL: a lost connection, a deadlock -----------------------------------------------


def _pg_dsn(url: str) -> str:
    """A plain libpq DSN for the server behind ``url`` (its schema option dropped)."""
    return url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")


@pytest.mark.postgres
def test_a_lost_postgresql_connection_runs_the_whole_transaction_again(pg_url):
    import psycopg

    store = open_store(pg_url, auto_migrate=True)
    runs: list[int] = []
    insert = text(
        "INSERT INTO digest_runs (day, instance, started_at, outcome) "
        "VALUES (:day, 'me', CURRENT_TIMESTAMP, 'running')"
    )

    def body(session: Any) -> None:
        runs.append(1)
        session.execute(insert, {"day": date(2026, 1, 6)})
        if len(runs) == 1:  # the server drops this connection mid-transaction
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
            with psycopg.connect(_pg_dsn(pg_url), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            session.execute(text("SELECT 1"))

    try:
        with _records("lumi.store") as logged:
            store.transact(body)
        assert len(runs) == 2, "the whole transaction ran again"
        assert [r.day for r in digest_runs(store)] == [date(2026, 1, 6)], "once, not twice"
        assert [getattr(r, "error_class", None) for r in logged] == ["database_unavailable"]
    finally:
        store.close()


@pytest.mark.postgres
def test_a_postgresql_deadlock_reruns_the_losing_transaction_and_both_commit(pg_url):
    store = open_store(pg_url, auto_migrate=True)
    try:
        for day in (date(2026, 1, 7), date(2026, 1, 8)):
            assert claim_digest_day(store, day, "seed")
        first_runs = threading.Barrier(2, timeout=30)
        runs: list[str] = []

        def crosswise(name: str, first: date, second: date) -> None:
            def body(session: Any) -> None:
                runs.append(name)
                update = text("UPDATE digest_runs SET instance = :who WHERE day = :day")
                session.execute(update, {"who": name, "day": first})
                if runs.count(name) == 1:
                    first_runs.wait()  # both hold their first row: lock each other's next
                session.execute(update, {"who": name, "day": second})

            store.transact(body)

        threads = [
            threading.Thread(target=crosswise, args=("a", date(2026, 1, 7), date(2026, 1, 8))),
            threading.Thread(target=crosswise, args=("b", date(2026, 1, 8), date(2026, 1, 7))),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        # PostgreSQL aborted one of them; it ran again after the other committed
        assert len(runs) == 3, runs
        loser = next(name for name in "ab" if runs.count(name) == 2)
        assert {r.instance for r in digest_runs(store)} == {loser}
    finally:
        store.close()


# --- a full disk -----------------------------------------------------------------------------


def test_a_full_database_rolls_back_says_so_in_one_line_and_the_next_cycle_stores_the_rest(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    settings, sources = _settings(loopback_server), _sources(loopback_server)
    try:
        sync_registry(store, sources)
        limit = _page_count(db)  # the file may not grow: the first article overflows a page
        with (
            _on_every_connection(store, f"PRAGMA max_page_count={limit}"),
            pytest.raises(DatabaseFull) as full,
        ):
            run_cycle(store, settings, sources, classify=False)
        message = str(full.value)
        assert "\n" not in message and "is full" in message and "free disk space" in message
        stored = store_totals(store).sources
        assert stored < expected, "the fault hit before the feed was stored"
        (feed,) = feed_health(store)
        # the feed's state did not advance: the next cycle fetches the same entries again
        assert feed.last_success_at is None and feed.last_polled_at is None
        report = run_cycle(store, settings, sources, classify=False)
        assert report.failed == 0
        assert report.new == expected - stored
        assert store_totals(store).sources == expected, "nothing lost, nothing twice"
    finally:
        store.close()


def test_a_full_tmpfs_makes_lumi_fetch_exit_1_in_one_line_and_the_next_cycle_stores_everything(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    with _tmpfs(tmp_path / "small", "16m") as small:
        db = small / "lumi.db"
        open_store(f"sqlite:///{db}").close()  # created and migrated while there is room
        filler = _fill(small)
        proc = _lumi(["fetch", "--all"], _env(tmp_path, loopback_server, f"sqlite:///{db}"))
        assert proc.returncode == 1, proc.stderr
        line = _one_error_line(proc)
        assert "is full" in line and str(db) in line
        filler.unlink()  # the fault clears
        _cycle_stores_everything(f"sqlite:///{db}", loopback_server, expected)


# --- read-only -------------------------------------------------------------------------------


def test_a_read_only_database_makes_lumi_fetch_exit_1_in_one_line_and_stays_unchanged(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    db = tmp_path / "lumi.db"
    open_store(f"sqlite:///{db}").close()
    before = _sha256(db)
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    proc = _lumi(["fetch", "--all"], _env(tmp_path, loopback_server, read_only))
    assert proc.returncode == 1, proc.stderr
    line = _one_error_line(proc)
    assert "read-only" in line and "writable" in line
    assert _sha256(db) == before
    _cycle_stores_everything(f"sqlite:///{db}", loopback_server, expected)


def test_a_database_on_a_read_only_mount_is_reported_as_read_only(tmp_path):
    data, mount = tmp_path / "data", tmp_path / "ro"
    data.mkdir()
    mount.mkdir()
    open_store(f"sqlite:///{data / 'lumi.db'}").close()
    bound = subprocess.run(
        f"mount --bind {data} {mount} && mount -o remount,bind,ro {mount}",
        shell=True,
        capture_output=True,
        text=True,
    )
    if bound.returncode != 0:
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)
        pytest.skip(f"cannot make a read-only bind mount here: {bound.stderr.strip()}")
    try:
        with pytest.raises(DatabaseReadOnly) as read_only:
            open_store(f"sqlite:///{mount / 'lumi.db'}")
        assert "read-only file system" in str(read_only.value)
        assert "\n" not in str(read_only.value)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_the_service_stays_up_reports_a_read_only_database_on_healthz_and_resumes(
    tmp_path, loopback_server
):
    expected = _reference_sources(tmp_path, loopback_server)
    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    settings, sources = _settings(loopback_server), _sources(loopback_server)
    sync_registry(store, sources)
    service = _serve_health(
        store, settings, lambda: run_cycle(store, settings, sources, classify=False)
    )
    try:
        # every connection refuses writes, like a database opened read-only
        with _records("lumi.service") as logged, _on_every_connection(store, "PRAGMA query_only=1"):
            service.run_cycle_job()  # never raises
            status, body = _healthz(service)
        assert status == 200 and body["status"] == "degraded"
        (reason,) = [r for r in body["reasons"] if r.startswith("database: ")]
        assert "read-only" in reason
        failed = [r for r in logged if getattr(r, "error_class", None) == "database_read_only"]
        assert len(failed) == 1 and failed[0].exc_info is None, "one line, no traceback"
        assert store_totals(store).sources == 0
        service.run_cycle_job()  # the fault has cleared
        status, body = _healthz(service)
        assert status == 200 and body["status"] == "ok", body
        assert store_totals(store).sources == expected
        metric = service.metrics.registry.get_sample_value(
            "lumi_database_faults_total", {"error_class": "database_read_only"}
        )
        assert metric == 1
    finally:
        service.stop()
        store.close()


# --- corrupt ---------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_reported_corrupt_and_never_overwritten(
    tmp_path, loopback_server
):
    db = tmp_path / "lumi.db"
    db.write_bytes(b"this is not a database, it is an operator's notes\n" * 200)
    before = _sha256(db)
    proc = _lumi(["fetch", "--all"], _env(tmp_path, loopback_server, f"sqlite:///{db}"))
    assert proc.returncode == 1, proc.stderr
    line = _one_error_line(proc)
    assert "is corrupt" in line and "backup" in line
    assert _sha256(db) == before, "the file is neither repaired nor replaced"
    with pytest.raises(DatabaseCorrupt):
        open_store(f"sqlite:///{db}")
    assert _sha256(db) == before


def test_a_database_with_damaged_pages_keeps_the_service_up_with_a_503_and_stays_untouched(
    tmp_path, loopback_server
):
    db = tmp_path / "lumi.db"
    store = open_store(f"sqlite:///{db}")
    settings, sources = _settings(loopback_server), _sources(loopback_server)
    run_cycle(store, settings, sources, classify=False)
    store.close()
    with sqlite3.connect(db) as conn:  # everything in the main file, nothing in the WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        roots = [
            int(n)
            for (n,) in conn.execute(
                "SELECT rootpage FROM sqlite_master WHERE rootpage > 0 "
                "AND tbl_name NOT IN ('alembic_version')"
            )
        ]
    with open(db, "r+b") as handle:  # the schema stays readable, the tables do not
        for root in roots:
            handle.seek((root - 1) * page)
            handle.write(b"\xa5" * page)
    before = _sha256(db)
    store = open_store(f"sqlite:///{db}")
    service = _serve_health(
        store, settings, lambda: run_cycle(store, settings, sources, classify=False)
    )
    try:
        with _records("lumi.service") as logged:
            service.run_cycle_job()  # never raises
        assert [getattr(r, "error_class", None) for r in logged] == ["database_corrupt"]
        status, body = _healthz(service)
        assert status == 503 and body["status"] == "unavailable"
        assert "corrupt" in body["reasons"][0]
    finally:
        service.stop()
        store.close()
    assert _sha256(db) == before


# --- an unwritable export folder -------------------------------------------------------------


def _export(out: Path) -> dict[str, str]:
    return {p.name: _sha256(p) for p in sorted(out.iterdir())}


def test_an_export_folder_under_a_regular_file_fails_in_one_line_and_writes_nothing(
    tmp_path, loopback_server
):
    env = _env(tmp_path, loopback_server, f"sqlite:///{tmp_path / 'lumi.db'}")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder's parent should be\n")
    proc = _lumi(["digest", "--date", "2026-01-05", "--out", str(blocker / "digest")], env)
    assert proc.returncode == 1, proc.stderr
    line = _one_error_line(proc)
    assert str(blocker / "digest") in line and "no file was replaced" in line
    assert blocker.read_text().startswith("a file where")


def test_a_full_export_folder_leaves_the_previous_export_intact_and_no_temporary_file(
    tmp_path, loopback_server
):
    from pipeline.publish.digest import write_digest

    database_url = f"sqlite:///{tmp_path / 'lumi.db'}"
    env = _env(tmp_path, loopback_server, database_url)
    day = date(2026, 1, 5)
    store = open_store(database_url)
    try:
        with _tmpfs(tmp_path / "export", "1m") as out:
            write_digest(store, day, _settings(loopback_server), out_dir=out)
            previous = _export(out)
            assert len(previous) == 4
            filler = _fill(out)
            proc = _lumi(["digest", "--date", day.isoformat(), "--all", "--out", str(out)], env)
            assert proc.returncode == 1, proc.stderr
            assert "cannot write the digest" in _one_error_line(proc)
            filler.unlink()
            assert _export(out) == previous, "the previous export is whole; no temporary file"
            write_digest(store, day, _settings(loopback_server), out_dir=out)  # resumes
            assert _export(out) == previous
    finally:
        store.close()


def test_database_faults_are_distinct_and_only_busy_and_unavailable_are_retried():
    transient = {cls for cls in (DatabaseBusy, DatabaseUnavailable) if cls.transient}
    assert transient == {DatabaseBusy, DatabaseUnavailable}
    assert not any(cls.transient for cls in (DatabaseFull, DatabaseReadOnly, DatabaseCorrupt))
