"""The labelled development set's feeds, parsed like served feeds (``lumi dataset``).

Corpus feed files go through :func:`pipeline.ingest.parse.parse_feed`, the parser serving
uses (hostile XML refused, the same entry ids and dedupe keys); :mod:`classifiers.dataset`
turns the parsed entries into numbered paragraphs and the label references into evaluation
items. ``lumi dataset build`` writes the file ``lumi eval`` reads, ``lumi dataset show``
prints the numbered paragraphs a labeller refers to, and ``lumi train`` reads the same items.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from classifiers.dataset import (
    CorpusItem,
    CorpusLoader,
    check_corpus_path,
    corpus_items,
    load_labels,
    materialise,
)

__all__ = ["build_dataset", "corpus_loader", "dataset_items", "load_corpus_file"]


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
