"""The one classification path: run registered classifiers over documents (design.md §6).

:func:`classify_batch` is what ingestion, ``lumi classify``, ``lumi eval`` and ``lumi
reclassify`` (in this process, in worker processes and on Dask) call. It returns one
:class:`Classification` per classifier and document: the classifier's name, version and
output key, and its results as typed records. :func:`report` shapes one document's
classifications into the output contract generically, from each classifier's
``output_key``; :func:`merge` merges the classifications of a story's articles. Stored
classifications are read back into the same records (:meth:`Classification.from_json`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from classifiers import registry
from classifiers.base import (
    ActorMention,
    Classifier,
    ClassifierConfig,
    Document,
    LicenseEvent,
    RelevanceScore,
    Result,
    ThemeScore,
    make_document,
)
from classifiers.errors import UnknownClassifier

__all__ = [
    "Classification",
    "ClassificationReport",
    "classify_batch",
    "classify_document",
    "classify_text",
    "merge",
    "output_keys",
    "report",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Classification:
    """What one classifier found in one document.

    ``results`` are typed records (:class:`~classifiers.base.ActorMention`, ...), each
    convertible to JSON; ``extras`` are output-only findings keyed by their output-contract
    key (``actor_candidates``), never stored.
    """

    classifier: str  # e.g. "actors"
    version: str  # e.g. "v1"
    output_key: str  # e.g. "actors"
    results: tuple[Any, ...]
    extras: Mapping[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)

    @property
    def fullname(self) -> str:
        """The versioned name, e.g. ``actors.v1``."""
        return f"{self.classifier}.{self.version}"

    def to_json(self) -> list[dict[str, Any]]:
        """The results as stored and reported: a list of JSON objects."""
        return [r.to_json() for r in self.results]

    @classmethod
    def from_json(cls, classifier: str, version: str, stored: Any) -> Classification:
        """Read a stored result back into typed records.

        Args:
            classifier: the stored classifier name; its registration gives the output key
                and the record type (unregistered names keep their JSON as
                :class:`~classifiers.base.RawResult`).
            version: the stored version.
            stored: the stored JSON: a list of result objects (or, in old rows, an object
                holding that list under the output key).
        """
        try:
            entry: registry.Registration | None = registry.registration(classifier)
        except UnknownClassifier:
            entry = None
        key = entry.output_key if entry is not None else classifier
        kind = registry.result_type(classifier)
        if isinstance(stored, Mapping):
            stored = stored.get(key)
        items = stored if isinstance(stored, list) else []
        return cls(
            classifier=classifier,
            version=version,
            output_key=key,
            results=tuple(kind.from_json(i) for i in items if isinstance(i, Mapping)),  # type: ignore[attr-defined]
        )


def _output_key(classifier: Classifier) -> str:
    key = getattr(classifier, "output_key", None)
    return key if isinstance(key, str) and key else classifier.name


def classify_batch(
    documents: Sequence[Document], classifiers: Iterable[Classifier], *, extras: bool = False
) -> list[tuple[Classification, ...]]:
    """Classify every document with every classifier.

    Args:
        documents: prepared documents (:func:`classifiers.base.make_document`).
        classifiers: built classifiers (:func:`classifiers.registry.build_all`), in output
            order.
        extras: also collect output-only findings (``actor_candidates``), which may need a
            statistical model; storage never asks for them.

    Returns:
        Per document, in order, one :class:`Classification` per classifier, in order.
    """
    # What each classifier is called and how it is run is looked up once per batch.
    active = [
        (
            clf.classify,
            clf.name,
            clf.version,
            _output_key(clf),
            getattr(clf, "extras", None) if extras else None,
        )
        for clf in classifiers
    ]
    out: list[tuple[Classification, ...]] = []
    for doc in documents:
        out.append(
            tuple(
                Classification(
                    classifier=name,
                    version=version,
                    output_key=key,
                    results=tuple(classify(doc)),
                    extras=dict(more(doc)) if more is not None else {},
                )
                for classify, name, version, key, more in active
            )
        )
    return out


def merge(per_article: Iterable[Iterable[Classification]]) -> dict[str, tuple[Any, ...]]:
    """Merge the classifications of a story's articles, oldest article first.

    One result per identity (``identity()``: an actor by name, an event by kind, actor,
    model and licenses, a theme by id) survives: the one with the highest score, the oldest
    article's on a tie. Results keep the order they were first seen in, except ranked
    records (risk themes), listed by descending score.

    Returns:
        Output key -> merged results, for every key some article has.
    """
    best: dict[str, dict[tuple[Any, ...], Any]] = {}
    for classifications in per_article:
        for c in classifications:
            slot = best.setdefault(c.output_key, {})
            for result in c.results:
                key = result.identity()
                if key not in slot or result.score > slot[key].score:
                    slot[key] = result
    merged: dict[str, tuple[Any, ...]] = {}
    for output_key, by_identity in best.items():
        results = list(by_identity.values())
        if results and all(getattr(r, "ranked", False) for r in results):
            results.sort(key=lambda r: (-r.score, r.identity()))
        merged[output_key] = tuple(results)
    return merged


def output_keys() -> tuple[str, ...]:
    """Every registered classifier's output key, in output order."""
    return tuple(dict.fromkeys(r.output_key or r.name for r in registry.registrations()))


