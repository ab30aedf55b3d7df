"""The labelled development set's feeds, parsed like served feeds (``lumi dataset``).

Corpus feed files go through :func:`pipeline.ingest.parse.parse_feed`, the parser serving
uses (hostile XML refused, the same entry ids and dedupe keys); :mod:`classifiers.dataset`
turns the parsed entries into numbered paragraphs and the label references into evaluation
items. ``lumi dataset build`` writes the file ``lumi eval`` reads, ``lumi dataset show``
prints the numbered paragraphs a labeller refers to, and ``lumi train`` reads the same items.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers.dataset import (
    CorpusItem,
    CorpusLoader,
    check_corpus_path,
    corpus_items,
    load_labels,
    materialise,
)

if TYPE_CHECKING:
    from classifiers.train import RelevanceExample

__all__ = [
    "LAB_FEEDS",
    "LAB_FEED_PUBLISHERS",
    "build_dataset",
    "corpus_loader",
    "dataset_items",
    "load_corpus_file",
    "load_page",
    "relevance_examples",
]


@functools.cache
def _load(path: str, rel: str) -> tuple[CorpusItem, ...]:
    from pipeline.ingest.parse import parse_feed

    parsed = parse_feed(f"corpus:{rel}", Path(path).read_bytes())
    return corpus_items(rel, parsed.entries)


def load_corpus_file(shared: Path, rel: str) -> tuple[CorpusItem, ...]:
    """Parse one corpus feed under ``shared`` (``rel`` like ``corpus/dev/feed_x.xml``).

    Raises:
        ValueError: ``rel`` is under ``corpus/holdout``.
        OSError: the file cannot be read.
        ParseError: the file is not a usable feed (or is refused as hostile XML).
    """
    check_corpus_path(rel)
    return _load(str(shared / rel), rel)


def corpus_loader(shared: Path) -> CorpusLoader:
    """The corpus files under the shared data folder ``shared``, by relative path."""
    return functools.partial(load_corpus_file, shared)


def dataset_items(
    shared: Path, labels: list[dict[str, Any]] | None = None
) -> Iterator[dict[str, Any]]:
    """The evaluation items of ``labels`` (default: the whole labelled development set).

    Raises:
        KeyError: a reference names an entry that is not in its file.
    """
    return materialise(labels if labels is not None else load_labels(), corpus_loader(shared))


def build_dataset(shared: Path, out: Path) -> int:
    """Write the labelled development set as evaluation JSON Lines; returns the item count."""
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        for row in dataset_items(shared):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


# -- relevance.v4 ------------------------------------------------------------------------

#: Label files of the relevance model in ``classifiers/data/devset``: corpus entries
#: (references with an ``entry``) and saved web pages (references to an HTML file).
RELEVANCE_LABEL_FILES = ("relevance-corpus.jsonl", "relevance-pages.jsonl")
#: Short labelled passages found on the web (text stored with its source URL).
PASSAGE_FILES = "passages-*.jsonl"
#: Corrected relevance labels of passages (by source URL), each with the reason.
RELEVANCE_CORRECTIONS = "relevance-corrections.jsonl"
#: Corpus feeds published by an AI lab itself; "beyond the lab feeds" means everything else.
LAB_FEEDS = frozenset(
    {
        "corpus/dev/feed_ai_research.xml",
        "corpus/dev/feed_anthropic.xml",
        "corpus/dev/feed_anthropic_changelog_claude_code.xml",
        "corpus/dev/feed_anthropic_engineering.xml",
        "corpus/dev/feed_anthropic_research.xml",
        "corpus/dev/feed_mistral_news.before-2026-03.xml",
        "corpus/dev/feed_ollama.xml",
        "corpus/dev/feed_openai_research-old.xml",
        "corpus/dev/feed_openai_research.xml",
        "corpus/dev/feed_xai_news.xml",
    }
)


@functools.cache
def _page(path: str) -> tuple[str, str]:
    from pipeline.errors import NoExtractableText
    from pipeline.ingest.extract import extract_page

    data = Path(path).read_bytes()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        page = extract_page(data, None)
    except NoExtractableText:
        return "", ""
    return page.title or "", page.text


def load_page(shared: Path, rel: str) -> tuple[str, str]:
    """Title and text of a saved HTML page under ``shared`` (``.gz`` files are unpacked),
    extracted by the serving extractor; ``("", "")`` when it finds no article text.

    Raises:
        ValueError: ``rel`` is under ``corpus/holdout``.
        OSError: the file cannot be read.
    """
    check_corpus_path(rel)
    return _page(str(shared / rel))


#: The publisher of the lab feeds whose organisation is in the actor registry, as the feed
#: registry (``feeds.yaml``) names a feed's publisher.
LAB_FEED_PUBLISHERS: dict[str, str] = {
    "corpus/dev/feed_anthropic.xml": "Anthropic",
    "corpus/dev/feed_anthropic_changelog_claude_code.xml": "Anthropic",
    "corpus/dev/feed_anthropic_engineering.xml": "Anthropic",
    "corpus/dev/feed_anthropic_research.xml": "Anthropic",
    "corpus/dev/feed_mistral_news.before-2026-03.xml": "Mistral AI",
    "corpus/dev/feed_openai_research-old.xml": "OpenAI",
    "corpus/dev/feed_openai_research.xml": "OpenAI",
    "corpus/dev/feed_xai_news.xml": "xAI",
}


def relevance_examples(
    shared: Path, devset: Path | None = None
) -> tuple[list[RelevanceExample], list[RelevanceExample]]:
    """The relevance model's labelled items with their text: (training, held-out).

    Corpus entries are rebuilt by the serving feed parser, saved pages by the serving
    extractor; passages carry their text. A page that is not relevant also counts as its
    title alone (origin ``"page_title"``). Passages of the ``"test"`` split are held out.

    Raises:
        KeyError: a reference names an entry that is not in its feed.
    """
    from classifiers.dataset import DEVSET_DIR
    from classifiers.train import RelevanceExample

    folder = devset or DEVSET_DIR
    labels = load_labels([p for p in (folder / n for n in RELEVANCE_LABEL_FILES) if p.exists()])
    train: list[RelevanceExample] = []
    feed_labels = [lab for lab in labels if "entry" in lab["ref"]]
    loader = corpus_loader(shared)
    for label, item in zip(feed_labels, materialise(feed_labels, loader), strict=True):
        train.append(
            RelevanceExample(
                text=item["text"],
                title=item["title"],
                relevant=bool(label["relevant"]),
                site=str(label.get("site") or label["ref"]["file"]),
                origin="feed",
                lab_feed=label["ref"]["file"] in LAB_FEEDS,
                publisher=LAB_FEED_PUBLISHERS.get(label["ref"]["file"]),
            )
        )
    for label in labels:
        if "entry" in label["ref"]:
            continue
        title, text = load_page(shared, label["ref"]["file"])
        site = str(label.get("site") or label["ref"]["file"])
        relevant = bool(label["relevant"])
        train.append(RelevanceExample(text, title, relevant, site, origin="page"))
        if title.strip() and not relevant:
            # The title of a page about something else is not AI news either. Without these
            # title-only negatives the short items of the set (title-only lab entries, web
            # passages) are nearly all relevant, and the model learns "short means relevant".
            train.append(RelevanceExample("", title, False, site, origin="page_title"))
    held_out: list[RelevanceExample] = []
    corrections_path = folder / RELEVANCE_CORRECTIONS
    corrected = {
        str(c["source"]): bool(c["relevant"])
        for c in (load_labels([corrections_path]) if corrections_path.exists() else [])
    }
    for label in load_labels(sorted(folder.glob(PASSAGE_FILES))):
        if "relevant" not in label:
            continue
        example = RelevanceExample(
            text=str(label["passage"]),
            title=str(label.get("title") or ""),
            relevant=corrected.get(str(label.get("source")), bool(label["relevant"])),
            site=str(label["site"]),
            origin="passage",
        )
        (held_out if label.get("split") == "test" else train).append(example)
    return train, held_out
