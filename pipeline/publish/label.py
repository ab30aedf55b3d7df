"""The Article 50 labeller: the disclosure every AI-generated or AI-selected item carries.

Rules (design.md section 7, compliance.md):

- every item is marked: ``ai_generated`` is always true and the IPTC digital source type
  says how the text came about: ``compositeWithTrainedAlgorithmicMedia`` for an extractive
  summary (source sentences selected and assembled by the pipeline),
  ``trainedAlgorithmicMedia`` for a model-written paraphrase;
- the W3C disclosure level is ``ai-autonomous`` unless a human approved the item, then
  ``ai-assisted``;
- the Article 50(4) exemption is claimed only with a recorded human review **and** a named
  person or organisation holding editorial responsibility. Nothing automatic can claim it;
- every item ends with the publisher's closing line (``LUMI_PUBLICATION_NAME``,
  ``LUMI_GENERATOR_NAME``): "<publication> — AI-generated curation pursuant to Article 50 EU
  AI Act. Paraphrase and classification by <generator> v<version>." ("AI-assisted" only
  after a recorded review; "Summary and classification" for an extractive summary, which
  selects sentences and paraphrases nothing). The visible label, the closing line and every
  machine-readable generator field carry the same ``v<version>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pipeline import __version__
from pipeline.publish.render.i18n import summary_text, text
from pipeline.records import Disclosure, HumanReview

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = [
    "IPTC_SCHEME",
    "SOURCE_TYPES",
    "ReviewLike",
    "closing_for",
    "disclosure_for",
    "generator_version",
    "label_for",
    "labelled_summary",
]

#: The generator name when no settings are given (the ``LUMI_GENERATOR_NAME`` default).
DEFAULT_GENERATOR = "Lumi News Pipeline"


def generator_version(version: str = __version__) -> str:
    """The generator version as every disclosure shows it: ``v<version>``."""
    return version if version.startswith("v") else f"v{version}"


#: The IPTC digital source type vocabulary (an Atom category scheme).
IPTC_SCHEME = "http://cv.iptc.org/newscodes/digitalsourcetype/"

#: Summary method -> IPTC digital source type URI.
SOURCE_TYPES = {
    "extractive": IPTC_SCHEME + "compositeWithTrainedAlgorithmicMedia",
    "llm": IPTC_SCHEME + "trainedAlgorithmicMedia",
}

_OPERATIONS = {
    "extractive": ("selection", "summarisation", "classification"),
    "llm": ("selection", "summarisation", "paraphrase", "classification"),
}


class ReviewLike(Protocol):
    """What the labeller reads from a recorded review (``pipeline.publish.review.ReviewRecord``)."""

    @property
    def approve(self) -> bool: ...

    @property
    def editor(self) -> str: ...

    @property
    def note(self) -> str | None: ...

    @property
    def reviewed_at(self) -> datetime: ...


def label_for(
    *, language: str, editor: str | None, version: str = __version__, generator: str = ""
) -> str:
    """The visible label text: reviewed or not, the legal clause and the generator.

    Args:
        language: ``en`` or ``de``.
        editor: who reviewed and holds editorial responsibility; None when not reviewed.
        version: the generator version shown (as ``v<version>``).
        generator: the generator name (default :data:`DEFAULT_GENERATOR`).
    """
    head = (
        text(language, "label_reviewed", editor=editor)
        if editor
        else text(language, "label_unreviewed")
    )
    return " ".join(
        (
            head,
            text(language, "label_legal"),
            text(
                language,
                "label_generator",
                generator=generator or DEFAULT_GENERATOR,
                version=generator_version(version),
            ),
        )
    )


def closing_for(
    *,
    language: str,
    publication: str,
    reviewed: bool,
    summary_method: str,
    generator: str = DEFAULT_GENERATOR,
    version: str = __version__,
) -> str:
    """The closing line of an item: "<publication> — AI-generated curation pursuant to
    Article 50 EU AI Act. Paraphrase and classification by <generator> v<version>."

    Args:
        language: ``en`` or ``de``.
        publication: the publication's name (``LUMI_PUBLICATION_NAME``).
        reviewed: a recorded review by a named editor exists ("AI-assisted curation").
        summary_method: ``llm`` (a paraphrase) or ``extractive`` (selected sentences: the
            line says "Summary", not "Paraphrase").
        generator: the generator name (``LUMI_GENERATOR_NAME``).
        version: the generator version (shown as ``v<version>``).
    """
    head = text(
        language, "closing_reviewed" if reviewed else "closing_unreviewed", publication=publication
    )
    key = "closing_generator_llm" if summary_method == "llm" else "closing_generator_extractive"
    return f"{head} {text(language, key, generator=generator, version=generator_version(version))}"


def labelled_summary(disclosure: Disclosure, at_a_glance: str, *, title_only: bool = False) -> str:
    """The item's "At a glance" text behind its visible label, for one-field places.

    Feed readers, search snippets and link previews show a single short field on its own,
    without the label paragraph of the full text; this puts the label first so the AI text is
    never shown unlabelled: ``<label> At a glance: <text>`` in the disclosure's language, or
    the label alone when there is no text.

    Args:
        disclosure: the item's disclosure (its ``label_text`` and ``language`` are used).
        at_a_glance: the AI-written summary, as stored; the caller escapes it for its format.
        title_only: the item has no text yet: the label is followed by the note saying so.
    """
    if title_only:
        return f"{disclosure.label_text} {text(disclosure.language, 'title_only')}"
    glance = summary_text(disclosure.language, at_a_glance).strip()
    if not glance:
        return disclosure.label_text
    return f"{disclosure.label_text} {text(disclosure.language, 'at_a_glance')} {glance}"


def disclosure_for(
    summary_method: str,
    *,
    review: ReviewLike | None = None,
    settings: Settings,
    generated_at: datetime,
    model: str | None = None,
) -> Disclosure:
    """Build the disclosure of one item.

    Args:
        summary_method: ``extractive`` or ``llm`` (the summary's ``method``).
        review: the item's latest recorded review, or None. Only an approval naming an
            editor (a person or organisation holding editorial responsibility) switches the
            item to ``ai-assisted`` and claims the exemption; a rejection is ignored.
        settings: ``language`` picks the label language, ``ai_policy_url`` the policy link,
            ``publication_name`` and ``generator_name`` the closing line's names.
        generated_at: when the text was generated (taken from stored data).
        model: the paraphrasing model, for ``llm`` summaries.

    Raises:
        ValueError: ``summary_method`` is not ``extractive`` or ``llm``.
    """
    if summary_method not in SOURCE_TYPES:
        raise ValueError(f"unknown summary method {summary_method!r}: use extractive or llm")
    language = settings.language
    editor = None
    human_review = None
    if review is not None and review.approve and review.editor and review.editor.strip():
        editor = " ".join(review.editor.split())
        human_review = HumanReview(editor, review.reviewed_at, review.note)
    reviewed = human_review is not None and editor is not None
    legal_key = "legal_basis_reviewed" if reviewed else "legal_basis_unreviewed"
    generator = settings.generator_name
    return Disclosure(
        ai_generated=True,
        digital_source_type=SOURCE_TYPES[summary_method],
        disclosure_level="ai-assisted" if reviewed else "ai-autonomous",
        operations=_OPERATIONS[summary_method],
        human_review=human_review,
        editorial_responsibility=editor,
        exemption_applied=reviewed,
        label_text=label_for(language=language, editor=editor, generator=generator),
        policy_url=settings.ai_policy_url,
        generator_name=generator,
        generator_version=generator_version(),
        generated_at=generated_at,
        legal_basis=text(language, legal_key, editor=editor or ""),
        language=language,
        model=model if summary_method == "llm" else None,
        closing_text=closing_for(
            language=language,
            publication=settings.publication_name,
            reviewed=reviewed,
            summary_method=summary_method,
            generator=generator,
        ),
    )
