"""Measure: the share of digest items whose summary passes each summary check (on demand).

Serves the shared corpus feeds (``../shared/data/corpus/dev``) on a loopback port, runs the
real pipeline over them into a fresh SQLite file (ingest without page fetches, classify,
stories, summaries), builds the digest of the fetch day with every story
(``include_off_topic``) and applies :func:`pipeline.publish.checks.summary_problems` to each
item of its JSON.

Usage:
    python bench/summary_checks.py [--shared DIR] [--feeds a.xml,b.xml] [--json-out FILE]
    python bench/summary_checks.py --measure DIGEST.json     # only check a written digest
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

#: The organisation publishing each corpus feed, as ``feeds.yaml`` would declare it
#: (aggregators and mixed feeds have none).
PUBLISHERS = {
    "feed_anthropic.xml": "Anthropic",
    "feed_anthropic_changelog_claude_code.xml": "Anthropic",
    "feed_anthropic_engineering.xml": "Anthropic",
    "feed_anthropic_research.xml": "Anthropic",
    "feed_mistral_news.before-2026-03.xml": "Mistral AI",
    "feed_openai_research.xml": "OpenAI",
    "feed_openai_research-old.xml": "OpenAI",
    "feed_xai_news.xml": "xAI",
}


def corpus_digest(shared: Path, names: list[str] | None, workdir: Path) -> dict[str, Any]:
    """Run the pipeline over the named corpus feeds (all when None); the digest as JSON."""
    from loopback import LoopbackServer

    from pipeline.ingest.cycle import run_cycle
    from pipeline.publish.digest import build_digest, prepare_day
    from pipeline.records import FeedSource
    from pipeline.settings import load_settings
    from pipeline.store import open_store

    corpus = shared / "corpus" / "dev"
    files = sorted(p.name for p in corpus.glob("*.xml")) if names is None else names
    has_publisher = "publisher" in {f.name for f in dataclasses.fields(FeedSource)}
    with LoopbackServer(corpus) as server:
        sources = []
        for name in files:
            extra = {"publisher": PUBLISHERS.get(name)} if has_publisher else {}
            stem = name.removesuffix(".xml").replace("_", "-").replace(".", "-")
            sources.append(FeedSource(stem, server.url(name), stem, "en", **extra))
        settings = load_settings(env={}).replace(
            database_url=f"sqlite:///{workdir / 'lumi.db'}",
            allowed_addresses=[server.host_port],
            fetch_pages=False,
        )
        if hasattr(settings, "digest_max_items"):  # every story as a full item
            settings = settings.replace(digest_max_items=100_000)
        store = open_store(settings.database_url)
        try:
            run_cycle(store, settings, sources, force=True)
            day = datetime.now(ZoneInfo(settings.timezone)).date()
            kwargs: dict[str, Any] = {}
            import inspect

            parameters = inspect.signature(build_digest).parameters
            if "include_off_topic" in parameters:
                kwargs["include_off_topic"] = True
            if "days" in parameters:  # digests by publication day: the whole back catalogue
                kwargs["days"] = 20 * 366
            prepare_day(store, day, settings, **kwargs)
            digest = build_digest(store, day, settings, **kwargs)
        finally:
            store.close()
    return digest.to_json()


def measure(digest: dict[str, Any]) -> dict[str, Any]:
    """Per check, how many items pass it, and the problems of every failing item."""
    from pipeline.publish.checks import CHECKS, problem_checks, summary_problems

    items = digest["items"]
    failing: Counter[str] = Counter()
    every = 0
    examples: dict[str, list[str]] = {}
    for item in items:
        problems = summary_problems(item)
        checks = problem_checks(problems)
        failing.update(checks)
        every += not problems
        for p in problems:
            examples.setdefault(p.split(":", 1)[0], []).append(f"{item['id']}: {p}")
    n = len(items)
    return {
        "items": n,
        "pass_all": every,
        "pass": {c: n - failing[c] for c in CHECKS},
        "share": {c: round((n - failing[c]) / n, 3) if n else 1.0 for c in CHECKS},
        "examples": {c: v[:5] for c, v in examples.items()},
    }


def main() -> None:
    """Run the measurement and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--feeds", help="comma-separated corpus file names (default: all)")
    parser.add_argument("--json-out", type=Path, help="also write the digest JSON here")
    parser.add_argument("--measure", type=Path, help="check this digest JSON, run nothing")
    parser.add_argument("--no-measure", action="store_true", help="only write the digest")
    args = parser.parse_args()
    if args.measure:
        digest = json.loads(args.measure.read_text("utf-8"))
    else:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            names = args.feeds.split(",") if args.feeds else None
            digest = corpus_digest(args.shared, names, Path(tmp))
        print(f"pipeline: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if args.json_out:
            args.json_out.write_text(json.dumps(digest, indent=1, ensure_ascii=False), "utf-8")
    if not args.no_measure:
        print(json.dumps(measure(digest), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
