"""The Article 50 labeller: only a recorded review by a named editor claims the exemption."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline import __version__
from pipeline.publish.label import (
    IPTC_SCHEME,
    closing_for,
    disclosure_for,
    generator_version,
    labelled_summary,
)
from pipeline.publish.render.i18n import TEXT
from pipeline.publish.review import ReviewRecord
from pipeline.records import Disclosure
from pipeline.settings import load_settings

AT = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
SETTINGS = load_settings(env={}).replace(ai_policy_url="https://publisher.example/ai")


def review(approve: bool, editor: str) -> ReviewRecord:
    return ReviewRecord(1, "s-1", approve, editor, "sources checked", AT)


@pytest.mark.parametrize("method", ["extractive", "llm"])
def test_unreviewed_item_never_claims_the_exemption(method: str) -> None:
    d = disclosure_for(method, settings=SETTINGS, generated_at=AT)
    assert d.ai_generated is True
    assert d.exemption_applied is False
    assert d.disclosure_level == "ai-autonomous"
    assert d.human_review is None and d.editorial_responsibility is None
    assert d.label_text.startswith("AI-generated summary — not reviewed by an editor.")
    assert "pursuant to Article 50 EU AI Act" in d.label_text
    assert "Summary and classification by Lumi News Pipeline v" in d.label_text
    assert d.policy_url == "https://publisher.example/ai"


@pytest.mark.parametrize(
    "given", [review(False, "Jane Doe"), review(True, ""), review(True, "  \t ")]
)
def test_rejection_or_nameless_approval_does_not_claim_the_exemption(
    given: ReviewRecord,
) -> None:
    d = disclosure_for("extractive", review=given, settings=SETTINGS, generated_at=AT)
    assert (d.exemption_applied, d.disclosure_level, d.human_review) == (
        False,
        "ai-autonomous",
        None,
    )


def test_approval_with_named_editor_switches_to_ai_assisted_with_exemption() -> None:
    d = disclosure_for(
        "llm",
        review=review(True, " Jane  Doe "),
        settings=SETTINGS,
        generated_at=AT,
        model="small-model",
    )
    assert d.disclosure_level == "ai-assisted"
    assert d.exemption_applied is True
    assert d.editorial_responsibility == "Jane Doe"
    assert d.human_review is not None and d.human_review.reviewer == "Jane Doe"
    assert d.label_text.startswith("AI-assisted, reviewed by Jane Doe.")
    assert "Article 50(4)" in d.legal_basis and "Jane Doe" in d.legal_basis
    payload = d.to_json()
    assert payload["human_review"] == {
        "reviewer": "Jane Doe",
        "reviewed_at": "2026-05-04T12:00:00+00:00",
        "note": "sources checked",
    }
    assert payload["generator"] == {"name": "Lumi News Pipeline", "version": generator_version()}
    assert d.closing_text == (
        "Lumi AI News — AI-assisted curation pursuant to Article 50 EU AI Act. "
        f"Paraphrase and classification by Lumi News Pipeline {generator_version()}."
    )


def test_iptc_source_type_and_schema_org_member_per_summary_method() -> None:
    extractive = disclosure_for("extractive", settings=SETTINGS, generated_at=AT)
    llm = disclosure_for("llm", settings=SETTINGS, generated_at=AT, model="m")
    assert extractive.digital_source_type == IPTC_SCHEME + "compositeWithTrainedAlgorithmicMedia"
    assert llm.digital_source_type == IPTC_SCHEME + "trainedAlgorithmicMedia"
    assert extractive.schema_org_source_type == (
        "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    )
    assert llm.schema_org_source_type == "https://schema.org/TrainedAlgorithmicMediaDigitalSource"
    assert "paraphrase" in llm.operations and "paraphrase" not in extractive.operations
    assert extractive.model is None and llm.model == "m"


def test_german_labels() -> None:
    german = SETTINGS.replace(language="de")
    plain = disclosure_for("extractive", settings=german, generated_at=AT)
    reviewed = disclosure_for(
        "extractive", review=review(True, "Redaktion Nord"), settings=german, generated_at=AT
    )
    assert plain.label_text.startswith("KI-generierte Zusammenfassung — nicht redaktionell")
    assert "gemäß Artikel 50" in plain.label_text
    assert reviewed.label_text.startswith("KI-gestützt, redaktionell geprüft von Redaktion Nord.")
    assert "Verordnung (EU) 2024/1689" in reviewed.legal_basis


def test_labelled_summary_puts_the_label_before_the_text_in_the_digest_language() -> None:
    plain = disclosure_for("extractive", settings=SETTINGS, generated_at=AT)
    assert labelled_summary(plain, " Mistral moved Devstral. ") == (
        plain.label_text + " At a glance: Mistral moved Devstral."
    )
    reviewed = disclosure_for(
        "llm",
        review=review(True, "Jane Doe"),
        settings=SETTINGS.replace(language="de"),
        generated_at=AT,
    )
    labelled = labelled_summary(reviewed, "Mistral hat Devstral umgestellt.")
    assert labelled.startswith("KI-gestützt, redaktionell geprüft von Jane Doe.")
    assert labelled.endswith(" Auf einen Blick: Mistral hat Devstral umgestellt.")
    # a title-only item has no AI text: the label alone, never an empty summary
    assert labelled_summary(plain, "  ") == plain.label_text


def test_every_language_table_has_the_same_keys() -> None:
    keys = {lang: set(table) for lang, table in TEXT.items()}
    assert keys["de"] == keys["en"]


def test_unknown_summary_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown summary method"):
        disclosure_for("handwritten", settings=SETTINGS, generated_at=AT)


def test_disclosure_is_a_frozen_record() -> None:
    d = disclosure_for("extractive", settings=SETTINGS, generated_at=AT)
    assert isinstance(d, Disclosure)
    with pytest.raises(AttributeError):
        d.exemption_applied = True  # type: ignore[misc]


def test_closing_line_is_the_publishers_wording_and_ai_generated_until_reviewed() -> None:
    d = disclosure_for("llm", settings=SETTINGS, generated_at=AT, model="m")
    assert d.closing_text == (
        "Lumi AI News — AI-generated curation pursuant to Article 50 EU AI Act. "
        f"Paraphrase and classification by Lumi News Pipeline v{__version__}."
    )
    assert d.to_json()["closing_text"] == d.closing_text


def test_closing_line_has_the_publishers_wording_for_every_summary_method() -> None:
    for method in ("extractive", "llm"):
        d = disclosure_for(method, settings=SETTINGS, generated_at=AT)
        assert d.closing_text == (
            "Lumi AI News — AI-generated curation pursuant to Article 50 EU AI Act. "
            f"Paraphrase and classification by Lumi News Pipeline v{__version__}."
        )


def test_publication_and_generator_names_come_from_the_settings() -> None:
    named = SETTINGS.replace(publication_name="Desk Briefing", generator_name="Newsroom Bot")
    d = disclosure_for("llm", settings=named, generated_at=AT, model="m")
    assert d.closing_text.startswith("Desk Briefing — AI-generated curation")
    assert d.closing_text.endswith(f"by Newsroom Bot v{__version__}.")
    assert f"Newsroom Bot v{__version__}." in d.label_text
    assert (d.generator_name, d.generator_version) == ("Newsroom Bot", f"v{__version__}")


def test_german_closing_line() -> None:
    line = closing_for(
        language="de",
        publication="Lumi AI News",
        reviewed=False,
        summary_method="llm",
        version="1.7.2",
    )
    assert line == (
        "Lumi AI News — KI-generierte Kuratierung gemäß Artikel 50 der KI-Verordnung (EU). "
        "Paraphrase und Klassifizierung durch Lumi News Pipeline v1.7.2."
    )


def test_generator_version_is_written_with_one_v() -> None:
    assert generator_version("1.7.2") == "v1.7.2"
    assert generator_version("v1.7.2") == "v1.7.2"
