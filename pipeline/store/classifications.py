"""The classifications aggregate: one stored result per article, classifier, version and
content hash.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pipeline.store.engine import (
    dialect_insert,
)
from pipeline.store.models import (
    ClassificationRow,
    utcnow,
)

__all__ = ["store_classification"]


def store_classification(
    session: Session, article_id: int, classifier: str, version: str, content_hash: str, result: Any
) -> bool:
    """Store one classifier result; returns False when that exact version was stored before."""
    inserted = session.execute(
        dialect_insert(session, ClassificationRow)
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
