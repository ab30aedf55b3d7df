"""The articles aggregate: articles, the feed entries that carried them, pending pages.

Every write is idempotent: unique keys plus ``INSERT … ON CONFLICT DO NOTHING`` mean that
re-running a stage on the same input changes nothing, and two concurrent cycles never
duplicate an entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from pipeline.errors import StoreError
from pipeline.records import (
    Article,
    FeedEntry,
    PendingPage,
    StoredArticle,
    StoredEntry,
    StoreTotals,
)
from pipeline.store.engine import (
    Store,
    count_rows,
    in_chunks,
    prepared_insert,
)
from pipeline.store.models import (
    ArticleRow,
    ArticleSourceRow,
    ClassificationRow,
    StoryArticleRow,
)

__all__ = [
    "article_counts",
    "article_id_for_key",
    "article_ids_fetched_between",
    "article_ids_unassigned_between",
    "due_pending",
    "entry_fingerprint",
    "fill_pending",
    "has_article",
    "insert_article",
    "known_article_keys",
    "known_entries",
    "pending_by_feed",
    "pending_counts",
    "pending_pages_due",
    "record_page_attempt",
    "settle_pending_page",
    "store_entry",
    "store_entry_update",
    "store_totals",
    "stored_article",
    "stored_articles",
    "stored_entries",
    "update_article",
]


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
    for chunk in in_chunks(keys):
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
    return dataclasses.replace(article, key=entry.own_key, canonical_url=None)


def _new_article(insert: Any, table: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)


def _new_source(insert: Any, table: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=["feed_id", "entry_key"]).returning(
        table.c.id
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
    result = session.execute(prepared_insert(session, ArticleRow, _new_article), values)
    row = result.first()
    created = row is not None
    article_id = row[0] if row is not None else article_id_for_key(session, article.key)
    if article_id is None:
        raise StoreError(f"article {article.key!r} vanished while being stored", url=article.url)
    linked = session.execute(
        prepared_insert(session, ArticleSourceRow, _new_source),
        {
            "article_id": article_id,
            "feed_id": entry.feed_id,
            "entry_key": entry.dedupe_key,
            "guid": entry.guid,
            "url": entry.url,
            "title": entry.title,
            "published": entry.published,
            "seen_at": article.fetched_at,
            "entry_hash": entry_fingerprint(entry),
        },
    )
    return article_id, created, linked.first() is not None


# --- one transaction each: what the ingest cycle calls -----------------------------------


def known_entries(
    store: Store, feed_id: str, keys: Iterable[str]
) -> dict[str, tuple[int, str | None]]:
    """:func:`stored_entries` in its own transaction."""
    with store.session() as session:
        return stored_entries(session, feed_id, keys)


def has_article(store: Store, key: str) -> bool:
    """True when an article is stored under ``key``."""
    with store.session() as session:
        return article_id_for_key(session, key) is not None


def known_article_keys(store: Store, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` an article is stored under."""
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    with store.session() as session:
        for chunk in in_chunks(keys):
            found.update(session.scalars(select(ArticleRow.key).where(ArticleRow.key.in_(chunk))))
    return found


def store_entry(
    store: Store,
    article: Article,
    entry: FeedEntry,
    *,
    next_page_attempt_at: datetime | None = None,
    page_error: str | None = None,
) -> StoredEntry:
    """Store a new entry's article and link the entry, in one transaction.

    A newly created ``pending_text`` article whose page failed (``page_error``) has the
    failed attempt recorded; an article that existed without text receives this one's text
    (:func:`fill_pending`). A transient database fault (a lock held by another writer)
    runs the whole transaction again (:meth:`Store.transact`).

    Raises:
        DatabaseFault: the database failed and the entry was not stored.
    """

    def body(session: Session) -> StoredEntry:
        article_id, created, linked = insert_article(
            session, article, entry, next_page_attempt_at=next_page_attempt_at
        )
        filled = False
        if created:
            if article.pending_text and page_error is not None:
                record_page_attempt(
                    session, article_id, error=page_error, next_attempt_at=next_page_attempt_at
                )
        else:
            filled = fill_pending(session, article_id, article)
        return StoredEntry(article_id, created, linked, filled)

    return store.transact(body)


