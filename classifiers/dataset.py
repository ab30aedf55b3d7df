"""The labelled development set: references into the shared corpus, never copied text.

Label files (``classifiers/data/devset/*.jsonl``) hold one object per labelled passage::

    {"ref": {"file": "corpus/dev/feed_x.xml", "entry": "<entry id or link>",
             "paragraphs": [start, end]},          # half-open; null = the whole entry
     "actors": [{"name": "Mistral AI", "type": "sovereign"}],
     "license_events": [{"kind": "release", "actor": "Mistral AI", "model": "Devstral",
                         "from_license": null, "to_license": "Apache-2.0"}],
     "risk_themes": ["licensing"],
     "note": "optional labeller remark"}

The text of a passage is rebuilt from the shared data folder with :func:`materialise`:
the entry's title, a blank line, then its paragraphs ``[start, end)`` as produced by
:func:`entry_paragraphs`. Everything here is a pure function over entries already parsed:
the corpus feeds are parsed by the same parser as serving (``pipeline.corpus``, which
passes its loader in), and ``lumi dataset show SHARED FILE`` prints the numbered
paragraphs a labeller refers to; ``lumi dataset build --shared DIR --out FILE.jsonl``
writes the evaluation file that ``lumi eval`` reads.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "DEVSET_DIR",
    "CorpusItem",
    "CorpusLoader",
    "ParsedEntry",
    "check_corpus_path",
    "corpus_items",
    "devset_ids",
    "entry_paragraphs",
    "load_labels",
    "materialise",
    "passage_id",
]

DEVSET_DIR = Path(__file__).parent / "data" / "devset"

_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "figcaption",
    "dd",
    "dt",
    "table",
    "ul",
    "ol",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "iframe"}


@dataclasses.dataclass(frozen=True, slots=True)
class CorpusItem:
    """One entry of a shared corpus feed, split into numbered paragraphs."""

    file: str  # path relative to the shared data folder
    entry: str  # the entry's id, else its link
    title: str
    link: str | None
    paragraphs: tuple[str, ...]


def entry_paragraphs(html: str) -> tuple[str, ...]:
    """Split an entry's HTML (or plain text) into clean paragraphs, deterministically."""
    if "<" not in html:
        blocks = re.split(r"\n\s*\n", html)
        return tuple(b for b in (" ".join(x.split()) for x in blocks) if b)
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except Exception:  # unparseable markup: fall back to tag stripping
        text = re.sub(r"<[^>]+>", " ", html)
        return entry_paragraphs(text)
    parts: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            parts.append(text)
        current.clear()

    def walk(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS:
            if node.tail:
                current.append(node.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            flush()
        if tag == "br":
            current.append(" ")
        if node.text:
            current.append(node.text)
        for child in node:
            walk(child)
        if block:
            flush()
        if node.tail:
            current.append(node.tail)

    walk(root)
    flush()
    return tuple(parts)


class ParsedEntry(Protocol):
    """What :func:`corpus_items` reads of a parsed feed entry (``pipeline``'s FeedEntry)."""

    @property
    def guid(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def content(self) -> str: ...


#: Maps a corpus path (``corpus/dev/feed_x.xml``) to that feed's items.
CorpusLoader = Callable[[str], Sequence[CorpusItem]]


def check_corpus_path(rel: str) -> None:
    """Refuse a corpus path that labels and training must never read.

    Raises:
        ValueError: ``rel`` is under ``corpus/holdout``.
    """
    if rel.startswith("corpus/holdout"):
        raise ValueError("corpus/holdout is reserved for independent evaluation")


def corpus_items(rel: str, entries: Iterable[ParsedEntry]) -> tuple[CorpusItem, ...]:
    """The corpus items of one parsed feed file ``rel``: each entry's id (else its link,
    else its title), title, link and numbered paragraphs of its content (else summary)."""
    return tuple(
        CorpusItem(
            file=rel,
            entry=entry.guid or entry.url or entry.title or "",
            title=entry.title,
            link=entry.url,
            paragraphs=entry_paragraphs(entry.content or entry.summary or ""),
        )
        for entry in entries
    )


def load_labels(paths: list[Path] | None = None) -> list[dict[str, Any]]:
    """Read every label line from the devset files (default: the ``labels-*.jsonl`` files of
    ``DEVSET_DIR``: passages of the shared corpus labelled for every classifier; the
    relevance and search-found passage files have loaders of their own). A label with
    ``"split": "test"`` is for measurement only and labels only the keys it carries."""
    files = paths if paths is not None else sorted(DEVSET_DIR.glob("labels-*.jsonl"))
    labels = []
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    labels.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name} line {lineno}: {exc}") from exc
    return labels


def passage_id(ref: dict[str, Any]) -> str:
    """The evaluation item id of a label reference (the ``id`` :func:`materialise` writes)."""
    span = ref.get("paragraphs")
    return f"{ref['file']}#{ref['entry']}#{span[0] if span else 'all'}"


@cache
def _devset_ids() -> frozenset[str]:
    return frozenset(
        passage_id(label["ref"])
        for label in load_labels()
        if "ref" in label and label.get("split") != "test"
    )


def devset_ids() -> frozenset[str]:
    """Ids of every labelled development-set passage.

    These passages were read to write the theme rules and actor and license patterns, and
    trained the shipped risk-theme model: scores on them are in-sample. Measurement-only
    labels (``"split": "test"``) are not among them.
    """
    return _devset_ids()


def materialise(labels: list[dict[str, Any]], corpus: CorpusLoader) -> Iterator[dict[str, Any]]:
    """Yield evaluation items (``text`` plus expected labels) for label lines.

    Args:
        labels: label lines (:func:`load_labels`).
        corpus: the items of a corpus file by its path (``pipeline.corpus.corpus_loader``).

    Raises:
        KeyError: a reference names an entry that is not in the file.
        ValueError: a reference points into ``corpus/holdout``.
    """
    for label in labels:
        ref = label["ref"]
        check_corpus_path(ref["file"])
        items = {i.entry: i for i in corpus(ref["file"])}
        item = items.get(ref["entry"])
        if item is None:
            raise KeyError(f"{ref['file']}: no entry {ref['entry']!r}")
        span = ref.get("paragraphs")
        paras = item.paragraphs[span[0] : span[1]] if span else item.paragraphs
        text = "\n\n".join(paras)
        # a measurement-only label ("split": "test") carries only the fields it labels;
        # a field left out is not labelled, which is not the same as labelled empty
        yield {
            "id": passage_id(ref),
            "title": item.title,
            "text": text,
            **{k: label[k] for k in ("actors", "license_events", "risk_themes") if k in label},
            **({"split": label["split"]} if "split" in label else {}),
        }
