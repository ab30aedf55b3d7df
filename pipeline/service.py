"""``lumi run``: the scheduled service.

APScheduler runs an ingest cycle every minute (each feed is polled only when due) and the
daily digest at ``LUMI_DIGEST_TIME`` in ``LUMI_TIMEZONE``. A small HTTP endpoint serves
``/healthz`` (JSON: last cycle, failing feeds) and ``/metrics`` (Prometheus text format).
SIGTERM and SIGINT stop the scheduler after the running job finishes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from pipeline.errors import ConfigError, DatabaseFault
from pipeline.settings import Settings
from pipeline.store import (
    Store,
    claim_digest_day,
    finish_digest_day,
    first_archive_day,
    instance_id,
    release_held_leases,
    utcnow,
    written_digest_days,
)

if TYPE_CHECKING:
    from pipeline.ingest.cycle import CycleReport

__all__ = ["Metrics", "Service"]

#: Seconds between two ingest cycles (each feed is polled only when due).
CYCLE_INTERVAL_SECONDS = 60
#: /healthz is degraded when the last cycle is older than this many intervals.
STALE_CYCLES = 3

#: How often the main thread looks for a stop signal (seconds).
_SIGNAL_POLL_SECONDS = 0.2
#: SIGTERM/SIGINT to exit within 10 s: a job still running after this is abandoned. What it
#: has not committed is redone after a restart (the same as after a SIGKILL).
STOP_GRACE_SECONDS = 7.0

log = logging.getLogger("lumi.service")

#: How many days back (the target day included) a restarted service writes missed digests;
#: older gaps are left to ``lumi digest --date``, so a long outage does not flood readers.
CATCH_UP_DAYS = 14


class Metrics:
    """Prometheus metrics of one service instance (own registry, so tests stay isolated)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.cycles = Counter("lumi_cycles", "Ingest cycles run", registry=self.registry)
        self.cycle_seconds = Histogram(
            "lumi_cycle_seconds", "Ingest cycle duration", registry=self.registry
        )
        self.feeds_polled = Counter(
            "lumi_feeds_polled", "Feed polls", ["outcome"], registry=self.registry
        )
        self.articles_new = Counter(
            "lumi_articles_new", "New article sources stored", registry=self.registry
        )
        self.feeds_failing = Gauge(
            "lumi_feeds_failing", "Feeds whose last poll failed", registry=self.registry
        )
        self.last_cycle = Gauge(
            "lumi_last_cycle_timestamp_seconds",
            "Unix time the last cycle ended",
            registry=self.registry,
        )
        self.digests = Counter("lumi_digests", "Digests written", registry=self.registry)
        self.health_status = Gauge(
            "lumi_health_status",
            "What /healthz last answered: 0 ok, 1 degraded, 2 unavailable",
            registry=self.registry,
        )
        self.feed_errors = Counter(
            "lumi_feed_errors", "Failed feed polls", ["error_class"], registry=self.registry
        )
        self.leases_claimed = Counter(
            "lumi_feed_leases_claimed",
            "Feed leases this instance claimed (one per feed it polled)",
            registry=self.registry,
        )
        self.leases_taken_over = Counter(
            "lumi_feed_leases_taken_over",
            "Claimed feed leases whose earlier holder's lease had run out (it crashed or stalled)",
            registry=self.registry,
        )
        self.leases_skipped = Counter(
            "lumi_feed_leases_skipped",
            "Due feeds skipped because another instance held their lease",
            registry=self.registry,
        )
        self.leases_lost = Counter(
            "lumi_feed_leases_lost",
            "Feed leases another instance took over while this one polled (its poll not "
            "recorded: this instance stalled for longer than LUMI_LEASE_SECONDS)",
            registry=self.registry,
        )
        self.cycles_skipped = Counter(
            "lumi_cycles_skipped",
            "Cycle runs skipped because the previous cycle was still running",
            registry=self.registry,
        )
        self.database_faults = Counter(
            "lumi_database_faults",
            "Cycles and digests the database failed (busy past the retries, unreachable, "
            "full, read-only, corrupt)",
            ["error_class"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


def _write_day(_store: Store, digest: Callable[[Any], Any], day: date) -> object:
    return digest(day)


class Service:
    """The long-running service: scheduler, health and metrics.

    Args:
        store: the open database.
        settings: effective settings.
        cycle: runs one ingest cycle and returns its report (``pipeline.ingest.cycle.run_cycle``).
        digest: writes the digest for a day (None: no scheduled digest).
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        cycle: Callable[[], CycleReport],
        digest: Callable[[Any], Any] | None = None,
    ):
        from apscheduler.schedulers.background import BackgroundScheduler

        self.store = store
        self.settings = settings
        self._cycle = cycle
        self._digest = digest
        self.metrics = Metrics()
        self.stopped = threading.Event()
        self.last_report: dict[str, Any] | None = None
        self._last_cycle_at: datetime | None = None
        #: when start() ran; a service that never completed a cycle goes stale from here
        self.started_at: datetime | None = None
        self.scheduler = BackgroundScheduler(timezone=ZoneInfo(settings.timezone))
        self._http: ThreadingHTTPServer | None = None
        self._serving = False
        #: names this instance's claims in ``digest_runs`` and its leases on feeds
        self.instance = instance_id()
        self._cycle_running = threading.Lock()
        #: the last database fault of a cycle or digest, until a later one succeeds
        self.database_fault: str | None = None
        #: jobs running now (cycle, digest, catch-up), so a stop can wait for them, bounded
        self._active = 0
        self._idle = threading.Condition()

    def run_cycle_job(self) -> None:
        """One scheduled ingest cycle; failures are logged and counted, never fatal.

        A run that starts while the previous cycle is still going returns at once (the
        scheduler already runs at most one; this holds for any other caller too).
        """
        if not self._cycle_running.acquire(blocking=False):
            log.info("cycle skipped: the previous one is still running", extra={"stage": "service"})
            self.metrics.cycles_skipped.inc()
            return
        try:
            with self._busy():
                self._run_cycle()
        finally:
            self._cycle_running.release()

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _database_failed(self, fault: DatabaseFault, what: str) -> None:
        """Log a database fault in one line (no traceback: it is not a bug) and keep it for
        /healthz until the next cycle or digest succeeds."""
        log.error(
            f"{what} failed: the database failed; the next run tries again",
            extra={"stage": "service", "error_class": fault.kind, "error": str(fault)},
        )
        self.metrics.database_faults.labels(fault.kind).inc()
        self.database_fault = str(fault)

    def _run_cycle(self) -> None:
        try:
            with self.metrics.cycle_seconds.time():
                report = self._cycle()
        except DatabaseFault as fault:
            self._database_failed(fault, "cycle")
            return
        except Exception:
            log.exception("cycle failed", extra={"stage": "service"})
            self.metrics.feeds_polled.labels("crashed").inc()
            return
        self.metrics.cycles.inc()
        self.metrics.leases_claimed.inc(len(report.feeds))
        # a cycle callable may return a report without lease figures (older callers, fakes)
        self.metrics.leases_taken_over.inc(len(getattr(report, "leases_taken_over", ())))
        self.metrics.leases_skipped.inc(len(getattr(report, "leased_elsewhere", ())))
        self.metrics.leases_lost.inc(len(getattr(report, "leases_lost", ())))
        for feed in report.feeds:
            self.metrics.feeds_polled.labels("error" if feed.error_class else "ok").inc()
            if feed.error_class:
                self.metrics.feed_errors.labels(feed.error_class).inc()
        self.metrics.articles_new.inc(report.new)
        # a feed whose entries the database refused carries the fault as its error class
        refused = [f for f in report.feeds if (f.error_class or "").startswith("database")]
        self.database_fault = refused[0].error_message if refused else None
        self.metrics.feeds_failing.set(report.failed)
        self._last_cycle_at = utcnow()
        self.metrics.last_cycle.set(self._last_cycle_at.timestamp())
        self.last_report = {
            "at": self._last_cycle_at.isoformat(),
            "feeds": len(report.feeds),
            "new": report.new,
            "failed": report.failed,
        }

    def run_digest_job(self, now: datetime | None = None) -> list[date]:
        """The scheduled digest (at ``LUMI_DIGEST_TIME``): write each due day once, oldest
        first, and return the days written.

        The target day is the day that just ended in ``LUMI_TIMEZONE``
        (``LUMI_DIGEST_DAY=previous``) or the current one (``current``) at ``now``. Days
        after the last written one that were missed while no instance ran are caught up
        too, at most :data:`CATCH_UP_DAYS` back and never before the archive's first
        article; a fresh ledger writes only the target day. Each day is claimed in
        ``digest_runs`` first, so restarts and other instances never write it twice.
        ``lumi digest --date`` re-exports a day later with any late arrivals.
        """
        local = (now or datetime.now(UTC)).astimezone(ZoneInfo(self.settings.timezone))
        with self._busy():
            return self._write_due(self._target_for(local.date()))

    def catch_up_digests(self, now: datetime | None = None) -> list[date]:
        """At service start: write the digests missed while no instance ran.

        Like :meth:`run_digest_job`, but as of the latest ``LUMI_DIGEST_TIME`` at or before
        ``now``, so a start before today's digest time does not write today's digest early.
        """
        local = (now or datetime.now(UTC)).astimezone(ZoneInfo(self.settings.timezone))
        run_day = local.date()
        if (local.hour, local.minute) < self._digest_clock():
            run_day -= timedelta(days=1)
        with self._busy():
            return self._write_due(self._target_for(run_day))

    def _digest_clock(self) -> tuple[int, int]:
        """(hour, minute) of ``LUMI_DIGEST_TIME``."""
        hour, minute = (int(x) for x in self.settings.digest_time.split(":"))
        return hour, minute

    def _target_for(self, run_day: date) -> date:
        return run_day - timedelta(days=1) if self.settings.digest_day == "previous" else run_day

    def _write_due(self, target: date) -> list[date]:
        if self._digest is None:
            return []
        written: list[date] = []
        try:
            due = self._due_days(target)
        except DatabaseFault as fault:
            self._database_failed(fault, "digest")
            return written
        for day, why in due:
            try:
                claimed = claim_digest_day(self.store, day, self.instance)
            except DatabaseFault as fault:
                self._database_failed(fault, "digest")
                break
            if not claimed:
                log.info(
                    "digest already claimed by another instance",
                    extra={"stage": "digest", "day": day.isoformat()},
                )
                continue
            log.info(f"writing digest ({why})", extra={"stage": "digest", "day": day.isoformat()})
            try:
                # preparing and writing a day are idempotent: a transient fault redoes both
                self.store.retrying(_write_day, self._digest, day)
                finish_digest_day(self.store, day, self.instance, ok=True)
            except DatabaseFault as fault:
                self._database_failed(fault, "digest")
                # the claim stays "running" if this fails too; it is taken over later
                with contextlib.suppress(DatabaseFault):
                    finish_digest_day(self.store, day, self.instance, ok=False)
                break
            except Exception:
                finish_digest_day(self.store, day, self.instance, ok=False)
                log.exception("digest failed", extra={"stage": "digest", "day": day.isoformat()})
                continue
            self.database_fault = None
            self.metrics.digests.inc()
            written.append(day)
        return written

    def _due_days(self, target: date) -> list[tuple[date, str]]:
        written = set(written_digest_days(self.store))
        if target in written:
            return []
        earlier = [day for day in written if day < target]
        if not earlier:
            return [(target, f"{self.settings.digest_day} day, first digest")]
        start = max(max(earlier) + timedelta(days=1), target - timedelta(days=CATCH_UP_DAYS - 1))
        first = first_archive_day(self.store, self.settings.timezone)
        if first is not None:
            start = max(start, min(first, target))
        due = []
        day = start
        while day < target:
            if day not in written:
                due.append((day, "catching up a missed day"))
            day += timedelta(days=1)
        due.append((target, f"{self.settings.digest_day} day"))
        return due

    def health(self, now: datetime | None = None) -> dict[str, Any]:
        """What /healthz answers: ``status`` is ``ok``, ``degraded`` or ``unavailable``.

        Degraded: more than ``LUMI_HEALTH_MAX_FAILING`` of the feeds are failing or disabled,
        the last cycle ended (or, before any, the service started) more than
        :data:`STALE_CYCLES` cycle intervals ago, or the last cycle or digest failed on a
        database fault (full, read-only, busy past the retries; the reason starts with
        ``database:``). Unavailable: the database cannot be read.
        ``reasons`` says why, with the figures.
        """
        from pipeline.health import feed_states

        now = now or utcnow()
        reasons: list[str] = []
        try:
            states = feed_states(self.store)
        except Exception as exc:  # any database failure: report it, never a traceback
            line = " ".join(str(exc).split())[:300]
            self.metrics.health_status.set(2)
            return {
                "status": "unavailable",
                "reasons": [f"database: {type(exc).__name__}: {line}"],
                "last_cycle": self.last_report,
            }
        failing = [s["id"] for s in states if s["state"] in ("failing", "disabled")]
        share = len(failing) / len(states) if states else 0.0
        if share > self.settings.health_max_failing:
            reasons.append(f"failing_share {share:.2f} > {self.settings.health_max_failing}")
        if self.database_fault is not None:
            reasons.append(f"database: {self.database_fault}")
        last = self._last_cycle_at or self.started_at
        if last is not None:
            age = (now - last).total_seconds()
            if age > STALE_CYCLES * CYCLE_INTERVAL_SECONDS:
                what = "last_cycle" if self._last_cycle_at else "no cycle since start"
                reasons.append(f"{what} {age:.0f} s ago")
        self.metrics.health_status.set(1 if reasons else 0)
        return {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "last_cycle": self.last_report,
            "feeds": len(states),
            "failing_feeds": failing,
            "failing_share": round(share, 3),
        }

    def _bind_http(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status = 200
                if self.path == "/healthz":
                    report = service.health()
                    status = 503 if report["status"] == "unavailable" else 200
                    body = json.dumps(report).encode()
                    ctype = "application/json"
                elif self.path == "/metrics":
                    body = service.metrics.render()
                    ctype = "text/plain; version=0.0.4"
                else:
                    self.send_error(404)
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug(format % args, extra={"stage": "http"})

        host, port = self.settings.http_host, self.settings.http_port
        try:
            self._http = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot serve /healthz on {host}:{port}: {exc.strerror or exc}; "
                "stop the other process or set LUMI_HTTP_PORT (0 disables the endpoint)"
            ) from exc
        self._http.daemon_threads = True

    def bind(self) -> None:
        """Open the health endpoint's listening socket, without serving yet.

        ``lumi run`` calls this first so a port in use fails before anything starts.

        Raises:
            ConfigError: the address cannot be bound (port in use, address not local).
        """
        if self._http is None and self.settings.http_port:
            self._bind_http()

    @property
    def http_address(self) -> tuple[str, int] | None:
        """(host, port) of the health endpoint once started."""
        if self._http is None:
            return None
        host, port = self._http.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Start the scheduler and the HTTP endpoint (non-blocking).

        Raises:
            ConfigError: the health endpoint's address cannot be bound.
        """
        hour, minute = self._digest_clock()
        self.started_at = utcnow()
        self.scheduler.add_job(
            self.run_cycle_job,
            "interval",
            seconds=CYCLE_INTERVAL_SECONDS,
            id="cycle",
            next_run_time=datetime.now(ZoneInfo(self.settings.timezone)),
            max_instances=1,
            coalesce=True,
        )
        if self._digest is not None:
            self.scheduler.add_job(
                self.run_digest_job,
                "cron",
                hour=hour,
                minute=minute,
                id="digest",
                max_instances=1,
                coalesce=True,
            )
            # once at start: catch up the days missed while no instance ran
            self.scheduler.add_job(
                self.catch_up_digests,
                id="digest-catch-up",
                next_run_time=datetime.now(ZoneInfo(self.settings.timezone)),
            )
        # Bound before the scheduler starts, so a port in use stops nothing half-started.
        self.bind()
        self.scheduler.start()
        if self._http is not None:
            threading.Thread(target=self._http.serve_forever, name="lumi-http", daemon=True).start()
            self._serving = True
        log.info("service started", extra={"stage": "service"})

    def stop(self, grace: float | None = None) -> bool:
        """Stop scheduling, wait for the running job, close the HTTP endpoint.

        Args:
            grace: wait at most this many seconds for a running job (None: until it ends).
                A job still running then is abandoned: this instance's feed leases are
                released so a restart polls those feeds again at once.

        Returns:
            True when no job was left running, False when one was abandoned (the caller
            should exit the process: the job's thread cannot be stopped).
        """
        finished = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=grace is None)
            if grace is not None:
                with self._idle:
                    finished = self._idle.wait_for(lambda: self._active == 0, timeout=grace)
        if self._http is not None:
            if self._serving:  # shutdown() waits for serve_forever, so only when it runs
                self._http.shutdown()
                self._serving = False
            self._http.server_close()
            self._http = None
        if not finished:
            log.warning(
                "stopping with a job still running: abandoned, its uncommitted work is redone "
                "after a restart",
                extra={"stage": "service"},
            )
            try:
                release_held_leases(self.store, self.instance)
            except Exception as exc:  # a database fault must not block the stop
                log.warning(
                    "feed leases not released: they run out after LUMI_LEASE_SECONDS",
                    extra={"stage": "service", "error_class": type(exc).__name__},
                )
        self.stopped.set()
        return finished

    def run_forever(self) -> bool:
        """Start, then block until SIGTERM or SIGINT, then stop within
        :data:`STOP_GRACE_SECONDS`; returns :meth:`stop`'s answer."""

        requested: list[int] = []

        # The handler only records the signal: it runs on the main thread between two
        # bytecodes, possibly while that thread holds the lock of ``stopped`` inside
        # Event.wait(), so setting the event from here can deadlock.
        def _signal(signum: int, _frame: Any) -> None:
            requested.append(signum)

        signal.signal(signal.SIGTERM, _signal)
        signal.signal(signal.SIGINT, _signal)
        self.start()
        while not requested and not self.stopped.is_set():
            time.sleep(_SIGNAL_POLL_SECONDS)
        if requested:
            log.info("stopping", extra={"stage": "service", "count": requested[0]})
        return self.stop(grace=STOP_GRACE_SECONDS)
