"""Benchmark: ``lumi reclassify`` throughput and memory (run on demand, never in the test suite).

Builds an archive of N synthetic but realistic articles in a temporary SQLite file: each
article is a development-corpus entry (``../shared/data/corpus/dev``, never the holdout)
with one paragraph of another entry added at a position of its own, so every article is
distinct (its own content hash) and reads like a real one; half of them come from a feed
with a publisher, as in a real archive. Then, in the same run:

* baseline: the bare classifiers, :func:`classifiers.api.classify_batch` over the same texts
  in this process (classifiers built beforehand, no database);
* ``reclassify`` in this process (``--workers 1``), storing every result;
* ``reclassify`` on a local Dask cluster of W worker processes (``--workers 1,2``: one
  figure per W > 1), timed once the workers have loaded their classifiers, with the cluster
  start and that warm-up reported apart;
* with ``--rss N1,N2``: the peak RSS of ``reclassify`` (one fresh process each, in-process
  classification) over archives of N1 and N2 articles; streaming keeps it flat.

Reports articles/s, each figure's ratio to the baseline and the speed-up of W workers over
one; ``--json`` prints everything as one JSON object. The machine's other load depresses
the figures: run it on an idle machine for figures to quote.

Usage: python bench/reclassify.py [--shared DIR] [--articles N] [--workers 1,2]
       [--only NAME ...] [--rss 10000,100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the archive-row helper the tests use

BATCH = 1000
#: CPU seconds of the last in-process run (beside its wall time)
_CPU: dict[str, float] = {}


def _entries(shared: Path) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of every development-corpus entry with at least 50 words."""
    from pipeline.corpus import load_corpus_file

    out = []
    for path in sorted((shared / "corpus" / "dev").glob("*.xml")):
        for item in load_corpus_file(shared, f"corpus/dev/{path.name}"):
            paragraphs = [p for p in item.paragraphs if p.strip()]
            if sum(len(p.split()) for p in paragraphs) >= 50:
                out.append((item.title, paragraphs))
    return out


def synthetic_articles(
    entries: Sequence[tuple[str, list[str]]], n: int, seed: int = 7
) -> Iterator[tuple[str, str]]:
    """``n`` (title, text) articles: entry ``i mod len``, with one paragraph of another
    entry inserted at a seeded position (deterministic for a seed)."""
    rng = random.Random(seed)
    for i in range(n):
        title, paragraphs = entries[i % len(entries)]
        _, other = entries[rng.randrange(len(entries))]
        body = list(paragraphs)
        body.insert(rng.randrange(len(body) + 1), other[rng.randrange(len(other))])
        yield title, "\n\n".join(body)


