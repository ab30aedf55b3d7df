"""Storage: SQLAlchemy 2 models, engine set-up and the idempotent writes every stage uses.

SQLite (WAL mode) is the embedded default and is created and migrated on first use;
PostgreSQL (psycopg 3) is the production store, migrated with ``lumi db upgrade``.
Every write is idempotent: unique keys plus ``INSERT … ON CONFLICT DO NOTHING`` mean that
re-running a stage on the same input changes nothing, and two concurrent cycles never
duplicate an entry.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from pipeline.errors import ConfigError, StoreError
from pipeline.records import Article, FeedEntry, FeedSource, PendingPage

__all__ = [
    "ArticleRow",
    "ArticleSourceRow",
    "Base",
    "ClassificationRow",
    "FeedRow",
    "LLMFailureRow",
    "LLMUsageRow",
    "ReviewRow",
    "Store",
    "StoryArticleRow",
    "StoryRow",
    "SummaryRow",
    "article_counts",
    "due_pending",
    "engine_for",
    "entry_fingerprint",
    "fill_pending",
    "insert_article",
    "migrate",
    "open_store",
    "pending_counts",
    "record_page_attempt",
    "stored_entries",
    "update_article",
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


def _insert(session: Session, table: Any) -> Any:
    """A dialect-specific INSERT supporting ``on_conflict_do_nothing``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def migrations_dir() -> Path:
    """The installed Alembic script directory (``migrations/`` in the source tree)."""
    return Path(str(resources.files("pipeline.migrations")))


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_MIGRATE_LOCK = threading.Lock()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` on ``engine``'s database."""
    from alembic import command

    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    # Alembic's migration context is module-global: one migration per process at a time.
    with _MIGRATE_LOCK, engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str:
    """The newest revision shipped with this version of Lumi."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the digest read while a cycle writes; busy_timeout makes concurrent cycles
    # wait for each other instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@dataclasses.dataclass(slots=True)
class Store:
    """An open database: the engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def engine_for(url: str) -> Engine:
    """Create the engine for ``url`` (SQLite: folder created, WAL and busy timeout set).

    Raises:
        ConfigError: the URL is not a usable database URL.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"LUMI_DATABASE_URL {url!r} is not a valid database URL: {exc}") from None
    kwargs: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        # a host that drops packets must fail in seconds, not hang a command for minutes
        if "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:
        raise ConfigError(f"cannot open database {url!r}: {exc}") from None
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str, *, auto_migrate: bool | None = None) -> Store:
    """Open the database at ``url``.

    A SQLite file is created (with its folder) and migrated to the newest schema on first
    use. Other backends must be migrated with ``lumi db upgrade``; ``auto_migrate=True``
    forces migration (tests).

    Raises:
        ConfigError: the URL is invalid, or the schema is behind and not auto-migrated.
    """
    engine = engine_for(url)
    migrate_now = engine.dialect.name == "sqlite" if auto_migrate is None else auto_migrate
    try:
        if migrate_now:
            if current_revision(engine) != head_revision():
                migrate(engine)
        else:
            rev = current_revision(engine)
            if rev != head_revision():
                raise ConfigError(
                    f"database schema is at {rev or 'nothing'}, Lumi needs {head_revision()}: "
                    "run `lumi db upgrade`"
                )
    except ConfigError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise ConfigError(f"cannot use database {engine.url!r}: {exc}") from None
    return Store(engine, sessionmaker(engine, expire_on_commit=False))


# --- feed registry state ------------------------------------------------------------


def sync_feeds(session: Session, sources: Sequence[FeedSource]) -> None:
    """Make the feeds table mirror the registry; polling state of known feeds is kept."""
    existing = {row.id: row for row in session.scalars(select(FeedRow))}
    wanted = {s.id for s in sources}
    for src in sources:
        row = existing.get(src.id)
        if row is None:
            # ON CONFLICT: a concurrent cycle may register the same feed at the same moment.
            session.execute(
                _insert(session, FeedRow)
                .values(
                    id=src.id,
                    url=src.url,
                    title=src.title,
                    language=src.language,
                    tags=list(src.tags),
                    poll_minutes=src.poll_minutes,
                    in_registry=True,
                    state="new",
                    consecutive_failures=0,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            continue
        if row.url != src.url:  # a moved feed starts afresh: old validators don't apply
            row.etag = row.last_modified = row.body_hash = None
            row.next_poll_at = None
            if row.state == "disabled":
                row.state, row.disabled_reason = "new", None
        row.url, row.title, row.language = src.url, src.title, src.language
        row.tags, row.poll_minutes, row.in_registry = list(src.tags), src.poll_minutes, True
    for feed_id, row in existing.items():
        if feed_id not in wanted:
            row.in_registry = False


def entry_fingerprint(entry: FeedEntry) -> str:
    """A hash of what the feed says about an entry; it changes when the entry is updated."""
    import hashlib

    data = "\x1f".join((entry.title, entry.summary, entry.content))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def stored_entries(
    session: Session, feed_id: str, keys: Iterable[str]
) -> dict[str, tuple[int, str | None]]:
    """For the ``keys`` already stored for ``feed_id``: (article id, entry hash)."""
    keys = list(keys)
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.execute(
            select(
                ArticleSourceRow.entry_key, ArticleSourceRow.article_id, ArticleSourceRow.entry_hash
            ).where(ArticleSourceRow.feed_id == feed_id, ArticleSourceRow.entry_key.in_(chunk))
        )
        for key, article_id, entry_hash in rows:
            found[key] = (article_id, entry_hash)
    return found


_UPDATABLE = (
    "title",
    "text",
    "summary",
    "text_source",
    "is_teaser",
    "content_hash",
    "language",
    "author",
    "site_name",
    "published_feed",
    "published_extracted",
    "pending_text",
)


def _apply(row: ArticleRow, article: Article) -> bool:
    """Copy ``article``'s content onto ``row``; True when the text changed."""
    changed = row.content_hash != article.content_hash
    title = row.title
    for name in _UPDATABLE:
        setattr(row, name, getattr(article, name))
    if not article.title and title:  # a page without a title never erases the feed's
        row.title = title
    if not article.pending_text:
        row.next_page_attempt_at = None
        row.page_error = None
    return changed


def update_article(session: Session, article_id: int, article: Article, entry: FeedEntry) -> bool:
    """Apply an updated entry to its stored article (identity and fetch time are kept).

    Returns:
        True when the article's text changed (its content hash is new).
    """
    row = session.get(ArticleRow, article_id)
    if row is None:
        raise StoreError(f"article {article_id} vanished while being updated", url=article.url)
    changed = _apply(row, article)
    session.execute(
        update(ArticleSourceRow)
        .where(
            ArticleSourceRow.feed_id == entry.feed_id,
            ArticleSourceRow.entry_key == entry.dedupe_key,
        )
        .values(title=entry.title, entry_hash=entry_fingerprint(entry), published=entry.published)
    )
    return changed


def fill_pending(session: Session, article_id: int, article: Article) -> bool:
    """Give a ``pending_text`` article the text that has now arrived.

    Its sources are left as they are (what the feed said has not changed). Nothing happens
    when the stored article is not pending or ``article`` has no text either.

    Returns:
        True when the stored article received its text.
    """
    row = session.get(ArticleRow, article_id)
    if row is None or not row.pending_text or article.pending_text:
        return False
    _apply(row, article)
    return True


def record_page_attempt(
    session: Session, article_id: int, *, error: str, next_attempt_at: datetime | None
) -> None:
    """Note a failed page fetch of a pending article and when to try again (None: never)."""
    session.execute(
        update(ArticleRow)
        .where(ArticleRow.id == article_id)
        .values(
            page_attempts=ArticleRow.page_attempts + 1,
            page_error=error[:2000],
            next_page_attempt_at=next_attempt_at,
        )
    )


def due_pending(session: Session, now: datetime, limit: int) -> list[PendingPage]:
    """Pending articles whose page is due for another try, the longest waiting first."""
    rows = session.execute(
        select(
            ArticleRow.id,
            ArticleRow.url,
            ArticleRow.title,
            ArticleRow.page_attempts,
            ArticleSourceRow.feed_id,
            ArticleSourceRow.entry_key,
            ArticleSourceRow.guid,
            ArticleRow.canonical_url,
            ArticleRow.published_feed,
            ArticleRow.language,
            ArticleRow.author,
        )
        .join(ArticleSourceRow, ArticleSourceRow.article_id == ArticleRow.id)
        .where(
            ArticleRow.pending_text.is_(True),
            ArticleRow.next_page_attempt_at.is_not(None),
            ArticleRow.next_page_attempt_at <= now,
            ArticleRow.url.is_not(None),
        )
        .order_by(ArticleRow.next_page_attempt_at, ArticleRow.id, ArticleSourceRow.id)
    )
    found: dict[int, PendingPage] = {}
    for row in rows:
        if row.id in found:
            continue
        found[row.id] = PendingPage(
            article_id=row.id,
            attempts=row.page_attempts,
            entry=FeedEntry(
                feed_id=row.feed_id,
                dedupe_key=row.entry_key,
                guid=row.guid,
                url=row.url,
                canonical_url=row.canonical_url,
                title=row.title,
                summary="",
                content="",
                author=row.author,
                published=row.published_feed,
                updated=None,
                language=row.language,
            ),
        )
        if len(found) >= limit:
            break
    return list(found.values())


def pending_counts(session: Session) -> dict[str, int]:
    """Per feed id: how many of its entries are stored without text (``pending_text``)."""
    rows = session.execute(
        select(ArticleSourceRow.feed_id, func.count(func.distinct(ArticleRow.id)))
        .join(ArticleRow, ArticleRow.id == ArticleSourceRow.article_id)
        .where(ArticleRow.pending_text.is_(True))
        .group_by(ArticleSourceRow.feed_id)
    )
    return {feed_id: int(n) for feed_id, n in rows}


def article_counts(session: Session) -> dict[str, int]:
    """Per feed id: how many articles it carried (pending ones included)."""
    rows = session.execute(
        select(
            ArticleSourceRow.feed_id, func.count(func.distinct(ArticleSourceRow.article_id))
        ).group_by(ArticleSourceRow.feed_id)
    )
    return {feed_id: int(n) for feed_id, n in rows}


def article_id_for_key(session: Session, key: str) -> int | None:
    """The id of the article stored under ``key``, if any."""
    return session.scalar(select(ArticleRow.id).where(ArticleRow.key == key))


def _distinct_entry(session: Session, article: Article, entry: FeedEntry) -> Article:
    """``article`` under its own key when another entry of the same feed owns its URL.

    Two entries of one feed with different GUIDs are different entries even when their
    links are the same page (a feed linking every item to its home page): the second gets
    the key ``<feed_id>:<dedupe_key>`` and no canonical URL to merge on. Entries of other
    feeds, and GUID-less entries, still merge by canonical URL.
    """
    if not entry.guid or article.canonical_url is None or article.key != article.canonical_url:
        return article
    owners = session.scalars(
        select(ArticleSourceRow.guid)
        .join(ArticleRow, ArticleRow.id == ArticleSourceRow.article_id)
        .where(ArticleRow.key == article.key, ArticleSourceRow.feed_id == entry.feed_id)
    ).all()
    if not any(guid and guid != entry.guid for guid in owners):
        return article
    return dataclasses.replace(
        article, key=f"{entry.feed_id}:{entry.dedupe_key}", canonical_url=None
    )


def insert_article(
    session: Session,
    article: Article,
    entry: FeedEntry,
    *,
    next_page_attempt_at: datetime | None = None,
) -> tuple[int, bool, bool]:
    """Store ``article`` (once, by key) and link ``entry`` as one of its sources.

    The same canonical URL from two feeds is one article; two entries of one feed with
    different GUIDs stay two articles even when they link the same page.

    Args:
        session: the open transaction.
        article: the article built for ``entry``.
        entry: the feed entry.
        next_page_attempt_at: for a ``pending_text`` article, when to retry its page
            (None: never, e.g. pages are not fetched).

    Returns:
        (article id, article newly created, source newly linked).
    """
    article = _distinct_entry(session, article, entry)
    values: dict[str, Any] = {f.name: getattr(article, f.name) for f in dataclasses.fields(article)}
    if article.pending_text:
        values["next_page_attempt_at"] = next_page_attempt_at
    result = session.execute(
        _insert(session, ArticleRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(ArticleRow.id)
    )
    row = result.first()
    created = row is not None
    article_id = row[0] if row is not None else article_id_for_key(session, article.key)
    if article_id is None:
        raise StoreError(f"article {article.key!r} vanished while being stored", url=article.url)
    linked = session.execute(
        _insert(session, ArticleSourceRow)
        .values(
            article_id=article_id,
            feed_id=entry.feed_id,
            entry_key=entry.dedupe_key,
            guid=entry.guid,
            url=entry.url,
            title=entry.title,
            published=entry.published,
            seen_at=article.fetched_at,
            entry_hash=entry_fingerprint(entry),
        )
        .on_conflict_do_nothing(index_elements=["feed_id", "entry_key"])
        .returning(ArticleSourceRow.id)
    )
    return article_id, created, linked.first() is not None


def store_classification(
    session: Session, article_id: int, classifier: str, version: str, content_hash: str, result: Any
) -> bool:
    """Store one classifier result; returns False when that exact version was stored before."""
    inserted = session.execute(
        _insert(session, ClassificationRow)
        .values(
            article_id=article_id,
            classifier=classifier,
            version=version,
            content_hash=content_hash,
            result=result,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=["article_id", "classifier", "version", "content_hash"]
        )
        .returning(ClassificationRow.id)
    )
    return inserted.first() is not None


def update_feeds(session: Session, changes: Sequence[dict[str, Any]]) -> None:
    """Apply many feed-state changes in one statement batch (each dict holds ``id``)."""
    if not changes:
        return
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(change)), []).append(change)
    for columns, rows in by_columns.items():
        params = [{("b_" + k): v for k, v in row.items()} for row in rows]
        stmt = (
            update(FeedRow)
            .where(FeedRow.id == bindparam("b_id"))
            .values({c: bindparam("b_" + c) for c in columns if c != "id"})
        )
        session.connection().execute(stmt, params)


def count_rows(session: Session, model: Any) -> int:
    """How many rows ``model``'s table holds."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- stories and summaries ---------------------------------------------------------------


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


# --- reviews -----------------------------------------------------------------------------


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
