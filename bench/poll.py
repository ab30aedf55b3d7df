"""Benchmark: polling N feeds over loopback (run on demand, never in the test suite).

Serves N feeds (default 1,000; one real feed file each, rotated from
``../shared/data/feeds/formats/``) from loopback servers in a separate process, spread over
several loopback addresses (127.0.0.1 … 127.0.0.8) so the per-host limit behaves as it
would across many sites. Then, in this process, measures:

- baseline: a bare httpx.AsyncClient GET of every URL with the same concurrency
  (no guard, no parse, no store) — the ceiling for this machine;
- cycle 1: ``run_cycle`` with every feed answering 200 (parse + store, feed-only mode);
- cycle 2: ``run_cycle`` again, every feed answering 304;
- peak RSS of this process.

Usage: python bench/poll.py [--feeds N] [--shared DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the loopback test server

from loopback import LoopbackServer  # noqa: E402

from pipeline.ingest.cycle import run_cycle  # noqa: E402
from pipeline.records import FeedSource  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from pipeline.store import ArticleRow, count_rows, open_store  # noqa: E402

HOSTS = [f"127.0.0.{n}" for n in range(1, 9)]


def _serve(root: str, ready, stop) -> None:  # runs in the server process
    servers = [LoopbackServer(root, host=h).start() for h in HOSTS]
    ready.send([s.port for s in servers])
    stop.wait()
    for s in servers:
        s.stop()


def _feed_files(shared: Path) -> list[Path]:
    root = shared / "feeds" / "formats"
    return sorted(p for p in root.rglob("*") if p.suffix in {".xml", ".rss", ".atom"})


async def _baseline(urls: list[str], concurrency: int, per_host: int) -> float:
    import httpx

    global_limit = asyncio.Semaphore(concurrency)
    host_limits: dict[str, asyncio.Semaphore] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(url: str) -> None:
            host = httpx.URL(url).host
            sem = host_limits.setdefault(host, asyncio.Semaphore(per_host))
            async with global_limit, sem:
                r = await client.get(url)
                await r.aread()

        started = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    files = _feed_files(args.shared)
    if not files:
        print(f"no feed files under {args.shared}/feeds/formats", file=sys.stderr)
        return 2
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    stop = ctx.Event()
    proc = ctx.Process(target=_serve, args=(str(args.shared), child, stop), daemon=True)
    proc.start()
    ports = parent.recv()
    try:
        sources = []
        for n in range(args.feeds):
            host, port = HOSTS[n % len(HOSTS)], ports[n % len(HOSTS)]
            rel = files[n % len(files)].relative_to(args.shared)
            # the query string makes every feed a distinct URL serving the same file
            sources.append(
                FeedSource(
                    f"feed-{n:05d}", f"http://{host}:{port}/{rel}?feed={n}", f"Feed {n}", "en"
                )
            )
        settings = load_settings(env={}).replace(
            allowed_addresses=[f"{h}:{p}" for h, p in zip(HOSTS, ports, strict=True)],
            fetch_pages=False,
            http_timeout=30.0,
        )
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{tmp}/bench.db")
            base_s = asyncio.run(
                _baseline(
                    [s.url for s in sources],
                    settings.max_concurrency,
                    settings.per_host_concurrency,
                )
            )
            first = run_cycle(store, settings, sources, force=True, classify=False)
            second = run_cycle(store, settings, sources, force=True, classify=False)
            with store.session() as session:
                articles = count_rows(session, ArticleRow)
            store.close()
    finally:
        stop.set()
        proc.join(10)
    statuses1 = {f.http_status for f in first.feeds}
    statuses2 = {f.http_status for f in second.feeds}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.feeds
    base_rate = n / base_s
    print(f"feeds: {n} over {len(HOSTS)} loopback hosts; {len(files)} distinct feed files")
    print(f"baseline  bare httpx GET          {base_rate:8.1f} feeds/s ({base_s:.2f}s)")
    print(
        f"cycle 1   200 + parse + store      {n / first.duration_s:8.1f} feeds/s "
        f"({first.duration_s:.2f}s, statuses {sorted(statuses1)}, "
        f"{first.failed} failed, {articles} articles)  "
        f"ratio to baseline {(n / first.duration_s) / base_rate:.2f}"
    )
    print(
        f"cycle 2   304, nothing written     {n / second.duration_s:8.1f} feeds/s "
        f"({second.duration_s:.2f}s, statuses {sorted(statuses2)}, new={second.new})  "
        f"ratio to baseline {(n / second.duration_s) / base_rate:.2f}"
    )
    print(f"peak RSS  {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