def build_archive(url: str, entries: Sequence[tuple[str, list[str]]], n: int) -> None:
    """Store ``n`` synthetic articles (:func:`synthetic_articles`) in a new database at
    ``url``, every other one linked to a feed with a publisher."""
    from crashes import article_row
    from sqlalchemy import insert

    from pipeline.store import ArticleRow, ArticleSourceRow, FeedRow, open_store

    store = open_store(url, auto_migrate=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with store.session() as s:
            s.execute(
                insert(FeedRow),
                [{"id": "lab", "url": "https://lab.example/feed.xml", "publisher": "Mistral AI"}],
            )
        rows: list[dict[str, Any]] = []
        sources: list[dict[str, Any]] = []

        def flush() -> None:
            with store.session() as s:
                s.execute(insert(ArticleRow), rows)
                if sources:
                    s.execute(insert(ArticleSourceRow), sources)
            rows.clear()
            sources.clear()

        for i, (title, text) in enumerate(synthetic_articles(entries, n)):
            rows.append(
                article_row(
                    f"https://news.example/{i}",
                    title,
                    text,
                    start + timedelta(seconds=i),
                    id=i + 1,
                )
            )
            if i % 2 == 0:
                sources.append(
                    {"article_id": i + 1, "feed_id": "lab", "entry_key": str(i), "title": title}
                )
            if len(rows) >= BATCH:
                flush()
        if rows:
            flush()
    finally:
        store.close()


def _forget_results(url: str) -> None:
    from sqlalchemy import delete

    from pipeline.store import ClassificationRow, open_store

    store = open_store(url)
    try:
        with store.session() as s:
            s.execute(delete(ClassificationRow))
    finally:
        store.close()


def _bare(entries: Sequence[tuple[str, list[str]]], n: int, only: Sequence[str] | None) -> float:
    """Seconds the bare classifiers take over the archive's texts (batches of 100)."""
    from classifiers.api import classify_batch
    from classifiers.base import make_document
    from classifiers.registry import build_all

    classifiers = list(build_all(only=only).values())
    title, text = next(synthetic_articles(entries, 1))
    classify_batch([make_document(text, title=title, language="en")], classifiers)
    seconds = 0.0
    batch: list[tuple[str, str]] = []
    for n_done, item in enumerate(synthetic_articles(entries, n), 1):
        batch.append(item)
        if len(batch) == 100 or n_done == n:
            # only classification is timed, not generating the texts
            started = time.perf_counter()
            docs = [make_document(x, title=t, language="en") for t, x in batch]
            classify_batch(docs, classifiers)
            seconds += time.perf_counter() - started
            batch.clear()
    return seconds


def _reclassify_here(url: str, only: Sequence[str] | None) -> tuple[float, Any]:
    from pipeline.reclassify import reclassify
    from pipeline.store import open_store

    store = open_store(url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        report = reclassify(store, only=only)
        _CPU["last"] = time.process_time() - cpu
        return time.perf_counter() - started, report
    finally:
        store.close()


def _one_article(url: str) -> Any:
    from pipeline.store import open_store, stream_articles

    store = open_store(url)
    try:
        return next(stream_articles(store, None, None, 1))[0]
    finally:
        store.close()


def _reclassify_on_dask(url: str, workers: int, only: Sequence[str] | None) -> dict[str, Any]:
    from classifiers.registry import build_all
    from pipeline.reclassify import classify_job, local_cluster, reclassify
    from pipeline.store import open_store

    names = list(build_all(only=only))
    started = time.perf_counter()
    client, close = local_cluster(workers)  # what ``lumi reclassify --workers N`` starts
    try:
        cluster_s = time.perf_counter() - started
        # every worker builds its classifiers and classifies one article (lazy matcher and
        # tokenizer state) before the timed part, as the in-process run is warm too
        client.run(classify_job, [_one_article(url)], names, None)
        warm_s = time.perf_counter() - started - cluster_s
        store = open_store(url)
        try:
            workers_cpu = client.run(time.process_time)
            began, cpu = time.perf_counter(), time.process_time()
            report = reclassify(store, only=only, executor=client)
            run_s, cpu_s = time.perf_counter() - began, time.process_time() - cpu
            after = client.run(time.process_time)
            workers_cpu_s = sum(after[w] - workers_cpu[w] for w in after)
        finally:
            store.close()
    finally:
        close()
    return {
        "seconds": run_s,
        "main_process_cpu_s": cpu_s,
        "cpu_s": cpu_s + workers_cpu_s,
        "cluster_start_s": cluster_s,
        "warm_up_s": warm_s,
        "report": report,
    }


def _rss_child(url: str, only: Sequence[str] | None) -> None:
    """(In a fresh process) reclassify ``url`` here and print the peak RSS in KiB."""
    seconds, report = _reclassify_here(url, only)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"articles": report.articles, "seconds": seconds, "peak_rss_kib": peak}))


