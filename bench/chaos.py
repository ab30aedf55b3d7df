"""Chaos run: SIGKILL `lumi` at random named points, restart it, check the invariants.

Run on demand, never in the test suite. A loopback server serves a few feeds whose entries
grow between kills; a fresh database (a SQLite file, or a new PostgreSQL schema) and export
folder hold what `lumi` stores. Each round picks, at random from ``--seed``, a command and
one of its fault-injection points (:mod:`pipeline.faults`):

==============  ==============================================================
``fetch``       ``after-fetch``, ``mid-insert``, ``before-state-update``
``run``         the same three in the service's cycle, and ``during-export`` of its
                start-up digest (once: the day is then written)
``digest``      ``during-export``
``reclassify``  ``during-reclassify`` (over a batch of newly archived articles)
==============  ==============================================================

The process must die at that point (SIGKILL); the round then waits for the dead process's
leases to run out, restarts the same command without the fault, and checks:

- no entry is stored twice, and every entry served so far is stored exactly once;
- every feed's state is that of a successful poll, and no lease is left behind;
- every feed article went on to its story;
- every digest file visible after the kill is absent, the file of before the kill or the
  complete file of the restart (never half-written); every file after the restart is valid;
- the digest ledger holds one row per day and none left ``running``; the service's day is
  written once, and a killed writer's day is written by a later start;
- ``lumi reclassify`` after a killed one leaves every article with one current result per
  classifier, and a further run stores nothing.

Two clock jumps stand in for waiting: before a ``run`` round the feeds are made due again
(the service polls only due feeds), and a digest claim left by a killed service is aged past
its timeout (30 minutes) so the next start takes it over.

Usage: python bench/chaos.py [--kills N] [--backend sqlite|postgresql] [--seed S] [--feeds F]
Exit status: 0 when every invariant held after every restart, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the loopback server and the crash-test helpers

import yaml  # noqa: E402
from crashes import (  # noqa: E402
    archive_articles,
    lumi,
    run_lumi,
    serve_until_a_cycle,
    stored_sources,
    visible_files,
)
from loopback import LoopbackServer, RequestRecord, Response, reap  # noqa: E402
from sqlalchemy import delete, func, select, update  # noqa: E402

from pipeline.store import (  # noqa: E402
    CLAIM_TIMEOUT,
    ArticleRow,
    ArticleSourceRow,
    ClassificationRow,
    DigestRunRow,
    FeedRow,
    Store,
    StoryArticleRow,
    digest_runs,
    feed_leases,
    open_store,
    utcnow,
)

LEASE_SECONDS = 1.0
CYCLE_POINTS = ("after-fetch", "mid-insert", "before-state-update")
PLAN: tuple[tuple[str, str], ...] = (
    *(("fetch", p) for p in CYCLE_POINTS),
    *(("run", p) for p in CYCLE_POINTS),
    ("run", "during-export"),
    ("digest", "during-export"),
    ("reclassify", "during-reclassify"),
)
ARCHIVE_BATCH = 120  # articles archived before each reclassify round: two batches of work


class GrowingFeed:
    """A feed route whose entries grow between rounds; remembers what it has served."""

    def __init__(self, feed_id: str, entries: int) -> None:
        self.feed_id = feed_id
        self.entries = entries
        self.lock = threading.Lock()

    def grow(self, more: int) -> None:
        with self.lock:
            self.entries += more

    def keys(self) -> set[tuple[str, str]]:
        return {(self.feed_id, f"{self.feed_id}-{n}") for n in range(self.entries)}

    def __call__(self, _request: RequestRecord) -> Response:
        with self.lock:
            count = self.entries
        items = "".join(
            f"<item><title>{self.feed_id} story {n}</title>"
            f"<link>http://loopback.invalid/{self.feed_id}/{n}</link>"
            f"<guid>{self.feed_id}-{n}</guid><description>Story {n} of {self.feed_id}: "
            f"a few words of text for the reader.</description></item>"
            for n in range(count)
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{self.feed_id}</title><link>http://loopback.invalid/</link>"
            f"<description>d</description>{items}</channel></rss>"
        ).encode()
        return Response(200, {"Content-Type": "application/rss+xml"}, body)


@dataclass
class Chaos:
    """One chaos run's world: the feeds, the environment `lumi` runs in, the store."""

    env: dict[str, str]
    store: Store
    feeds: list[GrowingFeed]
    exports: Path
    rng: random.Random
    served_export_kill: bool = False
    archived: int = 0
    violations: list[str] = field(default_factory=list)

    # --- invariants ------------------------------------------------------------------------

    def check(self, label: str, *, after_reclassify: bool = False) -> list[str]:
        """Every invariant, after a restart; the violations found (also kept)."""
        found: list[str] = []
        # an entry key is the GUID as the feed's URL resolves it: compare its last segment
        keys = [(feed_id, key.rsplit("/", 1)[-1]) for feed_id, key in stored_sources(self.store)]
        duplicates = [k for k, n in collections.Counter(keys).items() if n > 1]
        if duplicates:
            found.append(f"entries stored twice: {duplicates[:5]}")
        served = set().union(*(f.keys() for f in self.feeds))
        missing, extra = served - set(keys), set(keys) - served
        if missing:
            found.append(f"{len(missing)} served entries not stored, e.g. {sorted(missing)[:3]}")
        if extra:
            found.append(f"{len(extra)} stored entries never served, e.g. {sorted(extra)[:3]}")
        with self.store.session() as session:
            for row in session.scalars(select(FeedRow)):
                if row.state != "ok" or row.last_success_at is None or row.next_poll_at is None:
                    found.append(f"feed {row.id}: state {row.state}, not a successful poll")
            ungrouped = session.scalar(
                select(func.count(func.distinct(ArticleSourceRow.article_id)))
                .outerjoin(
                    StoryArticleRow, StoryArticleRow.article_id == ArticleSourceRow.article_id
                )
                .where(StoryArticleRow.id.is_(None))
            )
            if ungrouped:
                found.append(f"{ungrouped} feed articles without a story")
        leases = feed_leases(self.store)
        if leases:
            found.append(f"leases left behind: {[(x.feed_id, x.holder) for x in leases]}")
        runs = digest_runs(self.store)
        if len({r.day for r in runs}) != len(runs):
            found.append("a digest day has two ledger rows")
        stuck = [r.day.isoformat() for r in runs if r.outcome != "written"]
        if stuck:
            found.append(f"digest days not written: {stuck}")
        found.extend(_invalid_exports(visible_files(self.exports)))
        if after_reclassify:
            found.extend(self._reclassify_idempotent())
        for problem in found:
            self.violations.append(f"{label}: {problem}")
        return found

    def _reclassify_idempotent(self) -> list[str]:
        found = []
        again = run_lumi(self.env, "reclassify", args=["--json"])
        if again.returncode != 0:
            return [f"a further reclassify failed: {again.stderr.strip()[-300:]}"]
        stored = json.loads(again.stdout)["stored"]
        if stored:
            found.append(f"a further reclassify stored {stored} results")
        with self.store.session() as session:
            archived = session.scalar(
                select(func.count(ArticleRow.id)).where(ArticleRow.key.like("https://archive.%"))
            )
            current = session.scalar(
                select(func.count(func.distinct(ClassificationRow.article_id)))
                .join(ArticleRow, ArticleRow.id == ClassificationRow.article_id)
                .where(
                    ArticleRow.key.like("https://archive.%"),
                    ClassificationRow.content_hash == ArticleRow.content_hash,
                )
            )
        if current != archived:
            found.append(f"{archived - (current or 0)} archived articles left unclassified")
        return found

    # --- the world between rounds ----------------------------------------------------------

    def make_due(self) -> None:
        """The clock jump before a service round: every feed is due again."""
        with self.store.session() as session:
            session.execute(update(FeedRow).values(next_poll_at=utcnow()))

    def age_dead_claims(self, pid: int) -> None:
        """The clock jump after a killed service: its digest claim is past the timeout."""
        with self.store.session() as session:
            for row in session.scalars(select(DigestRunRow)):
                if row.outcome == "running" and row.instance.split(":")[1] == str(pid):
                    row.started_at = row.started_at - CLAIM_TIMEOUT - timedelta(minutes=1)

    def wait_out_leases(self) -> None:
        """Sleep until the dead process's leases ran out and what it stored is older than a
        lease (a later cycle then takes both over)."""
        until = max((x.until for x in feed_leases(self.store)), default=utcnow())
        ready = max(until, utcnow()) + timedelta(seconds=LEASE_SECONDS)
        time.sleep(max(0.0, (ready - utcnow()).total_seconds()) + 0.2)

    # --- one round -------------------------------------------------------------------------

    def feasible(self, command: str, point: str) -> bool:
        return not (command == "run" and point == "during-export" and self.served_export_kill)

    def round(self, number: int, command: str, point: str) -> tuple[bool, str]:
        """Kill ``command`` at ``point``, restart, check; (did it die there, summary)."""
        label = f"#{number:02d} {command} {point}"
        before = visible_files(self.exports)
        args: list[str] = []
        if command in ("fetch", "run"):
            for feed in self.feeds:
                feed.grow(self.rng.randint(2, 4))
        if command == "fetch":
            args = ["--all"]
        elif command == "run":
            self.make_due()
            if point == "during-export":
                # a fresh ledger: the service's start writes its digest day
                with self.store.session() as session:
                    session.execute(delete(DigestRunRow))
        elif command == "digest":
            args = ["--date", utcnow().date().isoformat()]
        elif command == "reclassify":
            archive_articles(self.store, ARCHIVE_BATCH, first=self.archived)
            self.archived += ARCHIVE_BATCH
            args = ["--json"]
        proc = lumi(self.env, command, kill_at=point, args=args)
        started = time.monotonic()
        try:
            proc.wait(timeout=300)
        except Exception:
            reap(proc)
            self.violations.append(f"{label}: the process did not die at the point")
            return False, f"{label}: did not die"
        finally:
            reap(proc)
        if proc.returncode != -signal.SIGKILL:
            self.violations.append(f"{label}: exited {proc.returncode}, not killed there")
            return False, f"{label}: exited {proc.returncode}"
        died_after = time.monotonic() - started
        after_kill = visible_files(self.exports)
        if command == "run":
            self.age_dead_claims(proc.pid)
        self.wait_out_leases()
        restart = self._restart(label, command, args)
        if restart:
            self.violations.append(f"{label}: restart failed: {restart}")
        if point == "during-export":
            self._check_export_kill(label, before, after_kill, visible_files(self.exports))
            if command == "run":
                self.served_export_kill = True
                self._check_run_export_once(label)
        found = self.check(label, after_reclassify=command == "reclassify")
        verdict = "ok" if not (found or restart) else f"{len(found) + bool(restart)} violation(s)"
        return True, f"{label}: died after {died_after:.1f}s; restart and invariants {verdict}"

    def _restart(self, label: str, command: str, args: list[str]) -> str | None:
        if command == "run":
            self.make_due()
            try:
                serve_until_a_cycle(self.env)
            except AssertionError as exc:
                return str(exc)[-300:]
            return None
        done = run_lumi(self.env, command, args=args)
        return None if done.returncode == 0 else done.stderr.strip()[-300:]

    def _check_export_kill(
        self,
        label: str,
        before: dict[str, bytes],
        after_kill: dict[str, bytes],
        after_restart: dict[str, bytes],
    ) -> None:
        for name, data in after_kill.items():
            if data != before.get(name) and data != after_restart.get(name):
                self.violations.append(f"{label}: {name} after the kill is no complete file")

    def _check_run_export_once(self, label: str) -> None:
        """The service's day: written once, by the restart, and not again by a later one."""
        runs = digest_runs(self.store)
        if len(runs) != 1 or runs[0].outcome != "written":
            self.violations.append(f"{label}: the service's digest day was not written once")
            return
        run = runs[0]
        try:
            serve_until_a_cycle(self.env)
        except AssertionError as exc:
            self.violations.append(f"{label}: a further start failed: {exc}")
            return
        if digest_runs(self.store) != [run]:
            self.violations.append(f"{label}: a further start wrote the day again")


