"""``lumi reclassify``: re-run classifiers over the stored archive.

Articles are streamed in batches; each batch is classified (in this process, in worker
processes, or on a Dask cluster: the same classifier code everywhere), compared with the
newest stored result of the same classifier, and stored under the current version. Results
already stored for this version and content hash are skipped, so re-running is idempotent.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from classifiers.api import Classification
from classifiers.base import ClassifierConfig
from pipeline.store import (
    ClassifiableArticle,
    Store,
    latest_classifications,
    store_classification,
    stream_articles,
)
from pipeline.store.feeds import article_publishers

__all__ = ["ReclassifyReport", "classify_job", "reclassify"]

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


def classify_job(
    articles: list[ClassifiableArticle],
    only: Sequence[str] | None,
    config: ClassifierConfig | None = None,
    publishers: Mapping[int, str] | None = None,
) -> list[tuple[int, tuple[Classification, ...]]]:
    """Classify a batch of articles with :func:`classifiers.api.classify_batch`; picklable
    (arguments and result), so it runs in any worker process or Dask worker, which builds
    exactly the caller's classifiers from ``config``. ``publishers`` maps article ids to
    their feed's publisher (:func:`pipeline.store.feeds.article_publishers`).

    Returns, per article, its id and one classification per classifier.
    """
    from classifiers.api import classify_batch
    from classifiers.base import make_document
    from classifiers.registry import build_all

    active = list(build_all(only=only, config=config).values())
    known = publishers or {}
    docs = [
        make_document(a.text, title=a.title, language=a.language, publisher=known.get(a.id))
        for a in articles
    ]
    return [(a.id, found) for a, found in zip(articles, classify_batch(docs, active), strict=True)]


def reclassify(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    executor: Executor | None = None,
    progress: Callable[[int], Any] | None = None,
    config: ClassifierConfig | None = None,
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
        config: the classifiers' configuration, sent to every worker
            (:func:`pipeline.classify.classifier_config`).

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is not configured.
    """
    from classifiers.registry import build_all
    from pipeline.classify import translated_errors

    started = time.perf_counter()
    with translated_errors():
        built = build_all(only=only, config=config)
    names = tuple(sorted(built))
    classifier_names = sorted({c.name for c in built.values()})
    articles = stored = unchanged = 0
    changed: dict[str, int] = {}
    drift: dict[str, int] = {}
    batches = stream_articles(store, since, until, BATCH)
    pending: list[Any] = []

    def submit(rows: list[ClassifiableArticle]) -> None:
        hashes = {a.id: a.content_hash for a in rows}
        with store.session() as session:
            publishers = article_publishers(session, list(hashes))
        if executor is None:
            with translated_errors():
                pending.append((classify_job(rows, only, config, publishers), hashes))
        else:
            job = executor.submit(classify_job, rows, only, config, publishers)
            pending.append((job, hashes))

    def drain(block_until: int) -> None:
        nonlocal articles, stored, unchanged
        while len(pending) > block_until:
            job, hashes = pending.pop(0)
            with translated_errors():
                results = job if isinstance(job, list) else job.result()
            with store.session() as session:
                before = latest_classifications(session, list(hashes), classifier_names)
                for article_id, classifications in results:
                    for c in classifications:
                        name, payload = c.classifier, c.to_json()
                        previous = before.get((article_id, name))
                        differs = previous is None or previous.to_json() != payload
                        if differs:
                            changed[name] = changed.get(name, 0) + 1
                        if dry_run:
                            continue
                        if store_classification(
                            session, article_id, name, c.version, hashes[article_id], payload
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