@dataclasses.dataclass(frozen=True, slots=True)
class ClassificationReport:
    """Everything the classifiers found in one document.

    ``results`` maps every registered output key to the results found there (empty for a
    classifier that did not run); ``classifiers`` maps each classifier that ran to its
    version (``{"actors": "v1"}``); ``extras`` holds output-only findings such as
    ``actor_candidates`` (ORG entities outside the actor registry, only with a statistical
    spaCy pipeline configured), for a person to review.
    """

    title: str
    language: str | None
    results: Mapping[str, tuple[Any, ...]]
    classifiers: Mapping[str, str]
    extras: Mapping[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)

    @property
    def actors(self) -> tuple[ActorMention, ...]:
        """The ``actors`` results."""
        return self.results.get("actors", ())

    @property
    def license_events(self) -> tuple[LicenseEvent, ...]:
        """The ``license_events`` results."""
        return self.results.get("license_events", ())

    @property
    def risk_themes(self) -> tuple[ThemeScore, ...]:
        """The ``risk_themes`` results."""
        return self.results.get("risk_themes", ())

    @property
    def relevance(self) -> RelevanceScore | None:
        """The ``relevance`` result, None when the relevance classifier did not run."""
        found = self.results.get("relevance", ())
        return found[0] if found else None

    @property
    def actor_candidates(self) -> tuple[ActorMention, ...]:
        """Unknown organisations found by the statistical pipeline, if configured."""
        return self.extras.get("actor_candidates", ())

    def to_json(
        self, summary: Mapping[str, Any] | None = None, disclosure: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The output-contract object (design.md §6); ``summary`` and ``disclosure`` come
        from the summariser and labeller and may be None."""
        out: dict[str, Any] = {"title": self.title, "language": self.language}
        for key, results in self.results.items():
            if _single(key):
                out[key] = results[0].to_json() if results else None
            else:
                out[key] = [r.to_json() for r in results]
        out["summary"] = dict(summary) if summary is not None else None
        out["disclosure"] = dict(disclosure) if disclosure is not None else None
        out["classifiers"] = dict(self.classifiers)
        for key, found in self.extras.items():
            if found:
                out[key] = [r.to_json() for r in found]
        return out


def _single(output_key: str) -> bool:
    """Whether ``output_key`` holds one result per document (reported as an object)."""
    for entry in registry.registrations():
        if (entry.output_key or entry.name) == output_key:
            return bool(getattr(entry.result_type, "single", False))
    return False


def report(doc: Document, classifications: Iterable[Classification]) -> ClassificationReport:
    """Shape one document's classifications (from :func:`classify_batch`) as a report."""
    results: dict[str, tuple[Result, ...]] = dict.fromkeys(output_keys(), ())
    versions: dict[str, str] = {}
    extras: dict[str, tuple[Any, ...]] = {}
    for c in classifications:
        results[c.output_key] = c.results
        versions[c.classifier] = c.version
        extras.update(c.extras)
    return ClassificationReport(
        title=doc.title,
        language=doc.language,
        results=results,
        classifiers=versions,
        extras=extras,
    )


def classify_document(
    doc: Document, only: Iterable[str] | None = None, config: ClassifierConfig | None = None
) -> ClassificationReport:
    """Run the registered classifiers (or those named in ``only``) over ``doc``.

    Args:
        doc: the prepared document (:func:`classifiers.base.make_document`).
        only: classifier names or versioned names (``["actors"]``, ``["risk_themes.v4"]``);
            ``None`` runs every configured classifier and skips those not configured.
        config: the caller's configuration (default :class:`ClassifierConfig`).

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is missing its data or model.
    """
    built = registry.build_all(only, config)
    (found,) = classify_batch([doc], built.values(), extras=True)
    return report(doc, found)


def classify_text(
    text: str,
    title: str = "",
    language: str | None = None,
    only: Iterable[str] | None = None,
    config: ClassifierConfig | None = None,
) -> ClassificationReport:
    """Prepare ``text`` as a document and classify it (see :func:`classify_document`)."""
    return classify_document(
        make_document(text, title=title, language=language), only=only, config=config
    )
