"""The soak: Lumi's real ingest cycle over a compressed simulated day against the soak server.

:func:`run_soak` starts the soak server (:mod:`soakserver`, in its own process), then drives
:func:`pipeline.ingest.cycle.run_cycle` with an injected clock: one cycle every
``step_minutes`` of simulated time, the due-time logic deciding which feeds each cycle
polls. After the period the server stops publishing and injecting faults and one forced
cycle drains what is left. Then the day's digest is prepared and exported twice.

The invariants (:attr:`SoakResult.violations` lists every broken one):

* no duplicate articles: no two share a canonical URL, a content hash, or a feed's GUID;
* every ledger item of a healthy feed is stored exactly once (one source row on its feed)
  and a cross-posted copy is the very article of its original;
* no stored source that the ledger does not know;
* every healthy feed ends the drain in state ``ok`` (or ``degraded``);
* zero connections to the canary port;
* requests in flight to one virtual host never above ``LUMI_PER_HOST_CONCURRENCY``, and
  in all never above ``LUMI_MAX_CONCURRENCY`` (counted by the server);
* peak RSS (``ru_maxrss`` of this process, which runs the cycles; the server is a child
  process) at most ``rss_bound_mib``;
* the digest exported twice (the second time through a store opened anew) is
  byte-identical, file by file.

The short scale runs in the test suite (``tests/reliability/test_soak.py``), the full one
on demand (``bench/soak.py``); both call :func:`run_soak`. Run as a script, this module is
that command line (``--json`` prints the result as one JSON object).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from soakserver import SoakPlan, SoakProcess, host_address
from sqlalchemy import text

from pipeline.ingest.cycle import run_cycle
from pipeline.ingest.urls import canonical_url
from pipeline.publish.digest import prepare_day, write_digest
from pipeline.records import FeedSource
from pipeline.settings import Settings, load_settings
from pipeline.store import Store, open_store

__all__ = ["SCALES", "SoakConfig", "SoakResult", "main", "run_soak"]

#: The simulated day.
DAY = date(2026, 11, 20)


@dataclasses.dataclass(frozen=True, slots=True)
class SoakConfig:
    """How big the soak is and what it must stay within.

    ``rss_bound_mib`` is the peak-RSS bound. Measured: the imports take about 95 MiB; the
    classifiers' data (loaded by the first cycle) and one digest bring a soak of two feeds
    to about 255 MiB; the full soak peaks near 375 MiB, about 16 KiB more per stored
    article. The bounds (400 MiB short, 600 MiB full) leave about 1.5 times that growth
    as headroom and fail a leak that grows with the number of requests, cycles or
    articles (10 KiB per request is some 300 MiB over the full soak's 30,000 answers).
    """

    feeds: int
    hosts: int
    hours: float
    step_minutes: int = 15
    fault_rate: float = 0.05
    seed: int = 15
    rss_bound_mib: int = 600
    classify: bool = True


#: The named scales: ``short`` runs in CI, ``full`` is the issue's soak.
SCALES = {
    "short": SoakConfig(feeds=60, hosts=10, hours=4, rss_bound_mib=400),
    "full": SoakConfig(feeds=500, hosts=50, hours=24),
}


@dataclasses.dataclass(slots=True)
class SoakResult:
    """What a soak measured; ``violations`` is empty when every invariant held."""

    backend: str
    feeds: int
    hosts: int
    cycles: int
    simulated_hours: float
    items_published: int
    items_healthy: int
    items_stored: int
    drained: int
    articles: int
    pending_text: int
    duplicates: dict[str, int]
    missing: int
    stored_twice: int
    unknown_sources: int
    healthy_feeds_not_ok: int
    unhealthy_feed_states: dict[str, int]
    faults_injected: dict[str, int]
    fault_share: float
    answers: dict[str, int]
    canary_links: int
    canary_hits: int
    peak_per_host: int
    per_host_limit: int
    peak_in_flight: int
    concurrency_limit: int
    peak_rss_mib: float
    rss_bound_mib: int
    digest_bytes: int
    digest_identical: bool
    wall_s: float
    cycles_s: float
    digest_s: float
    violations: list[str]
    examples: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON values."""
        return dataclasses.asdict(self)


def soak_settings(port: int, hosts: int) -> Settings:
    """Default settings allowing exactly the soak's virtual hosts (never the canary)."""
    return load_settings(env={}).replace(
        allowed_addresses=[f"{host_address(h)}:{port}" for h in range(hosts)],
        http_timeout=10.0,
        http_connect_timeout=3.0,
        timezone="UTC",
        spacy_model="none",
    )


def _backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def run_soak(
    config: SoakConfig, database_url: str, *, work_dir: Path, progress: Any = None
) -> SoakResult:
    """Run the soak against a fresh, empty database at ``database_url``.

    Args:
        config: the scale and the bounds.
        database_url: an empty database (it is migrated here).
        work_dir: where the digest files are written.
        progress: called with one line of text after every cycle (None: quiet).

    Returns:
        The figures and every broken invariant.
    """
    started = time.perf_counter()
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    plan = SoakPlan(
        config.feeds, config.hosts, start, config.hours, config.fault_rate, seed=config.seed
    )
    with SoakProcess(plan) as server:
        feeds = server.feeds()
        settings = soak_settings(server.port, config.hosts)
        sources = [
            FeedSource(f.id, f"http://{host_address(f.host)}:{server.port}{f.path}",
                       f"Soak {f.id}", "en", poll_minutes=f.poll_minutes)
            for f in feeds
        ]  # fmt: skip
        store = open_store(database_url, auto_migrate=True)
        try:
            cycles = 0
            steps = int(config.hours * 60 // config.step_minutes)
            for step in range(steps + 1):
                now = start + timedelta(minutes=step * config.step_minutes)
                server.set_clock(now)
                report = run_cycle(
                    store,
                    settings,
                    sources if step == 0 else None,
                    now=now,
                    classify=config.classify,
                )
                cycles += 1
                if progress is not None:
                    progress(
                        f"{now:%H:%M} polled {len(report.feeds):4d} new {report.new:4d} "
                        f"failed {report.failed:3d} in {report.duration_s:5.1f} s"
                    )
            stored_before = _count_sources(store)
            # the period is over: nothing more is published, nothing fails, every feed once
            end = plan.end + timedelta(minutes=1)
            server.set_clock(plan.end, calm=True)
            run_cycle(store, settings, now=end, force=True, classify=config.classify)
            cycles += 1
            cycles_s = time.perf_counter() - started
            digest_bytes, identical = _export_twice(store, database_url, settings, work_dir)
            digest_s = time.perf_counter() - started - cycles_s
            served = server.report()
            checks = _check_store(store, served["ledger"])
        finally:
            store.close()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    ledger = served["ledger"]
    healthy = [row for row in ledger if row["healthy"]]
    faults = {k: v for k, v in sorted(served["faults"].items()) if not k.startswith("unhealthy")}
    answers = dict(sorted(served["stats"].items()))
    total_answers = sum(answers.values())
    peaks = dict(served["peak_in_flight"])
    peak_total = peaks.pop("", 0)
    peak = max(peaks.values(), default=0)
    result = SoakResult(
        backend=_backend(database_url),
        feeds=config.feeds,
        hosts=config.hosts,
        cycles=cycles,
        simulated_hours=config.hours,
        items_published=len(ledger),
        items_healthy=len(healthy),
        items_stored=checks["stored"],
        drained=checks["stored"] - stored_before,
        articles=checks["articles"],
        pending_text=checks["pending"],
        duplicates=checks["duplicates"],
        missing=checks["missing"],
        stored_twice=checks["stored_twice"],
        unknown_sources=checks["unknown"],
        healthy_feeds_not_ok=checks["healthy_not_ok"],
        unhealthy_feed_states=checks["unhealthy_states"],
        faults_injected=faults,
        fault_share=round(sum(faults.values()) / total_answers, 4) if total_answers else 0.0,
        answers=answers,
        canary_links=sum(1 for row in ledger if row["target"] in ("canary", "redirect")),
        canary_hits=len(served["canary_visits"]),
        peak_per_host=peak,
        per_host_limit=settings.per_host_concurrency,
        peak_in_flight=peak_total,
        concurrency_limit=settings.max_concurrency,
        peak_rss_mib=round(rss_mib, 1),
        rss_bound_mib=config.rss_bound_mib,
        digest_bytes=digest_bytes,
        digest_identical=identical,
        wall_s=round(time.perf_counter() - started, 1),
        cycles_s=round(cycles_s, 1),
        digest_s=round(digest_s, 1),
        violations=[],
        examples=checks["examples"][:10],
    )
    result.violations = _violations(result)
    return result


def _violations(result: SoakResult) -> list[str]:
    found = []
    for kind, count in result.duplicates.items():
        if count:
            found.append(f"{count} duplicate articles by {kind}")
    if result.missing:
        found.append(f"{result.missing} ledger items of healthy feeds were never stored")
    if result.stored_twice:
        found.append(f"{result.stored_twice} ledger items were stored more than once")
    if result.unknown_sources:
        found.append(f"{result.unknown_sources} stored sources are in no ledger")
    if result.healthy_feeds_not_ok:
        found.append(f"{result.healthy_feeds_not_ok} healthy feeds end failing or disabled")
    if result.canary_hits:
        found.append(f"the canary port was reached {result.canary_hits} times")
    if result.peak_per_host > result.per_host_limit:
        found.append(
            f"{result.peak_per_host} requests in flight to one host, above the per-host "
            f"limit of {result.per_host_limit}"
        )
    if result.peak_in_flight > result.concurrency_limit:
        found.append(
            f"{result.peak_in_flight} requests in flight at once, above the limit of "
            f"{result.concurrency_limit}"
        )
    if result.peak_rss_mib > result.rss_bound_mib:
        found.append(f"peak RSS {result.peak_rss_mib} MiB above {result.rss_bound_mib} MiB")
    if not result.digest_identical:
        found.append("the digest exported twice differs")
    if result.digest_bytes == 0:
        found.append("the digest is empty")
    if not result.items_healthy:
        found.append("the ledger holds no item of a healthy feed")
    return found


def _count_sources(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM article_sources")).scalar_one())


def _check_store(store: Store, ledger: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare the stored articles and sources with the server's ledger."""
    with store.engine.connect() as conn:
        articles = conn.execute(
            text("SELECT id, canonical_url, content_hash, pending_text FROM articles")
        ).all()
        sources = conn.execute(
            text("SELECT feed_id, guid, url, article_id FROM article_sources")
        ).all()
        states = {row.id: row.state for row in conn.execute(text("SELECT id, state FROM feeds"))}
    duplicates = {
        "canonical_url": _repeats(a.canonical_url for a in articles if a.canonical_url),
        # a title-only article waiting for its page has no text, so no content to compare
        "content_hash": _repeats(a.content_hash for a in articles if not a.pending_text),
        "feed_guid": _repeats((s.feed_id, s.guid) for s in sources if s.guid),
    }
    # every source row, by the key the ledger knows it by
    rows: dict[tuple[str, str], list[int]] = {}
    for source in sources:
        key = source.guid if source.guid else canonical_url(source.url) or source.url
        rows.setdefault((source.feed_id, key), []).append(source.article_id)
    examples: list[str] = []
    missing = twice = 0
    matched: set[tuple[str, str]] = set()
    article_of: dict[str, int] = {}
    for item in ledger:
        key = (item["feed_id"], item["guid"] or canonical_url(item["link"]) or item["link"])
        found = rows.get(key, [])
        matched.add(key)
        if len(found) > 1:
            twice += 1
            examples.append(f"stored {len(found)} times: {key}")
        if not item["healthy"]:
            continue
        if not found:
            missing += 1
            examples.append(f"never stored ({item['target']}): {key}")
            continue
        if item["target"] != "crosspost":
            article_of[canonical_url(item["link"]) or item["link"]] = found[0]
    for item in ledger:
        if item["healthy"] and item["target"] == "crosspost":
            key = (item["feed_id"], item["guid"])
            original = article_of.get(canonical_url(item["link"]) or item["link"])
            if rows.get(key) and original is not None and rows[key][0] != original:
                duplicates["crosspost"] = duplicates.get("crosspost", 0) + 1
                examples.append(f"cross-post stored apart from its original: {key}")
    unknown = [key for key in rows if key not in matched]
    healthy_feeds = {item["feed_id"] for item in ledger if item["healthy"]}
    unhealthy_feeds = {item["feed_id"] for item in ledger if not item["healthy"]}
    # after the calm drain every healthy feed was just polled successfully
    not_ok = sorted(f for f in healthy_feeds if states.get(f) not in ("ok", "degraded"))
    examples += [f"healthy feed left {states.get(f)}: {f}" for f in not_ok[:3]]
    examples += [f"stored but in no ledger: {key}" for key in unknown[:3]]
    return {
        "articles": len(articles),
        "pending": sum(1 for a in articles if a.pending_text),
        "stored": sum(len(v) for k, v in rows.items() if k in matched),
        "duplicates": duplicates,
        "missing": missing,
        "stored_twice": twice,
        "unknown": len(unknown),
        "examples": examples,
        "healthy_not_ok": len(not_ok),
        "unhealthy_states": dict(Counter(states.get(f, "absent") for f in unhealthy_feeds)),
    }


def _repeats(values: Any) -> int:
    """How many values occur more than once (each extra occurrence counts)."""
    counts = Counter(values)
    return sum(n - 1 for n in counts.values() if n > 1)


def _export_twice(
    store: Store, database_url: str, settings: Settings, work_dir: Path
) -> tuple[int, bool]:
    """Prepare the day and export its digest, then export it again through a store opened
    anew; (bytes of the first export, every file byte-identical)."""
    prepare_day(store, DAY, settings)
    first = write_digest(store, DAY, settings, out_dir=work_dir / "first")
    reopened = open_store(database_url)
    try:
        second = write_digest(reopened, DAY, settings, out_dir=work_dir / "second")
    finally:
        reopened.close()
    identical = [a.read_bytes() for a in first] == [b.read_bytes() for b in second]
    return sum(p.stat().st_size for p in first), identical


def _describe(result: SoakResult) -> str:
    lines = [
        f"backend            {result.backend}",
        f"feeds / hosts      {result.feeds} on {result.hosts} virtual hosts",
        f"simulated          {result.simulated_hours:g} h in {result.cycles} cycles",
        f"items published    {result.items_published} ({result.items_healthy} on healthy feeds)",
        f"sources stored     {result.items_stored} ({result.drained} in the final drain)",
        f"articles           {result.articles} ({result.pending_text} title-only, page pending)",
        f"duplicates         {result.duplicates}",
        f"missing / twice    {result.missing} / {result.stored_twice}",
        f"unknown sources    {result.unknown_sources}",
        f"faults injected    {sum(result.faults_injected.values())} "
        f"({result.fault_share:.1%} of answers): {result.faults_injected}",
        f"answers            {result.answers}",
        f"feed states        healthy not ok: {result.healthy_feeds_not_ok}; "
        f"unhealthy: {result.unhealthy_feed_states}",
        f"canary hits        {result.canary_hits} "
        f"({result.canary_links} items link to it or redirect there)",
        f"peak per host      {result.peak_per_host} (limit {result.per_host_limit})",
        f"peak in flight     {result.peak_in_flight} (limit {result.concurrency_limit})",
        f"peak RSS           {result.peak_rss_mib} MiB (bound {result.rss_bound_mib} MiB)",
        f"digest             {result.digest_bytes} bytes, identical on re-export: "
        f"{result.digest_identical}",
        f"wall time          {result.wall_s} s ({result.cycles_s} s cycles and drain, "
        f"{result.digest_s} s digest)",
    ]
    lines += [f"VIOLATION          {v}" for v in result.violations]
    lines += [f"example            {e}" for e in result.examples]
    lines.append("OK" if not result.violations else "FAILED")
    return "\n".join(lines)


def _fresh_postgres(base: str) -> tuple[str, Any]:
    """A URL on a new schema of ``base`` and the function that drops it."""
    import uuid

    import psycopg

    schema = "lumi_soak_" + uuid.uuid4().hex[:10]
    dsn = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main(argv: list[str] | None = None) -> int:
    """The soak's command line; exit status 1 when an invariant is broken."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        help="an empty database (default: a new SQLite file, or a new schema of "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    parser.add_argument("--feeds", type=int, help="override the scale's feed count")
    parser.add_argument("--hosts", type=int, help="override the scale's virtual host count")
    parser.add_argument("--hours", type=float, help="override the simulated period")
    parser.add_argument("--rss-bound", type=int, help="override the peak-RSS bound (MiB)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quiet", action="store_true", help="no line per cycle")
    args = parser.parse_args(argv)
    config = SCALES[args.scale]
    overrides = {
        "feeds": args.feeds,
        "hosts": args.hosts,
        "hours": args.hours,
        "rss_bound_mib": args.rss_bound,
    }
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    logging.basicConfig(level=logging.CRITICAL)
    drop = None
    with tempfile.TemporaryDirectory(prefix="lumi-soak-") as tmp:
        url = args.database_url
        if url is None and args.backend == "postgresql":
            url, drop = _fresh_postgres("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        elif url is None:
            url = f"sqlite:///{Path(tmp) / 'soak.db'}"
        quiet = args.quiet or args.json

        def progress(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        try:
            result = run_soak(config, url, work_dir=Path(tmp), progress=None if quiet else progress)
        finally:
            if drop is not None:
                drop()
    print(json.dumps(result.to_json(), sort_keys=True) if args.json else _describe(result))
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
