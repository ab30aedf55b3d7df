"""Benchmark: building and rendering the digest of a day of 2,000 articles (run on demand).

Replays the shared corpus (``../shared/data/corpus/dev``) into a fresh SQLite store, one
day's fetch times, repeating the corpus (each copy a distinct URL, as syndicated copies
would be) until N articles, then measures in one process:

- the ingest-time stages the digest relies on, timed apart: story assignment
  (:func:`pipeline.publish.stories.assign_stories`) and summaries
  (:func:`pipeline.publish.summaries.summarise_stories`), as ``lumi fetch`` runs them;
- ``digest``: :func:`pipeline.publish.digest.write_digest` in all four formats (build, rank,
  label, render, atomic writes), then the same export again;
- ``baseline``: ``json.dumps`` of the same items (the floor for any export);
- peak RSS of this process.

Usage: python bench/digest.py [--articles N] [--shared DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from pipeline.corpus import load_corpus_file  # noqa: E402
from pipeline.ingest.extract import content_hash  # noqa: E402
from pipeline.publish.digest import build_digest, write_digest  # noqa: E402
from pipeline.publish.stories import assign_stories  # noqa: E402
from pipeline.publish.summaries import summarise_stories  # noqa: E402
from pipeline.records import Article, FeedEntry, FeedSource  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from pipeline.store import ArticleRow, insert_article, open_store, sync_feeds  # noqa: E402

DAY = date(2026, 5, 4)


def _corpus(shared: Path) -> list[tuple[str, str, str, str]]:
    """(feed id, title, link, text) of every dev corpus entry with text."""
    items = []
    for path in sorted((shared / "corpus" / "dev").glob("*.xml")):
        rel = f"corpus/dev/{path.name}"
        for item in load_corpus_file(shared, rel):
            text = "\n\n".join(item.paragraphs)
            if text.strip():
                items.append((path.stem, item.title, item.link or item.entry, text))
    return items


def _fill(store, corpus: list[tuple[str, str, str, str]], n: int) -> None:
    start = datetime(2026, 5, 4, 0, 5, tzinfo=UTC)
    step = timedelta(seconds=86_000 / n)
    with store.session() as session:
        sync_feeds(
            session,
            [FeedSource(f, f"https://{f}.example/feed", f, "en") for f in {c[0] for c in corpus}],
        )
        for i in range(n):
            feed, title, link, text = corpus[i % len(corpus)]
            copy = i // len(corpus)
            url = f"{link}#copy-{copy}" if copy else link
            fetched = start + step * i
            article = Article(
                key=url,
                url=url,
                canonical_url=url,
                title=title,
                text=text,
                text_source="feed",
                is_teaser=False,
                content_hash=content_hash(text),
                language="en",
                author=None,
                site_name=None,
                published_feed=fetched - timedelta(hours=2),
                published_extracted=None,
                fetched_at=fetched,
            )
            entry = FeedEntry(
                feed_id=feed,
                dedupe_key=f"url:{url}",
                guid=None,
                url=url,
                canonical_url=url,
                title=title,
                summary="",
                content=text,
                author=None,
                published=article.published_feed,
                updated=None,
            )
            insert_article(session, article, entry)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args(argv)
    corpus = _corpus(args.shared)
    if not corpus:
        print(f"no corpus under {args.shared}", file=sys.stderr)
        return 2
    settings = load_settings(env={})
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        t0 = time.perf_counter()
        _fill(store, corpus, args.articles)
        fill_s = time.perf_counter() - t0

        with store.session() as session:
            ids = list(session.scalars(select(ArticleRow.id).order_by(ArticleRow.id)))
        t0 = time.perf_counter()
        story_ids = sorted({a.story_id for a in assign_stories(store, ids, settings=settings)})
        stories_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        summarise_stories(store, story_ids, settings)
        summaries_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        paths = write_digest(store, DAY, settings, out_dir=Path(tmp) / "out")
        cold_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        write_digest(store, DAY, settings, out_dir=Path(tmp) / "out2")
        warm_s = time.perf_counter() - t0

        digest = build_digest(store, DAY, settings)
        t0 = time.perf_counter()
        json.dumps(digest.to_json(), ensure_ascii=False, indent=2)
        baseline_s = time.perf_counter() - t0
        sizes = {p.suffix: p.stat().st_size for p in paths}
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"articles: {args.articles} (corpus entries: {len(corpus)}), stories: {len(digest.items)}"
    )
    print(f"insert into SQLite:            {fill_s:6.2f} s")
    print(f"ingest stage: assign stories   {stories_s:6.2f} s")
    print(f"ingest stage: summarise        {summaries_s:6.2f} s")
    print(f"digest, 4 formats (first)      {cold_s:6.2f} s")
    print(f"digest, 4 formats (again)      {warm_s:6.2f} s")
    print(f"total from raw articles        {stories_s + summaries_s + cold_s:6.2f} s")
    print(f"baseline json.dumps of items   {baseline_s:6.3f} s")
    print("output bytes: " + ", ".join(f"{k[1:]}={v:,}" for k, v in sorted(sizes.items())))
    print(f"peak RSS: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