def store_entry_update(store: Store, article_id: int, article: Article, entry: FeedEntry) -> bool:
    """:func:`update_article` in its own transaction (retried like :func:`store_entry`);
    True when the text changed."""
    return store.transact(lambda session: update_article(session, article_id, article, entry))


def pending_pages_due(store: Store, now: datetime, limit: int) -> list[PendingPage]:
    """:func:`due_pending` in its own transaction."""
    with store.session() as session:
        return due_pending(session, now, limit)


def settle_pending_page(
    store: Store,
    article_id: int,
    article: Article | None,
    *,
    error: str,
    next_attempt_at: datetime | None,
) -> bool:
    """Give a pending article its text, or record one more failed page attempt.

    Args:
        store: the open database.
        article_id: the pending article.
        article: the article built from its page now fetched (None: the page failed).
        error: why the page gave no text (recorded when it is not filled).
        next_attempt_at: when to try again (None: never).

    Returns:
        True when the article received its text.

    Raises:
        DatabaseFault: the database failed (transient faults are retried first).
    """

    def body(session: Session) -> bool:
        if article is not None and fill_pending(session, article_id, article):
            return True
        record_page_attempt(session, article_id, error=error, next_attempt_at=next_attempt_at)
        return False

    return store.transact(body)


def pending_by_feed(store: Store) -> dict[str, int]:
    """:func:`pending_counts` in its own transaction."""
    with store.session() as session:
        return pending_counts(session)


def store_totals(store: Store) -> StoreTotals:
    """How many articles, article sources and classifier results the database holds."""
    with store.session() as session:
        return StoreTotals(
            articles=count_rows(session, ArticleRow),
            sources=count_rows(session, ArticleSourceRow),
            classifications=count_rows(session, ClassificationRow),
        )


# --- reads of the publish side ------------------------------------------------------------


def stored_article(row: ArticleRow) -> StoredArticle:
    """The record of one article row (for the other modules of this package)."""
    return StoredArticle(
        id=row.id,
        url=row.url,
        canonical_url=row.canonical_url,
        title=row.title,
        text=row.text,
        content_hash=row.content_hash,
        is_teaser=row.is_teaser,
        pending_text=row.pending_text,
        language=row.language,
        site_name=row.site_name,
        published_feed=row.published_feed,
        published_extracted=row.published_extracted,
        fetched_at=row.fetched_at,
    )


def stored_articles(session: Session, article_ids: Iterable[int]) -> dict[int, StoredArticle]:
    """The stored articles among ``article_ids``, by id (unknown ids are left out)."""
    ids = list(dict.fromkeys(article_ids))
    found: dict[int, StoredArticle] = {}
    for chunk in in_chunks(ids):
        for row in session.scalars(select(ArticleRow).where(ArticleRow.id.in_(chunk))):
            found[row.id] = stored_article(row)
    return found


def article_ids_fetched_between(session: Session, start: datetime, end: datetime) -> list[int]:
    """Ids of the articles fetched in ``[start, end)`` (aware datetimes), ascending."""
    return list(
        session.scalars(
            select(ArticleRow.id)
            .where(ArticleRow.fetched_at >= start, ArticleRow.fetched_at < end)
            .order_by(ArticleRow.id)
        )
    )


def article_ids_unassigned_between(session: Session, start: datetime, end: datetime) -> list[int]:
    """Ids of the articles without a story yet that were published (by the feed, else the
    page) or fetched in ``[start, end)`` (aware datetimes), ascending.

    A superset of the articles a story assignment would date in the window: one whose
    published date lies in the future of its fetch is dated by the fetch, so both are asked.
    """
    published = func.coalesce(ArticleRow.published_feed, ArticleRow.published_extracted)
    return list(
        session.scalars(
            select(ArticleRow.id)
            .outerjoin(StoryArticleRow, StoryArticleRow.article_id == ArticleRow.id)
            .where(
                StoryArticleRow.id.is_(None),
                or_(
                    and_(published >= start, published < end),
                    and_(ArticleRow.fetched_at >= start, ArticleRow.fetched_at < end),
                ),
            )
            .order_by(ArticleRow.id)
        )
    )
