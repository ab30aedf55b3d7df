"""Human review of digest items: an append-only audit trail in the ``reviews`` table.

Only an approval by a named editor (a person or organisation holding editorial
responsibility) switches an item to the reviewed form (``ai-assisted``, Article 50(4)
exemption claimed). A later rejection reverts it. Every review is kept; the newest decides.
"""

from __future__ import annotations

import re
from datetime import datetime

from pipeline.errors import ConfigError, EditorRequired, NotFound
from pipeline.records import ReviewRecord, summary_fingerprint
from pipeline.store import Store, add_review, latest_summary, story_exists, utcnow

__all__ = [
    "ReviewRecord",
    "item_id_for_story",
    "record_review",
    "story_id_for_item",
    "summary_fingerprint",
]

_ITEM_ID = re.compile(r"s-([1-9]\d{0,17})")


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
        if not story_exists(session, story_id):
            raise NotFound(
                f"no digest item {item_id!r}: story {story_id} does not exist; "
                "take the id from the digest (lumi digest --format json)"
            )
        summary = latest_summary(session, story_id)
        return add_review(
            session,
            item_id=item_id_for_story(story_id),
            story_id=story_id,
            approve=approve,
            editor=name,
            note=clean_note,
            reviewed_at=at or utcnow(),
            summary_hash=summary_fingerprint(summary) if summary is not None else None,
        )
