"""Run the registered classifiers over one document and shape the result (design.md §6).

:func:`classify_document` is what ``lumi classify``, ingestion and ``reclassify`` call; the
classifiers come from :mod:`classifiers.registry` (built once per process). ``actors.v1`` and
``license_events.v1`` share one tokenization of the document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from classifiers import registry
from classifiers.base import ActorMention, Document, LicenseEvent, ThemeScore, make_document

__all__ = ["ClassificationReport", "classify_document", "classify_text"]


@dataclasses.dataclass(frozen=True, slots=True)
class ClassificationReport:
    """Everything the classifiers found in one document.

    ``classifiers`` maps each classifier that ran to its version (``{"actors": "v1"}``);
    ``actor_candidates`` are ORG entities outside the actor registry (only with a statistical
    spaCy pipeline configured), for a person to review.
    """

    title: str
    language: str | None
    actors: tuple[ActorMention, ...]
    license_events: tuple[LicenseEvent, ...]
    risk_themes: tuple[ThemeScore, ...]
    classifiers: Mapping[str, str]
    actor_candidates: tuple[ActorMention, ...] = ()

    def to_json(
        self, summary: Mapping[str, Any] | None = None, disclosure: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The output-contract object (design.md §6); ``summary`` and ``disclosure`` come
        from the summariser and labeller and may be None."""
        out: dict[str, Any] = {
            "title": self.title,
            "language": self.language,
            "actors": [a.to_json() for a in self.actors],
            "license_events": [e.to_json() for e in self.license_events],
            "risk_themes": [t.to_json() for t in self.risk_themes],
            "summary": dict(summary) if summary is not None else None,
            "disclosure": dict(disclosure) if disclosure is not None else None,
            "classifiers": dict(self.classifiers),
        }
        if self.actor_candidates:
            out["actor_candidates"] = [a.to_json() for a in self.actor_candidates]
        return out


def classify_document(doc: Document, only: Iterable[str] | None = None) -> ClassificationReport:
    """Run the registered classifiers (or those named in ``only``) over ``doc``.

    Args:
        doc: the prepared document (:func:`classifiers.base.make_document`).
        only: classifier names or versioned names (``["actors"]``, ``["risk_themes.v1"]``);
            ``None`` runs every configured classifier and skips those not configured.

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is missing its data or model.
    """
    built = registry.build_all(only)
    actors: tuple[Any, ...] = ()
    events: tuple[Any, ...] = ()
    themes: tuple[Any, ...] = ()
    candidates: tuple[ActorMention, ...] = ()
    versions: dict[str, str] = {}
    for classifier in built.values():
        results = classifier.classify(doc)
        versions[classifier.name] = classifier.version
        if classifier.name == "actors":
            actors = results
            find_candidates = getattr(classifier, "candidates", None)
            if find_candidates is not None:
                candidates = find_candidates(doc)
        elif classifier.name == "license_events":
            events = results
        elif classifier.name == "risk_themes":
            themes = results
    return ClassificationReport(
        title=doc.title,
        language=doc.language,
        actors=actors,
        license_events=events,
        risk_themes=themes,
        classifiers=versions,
        actor_candidates=candidates,
    )


def classify_text(
    text: str, title: str = "", language: str | None = None, only: Iterable[str] | None = None
) -> ClassificationReport:
    """Prepare ``text`` as a document and classify it (see :func:`classify_document`)."""
    return classify_document(make_document(text, title=title, language=language), only=only)
