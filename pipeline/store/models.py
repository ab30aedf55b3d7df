"""The tables: SQLAlchemy 2 declarative models, private to the storage package.

Only modules of :mod:`pipeline.store` import these; every other module reads and writes
through the repository functions, which take and return the records of
:mod:`pipeline.records`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipeline.errors import StoreError

__all__ = [
    "ArticleRow",
    "ArticleSourceRow",
    "Base",
    "ClassificationRow",
    "DigestRunRow",
    "FeedRow",
    "LLMFailureRow",
    "LLMUsageRow",
    "ReviewRow",
    "StoryArticleRow",
    "StoryRow",
    "SummaryRow",
    "UTCDateTime",
    "utcnow",
]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise StoreError(f"naive datetime {value!r} given to the store; use aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class FeedRow(Base):
    """A feed of the registry and its polling state (a bad feed is data, not a crash)."""

    __tablename__ = "feeds"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    poll_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    publisher: Mapped[str | None] = mapped_column(Text, nullable=True)
    in_registry: Mapped[bool] = mapped_column(Boolean, default=True)
    # ok | degraded | failing | disabled | new
    state: Mapped[str] = mapped_column(String(16), default="new")
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    error_class: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    degraded_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The instance polling the feed right now and until when its claim holds; a lease that
    # has run out (its instance crashed) may be claimed by any instance.
    lease_holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ArticleRow(Base):
    """One article: the same URL from several feeds is one row with several sources."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("key", name="uq_articles_key"),
        Index("ix_articles_pending", "pending_text", "next_page_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(2000))
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    canonical_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    text_source: Mapped[str] = mapped_column(String(16))
    is_teaser: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    site_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_feed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_extracted: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # An entry whose text has not arrived (no feed text, page not fetched yet): kept with its
    # title, link and dates, its page retried with capped backoff until it arrives.
    pending_text: Mapped[bool] = mapped_column(Boolean, default=False)
    page_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_page_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    page_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ArticleSourceRow(Base):
    """One feed entry pointing at an article (dedupe key unique per feed)."""

    __tablename__ = "article_sources"
    __table_args__ = (UniqueConstraint("feed_id", "entry_key", name="uq_source_feed_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(2000))
    guid: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # what the feed said about the entry (title, summary, content): a change is an update
    entry_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ClassificationRow(Base):
    """One classifier's result for one article version (name, version, content hash)."""

    __tablename__ = "classifications"
    __table_args__ = (
        UniqueConstraint(
            "article_id", "classifier", "version", "content_hash", name="uq_classification_version"
        ),
        Index("ix_classifications_classifier", "classifier", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    classifier: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryRow(Base):
    """One story: the articles (from any feed) that report the same news."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryArticleRow(Base):
    """An article's membership of its one story, with the merge reason and score.

    ``signature`` is the MinHash of the article's text (hex) as of ``text_hash``; it is
    kept here so candidate stories are compared without re-reading every text.
    """

    __tablename__ = "story_articles"
    __table_args__ = (UniqueConstraint("article_id", name="uq_story_articles_article"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    # new_story | canonical_url | near_duplicate_text | similar_title
    reason: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float, default=1.0)
    matched_article_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    shingles: Mapped[int] = mapped_column(Integer, default=0)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SummaryRow(Base):
    """One summary of one story version; never computed twice for the same inputs.

    ``model`` is "" for extractive summaries so the unique key also holds on backends where
    NULLs never collide.
    """

    __tablename__ = "summaries"
    __table_args__ = (
        UniqueConstraint("story_id", "content_hash", "method", "model", name="uq_summary_inputs"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # extractive | llm
    model: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    at_a_glance: Mapped[str] = mapped_column(Text)
    sections: Mapped[Any] = mapped_column(JSON)
    ngram_overlap: Mapped[float | None] = mapped_column(Float, nullable=True)
    unsupported: Mapped[Any] = mapped_column(JSON, default=list)
    generator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LLMUsageRow(Base):
    """Tokens the paraphraser spent on one day (the daily budget is checked against it)."""

    __tablename__ = "llm_usage"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestRunRow(Base):
    """One day's scheduled digest: the instance that claimed it, when, and the outcome."""

    __tablename__ = "digest_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    instance: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # running, written or failed


class LLMFailureRow(Base):
    """A paraphrase the model got wrong for these exact inputs; not asked again.

    Only answers that would come out the same again (malformed, wrong shape, too far from
    the sources) are recorded; timeouts, HTTP errors and an exhausted budget are retried.
    """

    __tablename__ = "llm_failures"
    __table_args__ = (
        UniqueConstraint("story_id", "content_hash", "model", name="uq_llm_failure_inputs"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewRow(Base):
    """One human review of a digest item: an append-only audit trail, never updated.

    ``item_id`` is the digest item id (``s-<story id>``); the newest row (by ``reviewed_at``,
    then ``id``) decides whether the item is shown as reviewed.
    """

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_item", "item_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    approve: Mapped[bool] = mapped_column(Boolean)
    editor: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The summary version the reviewer saw; a review does not carry over to a changed text.
    summary_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
