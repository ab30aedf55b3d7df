"""Classification of stored articles: the stage between the store and ``classifiers/``.

Ingestion classifies new articles with every registered classifier; ``lumi reclassify``
re-runs them over the archive. Each stored result records the classifier's name, version
and the article's content hash, so re-running the same version on the same text stores
nothing new.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from pipeline.errors import ClassifierNotConfigured
from pipeline.store import ArticleRow, Store, store_classification

__all__ = ["ClassifyStats", "classify_articles", "load_classifiers"]

log = logging.getLogger("lumi.classify")


@dataclasses.dataclass(frozen=True, slots=True)
class ClassifyStats:
    """What one classification pass did."""

    articles: int
    stored: int
    unchanged: int
    classifiers: tuple[str, ...]
    duration_s: float


def load_classifiers(only: Sequence[str] | None = None) -> list[Any]:
    """Build the registered classifiers; those missing their model or data are skipped
    with a log line saying how to enable them."""
    from classifiers.registry import build_all

    built = []
    for name, result in build_all(only=only, strict=False).items():
        if isinstance(result, ClassifierNotConfigured):
            log.warning(
                "classifier not configured", extra={"classifier": name, "error": str(result)}
            )
            continue
        built.append(result)
    return built


def _batches(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def classify_articles(
    store: Store,
    article_ids: Sequence[int],
    *,
    only: Sequence[str] | None = None,
    classifiers: list[Any] | None = None,
) -> ClassifyStats:
    """Classify stored articles and store each classifier's result.

    Args:
        store: the open database.
        article_ids: which articles.
        only: classifier names (``actors`` or ``actors.v1``) to run; default all.
        classifiers: already built classifiers (reuse across calls).
    """
    from classifiers.base import make_document

    started = time.perf_counter()
    active = classifiers if classifiers is not None else load_classifiers(only)
    stored = unchanged = done = 0
    for batch in _batches(list(article_ids), 200):
        with store.session() as session:
            rows = session.execute(
                select(
                    ArticleRow.id,
                    ArticleRow.title,
                    ArticleRow.text,
                    ArticleRow.language,
                    ArticleRow.content_hash,
                ).where(ArticleRow.id.in_(list(batch)))
            ).all()
            for article_id, title, text, language, content_hash in rows:
                doc = make_document(text or "", title=title or "", language=language)
                for clf in active:
                    results = clf.classify(doc)
                    payload = [r.to_json() for r in results]
                    if store_classification(
                        session, article_id, clf.name, clf.version, content_hash, payload
                    ):
                        stored += 1
                    else:
                        unchanged += 1
                done += 1
    return ClassifyStats(
        done,
        stored,
        unchanged,
        tuple(f"{c.name}.{c.version}" for c in active),
        time.perf_counter() - started,
    )
