"""Records and the protocol shared by every classifier.

A classifier is registered under a versioned name (``actors.v1``), declares its labels, and
maps a :class:`Document` to a tuple of result records, each with a score and an evidence
sentence taken from the article.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "ACTOR_TYPES",
    "LICENSE_EVENT_KINDS",
    "RISK_THEMES",
    "ActorMention",
    "Classifier",
    "Document",
    "LicenseEvent",
    "ThemeScore",
    "make_document",
    "read_knowledge",
    "split_sentences",
    "theme_ids",
]

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

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {
            "name": self.name,
            "type": self.type,
            "evidence": self.evidence,
            "score": round(self.score, 4),
            "matched": list(self.matched),
        }


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

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {
            "kind": self.kind,
            "actor": self.actor,
            "model": self.model,
            "from_license": self.from_license,
            "to_license": self.to_license,
            "evidence": self.evidence,
            "score": round(self.score, 4),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ThemeScore:
    """One risk theme with a calibrated score and the sentence that best supports it."""

    theme: str
    score: float
    evidence: str

    def to_json(self) -> dict[str, Any]:
        """The output-contract shape (design.md section 6)."""
        return {"theme": self.theme, "score": round(self.score, 4), "evidence": self.evidence}


@runtime_checkable
class Classifier(Protocol):
    """What every registered classifier provides."""

    name: str  # e.g. "actors"
    version: str  # e.g. "v1"
    labels: tuple[str, ...]

    def classify(self, doc: Document) -> tuple[Any, ...]:
        """Return result records (ActorMention, LicenseEvent or ThemeScore) for ``doc``."""
        ...


# Sentence boundary: terminal punctuation (optionally closed by a quote or bracket) followed
# by whitespace and an upper-case letter, digit or quote; a blank line; a list item; or the
# end of a line without punctuation (a heading) before a capitalised line. Abbreviations
# such as "e.g." or "Inc." are protected below because they are common in business news.
_ABBREV = re.compile(
    r"\b(?:e\.g|i\.e|etc|vs|Inc|Ltd|Corp|Co|Mr|Mrs|Ms|Dr|Prof|St|No|U\.S|U\.K|approx|Jan|Feb|Mar"
    r"|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$"
)
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[-*•])"
    # a line ending without punctuation (a heading) before a capitalised line
    r"|(?<=[\w)\]])[ \t]*\n(?=[ \t]*[A-Z0-9\"'])"
)


def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Split ``text`` into sentence spans (start, end offsets), fast and dependency-free."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start()
        head = text[max(start, end - 12) : end + 1]
        if _ABBREV.search(head.rstrip("\"')] ")):
            continue
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
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

    from pipeline.errors import ClassifierNotConfigured

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClassifierNotConfigured(
            f"{what} {path} cannot be read ({exc.strerror}); restore it from the repository"
        ) from None
    except yaml.YAMLError as exc:
        raise ClassifierNotConfigured(f"{what} {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ClassifierNotConfigured(f"{what} {path} must have a '{key}' list")
    return data


def theme_ids(value: Any) -> set[str]:
    """Theme ids from a ``risk_themes`` list of ids or ``{"theme": id}`` objects."""
    out = set()
    for item in value or ():
        theme = item.get("theme") if isinstance(item, dict) else item
        if isinstance(theme, str):
            out.add(theme)
    return out


def make_document(text: str, title: str = "", language: str | None = None) -> Document:
    """Prepare ``text`` for classification (sentence spans computed once)."""
    return Document(text=text, title=title, language=language, sentences=split_sentences(text))
