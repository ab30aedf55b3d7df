"""Benchmark: classifier throughput (run on demand, never in the test suite).

Classifies the development corpus texts (``../shared/data/corpus/dev``) with every
registered classifier :func:`classifiers.registry.build_all` returns, together, in one
process with the default configuration, through the same path ingestion uses
(:func:`classifiers.base.make_document` then :func:`classifiers.api.classify_batch`).
Beside it, in the same run, it measures a bare spaCy tokenizer pass
(``spacy.blank("en")``) over the same texts as the baseline, and each classifier alone.

Reports articles/s for both, the ratio to the baseline, and articles/s normalised to
750-word articles on one core. ``--profile N`` adds the N functions with the most own time
under cProfile and the share of time spent in each classifier module; ``--json`` prints
everything as one JSON object.

Usage: python bench/classify.py [--shared DIR] [--limit N] [--repeat R] [--profile N] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NORMAL_WORDS = 750


def _texts(shared: Path, limit: int) -> list[tuple[str, str]]:
    """(title, text) of every development-corpus entry with at least 50 words of text."""
    from pipeline.corpus import load_corpus_file

    out = []
    for path in sorted((shared / "corpus" / "dev").glob("*.xml")):
        for item in load_corpus_file(shared, f"corpus/dev/{path.name}"):
            text = "\n\n".join(item.paragraphs)
            if len(text.split()) >= 50:
                out.append((item.title, text))
    return out[:limit] if limit else out


def _timed(run: Callable[[], Any], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        run()
    return time.perf_counter() - started


def _profile(run: Callable[[], Any], top: int) -> dict[str, Any]:
    """Own time per function and per classifier module under cProfile."""
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    rows = []
    by_module: dict[str, float] = {}
    for (filename, line, func), (_cc, calls, own, cum, _callers) in raw.items():
        short = filename.split("/classifiers/")[-1] if "/classifiers/" in filename else filename
        rows.append(
            {
                "function": f"{short}:{line}:{func}",
                "calls": calls,
                "own_s": round(own, 4),
                "own_share": round(own / total, 4),
                "cumulative_s": round(cum, 4),
            }
        )
        key = f"classifiers/{short}" if "/classifiers/" in filename else "other"
        by_module[key] = by_module.get(key, 0.0) + own
    rows.sort(key=lambda r: -r["own_s"])
    modules = {k: round(v / total, 4) for k, v in sorted(by_module.items(), key=lambda x: -x[1])}
    return {"total_s": round(total, 4), "own_time_by_module": modules, "top": rows[:top]}


def run_bench(
    texts: Sequence[tuple[str, str]], repeat: int = 1, profile: int = 0
) -> dict[str, Any]:
    """Time the baseline, all classifiers together and each alone over ``texts``."""
    import spacy

    from classifiers.api import classify_batch
    from classifiers.base import make_document
    from classifiers.registry import build_all

    built = build_all()  # models and matchers load outside the timed part
    classifiers = list(built.values())
    classify_batch([make_document(texts[0][1], title=texts[0][0])], classifiers)
    tokenizer = spacy.blank("en").tokenizer

    def baseline() -> None:
        for _title, text in texts:
            tokenizer(text)

    def everything() -> None:
        docs = [make_document(text, title=title) for title, text in texts]
        classify_batch(docs, classifiers)

    baseline_s = _timed(baseline, repeat)
    all_s = _timed(everything, repeat)
    docs = [make_document(text, title=title) for title, text in texts]
    prepare_s = _timed(lambda: [make_document(x, title=t) for t, x in texts], repeat)
    alone = {
        name: round(_timed(lambda c=clf: classify_batch(docs, [c]), repeat), 4)
        for name, clf in built.items()
    }

    n = len(texts) * repeat
    avg_words = sum(len(t.split()) for _, t in texts) / len(texts)
    result: dict[str, Any] = {
        "articles": len(texts),
        "repeat": repeat,
        "avg_words": round(avg_words, 1),
        "classifiers": list(built),
        "baseline_articles_per_s": round(n / baseline_s, 1),
        "articles_per_s": round(n / all_s, 1),
        "ratio_to_baseline": round(baseline_s / all_s, 4),
        "normalised_articles_per_s": round(n / all_s * avg_words / NORMAL_WORDS, 1),
        "seconds": {
            "baseline": round(baseline_s, 4),
            "all": round(all_s, 4),
            "make_document": round(prepare_s, 4),
            "alone": alone,
        },
    }
    if profile:
        result["profile"] = _profile(everything, profile)
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"articles: {result['articles']} x {result['repeat']}, {result['avg_words']:.0f} words "
        f"on average; classifiers: {', '.join(result['classifiers'])}"
    )
    print(f"baseline  spaCy tokenizer only   {result['baseline_articles_per_s']:9.1f} articles/s")
    print(
        f"lumi      all classifiers        {result['articles_per_s']:9.1f} articles/s   "
        f"ratio to baseline {result['ratio_to_baseline']:.3f}"
    )
    print(
        f"          normalised to {NORMAL_WORDS}-word articles: "
        f"{result['normalised_articles_per_s']:9.1f} articles/s (one core)"
    )
    secs = result["seconds"]
    print(f"seconds   make_document {secs['make_document']:.3f}", end="")
    for name, s in secs["alone"].items():
        print(f"  {name} {s:.3f}", end="")
    print()
    prof = result.get("profile")
    if prof:
        print("own time by module:")
        for module, share in prof["own_time_by_module"].items():
            print(f"  {share:6.1%}  {module}")
        print("top functions by own time:")
        for row in prof["top"]:
            print(f"  {row['own_share']:6.1%} {row['calls']:>8}  {row['function']}")


def main() -> int:
    """Run the benchmark and print the figures (``--json``: one JSON object)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0, help="at most N articles (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="top N functions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    texts = _texts(args.shared, args.limit)
    if not texts:
        print(f"no corpus texts under {args.shared}/corpus/dev", file=sys.stderr)
        return 2
    result = run_bench(texts, repeat=args.repeat, profile=args.profile)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
