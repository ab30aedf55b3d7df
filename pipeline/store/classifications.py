"""The classifications aggregate: one stored result per article, classifier, version and
content hash.

Results are stored as JSON and read back as typed records
(:class:`classifiers.api.Classification`). The "current" classification of an article is,
per classifier, the one of its current text (content hash) with the newest version
(:func:`classifiers.registry.version_key`), the latest stored on a tie.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.store.engine import (
    Store,
    dialect_insert,
    in_chunks,
)
from pipeline.store.models import (
    ArticleRow,
    ClassificationRow,
    utcnow,
)

if TYPE_CHECKING:
    from classifiers.api import Classification

__all__ = [
    "ClassifiableArticle",
    "StoredResult",
    "articles_to_classify",
    "count_articles",
    "current_classifications",
    "latest_classifications",
    "store_classification",
    "store_classifications",
    "stored_results",
    "stream_articles",
]


@dataclasses.dataclass(frozen=True, slots=True)
class ClassifiableArticle:
    """What classification reads of a stored article."""

    id: int
    title: str
    text: str
    language: str | None
    content_hash: str


def store_classification(
    session: Session, article_id: int, classifier: str, version: str, content_hash: str, result: Any
) -> bool:
    """Store one classifier result; returns False when that exact version was stored before."""
    inserted = session.execute(
        dialect_insert(session, ClassificationRow)
        .values(
            article_id=article_id,
            classifier=classifier,
            version=version,
            content_hash=content_hash,
            result=result,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=["article_id", "classifier", "version", "content_hash"]
        )
        .returning(ClassificationRow.id)
    )
    return inserted.first() is not None


def _classifiable() -> Any:
    return select(
        ArticleRow.id,
        ArticleRow.title,
        ArticleRow.text,
        ArticleRow.language,
        ArticleRow.content_hash,
    )


def _article(row: Any) -> ClassifiableArticle:
    return ClassifiableArticle(int(row[0]), row[1] or "", row[2] or "", row[3], row[4])


def articles_to_classify(session: Session, article_ids: Sequence[int]) -> list[ClassifiableArticle]:
    """The stored articles among ``article_ids``, in id order."""
    ids = list(dict.fromkeys(article_ids))
    out: list[ClassifiableArticle] = []
    for chunk in in_chunks(ids):
        query = _classifiable().where(ArticleRow.id.in_(chunk))
        out.extend(_article(r) for r in session.execute(query))
    return sorted(out, key=lambda a: a.id)


def _fetched_between(query: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        query = query.where(ArticleRow.fetched_at >= since)
    if until is not None:
        query = query.where(ArticleRow.fetched_at < until)
    return query


def count_articles(store: Store, since: datetime | None, until: datetime | None) -> int:
    """How many stored articles were fetched in [since, until) (one COUNT query)."""
    with store.session() as session:
        query = _fetched_between(select(func.count()).select_from(ArticleRow), since, until)
        return int(session.scalar(query) or 0)


def stream_articles(
    store: Store, since: datetime | None, until: datetime | None, batch: int = 100
) -> Iterator[list[ClassifiableArticle]]:
    """Stored articles fetched in [since, until) in id order, ``batch`` at a time, each batch
    read in its own short session.

    Keyset pagination (``id > last id ... LIMIT batch``): every batch is one indexed range
    read, no id list is held, so memory stays flat however large the archive.
    """
    last_id = 0
    while True:
        with store.session() as session:
            query = _fetched_between(_classifiable().where(ArticleRow.id > last_id), since, until)
            rows = [
                _article(r) for r in session.execute(query.order_by(ArticleRow.id).limit(batch))
            ]
        if not rows:
            return
        last_id = rows[-1].id
        yield rows


@dataclasses.dataclass(frozen=True, slots=True)
class StoredResult:
    """One stored classifier result, as :func:`stored_results` reads it."""

    id: int
    article_id: int
    classifier: str
    version: str
    content_hash: str
    result: Any


def stored_results(
    session: Session, article_ids: Sequence[int], classifiers: Sequence[str]
) -> list[StoredResult]:
    """Every stored result of ``classifiers`` for ``article_ids`` (any version or content
    hash), in storage order."""
    ids = list(dict.fromkeys(article_ids))
    out: list[StoredResult] = []
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(
                ClassificationRow.id,
                ClassificationRow.article_id,
                ClassificationRow.classifier,
                ClassificationRow.version,
                ClassificationRow.content_hash,
                ClassificationRow.result,
            ).where(
                ClassificationRow.article_id.in_(chunk),
                ClassificationRow.classifier.in_(list(classifiers)),
            )
        )
        out.extend(StoredResult(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5]) for r in rows)
    return sorted(out, key=lambda r: r.id)


def store_classifications(
    session: Session, results: Sequence[tuple[int, str, str, str, Any]]
) -> int:
    """Store many results in one statement, each (article id, classifier, version, content
    hash, result); one already stored under the same version and content hash is left as it
    is. Returns how many were new."""
    if not results:
        return 0
    now = utcnow()
    inserted = session.execute(
        dialect_insert(session, ClassificationRow)
        .on_conflict_do_nothing(
            index_elements=["article_id", "classifier", "version", "content_hash"]
        )
        .returning(ClassificationRow.id),
        [
            {
                "article_id": article_id,
                "classifier": classifier,
                "version": version,
                "content_hash": content_hash,
                "result": result,
                "created_at": now,
            }
            for article_id, classifier, version, content_hash, result in results
        ],
    )
    return len(inserted.all())


#: What a stored result row is read as: (id, article id, classifier, version, result).
_RESULT_COLUMNS = (
    ClassificationRow.id,
    ClassificationRow.article_id,
    ClassificationRow.classifier,
    ClassificationRow.version,
    ClassificationRow.result,
)


def latest_classifications(
    session: Session, article_ids: Sequence[int], classifiers: Sequence[str]
) -> dict[tuple[int, str], Classification]:
    """The most recently stored result of each (article, classifier), whatever its version
    or content hash: what a re-classification is compared with."""
    from classifiers.api import Classification

    ids = list(dict.fromkeys(article_ids))
    newest: dict[tuple[int, str], tuple[int, str, Any]] = {}
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(*_RESULT_COLUMNS).where(
                ClassificationRow.article_id.in_(chunk),
                ClassificationRow.classifier.in_(list(classifiers)),
            )
        )
        for row_id, article_id, name, version, result in rows:
            key = (article_id, name)
            if key not in newest or row_id > newest[key][0]:
                newest[key] = (row_id, version, result)
    return {
        key: Classification.from_json(key[1], version, result)
        for key, (_, version, result) in newest.items()
    }


def current_classifications(
    session: Session, article_ids: Sequence[int]
) -> dict[int, tuple[Classification, ...]]:
    """Each article's current classifications, as typed records.

    Only results for the article's current text (content hash) count; of several versions
    of one classifier the newest wins (the latest stored on a tie). An article without
    any is absent; each article's classifications are in classifier-name order.
    """
    from classifiers.api import Classification
    from classifiers.registry import version_key

    ids = list(dict.fromkeys(article_ids))
    best: dict[tuple[int, str], tuple[tuple[int, str], int, str, Any]] = {}
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(*_RESULT_COLUMNS)
            .join(ArticleRow, ArticleRow.id == ClassificationRow.article_id)
            .where(
                ClassificationRow.article_id.in_(chunk),
                ClassificationRow.content_hash == ArticleRow.content_hash,
            )
        )
        for row_id, article_id, name, version, result in rows:
            key = (article_id, name)
            rank = (version_key(version), row_id)
            if key not in best or rank > best[key][:2]:
                best[key] = (rank[0], row_id, version, result)
    out: dict[int, list[Classification]] = {}
    for (article_id, name), (_, _, version, result) in sorted(best.items()):
        out.setdefault(article_id, []).append(Classification.from_json(name, version, result))
    return {aid: tuple(found) for aid, found in out.items()}
