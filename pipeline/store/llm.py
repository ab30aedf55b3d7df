"""The paraphraser's aggregate: tokens spent per day (``llm_usage``) and answers that
failed for given inputs (``llm_failures``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.records import LLMFailure
from pipeline.store.engine import dialect_insert
from pipeline.store.models import LLMFailureRow, LLMUsageRow, utcnow

__all__ = ["llm_failure", "record_llm_failure", "record_usage", "tokens_used"]


def tokens_used(session: Session, day: str) -> int:
    """Tokens the paraphraser spent on ``day`` (YYYY-MM-DD)."""
    return int(session.scalar(select(LLMUsageRow.tokens).where(LLMUsageRow.day == day)) or 0)


def record_usage(session: Session, day: str, tokens: int) -> None:
    """Add one call and its ``tokens`` to ``day``'s usage (safe under concurrent runs)."""
    session.execute(
        dialect_insert(session, LLMUsageRow)
        .values(day=day, tokens=0, calls=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["day"])
    )
    session.execute(
        update(LLMUsageRow)
        .where(LLMUsageRow.day == day)
        .values(
            tokens=LLMUsageRow.tokens + tokens, calls=LLMUsageRow.calls + 1, updated_at=utcnow()
        )
    )


def llm_failure(
    session: Session, story_id: int, content_hash: str, model: str
) -> LLMFailure | None:
    """The failure recorded for these inputs and model, or None."""
    row = session.scalar(
        select(LLMFailureRow).where(
            LLMFailureRow.story_id == story_id,
            LLMFailureRow.content_hash == content_hash,
            LLMFailureRow.model == model,
        )
    )
    if row is None:
        return None
    return LLMFailure(row.story_id, row.content_hash, row.model, row.reason, row.detail)


def record_llm_failure(session: Session, failure: LLMFailure) -> None:
    """Remember a failed paraphrase (once per inputs and model; the detail is cut at 500)."""
    session.execute(
        dialect_insert(session, LLMFailureRow)
        .values(
            story_id=failure.story_id,
            content_hash=failure.content_hash,
            model=failure.model,
            reason=failure.reason,
            detail=failure.detail[:500],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["story_id", "content_hash", "model"])
    )
