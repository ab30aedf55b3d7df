"""The reviews aggregate: an append-only audit trail of human reviews of digest items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.records import ReviewRecord
from pipeline.store.engine import in_chunks
from pipeline.store.models import ReviewRow, utcnow

__all__ = ["add_review", "latest_review", "latest_reviews", "review_history"]


def _record(row: ReviewRow) -> ReviewRecord:
    return ReviewRecord(
        row.id, row.item_id, row.approve, row.editor, row.note, row.reviewed_at, row.summary_hash
    )


def add_review(
    session: Session,
    *,
    item_id: str,
    story_id: int | None,
    approve: bool,
    editor: str,
    note: str | None,
    reviewed_at: datetime,
    summary_hash: str | None,
) -> ReviewRecord:
    """Append one review (earlier reviews are never changed); returns it with its id."""
    row = ReviewRow(
        summary_hash=summary_hash,
        item_id=item_id,
        story_id=story_id,
        approve=approve,
        editor=editor,
        note=note,
        reviewed_at=reviewed_at,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return _record(row)


def latest_review(session: Session, item_id: str) -> ReviewRecord | None:
    """The newest review of ``item_id`` (approval or rejection), or None."""
    row = session.scalars(
        select(ReviewRow)
        .where(ReviewRow.item_id == item_id)
        .order_by(ReviewRow.reviewed_at.desc(), ReviewRow.id.desc())
        .limit(1)
    ).first()
    return _record(row) if row is not None else None


def latest_reviews(session: Session, item_ids: Sequence[str]) -> dict[str, ReviewRecord]:
    """The newest review of each of ``item_ids`` that has one (one query per 500 ids)."""
    ids = list(item_ids)
    found: dict[str, ReviewRecord] = {}
    for chunk in in_chunks(ids):
        rows = session.scalars(
            select(ReviewRow)
            .where(ReviewRow.item_id.in_(chunk))
            .order_by(ReviewRow.reviewed_at, ReviewRow.id)
        )
        for row in rows:  # ascending: the newest row per item wins
            found[row.item_id] = _record(row)
    return found


def review_history(session: Session, item_id: str) -> list[ReviewRecord]:
    """Every review of ``item_id``, oldest first (the audit trail)."""
    rows = session.scalars(
        select(ReviewRow)
        .where(ReviewRow.item_id == item_id)
        .order_by(ReviewRow.reviewed_at, ReviewRow.id)
    )
    return [_record(row) for row in rows]
