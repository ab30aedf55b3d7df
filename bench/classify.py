"""Benchmark: classifier throughput (run on demand, never in the test suite).

Classifies the corpus texts (``../shared/data/corpus/**``, dev and holdout: running the
pipeline over them is fine, nothing is learnt from them here) with the three classifiers
together, single process, default configuration, and measures beside it, in the same run,
a bare spaCy tokenizer pass (``spacy.blank("en")``) over the same texts as the baseline.

Reports articles/s for both, the ratio, and articles/s normalised to 750-word articles.

Usage: python bench/classify.py [--shared DIR] [--limit N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _texts(shared: Path, limit: int) -> list[tuple[str, str]]:
    import feedparser

    from classifiers.dataset import entry_paragraphs

    out = []
    for path in sorted((shared / "corpus").rglob("*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            content = entry.get("content") or []
            html = (content[0].get("value") if content else None) or entry.get("summary") or ""
            text = "\n\n".join(entry_paragraphs(html))
            if len(text.split()) >= 50:
                out.append((entry.get("title", ""), text))
    return out[:limit] if limit else out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0, help="at most N articles (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    texts = _texts(args.shared, args.limit)
    if not texts:
        print(f"no corpus texts under {args.shared}/corpus", file=sys.stderr)
        return 2
    words = sum(len(t.split()) for _, t in texts)

    import spacy

    from classifiers.api import classify_document
    from classifiers.base import make_document
    from classifiers.registry import build_all

    built = build_all()  # load models and matchers outside the timed part
    classify_document(make_document(texts[0][1], title=texts[0][0]))
    tokenizer = spacy.blank("en").tokenizer

    started = time.perf_counter()
    for _ in range(args.repeat):
        for _title, text in texts:
            tokenizer(text)
    base_s = time.perf_counter() - started

    started = time.perf_counter()
    for _ in range(args.repeat):
        for title, text in texts:
            classify_document(make_document(text, title=title))
    clf_s = time.perf_counter() - started

    n = len(texts) * args.repeat
    avg_words = words / len(texts)
    print(
        f"articles: {len(texts)} x {args.repeat}, {avg_words:.0f} words on average; "
        f"classifiers: {', '.join(sorted(built))}"
    )
    print(f"baseline  spaCy tokenizer only   {n / base_s:9.1f} articles/s")
    print(
        f"lumi      three classifiers      {n / clf_s:9.1f} articles/s   "
        f"ratio to baseline {base_s / clf_s:.2f}"
    )
    print(
        f"          normalised to 750-word articles: {n / clf_s * avg_words / 750:9.1f} "
        "articles/s (one core)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
