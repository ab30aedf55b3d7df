"""Stories: one story per piece of news across feeds, with the reason of every merge.

Store tests run on a real SQLite file and, when reachable, on PostgreSQL (``store``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from pipeline.ingest.extract import build_article
from pipeline.ingest.parse import parse_feed
from pipeline.publish.stories import (
    assign_stories,
    similarity,
    text_signature,
    title_similarity,
    titles_conflict,
)
from pipeline.records import Article, FeedEntry, FeedSource
from pipeline.store import (
    ArticleRow,
    StoryArticleRow,
    StoryRow,
    count_rows,
    insert_article,
    load_stories,
    story_texts,
    sync_feeds,
)

DAY = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

BOILERPLATE = (
    "About Northwind AI. Northwind AI is an independent research company based in Lyon that "
    "builds efficient language models for enterprises and the public sector. Its models are "
    "used by banks, hospitals and ministries across Europe. For press enquiries, write to the "
    "communications team, which answers within two working days."
)
BREEZE_BODY = (
    "Northwind AI released Breeze-2, a reasoning model with 24 billion parameters, on Monday. "
    "The model solves multi-step mathematics problems and explains each step in plain "
    "language. Breeze-2 ships under the Apache 2.0 license and can run on a single GPU with "
    "48 gigabytes of memory. The company says the model was trained on a curated mix of "
    "textbooks, code and synthetic exercises checked by a verifier. Early testers at two "
    "universities report that it matches much larger models on olympiad problems while "
    "answering in half the time."
)
GALE_BODY = (
    "Northwind AI also unveiled Gale, a coding agent that works inside the terminal and edits "
    "whole repositories. Gale plans a change, runs the test suite and proposes a patch for "
    "review rather than committing by itself. It is sold as a subscription for teams and "
    "comes with an audit log that records every command the agent ran. Customers in the "
    "beta cut the time to fix failing builds by a third, according to the company, which "
    "plans to open the agent's plugin interface later this year."
)


def _article(key: str, title: str, text: str, when: datetime, *, url: str | None = None) -> Article:
    return Article(
        key=key,
        url=url,
        canonical_url=url,
        title=title,
        text=text,
        text_source="page",
        is_teaser=False,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        language="en",
        author=None,
        site_name=None,
        published_feed=when,
        published_extracted=None,
        fetched_at=when + timedelta(hours=1),
    )


def _entry(feed_id: str, article: Article) -> FeedEntry:
    return FeedEntry(
        feed_id=feed_id,
        dedupe_key=f"url:{article.key}",
        guid=None,
        url=article.url,
        canonical_url=article.canonical_url,
        title=article.title,
        summary="",
        content="",
        author=None,
        published=article.published_feed,
        updated=None,
    )


def _add(store, feed_id: str, article: Article) -> int:
    with store.session() as s:
        sync_feeds(s, [FeedSource(feed_id, f"https://{feed_id}.example/feed", feed_id, "en")])
    with store.session() as s:
        article_id, _, _ = insert_article(s, article, _entry(feed_id, article))
    return article_id


def _story_count(store) -> int:
    with store.session() as s:
        return count_rows(s, StoryRow)


# --- pure helpers ------------------------------------------------------------------------


def test_text_signature_estimates_shingle_jaccard():
    base = text_signature(BREEZE_BODY)
    edited = text_signature(BREEZE_BODY.replace("on Monday", "this week"))
    unrelated = text_signature(GALE_BODY)
    assert similarity(base, text_signature(BREEZE_BODY.upper())) == 1.0
    assert similarity(base, edited) >= 0.7
    assert similarity(base, unrelated) <= 0.1
    assert similarity(base, text_signature("")) == 0.0


def test_text_signature_round_trips_through_hex():
    sig = text_signature(BREEZE_BODY)
    stored = type(sig).from_hex(sig.to_hex(), sig.shingles)
    assert stored == sig


def test_title_similarity_ignores_case_plurals_possessives_and_stopwords():
    assert title_similarity("OpenAI's GPT-5 launches", "openai launches GPT-5") == 1.0
    assert title_similarity("Mistral releases new models", "Mistral release new model") == 1.0
    assert title_similarity("Grok 4.6 on Vertex AI", "Grok 4.6 on Amazon Bedrock") < 0.5


def test_titles_naming_different_models_or_versions_conflict():
    assert titles_conflict(
        "Mistral releases Magistral, its first reasoning model",
        "Mistral releases Devstral, its first coding agent model",
    )
    assert titles_conflict("Mistral Small 3.1 is out", "Mistral Small 3.2 is out")
    assert not titles_conflict(
        "Northwind AI releases Breeze-2 under Apache 2.0",
        "Breeze-2 from Northwind AI ships under Apache 2.0",
    )


# --- merges ------------------------------------------------------------------------------


def test_same_url_from_two_feeds_is_one_story_keeping_both_sources(store):
    art = _article(
        "https://northwind.example/breeze-2",
        "Breeze-2 is here",
        BREEZE_BODY,
        DAY,
        url="https://northwind.example/breeze-2",
    )
    first = _add(store, "press", art)
    second = _add(store, "aggregator", art)
    assert first == second
    [assignment] = assign_stories(store, [first])
    assert assignment.reason == "new_story"
    with store.session() as s:
        [story] = load_stories(s, [assignment.story_id])
    assert [src.feed_id for src in story.sources] == ["press", "aggregator"]
    assert [src.reason for src in story.sources] == ["new_story", "canonical_url"]


def test_syndicated_copy_at_another_url_merges_as_near_duplicate_text(store):
    original = _article(
        "https://northwind.example/breeze-2",
        "Northwind AI releases Breeze-2",
        BREEZE_BODY,
        DAY,
        url="https://northwind.example/breeze-2",
    )
    copy_text = BREEZE_BODY.replace("on Monday", "this week") + " Reporting by the wire desk."
    copy = _article(
        "https://wire.example/ai/breeze",
        "Breeze-2 model out from French lab",
        copy_text,
        DAY + timedelta(hours=5),
        url="https://wire.example/ai/breeze",
    )
    a = _add(store, "press", original)
    [first] = assign_stories(store, [a])
    b = _add(store, "wire", copy)
    [merged] = assign_stories(store, [b])
    assert merged.story_id == first.story_id
    assert merged.reason == "near_duplicate_text"
    assert merged.matched_article_id == a
    assert merged.score >= 0.5
    with store.session() as s:
        [story] = load_stories(s, [first.story_id])
    assert [m.reason for m in story.members] == ["new_story", "near_duplicate_text"]
    assert {src.feed_id for src in story.sources} == {"press", "wire"}


def test_same_news_retold_with_a_similar_title_merges_within_the_window(store):
    one = _article(
        "https://a.example/1",
        "Northwind AI releases Breeze-2 reasoning model",
        BREEZE_BODY,
        DAY,
        url="https://a.example/1",
    )
    other_text = (
        "The French start-up's new reasoning system is small enough for one graphics card. "
        "Analysts said the release raises pressure on larger labs to publish open weights."
    )
    two = _article(
        "https://b.example/2",
        "Northwind AI release: Breeze-2 reasoning models",
        other_text,
        DAY + timedelta(days=1),
        url="https://b.example/2",
    )
    ids = [_add(store, "press", one), _add(store, "blog", two)]
    first, second = assign_stories(store, ids)  # one batch: merges within it too
    assert second.story_id == first.story_id
    assert second.reason == "similar_title"
    assert second.score >= 0.65


def test_similar_title_outside_the_window_stays_apart(store):
    one = _article(
        "https://a.example/1",
        "Northwind AI releases Breeze-2 reasoning model",
        BREEZE_BODY,
        DAY,
        url="https://a.example/1",
    )
    two = _article(
        "https://b.example/2",
        "Northwind AI releases Breeze-2 reasoning model",
        "A look back at the launch and what happened since then in the market.",
        DAY + timedelta(days=10),
        url="https://b.example/2",
    )
    first, second = assign_stories(store, [_add(store, "a", one), _add(store, "b", two)])
    assert first.story_id != second.story_id
    assert second.reason == "new_story"


def test_two_releases_by_one_company_on_one_day_stay_apart(store):
    breeze = _article(
        "https://n.example/breeze",
        "Northwind AI releases Breeze-2, its first reasoning model",
        BREEZE_BODY + " " + BOILERPLATE,
        DAY,
        url="https://n.example/breeze",
    )
    gale = _article(
        "https://n.example/gale",
        "Northwind AI releases Gale, its first coding agent model",
        GALE_BODY + " " + BOILERPLATE,
        DAY + timedelta(hours=2),
        url="https://n.example/gale",
    )
    first, second = assign_stories(store, [_add(store, "n", breeze), _add(store, "n", gale)])
    assert first.story_id != second.story_id
    assert _story_count(store) == 2


def test_same_boilerplate_with_different_bodies_stays_apart(store):
    long_boilerplate = " ".join([BOILERPLATE] * 2)
    one = _article(
        "https://n.example/1",
        "Quarterly update from the lab",
        BREEZE_BODY + " " + long_boilerplate,
        DAY,
        url="https://n.example/1",
    )
    two = _article(
        "https://n.example/2",
        "Product news for developers",
        GALE_BODY + " " + long_boilerplate,
        DAY,
        url="https://n.example/2",
    )
    first, second = assign_stories(store, [_add(store, "n", one), _add(store, "n", two)])
    assert first.story_id != second.story_id


def test_assigning_again_changes_nothing_and_an_updated_article_keeps_its_story(store):
    art = _article(
        "https://n.example/breeze",
        "Breeze-2 released",
        BREEZE_BODY,
        DAY,
        url="https://n.example/breeze",
    )
    article_id = _add(store, "n", art)
    [first] = assign_stories(store, [article_id])
    [again] = assign_stories(store, [article_id, article_id])
    assert again == dataclasses.replace(first, assigned_now=False)
    new_text = BREEZE_BODY + " Update: the weights are now also on a second model hub."
    with store.session() as s:
        s.execute(
            update(ArticleRow)
            .where(ArticleRow.id == article_id)
            .values(
                title="Breeze-2 released (updated)",
                text=new_text,
                content_hash=hashlib.sha256(new_text.encode()).hexdigest(),
            )
        )
    [after] = assign_stories(store, [article_id])
    assert after.story_id == first.story_id and not after.assigned_now
    assert _story_count(store) == 1
    with store.session() as s:
        [story] = load_stories(s, [first.story_id])
        member = s.scalars(select(StoryArticleRow)).one()
        texts = story_texts(s, first.story_id)
    assert story.title == "Breeze-2 released (updated)"
    assert member.text_hash == hashlib.sha256(new_text.encode()).hexdigest()
    assert [t.text for t in texts] == [new_text]


def test_unknown_article_ids_are_skipped(store):
    assert assign_stories(store, [987654]) == []
    assert _story_count(store) == 0


# --- real corpus -------------------------------------------------------------------------

XAI = "corpus/dev/feed_xai_news.xml"


def test_real_feed_under_two_feed_ids_merges_and_distinct_items_stay_apart(
    store, shared_data: Path
):
    body = (shared_data / XAI).read_bytes()
    feed_a, feed_b = parse_feed("xai-a", body), parse_feed("xai-b", body)
    fetched = datetime(2026, 8, 23, tzinfo=UTC)
    with store.session() as s:
        sync_feeds(s, [FeedSource(f, f"https://{f}.example/", f, "en") for f in ("xai-a", "xai-b")])
    ids_a = []
    with store.session() as s:
        for entry in feed_a.entries:
            article_id, created, _ = insert_article(
                s, build_article(entry, None, fetched_at=fetched), entry
            )
            if created:
                ids_a.append(article_id)
    first = assign_stories(store, ids_a)
    # Fifty announcements by one company, many on the same day with look-alike titles
    # ("Grok 4.6 on Vertex AI", "Grok 4.6 on Amazon Bedrock"): every one is its own story.
    assert len(ids_a) >= 40
    assert len({a.story_id for a in first}) == len(ids_a)

    ids_b = []
    with store.session() as s:
        for i, entry in enumerate(feed_b.entries):
            if i % 2:  # half the copies lose their link: same text under another key
                entry = dataclasses.replace(
                    entry, url=None, canonical_url=None, dedupe_key=f"copy:{i}"
                )
            article_id, created, _ = insert_article(
                s, build_article(entry, None, fetched_at=fetched), entry
            )
            if created:
                ids_b.append(article_id)
    second = assign_stories(store, ids_b)
    assert second and {a.reason for a in second} == {"near_duplicate_text"}
    assert _story_count(store) == len(ids_a)
    with store.session() as s:
        stories = load_stories(s, [a.story_id for a in first])
    assert all({src.feed_id for src in story.sources} == {"xai-a", "xai-b"} for story in stories)
    assert assign_stories(store, ids_a + ids_b) == [
        dataclasses.replace(a, assigned_now=False) for a in first + second
    ]
