"""The stories aggregate: stories and their member articles (``story_articles``).

Story assignment itself (which story an article joins) is :mod:`pipeline.publish.stories`;
this module only reads and writes what it decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pipeline.records import (
    ArticleText,
    StoredArticle,
    Story,
    StoryMember,
    StoryMembership,
    StorySource,
)
from pipeline.store.articles import stored_article
from pipeline.store.engine import in_chunks, prepared_insert
from pipeline.store.models import (
    ArticleRow,
    ArticleSourceRow,
    FeedRow,
    StoryArticleRow,
    StoryRow,
)

__all__ = [
    "add_membership",
    "create_story",
    "delete_story",
    "first_seen_range",
    "load_stories",
    "memberships_published_between",
    "refresh_membership",
    "retitle_story",
    "stories_first_seen_between",
    "story_exists",
    "story_memberships",
    "story_texts",
    "widen_story",
]

# Story ids are 32-bit integer columns; PostgreSQL refuses to compare a larger number.
_MAX_ID = 2**31 - 1


def _membership(row: StoryArticleRow) -> StoryMembership:
    reason: Any = row.reason
    return StoryMembership(
        article_id=row.article_id,
        story_id=row.story_id,
        reason=reason,
        score=row.score,
        matched_article_id=row.matched_article_id,
        published_at=row.published_at,
        text_hash=row.text_hash,
        signature=row.signature,
        shingles=row.shingles,
        merged_at=row.merged_at,
    )


def story_memberships(session: Session, article_ids: Iterable[int]) -> dict[int, StoryMembership]:
    """The story membership of each of ``article_ids`` that has one, by article id."""
    ids = list(dict.fromkeys(article_ids))
    found: dict[int, StoryMembership] = {}
    for chunk in in_chunks(ids):
        rows = session.scalars(select(StoryArticleRow).where(StoryArticleRow.article_id.in_(chunk)))
        for row in rows:
            found[row.article_id] = _membership(row)
    return found


def memberships_published_between(
    session: Session, lo: datetime, hi: datetime
) -> list[tuple[StoryMembership, StoredArticle]]:
    """Every membership with ``lo <= published_at <= hi`` and its article, oldest first."""
    query = (
        select(StoryArticleRow, ArticleRow)
        .join(ArticleRow, ArticleRow.id == StoryArticleRow.article_id)
        .where(StoryArticleRow.published_at >= lo, StoryArticleRow.published_at <= hi)
        .order_by(StoryArticleRow.published_at, StoryArticleRow.article_id)
    )
    return [(_membership(m), stored_article(a)) for m, a in session.execute(query)]


def create_story(session: Session, title: str, seen_at: datetime, *, now: datetime) -> int:
    """Store a new story first and last seen at ``seen_at``; returns its id."""
    return int(
        session.execute(
            prepared_insert(session, StoryRow, _new_story),
            {
                "title": title,
                "first_seen_at": seen_at,
                "last_seen_at": seen_at,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
    )


def _new_story(insert: Any, table: Any) -> Any:
    return insert.returning(table.c.id)


def delete_story(session: Session, story_id: int) -> None:
    """Delete a story (with its memberships)."""
    session.execute(delete(StoryRow).where(StoryRow.id == story_id))


def add_membership(session: Session, membership: StoryMembership) -> bool:
    """Store an article's membership; False when the article already has a story (the
    stored one stands: a concurrent run assigned it first)."""
    inserted = session.execute(
        prepared_insert(session, StoryArticleRow, _new_membership),
        {
            "story_id": membership.story_id,
            "article_id": membership.article_id,
            "reason": membership.reason,
            "score": membership.score,
            "matched_article_id": membership.matched_article_id,
            "published_at": membership.published_at,
            "text_hash": membership.text_hash,
            "signature": membership.signature,
            "shingles": membership.shingles,
            "merged_at": membership.merged_at,
        },
    ).first()
    return inserted is not None


def _new_membership(insert: Any, table: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=["article_id"]).returning(table.c.id)


def refresh_membership(
    session: Session, article_id: int, *, text_hash: str, signature: str | None, shingles: int
) -> None:
    """Record a changed article text's hash and signature on its membership."""
    session.execute(
        update(StoryArticleRow)
        .where(StoryArticleRow.article_id == article_id)
        .values(text_hash=text_hash, signature=signature, shingles=shingles)
    )


def retitle_story(session: Session, story_id: int, title: str, *, now: datetime) -> None:
    """Give a story a new title."""
    session.execute(
        update(StoryRow).where(StoryRow.id == story_id).values(title=title, updated_at=now)
    )


def widen_story(session: Session, story_id: int, seen_at: datetime, *, now: datetime) -> None:
    """Stretch a story's first/last seen range to include ``seen_at``."""
    story = session.get(StoryRow, story_id)
    if story is not None:
        story.first_seen_at = min(story.first_seen_at, seen_at)
        story.last_seen_at = max(story.last_seen_at, seen_at)
        story.updated_at = now


def story_exists(session: Session, story_id: int) -> bool:
    """True when a story has this id."""
    return 0 < story_id <= _MAX_ID and session.get(StoryRow, story_id) is not None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname or None
    except ValueError:
        return None


