"""``lumi reclassify``: re-run classifiers over the stored archive.

Articles are streamed in batches; each batch is classified (in this process, in worker
processes, or on a Dask cluster: the same classifier code everywhere), compared with the
newest stored result of the same classifier, and stored under the current version. Results
already stored for this version and content hash are skipped, so re-running is idempotent.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pipeline.store import ArticleRow, ClassificationRow, Store, store_classification

__all__ = ["ReclassifyReport", "classify_batch", "reclassify"]

BATCH = 100


@dataclasses.dataclass(frozen=True, slots=True)
class ReclassifyReport:
    """What a reclassification pass did (``changed``: results that differ from before)."""

    articles: int
    stored: int
    unchanged: int
    changed: dict[str, int]
    classifiers: tuple[str, ...]
    dry_run: bool
    duration_s: float
    #: results that differ from the stored ones under the same version and content hash:
    #: a model or data file changed without a version bump (the stored result is kept)
    same_version_drift: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``lumi reclassify --json`` object."""
        return dataclasses.asdict(self)


def classify_batch(
    items: list[tuple[int, str, str, str | None]], only: Sequence[str] | None
) -> list[tuple[int, dict[str, tuple[str, list[Any]]]]]:
    """Classify (id, title, text, language) tuples; picklable, so it runs in any worker.

    Returns, per article, ``{classifier name: (version, results as JSON)}``.
    """
    from classifiers.base import make_document
    from classifiers.registry import build_all

    active = list(build_all(only=only).values())
    out = []
    for article_id, title, text, language in items:
        doc = make_document(text or "", title=title or "", language=language)
        out.append(
            (
                article_id,
                {c.name: (c.version, [r.to_json() for r in c.classify(doc)]) for c in active},
            )
        )
    return out


def _stream(
    store: Store, since: datetime | None, until: datetime | None
) -> Iterator[list[tuple[int, str, str, str | None, str]]]:
    last_id = 0
    while True:
        with store.session() as session:
            query = select(
                ArticleRow.id,
                ArticleRow.title,
                ArticleRow.text,
                ArticleRow.language,
                ArticleRow.content_hash,
            ).where(ArticleRow.id > last_id)
            if since is not None:
                query = query.where(ArticleRow.fetched_at >= since)
            if until is not None:
                query = query.where(ArticleRow.fetched_at < until)
            rows = [
                (int(r[0]), r[1], r[2], r[3], r[4])
                for r in session.execute(query.order_by(ArticleRow.id).limit(BATCH))
            ]
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def _previous(session: Any, article_id: int, name: str) -> Any:
    return session.scalar(
        select(ClassificationRow.result)
        .where(ClassificationRow.article_id == article_id, ClassificationRow.classifier == name)
        .order_by(ClassificationRow.id.desc())
        .limit(1)
    )


def reclassify(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    executor: Executor | None = None,
    progress: Callable[[int], Any] | None = None,
) -> ReclassifyReport:
    """Re-run the classifiers over stored articles fetched in [since, until).

    Args:
        store: the open database.
        since, until: fetch-time bounds (aware datetimes), None for open.
        only: classifier names to run (default: all registered and configured).
        dry_run: compute and count changes but store nothing.
        executor: where batches run (a process pool or a Dask client's executor);
            None runs them here.
        progress: called with the number of articles done after each batch.
    """
    from classifiers.registry import build_all

    started = time.perf_counter()
    names = tuple(sorted(build_all(only=only)))
    articles = stored = unchanged = 0
    changed: dict[str, int] = {}
    drift: dict[str, int] = {}
    batches = _stream(store, since, until)
    pending: list[Any] = []

    def submit(rows: list[tuple[int, str, str, str | None, str]]) -> None:
        items = [(r[0], r[1], r[2], r[3]) for r in rows]
        hashes = {r[0]: r[4] for r in rows}
        if executor is None:
            pending.append((classify_batch(items, only), hashes))
        else:
            pending.append((executor.submit(classify_batch, items, only), hashes))

    def drain(block_until: int) -> None:
        nonlocal articles, stored, unchanged
        while len(pending) > block_until:
            job, hashes = pending.pop(0)
            results = job if isinstance(job, list) else job.result()
            with store.session() as session:
                for article_id, by_name in results:
                    for name, (version, payload) in by_name.items():
                        differs = _previous(session, article_id, name) != payload
                        if differs:
                            changed[name] = changed.get(name, 0) + 1
                        if dry_run:
                            continue
                        if store_classification(
                            session, article_id, name, version, hashes[article_id], payload
                        ):
                            stored += 1
                        else:
                            unchanged += 1
                            if differs:
                                drift[name] = drift.get(name, 0) + 1
                    articles += 1
            if progress is not None:
                progress(articles)

    # Keep a few batches in flight so workers stay busy while results are stored here.
    in_flight = 1 if executor is None else 4
    for rows in batches:
        submit(rows)
        drain(in_flight - 1)
    drain(0)
    return ReclassifyReport(
        articles, stored, unchanged, changed, names, dry_run, time.perf_counter() - started, drift
    )
