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
:func:`entry_paragraphs`. ``python -m classifiers.dataset show FILE`` prints the numbered
paragraphs a labeller refers to; ``python -m classifiers.dataset build --shared DIR --out
FILE.jsonl`` writes the evaluation file that ``lumi eval`` reads.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEVSET_DIR",
    "CorpusItem",
    "devset_ids",
    "entry_paragraphs",
    "load_corpus_file",
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


@cache
def _load(path: str, rel: str) -> tuple[CorpusItem, ...]:
    import feedparser

    data = Path(path).read_bytes()
    parsed = feedparser.parse(data)
    items = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        html = (content[0].get("value") if content else None) or entry.get("summary") or ""
        ident = entry.get("id") or entry.get("link") or entry.get("title") or ""
        items.append(
            CorpusItem(
                file=rel,
                entry=ident,
                title=entry.get("title", ""),
                link=entry.get("link"),
                paragraphs=entry_paragraphs(html),
            )
        )
    return tuple(items)


def load_corpus_file(shared: Path, rel: str) -> tuple[CorpusItem, ...]:
    """Parse one corpus feed under ``shared`` (``rel`` like ``corpus/dev/feed_x.xml``)."""
    if rel.startswith("corpus/holdout"):
        raise ValueError("corpus/holdout is reserved for independent evaluation")
    return _load(str(shared / rel), rel)


def load_labels(paths: list[Path] | None = None) -> list[dict[str, Any]]:
    """Read every label line from the devset files (default: all of ``DEVSET_DIR``)."""
    files = paths if paths is not None else sorted(DEVSET_DIR.glob("*.jsonl"))
    labels = []
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    labels.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name} line {lineno}: {exc}") from None
    return labels


def passage_id(ref: dict[str, Any]) -> str:
    """The evaluation item id of a label reference (the ``id`` :func:`materialise` writes)."""
    span = ref.get("paragraphs")
    return f"{ref['file']}#{ref['entry']}#{span[0] if span else 'all'}"


@cache
def _devset_ids() -> frozenset[str]:
    return frozenset(passage_id(label["ref"]) for label in load_labels() if "ref" in label)


def devset_ids() -> frozenset[str]:
    """Ids of every labelled development-set passage.

    These passages were read to write the theme rules and actor and license patterns, and
    trained the shipped risk-theme model: scores on them are in-sample.
    """
    return _devset_ids()


def materialise(labels: list[dict[str, Any]], shared: Path) -> Iterator[dict[str, Any]]:
    """Yield evaluation items (``text`` plus expected labels) for label lines.

    Raises:
        KeyError: a reference names an entry that is not in the file.
    """
    for label in labels:
        ref = label["ref"]
        items = {i.entry: i for i in load_corpus_file(shared, ref["file"])}
        item = items.get(ref["entry"])
        if item is None:
            raise KeyError(f"{ref['file']}: no entry {ref['entry']!r}")
        span = ref.get("paragraphs")
        paras = item.paragraphs[span[0] : span[1]] if span else item.paragraphs
        text = "\n\n".join(paras)
        yield {
            "id": passage_id(ref),
            "title": item.title,
            "text": text,
            "actors": label.get("actors", []),
            "license_events": label.get("license_events", []),
            "risk_themes": label.get("risk_themes", []),
        }


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifiers.dataset")
    sub = parser.add_subparsers(dest="cmd", required=True)
    show = sub.add_parser("show", help="print a corpus file's entries with numbered paragraphs")
    show.add_argument("shared", type=Path, help="the shared data folder")
    show.add_argument("file", help="path relative to the shared folder, e.g. corpus/dev/x.xml")
    show.add_argument("--entry", type=int, help="only entry number N (0-based)")
    build = sub.add_parser("build", help="write the evaluation JSONL for the labelled set")
    build.add_argument("--shared", type=Path, required=True)
    build.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.cmd == "show":
        for n, item in enumerate(load_corpus_file(args.shared, args.file)):
            if args.entry is not None and n != args.entry:
                continue
            print(f"=== [{n}] entry={item.entry!r}\n    title={item.title!r}")
            for i, para in enumerate(item.paragraphs):
                print(f"  ({i}) {para}")
        return 0
    with args.out.open("w", encoding="utf-8") as out:
        count = 0
        for row in materialise(load_labels(), args.shared):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    print(f"wrote {count} items to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