def _site(article: _MemberArticle, entry_url: str | None, feed_url: str | None) -> str | None:
    """The publisher as readers know it: the page's site name, else the article's domain
    (the feed's domain only when the article has no URL at all); never the feed's title or
    id, which name our subscription, not the publisher."""
    if article.site_name and article.site_name.strip():
        return article.site_name
    return _host(article.canonical_url or article.url or entry_url) or _host(feed_url)


class _MemberArticle(NamedTuple):
    """The columns of a story member's article that :func:`load_stories` reads."""

    id: int
    title: str
    url: str | None
    canonical_url: str | None
    site_name: str | None


_MEMBER_COLUMNS = (
    ArticleRow.id,
    ArticleRow.title,
    ArticleRow.url,
    ArticleRow.canonical_url,
    ArticleRow.site_name,
)


def load_stories(session: Session, story_ids: Sequence[int]) -> list[Story]:
    """Read stories with their members (oldest first) and every feed entry that carried them.

    Args:
        session: the open transaction.
        story_ids: the stories to read; unknown ids are skipped.

    Returns:
        The stories in the order of ``story_ids``.
    """
    ids = list(dict.fromkeys(story_ids))
    if not ids:
        return []
    stories = {row.id: row for row in session.scalars(select(StoryRow).where(StoryRow.id.in_(ids)))}
    member_rows: dict[int, list[tuple[StoryArticleRow, _MemberArticle]]] = {}
    # the article columns a story shows, not whole article rows (their texts are large)
    query = (
        select(StoryArticleRow, *_MEMBER_COLUMNS)
        .join(ArticleRow, ArticleRow.id == StoryArticleRow.article_id)
        .where(StoryArticleRow.story_id.in_(ids))
        .order_by(StoryArticleRow.published_at, StoryArticleRow.article_id)
    )
    for member, article_id, title, url, canonical_url, site_name in session.execute(query):
        article = _MemberArticle(article_id, title, url, canonical_url, site_name)
        member_rows.setdefault(member.story_id, []).append((member, article))
    article_ids = [a.id for rows in member_rows.values() for _, a in rows]
    sources: dict[int, list[tuple[ArticleSourceRow, str | None]]] = {}
    if article_ids:
        source_query = (
            select(ArticleSourceRow, FeedRow.url)
            .join(FeedRow, FeedRow.id == ArticleSourceRow.feed_id)
            .where(ArticleSourceRow.article_id.in_(article_ids))
            .order_by(ArticleSourceRow.seen_at, ArticleSourceRow.id)
        )
        for source, feed_url in session.execute(source_query):
            sources.setdefault(source.article_id, []).append((source, feed_url))
    result = []
    for story_id in ids:
        story = stories.get(story_id)
        if story is None:
            continue
        members: list[StoryMember] = []
        story_sources: list[StorySource] = []
        for member, article in member_rows.get(story_id, []):
            reason: Any = member.reason
            members.append(
                StoryMember(
                    article_id=article.id,
                    title=article.title,
                    reason=reason,
                    score=member.score,
                    matched_article_id=member.matched_article_id,
                    published=member.published_at,
                    merged_at=member.merged_at,
                )
            )
            for position, (source, feed_home) in enumerate(sources.get(article.id, [])):
                story_sources.append(
                    StorySource(
                        feed_id=source.feed_id,
                        article_id=article.id,
                        url=source.url or article.url,
                        site=_site(article, source.url, feed_home),
                        published=source.published or member.published_at,
                        reason=reason if position == 0 else "canonical_url",
                    )
                )
        result.append(
            Story(
                id=story.id,
                title=story.title,
                first_seen_at=story.first_seen_at,
                last_seen_at=story.last_seen_at,
                members=tuple(members),
                sources=tuple(story_sources),
            )
        )
    return result


def first_seen_range(session: Session) -> tuple[datetime, datetime] | None:
    """When the earliest and the latest stories were first published (None: no story)."""
    low, high = session.execute(
        select(func.min(StoryRow.first_seen_at), func.max(StoryRow.first_seen_at))
    ).one()
    if low is None or high is None:
        return None
    # min()/max() keep the column's UTCDateTime type, so both come back aware UTC
    return low, high


def stories_first_seen_between(session: Session, start: datetime, end: datetime) -> list[Story]:
    """Stories first seen in ``[start, end)`` (aware datetimes), oldest first."""
    ids = list(
        session.scalars(
            select(StoryRow.id)
            .where(StoryRow.first_seen_at >= start, StoryRow.first_seen_at < end)
            .order_by(StoryRow.first_seen_at, StoryRow.id)
        )
    )
    return load_stories(session, ids)


def story_texts(session: Session, story_id: int) -> list[ArticleText]:
    """The texts of a story's articles, oldest first (what the summariser reads)."""
    query = (
        select(StoryArticleRow.published_at, ArticleRow)
        .join(ArticleRow, ArticleRow.id == StoryArticleRow.article_id)
        .where(StoryArticleRow.story_id == story_id)
        .order_by(StoryArticleRow.published_at, StoryArticleRow.article_id)
    )
    return [
        ArticleText(
            title=article.title,
            text=article.text,
            article_id=article.id,
            site=article.site_name,
            url=article.canonical_url or article.url,
            published=published,
            content_hash=article.content_hash,
            is_teaser=article.is_teaser,
        )
        for published, article in session.execute(query)
    ]