def _peak_rss(
    folder: Path, entries: Sequence[tuple[str, list[str]]], n: int, only: Sequence[str] | None
) -> dict[str, Any]:
    url = f"sqlite:///{folder / f'rss-{n}.db'}"
    build_archive(url, entries, n)
    command = [sys.executable, __file__, "--rss-child", url]
    for name in only or ():
        command += ["--only", name]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    Path(url.removeprefix("sqlite:///")).unlink()
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def run_bench(
    shared: Path,
    articles: int,
    workers: Sequence[int],
    only: Sequence[str] | None,
    rss: Sequence[int],
) -> dict[str, Any]:
    """Build the archive and time the baseline and each worker count; measure peak RSS."""
    entries = _entries(shared)
    avg_words = sum(len(t.split()) for _, t in synthetic_articles(entries, articles)) / articles
    result: dict[str, Any] = {
        "articles": articles,
        "avg_words": round(avg_words, 1),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="lumi-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'archive.db'}"
        started = time.perf_counter()
        build_archive(url, entries, articles)
        result["archive_build_s"] = round(time.perf_counter() - started, 2)

        from classifiers.registry import build_all

        result["classifiers"] = sorted(build_all(only=only))
        runs: dict[str, Any] = {}
        if workers:
            bare_s = _bare(entries, articles, only)
            result["baseline_s"] = round(bare_s, 2)
            result["baseline_articles_per_s"] = round(articles / bare_s, 2)
        one_s: float | None = None
        for w in workers:
            _forget_results(url)
            if w <= 1:
                seconds, report = _reclassify_here(url, only)
                run: dict[str, Any] = {"seconds": seconds, "cpu_s": _CPU["last"], "report": report}
            else:
                run = _reclassify_on_dask(url, w, only)
            seconds = run["seconds"]
            report = run.pop("report")
            if w <= 1:
                one_s = seconds
            run.update(
                {
                    "articles_per_s": round(report.articles / seconds, 2),
                    "ratio_to_baseline": round(bare_s / seconds, 3),
                    "speed_up_over_one_worker": round(one_s / seconds, 3) if one_s else None,
                    "stored": report.stored,
                    # CPU seconds this run's processes got per wall second: on a machine
                    # shared with other work, what the speed-up is bounded by
                    "cpu_per_wall_s": round(run["cpu_s"] / seconds, 3),
                    "cpu_ms_per_article": round(1000 * run["cpu_s"] / report.articles, 2),
                }
            )
            runs[str(w)] = {k: round(v, 2) if isinstance(v, float) else v for k, v in run.items()}
        result["workers"] = runs
        if rss:
            peaks = {str(n): _peak_rss(Path(tmp), entries, n, only) for n in rss}
            result["peak_rss"] = peaks
            low, high = peaks[str(min(rss))], peaks[str(max(rss))]
            result["peak_rss_ratio"] = round(high["peak_rss_kib"] / low["peak_rss_kib"], 3)
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"articles: {result['articles']}, {result['avg_words']:.0f} words on average; "
        f"classifiers: {', '.join(result['classifiers'])}; {result['cpus']} CPUs, load "
        f"{result['load_average_at_start']} at start, {result['load_average_at_end']} at end"
    )
    if result["workers"]:
        print(
            f"baseline     bare classify_batch   {result['baseline_articles_per_s']:9.2f} "
            "articles/s\n(every reclassify run stores every result: the archive starts "
            "unclassified)"
        )
    for w, run in result["workers"].items():
        extra = ""
        if "cluster_start_s" in run:
            extra = (
                f"  (cluster start {run['cluster_start_s']} s, warm-up {run['warm_up_s']} s, "
                f"main process CPU {run['main_process_cpu_s']} s)"
            )
        speed_up = run["speed_up_over_one_worker"]
        extra += (
            f"\n             CPU {run['cpu_ms_per_article']} ms/article, "
            f"{run['cpu_per_wall_s']} CPU-s per wall-s"
        )
        print(
            f"reclassify   {w} worker(s)          {run['articles_per_s']:9.2f} articles/s   "
            f"ratio to baseline {run['ratio_to_baseline']:.3f}"
            + (f"   speed-up over 1 worker {speed_up:.3f}" if speed_up and w != "1" else "")
            + extra
        )
    for n, peak in result.get("peak_rss", {}).items():
        print(f"peak RSS     {int(n):>7} articles      {peak['peak_rss_kib'] / 1024:9.1f} MiB")
    if "peak_rss_ratio" in result:
        print(f"peak RSS ratio largest/smallest archive: {result['peak_rss_ratio']:.3f}")


def main() -> int:
    """Run the benchmark and print the figures (``--json``: one JSON object)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument(
        "--workers", default="1,2", help="comma-separated worker counts (1: in-process)"
    )
    parser.add_argument("--only", action="append", help="only this classifier (repeatable)")
    parser.add_argument(
        "--rss", default="", help="comma-separated archive sizes for peak RSS, e.g. 10000,100000"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rss-child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        _rss_child(args.rss_child, args.only)
        return 0
    if not _entries(args.shared):
        print(f"no corpus texts under {args.shared}/corpus/dev", file=sys.stderr)
        return 2
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    rss = [int(n) for n in args.rss.split(",") if n.strip()]
    result = run_bench(args.shared, args.articles, workers, args.only, rss)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
