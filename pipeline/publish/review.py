"""Human review of digest items: an append-only audit trail in the ``reviews`` table.

Only an approval by a named editor (a person or organisation holding editorial
responsibility) switches an item to the reviewed form (``ai-assisted``, Article 50(4)
exemption claimed). A later rejection reverts it. Every review is kept; the newest decides.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import ConfigError, EditorRequired, NotFound
from pipeline.store import ReviewRow, Store, StoryRow, utcnow

__all__ = [
    "ReviewRecord",
    "item_id_for_story",
    "latest_review",
    "latest_reviews",
    "record_review",
    "review_history",
    "story_id_for_item",
    "summary_fingerprint",
]

_ITEM_ID = re.compile(r"s-([1-9]\d{0,17})")
# Story ids are 32-bit integer columns; a larger id is well formed but cannot exist, and
# PostgreSQL refuses to compare it with the column.
_MAX_STORY_ID = 2**31 - 1


@dataclasses.dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One recorded review of a digest item."""

    id: int
    item_id: str
    approve: bool
    editor: str
    note: str | None
    reviewed_at: datetime
    summary_hash: str | None = None

    def to_json(self) -> dict[str, object]:
        """The ``lumi review --json`` shape."""
        return {
            "id": self.id,
            "item_id": self.item_id,
            "approve": self.approve,
            "editor": self.editor,
            "note": self.note,
            "reviewed_at": self.reviewed_at.isoformat(),
            "summary_hash": self.summary_hash,
        }

    def covers(self, summary: Any) -> bool:
        """True when this review was given on ``summary``'s exact text (or predates
        summary tracking); a review never carries over to a changed summary."""
        return self.summary_hash is None or self.summary_hash == summary_fingerprint(summary)


def summary_fingerprint(summary: Any) -> str:
    """A hash of what a reviewer reads: method, model, at-a-glance and sections."""
    data = {"method": summary.method, "model": summary.model or "", **summary.to_json()}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def item_id_for_story(story_id: int) -> str:
    """The digest item id of a story (what the JSON digest prints as ``id``)."""
    return f"s-{story_id}"


def story_id_for_item(item_id: str) -> int:
    """The story id inside a digest item id.

    Raises:
        ConfigError: ``item_id`` is not of the form ``s-<positive number>`` (a usage error,
            unlike a well-formed id of a story that does not exist).
    """
    match = _ITEM_ID.fullmatch(item_id.strip())
    if match is None:
        raise ConfigError(
            f"{item_id!r} is not a digest item id: use the 'id' the JSON digest prints, "
            "such as s-42 (lumi digest --format json)"
        )
    return int(match.group(1))


def _record(row: ReviewRow) -> ReviewRecord:
    return ReviewRecord(
        row.id, row.item_id, row.approve, row.editor, row.note, row.reviewed_at, row.summary_hash
    )


def record_review(
    store: Store,
    item_id: str,
    *,
    approve: bool,
    editor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> ReviewRecord:
    """Record one human review of a digest item (never changes earlier reviews).

    Args:
        store: the open database.
        item_id: the item's id as the JSON digest prints it (``s-<story id>``).
        approve: True approves the item (reviewed form), False rejects it (the item shows
            the unreviewed label again).
        editor: the person or organisation that reviewed the item and holds editorial
            responsibility for its publication.
        note: optional remark kept in the audit trail and in the JSON disclosure.
        at: when the review happened (aware datetime; default now).

    Raises:
        EditorRequired: ``editor`` is empty or only whitespace.
        ConfigError: ``item_id`` is not of the form ``s-<positive number>``.
        NotFound: no story has that id.
    """
    name = " ".join((editor or "").split())
    if not name:
        raise EditorRequired(
            "a review needs the name of the person or organisation holding editorial "
            "responsibility: pass --editor NAME (Article 50(4) EU AI Act)"
        )
    story_id = story_id_for_item(item_id)
    clean_note = note.strip() or None if note else None
    with store.session() as session:
        if story_id > _MAX_STORY_ID or session.get(StoryRow, story_id) is None:
            raise NotFound(
                f"no digest item {item_id!r}: story {story_id} does not exist; "
                "take the id from the digest (lumi digest --format json)"
            )
        from pipeline.publish.summarise import load_summary

        summary = load_summary(session, story_id)
        row = ReviewRow(
            summary_hash=summary_fingerprint(summary) if summary is not None else None,
            item_id=item_id_for_story(story_id),
            story_id=story_id,
            approve=approve,
            editor=name,
            note=clean_note,
            reviewed_at=at or utcnow(),
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


def latest_reviews(session: Session, item_ids: list[str]) -> dict[str, ReviewRecord]:
    """The newest review of each of ``item_ids`` that has one (one query per 500 ids)."""
    found: dict[str, ReviewRecord] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
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
