"""The feeds aggregate: the registry mirrored in the database and each feed's polling state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Session

from pipeline.records import FeedSource
from pipeline.store.engine import (
    dialect_insert,
)
from pipeline.store.models import (
    FeedRow,
    utcnow,
)

__all__ = ["sync_feeds", "update_feeds"]


def sync_feeds(session: Session, sources: Sequence[FeedSource]) -> None:
    """Make the feeds table mirror the registry; polling state of known feeds is kept."""
    existing = {row.id: row for row in session.scalars(select(FeedRow))}
    wanted = {s.id for s in sources}
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