def _invalid_exports(files: dict[str, bytes]) -> list[str]:
    found = []
    for name, data in files.items():
        try:
            if name.endswith(".json"):
                json.loads(data)
            elif name.endswith(".atom"):
                ET.fromstring(data)
            elif name.endswith(".html"):
                assert data.rstrip().endswith(b"</html>")
            elif name.endswith(".md"):
                assert data.strip()
            else:
                raise AssertionError("not a digest format")
        except Exception as exc:  # any failure to read it back is a violation
            found.append(f"export {name} is not valid: {type(exc).__name__}")
    return found


def _database(backend: str, folder: Path) -> tuple[str, Callable[[], None]]:
    """A fresh database URL for ``backend`` and what drops it afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'lumi.db'}", lambda: None
    from conftest import _drop_postgres_schema, _fresh_postgres_url, postgres_problem

    problem = postgres_problem()
    if problem:
        raise SystemExit(f"error: {problem}")
    url = _fresh_postgres_url()
    return url, lambda: _drop_postgres_schema(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills to perform (default 20)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random plan")
    parser.add_argument("--feeds", type=int, default=3, help="feeds served (default 3)")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lumi-chaos-") as tmp, LoopbackServer() as server:
        folder = Path(tmp)
        url, drop = _database(opts.backend, folder)
        feeds = [GrowingFeed(f"chaos-{n}", entries=4) for n in range(opts.feeds)]
        for feed in feeds:
            server.add_route(f"/{feed.feed_id}.xml", feed)
        registry = folder / "feeds.yaml"
        registry.write_text(
            yaml.safe_dump(
                {
                    "feeds": [
                        {
                            "id": f.feed_id,
                            "url": server.url(f"/{f.feed_id}.xml"),
                            "title": f.feed_id,
                            "language": "en",
                        }
                        for f in feeds
                    ]
                }
            ),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
        env.update(
            {
                "LUMI_FEEDS": str(registry),
                "LUMI_DATABASE_URL": url,
                "LUMI_ALLOWED_ADDRESSES": server.host_port,
                "LUMI_FETCH_PAGES": "0",
                "LUMI_LEASE_SECONDS": str(LEASE_SECONDS),
                "LUMI_HTTP_PORT": "0",
                "LUMI_EXPORT_DIR": str(folder / "digests"),
                "LUMI_AI_POLICY_URL": "https://pub.example/ai",
            }
        )
        store = open_store(url, auto_migrate=True)
        chaos = Chaos(env, store, feeds, folder / "digests", rng)
        try:
            # the starting point: one clean fetch, the service's digest day written
            first = run_lumi(env, "fetch", args=["--all"])
            if first.returncode != 0:
                raise SystemExit(f"error: the first fetch failed: {first.stderr[-500:]}")
            serve_until_a_cycle(env)
            chaos.check("start")
            kills: collections.Counter[tuple[str, str]] = collections.Counter()
            attempts = 0
            while sum(kills.values()) < opts.kills and attempts < 3 * opts.kills:
                attempts += 1
                command, point = rng.choice([p for p in PLAN if chaos.feasible(*p)])
                died, line = chaos.round(sum(kills.values()) + 1, command, point)
                kills[(command, point)] += died
                print(line, flush=True)
        finally:
            store.close()
            drop()
    total = sum(kills.values())
    served = sum(f.entries for f in feeds)
    print(
        f"\n{total} kills ({attempts} rounds) on {opts.backend}, seed {opts.seed}, "
        f"{time.monotonic() - started:.0f}s; {served} entries served over {len(feeds)} feeds, "
        f"{chaos.archived} articles archived for reclassify"
    )
    for (command, point), count in sorted(kills.items()):
        print(f"  {command:<11} {point:<20} {count}")
    if chaos.violations:
        print(f"\n{len(chaos.violations)} invariant violation(s):")
        for violation in chaos.violations:
            print(f"  {violation}")
        return 1
    print("every invariant held after every restart")
    return 0 if total >= opts.kills else 1


if __name__ == "__main__":
    sys.exit(main())
