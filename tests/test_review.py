"""Human review: named editors only, unknown ids refused, every review kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_digest import DAY, body, seed_article, settings_for

from pipeline.errors import ConfigError, EditorRequired, NotFound
from pipeline.publish.digest import build_digest, prepare_day
from pipeline.publish.review import record_review
from pipeline.store import ReviewRow, Store, count_rows, latest_review, review_history

T0 = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)


def _one_item(store: Store) -> str:
    seed_article(store, 1, title="Devstral switches to Apache 2.0", text=body(1))
    prepare_day(store, DAY, settings_for())
    (item,) = build_digest(store, DAY, settings_for()).items
    return item.id


@pytest.mark.parametrize("editor", ["", "   ", "\t\n"])
def test_approval_without_an_editor_is_refused_and_not_stored(store: Store, editor: str) -> None:
    item_id = _one_item(store)
    with pytest.raises(EditorRequired, match="editorial responsibility") as caught:
        record_review(store, item_id, approve=True, editor=editor)
    assert isinstance(caught.value, ConfigError)  # the CLI exits with code 2
    with store.session() as session:
        assert count_rows(session, ReviewRow) == 0


@pytest.mark.parametrize("item_id", ["s-999", "s-123456789012345678"])
def test_unknown_item_id_is_not_found_with_a_hint(store: Store, item_id: str) -> None:
    _one_item(store)
    with pytest.raises(NotFound, match="lumi digest --format json"):
        record_review(store, item_id, approve=True, editor="Jane Doe")


@pytest.mark.parametrize("item_id", ["42", "story-1", "s-1; drop table", "s-0", "s--1", "s-"])
def test_malformed_item_id_is_a_usage_error_and_records_nothing(store: Store, item_id: str) -> None:
    _one_item(store)
    with pytest.raises(ConfigError, match="not a digest item id") as caught:
        record_review(store, item_id, approve=True, editor="Jane Doe")
    assert not isinstance(caught.value, NotFound)
    with store.session() as session:
        assert count_rows(session, ReviewRow) == 0


def test_reviews_form_an_append_only_audit_trail(store: Store) -> None:
    item_id = _one_item(store)
    record_review(store, item_id, approve=True, editor="Jane Doe", note="checked", at=T0)
    record_review(store, item_id, approve=False, editor="Max Muster", at=T0 + timedelta(hours=1))
    last = record_review(
        store, item_id, approve=True, editor="Newsroom GmbH", at=T0 + timedelta(hours=2)
    )
    with store.session() as session:
        history = review_history(session, item_id)
        latest = latest_review(session, item_id)
    assert [(r.approve, r.editor) for r in history] == [
        (True, "Jane Doe"),
        (False, "Max Muster"),
        (True, "Newsroom GmbH"),
    ]
    assert history[0].note == "checked"
    assert latest == last


def test_approval_switches_the_item_and_a_later_rejection_reverts_it(store: Store) -> None:
    item_id = _one_item(store)
    settings = settings_for()
    record_review(store, item_id, approve=True, editor="Jane Doe", at=T0)
    reviewed = build_digest(store, DAY, settings).items[0].disclosure
    assert (reviewed.disclosure_level, reviewed.exemption_applied) == ("ai-assisted", True)
    assert reviewed.editorial_responsibility == "Jane Doe"
    record_review(store, item_id, approve=False, editor="Jane Doe", at=T0 + timedelta(minutes=5))
    reverted = build_digest(store, DAY, settings).items[0].disclosure
    assert (reverted.disclosure_level, reverted.exemption_applied) == ("ai-autonomous", False)
    assert reverted.label_text.startswith("AI-generated summary — not reviewed by an editor.")
    with store.session() as session:
        assert count_rows(session, ReviewRow) == 2


def test_a_review_does_not_carry_over_to_a_changed_summary(store: Store) -> None:
    from sqlalchemy import update

    from pipeline.store import ArticleRow

    item_id = _one_item(store)
    settings = settings_for()
    record_review(store, item_id, approve=True, editor="Desk Editor", at=T0)
    assert build_digest(store, DAY, settings).items[0].disclosure.exemption_applied is True
    with store.session() as session:  # the source article is corrected after the review
        session.execute(update(ArticleRow).values(text=body(2), content_hash="hash-corrected"))
    prepare_day(store, DAY, settings)
    changed = build_digest(store, DAY, settings).items[0].disclosure
    assert (changed.disclosure_level, changed.exemption_applied) == ("ai-autonomous", False)
    assert changed.human_review is None
