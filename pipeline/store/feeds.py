"""The feeds aggregate: the registry mirrored in the database and each feed's polling state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from pipeline.records import FeedHealth, FeedSource, FeedState, RegistrySync
from pipeline.store.articles import article_counts, pending_counts
from pipeline.store.engine import (
    Store,
    dialect_insert,
)
from pipeline.store.models import (
    ArticleSourceRow,
    FeedRow,
    utcnow,
)

__all__ = [
    "article_publishers",
    "due_feeds",
    "feed_health",
    "record_polls",
    "sync_feeds",
    "sync_registry",
    "update_feeds",
]


def sync_feeds(session: Session, sources: Sequence[FeedSource]) -> RegistrySync:
    """Make the feeds table mirror the registry; polling state of known feeds is kept.

    Returns:
        What changed (nothing when the table already mirrored the registry).
    """
    existing = {row.id: row for row in session.scalars(select(FeedRow))}
    wanted = {s.id for s in sources}
    added: list[str] = []
    moved: list[str] = []
    updated: list[str] = []
    for src in sources:
        row = existing.get(src.id)
        if row is None:
            # ON CONFLICT: a concurrent cycle may register the same feed at the same moment.
            session.execute(
                dialect_insert(session, FeedRow)
                .values(
                    id=src.id,
                    url=src.url,
                    title=src.title,
                    language=src.language,
                    tags=list(src.tags),
                    poll_minutes=src.poll_minutes,
                    publisher=src.publisher,
                    in_registry=True,
                    state="new",
                    consecutive_failures=0,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            added.append(src.id)
            continue
        if row.url != src.url:  # a moved feed starts afresh: old validators don't apply
            moved.append(src.id)
            row.etag = row.last_modified = row.body_hash = None
            row.next_poll_at = None
            if row.state == "disabled":
                row.state, row.disabled_reason = "new", None
        elif (
            row.title != src.title
            or row.language != src.language
            or list(row.tags or ()) != list(src.tags)
            or row.poll_minutes != src.poll_minutes
            or row.publisher != src.publisher
            or not row.in_registry
        ):
            updated.append(src.id)
        row.url, row.title, row.language = src.url, src.title, src.language
        row.tags, row.poll_minutes, row.in_registry = list(src.tags), src.poll_minutes, True
        row.publisher = src.publisher
    removed: list[str] = []
    for feed_id, row in existing.items():
        if feed_id not in wanted:
            if row.in_registry:
                removed.append(feed_id)
            row.in_registry = False
    return RegistrySync(
        tuple(sorted(added)), tuple(sorted(moved)), tuple(sorted(updated)), tuple(sorted(removed))
    )


def article_publishers(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """The feed publisher of each article among ``article_ids`` that has one.

    An article reached through several feeds takes the publisher of its earliest source
    that names one (the lowest source id), so the answer does not change between runs.
    """
    ids = list(dict.fromkeys(article_ids))
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(ArticleSourceRow.article_id, FeedRow.publisher)
            .join(FeedRow, FeedRow.id == ArticleSourceRow.feed_id)
            .where(ArticleSourceRow.article_id.in_(ids[start : start + 500]))
            .where(FeedRow.publisher.is_not(None))
            .order_by(ArticleSourceRow.id)
        )
        for article_id, publisher in session.execute(query):
            if publisher:
                out.setdefault(article_id, publisher)
    return out


def sync_registry(store: Store, sources: Sequence[FeedSource]) -> RegistrySync:
    """:func:`sync_feeds` in its own transaction."""
    with store.session() as session:
        return sync_feeds(session, sources)


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


def record_polls(store: Store, changes: Sequence[dict[str, Any]]) -> None:
    """:func:`update_feeds` in its own transaction: a cycle's poll results, stored at once."""
    with store.session() as session:
        update_feeds(session, changes)


def _state(row: FeedRow) -> FeedState:
    return FeedState(
        id=row.id,
        url=row.url,
        poll_minutes=row.poll_minutes,
        state=row.state,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        consecutive_failures=row.consecutive_failures,
    )


def due_feeds(
    store: Store, now: datetime, *, force: bool = False, only: Sequence[str] | None = None
) -> list[FeedState]:
    """The registry feeds to poll at ``now``, by id.

    Args:
        store: the open database.
        now: the cycle's clock.
        force: every feed that is not disabled, due or not.
        only: exactly these feed ids (disabled ones included).
    """
    with store.session() as session:
        query = select(FeedRow).where(FeedRow.in_registry.is_(True))
        if only:
            query = query.where(FeedRow.id.in_(list(only)))
        else:
            query = query.where(FeedRow.state != "disabled")
            if not force:
                query = query.where(
                    or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now)
                )
        return [_state(row) for row in session.scalars(query.order_by(FeedRow.id))]


def feed_health(store: Store) -> list[FeedHealth]:
    """Every registry feed's state, last success, last error, next poll and article counts.

    Reads only: feeds of the registry not synced yet are not listed (see
    :func:`sync_registry`).
    """
    with store.session() as session:
        rows = session.scalars(
            select(FeedRow).where(FeedRow.in_registry.is_(True)).order_by(FeedRow.id)
        ).all()
        articles = article_counts(session)
        pending = pending_counts(session)
        return [
            FeedHealth(
                id=r.id,
                url=r.url,
                state=r.state,
                http_status=r.http_status,
                last_polled_at=r.last_polled_at,
                last_success_at=r.last_success_at,
                next_poll_at=r.next_poll_at,
                error_class=r.error_class,
                error_message=r.error_message,
                error_at=r.error_at,
                consecutive_failures=r.consecutive_failures,
                degraded_reason=r.degraded_reason,
                disabled_reason=r.disabled_reason,
                articles=articles.get(r.id, 0),
                pending=pending.get(r.id, 0),
            )
            for r in rows
        ]
