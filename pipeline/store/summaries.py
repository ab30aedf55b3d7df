"""The summaries aggregate: one stored summary per story, input hash, method and model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.records import Summary, SummarySection
from pipeline.store.engine import dialect_insert
from pipeline.store.models import SummaryRow, utcnow

__all__ = ["latest_summary", "store_summary", "stored_summary"]


def _summary(row: SummaryRow) -> Summary:
    return Summary(
        at_a_glance=row.at_a_glance,
        sections=tuple(SummarySection(s["heading"], s["text"]) for s in row.sections or ()),
        method=row.method,  # type: ignore[arg-type]
        model=row.model or None,
        generator=row.generator,
        ngram_overlap=row.ngram_overlap,
        unsupported=tuple(row.unsupported or ()),
        content_hash=row.content_hash,
        story_id=row.story_id,
        created_at=row.created_at,
    )


def stored_summary(
    session: Session, story_id: int, content_hash: str, method: str, model: str = ""
) -> Summary | None:
    """The summary stored for these exact inputs (``model`` is "" for extractive), or None."""
    row = session.scalar(
        select(SummaryRow).where(
            SummaryRow.story_id == story_id,
            SummaryRow.content_hash == content_hash,
            SummaryRow.method == method,
            SummaryRow.model == model,
        )
    )
    return _summary(row) if row is not None else None


def store_summary(
    session: Session, story_id: int, summary: Summary, *, now: datetime | None = None
) -> Summary:
    """Store ``summary`` under its ``content_hash`` (once: a stored one is kept).

    Returns:
        The stored summary, with its story id and creation time.
    """
    session.execute(
        dialect_insert(session, SummaryRow)
        .values(
            story_id=story_id,
            method=summary.method,
            model=summary.model or "",
            content_hash=summary.content_hash,
            at_a_glance=summary.at_a_glance,
            sections=[{"heading": s.heading, "text": s.text} for s in summary.sections],
            ngram_overlap=summary.ngram_overlap,
            unsupported=list(summary.unsupported),
            generator=summary.generator,
            created_at=now or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["story_id", "content_hash", "method", "model"])
    )
    stored = stored_summary(
        session, story_id, summary.content_hash, summary.method, summary.model or ""
    )
    assert stored is not None
    return stored


def latest_summary(session: Session, story_id: int) -> Summary | None:
    """The most recently stored summary of a story, whatever its inputs (None: none yet)."""
    row = session.scalar(
        select(SummaryRow)
        .where(SummaryRow.story_id == story_id)
        .order_by(SummaryRow.created_at.desc(), SummaryRow.id.desc())
        .limit(1)
    )
    return _summary(row) if row is not None else None
