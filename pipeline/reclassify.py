"""``lumi reclassify``: re-run classifiers over the stored archive.

Articles are streamed in batches by keyset pagination (constant memory whatever the archive
size); each batch is classified (in this process, in worker processes or on a Dask cluster:
the same classifier code everywhere), compared with the newest stored result of the same
classifier, and the results not yet stored under the current version and content hash are
stored in one bulk insert. Results already stored are skipped, so re-running is idempotent.

A dry run takes exactly the same path and stops short of the insert, so its report (counts,
label changes and samples) is the report the real run would give.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from classifiers.api import Classification
from classifiers.base import Classifier, ClassifierConfig, LicenseEvent, RelevanceScore
from pipeline.faults import kill_point
from pipeline.store import ClassifiableArticle, Store, stream_articles
from pipeline.store.classifications import (
    StoredResult,
    count_articles,
    store_classifications,
    stored_results,
)
from pipeline.store.feeds import article_publishers

__all__ = [
    "LabelChange",
    "LabelSample",
    "ReclassifyReport",
    "classify_job",
    "local_cluster",
    "reclassify",
    "result_label",
]

#: Articles per batch: what one worker task classifies and one transaction stores.
BATCH = 100
#: Articles kept as examples per label gained or lost.
SAMPLE = 5

#: ``progress(done, total)``: articles done so far and articles to do (counted up front).
Progress = Callable[[int, int], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class LabelSample:
    """One article that gained (``+``) or lost (``-``) a label."""

    id: int
    title: str
    change: str


@dataclasses.dataclass(frozen=True, slots=True)
class LabelChange:
    """How many articles gained and lost one label, with a few of them as examples."""

    gained: int
    lost: int
    sample: tuple[LabelSample, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ReclassifyReport:
    """What a reclassification pass did, or would do on a dry run.

    ``stored``: results newly stored (not stored before under this version and content
    hash); ``unchanged``: results already stored. ``changed``, per classifier: stored
    results that differ from the newest stored before (or have none before). ``labels``,
    per classifier and label (:func:`result_label`): articles that gain and lose it among
    those changed results.
    """

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
    labels: dict[str, dict[str, LabelChange]] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``lumi reclassify --json`` object."""
        return dataclasses.asdict(self)

    def lines(self) -> list[str]:
        """The human-readable report: totals, then one line per label gained or lost (up to
        three example articles each; :meth:`to_json` has all the samples)."""
        changed = ", ".join(f"{k} {v}" for k, v in sorted(self.changed.items())) or "none"
        head = (
            f"{self.articles} articles, {self.stored} results "
            + ("would be stored" if self.dry_run else "stored")
            + f", {self.unchanged} already current; changed: {changed}"
            + (" (dry run: nothing stored)" if self.dry_run else "")
        )
        out = [head]
        for name, labels in sorted(self.labels.items()):
            # the labels that moved most first
            ranked = sorted(labels.items(), key=lambda x: (-(x[1].gained + x[1].lost), x[0]))
            for label, change in ranked:
                examples = ", ".join(
                    f"{s.change}#{s.id} {_short(s.title)!r}" for s in change.sample[:3]
                )
                out.append(
                    f"  {name:<15} {label:<24} +{change.gained:<5} -{change.lost:<5} "
                    f"e.g. {examples}"
                )
        return out


def _short(title: str, limit: int = 50) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1] + "…"


def result_label(result: Any) -> str:
    """The label one result stands for in a report: a relevance result's ``true`` or
    ``false``, a license event's kind, otherwise its identity (an actor's name, a risk
    theme's id)."""
    if isinstance(result, RelevanceScore):
        return "true" if result.relevant else "false"
    if isinstance(result, LicenseEvent):
        return str(result.kind)
    return " ".join(str(part) for part in result.identity() if part is not None)


# Built classifiers per process, keyed by what was asked: a worker builds them for its first
# batch and reuses them for every later one.
_BUILT: dict[tuple[tuple[str, ...], ClassifierConfig | None], list[Classifier]] = {}


def _built(names: Sequence[str], config: ClassifierConfig | None) -> list[Classifier]:
    from classifiers.registry import build_all

    key = (tuple(names), config)
    found = _BUILT.get(key)
    if found is None:
        found = list(build_all(only=list(names), config=config).values())
        _BUILT[key] = found
    return found


def _classify(
    articles: Sequence[ClassifiableArticle],
    classifiers: Iterable[Classifier],
    publishers: Mapping[int, str] | None,
) -> list[tuple[int, tuple[Classification, ...]]]:
    from classifiers.api import classify_batch
    from classifiers.base import make_document

    known = publishers or {}
    docs = [
        make_document(a.text, title=a.title, language=a.language, publisher=known.get(a.id))
        for a in articles
    ]
    found = classify_batch(docs, classifiers)
    return [(a.id, result) for a, result in zip(articles, found, strict=True)]


def classify_job(
    articles: list[ClassifiableArticle],
    names: Sequence[str],
    config: ClassifierConfig | None = None,
    publishers: Mapping[int, str] | None = None,
) -> list[tuple[int, tuple[Classification, ...]]]:
    """Classify a batch of articles with :func:`classifiers.api.classify_batch`; picklable
    (arguments and result), so it runs in any worker process or Dask worker.

    The worker builds exactly the classifiers ``names`` (versioned names, in output order)
    with ``config`` on its first batch and keeps them for the next ones. ``publishers``
    maps article ids to their feed's publisher
    (:func:`pipeline.store.feeds.article_publishers`).

    Returns, per article, its id and one classification per classifier.
    """
    return _classify(articles, _built(names, config), publishers)


class _Tally:
    """The running counts of a pass; bounded memory (a few samples per label)."""

    def __init__(self) -> None:
        self.articles = self.stored = self.unchanged = 0
        self.changed: dict[str, int] = {}
        self.drift: dict[str, int] = {}
        self.gained: dict[tuple[str, str], int] = {}
        self.lost: dict[tuple[str, str], int] = {}
        self.samples: dict[tuple[str, str], list[LabelSample]] = {}

    def label_changes(
        self, name: str, article_id: int, title: str, before: set[str], after: set[str]
    ) -> None:
        for labels, counts, sign in (
            (after - before, self.gained, "+"),
            (before - after, self.lost, "-"),
        ):
            for label in sorted(labels):
                key = (name, label)
                counts[key] = counts.get(key, 0) + 1
                sample = self.samples.setdefault(key, [])
                if len(sample) < SAMPLE:
                    sample.append(LabelSample(article_id, title, sign))

    def labels(self) -> dict[str, dict[str, LabelChange]]:
        out: dict[str, dict[str, LabelChange]] = {}
        for key in sorted(set(self.gained) | set(self.lost)):
            name, label = key
            out.setdefault(name, {})[label] = LabelChange(
                self.gained.get(key, 0), self.lost.get(key, 0), tuple(self.samples[key])
            )
        return out


def _compare_and_store(
    store: Store,
    rows: Sequence[ClassifiableArticle],
    results: Sequence[tuple[int, tuple[Classification, ...]]],
    classifier_names: Sequence[str],
    dry_run: bool,
    tally: _Tally,
) -> None:
    """Compare one classified batch with what is stored, count, and (unless a dry run)
    store the new results, all in one transaction."""
    by_id = {a.id: a for a in rows}
    with store.session() as session:
        latest: dict[tuple[int, str], StoredResult] = {}
        exact: dict[tuple[int, str, str, str], StoredResult] = {}
        for r in stored_results(session, list(by_id), classifier_names):
            latest[(r.article_id, r.classifier)] = r  # storage order: the last one wins
            exact[(r.article_id, r.classifier, r.version, r.content_hash)] = r
        new: list[tuple[int, str, str, str, Any]] = []
        for article_id, classifications in results:
            article = by_id[article_id]
            for c in classifications:
                name, payload = c.classifier, c.to_json()
                kept = exact.get((article_id, name, c.version, article.content_hash))
                if kept is not None:
                    tally.unchanged += 1
                    if _normalised(kept).to_json() != payload:
                        tally.drift[name] = tally.drift.get(name, 0) + 1
                    continue
                new.append((article_id, name, c.version, article.content_hash, payload))
                previous = latest.get((article_id, name))
                before = _normalised(previous) if previous is not None else None
                if before is None or before.to_json() != payload:
                    tally.changed[name] = tally.changed.get(name, 0) + 1
                    tally.label_changes(
                        name,
                        article_id,
                        article.title,
                        {result_label(r) for r in before.results} if before else set(),
                        {result_label(r) for r in c.results},
                    )
            tally.articles += 1
        tally.stored += len(new)
        if not dry_run:
            store_classifications(session, new)


def _store_batch(
    store: Store,
    rows: Sequence[ClassifiableArticle],
    results: Sequence[tuple[int, tuple[Classification, ...]]],
    classifier_names: Sequence[str],
    dry_run: bool,
    tally: _Tally,
) -> None:
    """:func:`_compare_and_store`, its whole transaction run again on a transient database
    fault (a lock held by another writer); each run counts into a copy of ``tally``, so a
    rolled-back run counts nothing."""

    def attempt(store: Store) -> _Tally:
        trial = copy.deepcopy(tally)
        _compare_and_store(store, rows, results, classifier_names, dry_run, trial)
        return trial

    tally.__dict__.update(store.retrying(attempt).__dict__)


def _normalised(row: StoredResult) -> Classification:
    return Classification.from_json(row.classifier, row.version, row.result)


def local_cluster(workers: int) -> tuple[Any, Callable[[], None]]:
    """Start a local Dask cluster of ``workers`` processes, one thread each, and a client
    on it; returns the client (an ``executor`` for :func:`reclassify`) and what closes both.

    The workers run without Dask's default ``MALLOC_TRIM_THRESHOLD_`` (64 KiB), which
    returns freed memory to the system eagerly: reclassification allocates and frees text
    buffers all the time, its memory stays flat anyway, and the trimming cost the workers
    about a tenth more CPU per article than the same work in one process.

    Raises:
        ImportError: Dask is not installed (``pip install 'lumi[dask]'``).
    """
    import dask
    from dask.distributed import Client, LocalCluster

    environ = {
        k: v
        for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ") or {}).items()
        if k != "MALLOC_TRIM_THRESHOLD_"
    }
    # The workers' statistical profiler samples the running thread's stack every 10 ms; on
    # classification (deep pure-Python stacks) that is CPU taken from the work itself, and
    # nothing reads those profiles here.
    settings = {
        "distributed.nanny.pre-spawn-environ": environ,
        "distributed.worker.profile.enabled": False,
    }
    with dask.config.set(settings):
        # The scheduler's HTTP server (the dashboard when bokeh is installed) listens on a
        # free loopback port: without an address it takes 8787, and a second cluster on the
        # machine (another reclassify, a test run alongside) then fails to start.
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
        )
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client, close


def _is_dask(executor: Any) -> bool:
    return type(executor).__module__.split(".")[0] == "distributed"


def _parallelism(executor: Any) -> int:
    if _is_dask(executor):
        return max(1, sum(executor.nthreads().values()))
    return int(getattr(executor, "_max_workers", 2))


def reclassify(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    executor: Executor | Any | None = None,
    progress: Progress | None = None,
    config: ClassifierConfig | None = None,
) -> ReclassifyReport:
    """Re-run the classifiers over stored articles fetched in [since, until).

    Args:
        store: the open database.
        since, until: fetch-time bounds (aware datetimes), None for open.
        only: classifier names to run (default: all registered and configured).
        dry_run: compute and report everything the real run would change, store nothing.
        executor: where batches run: a :class:`concurrent.futures.Executor` (a process
            pool) or a ``dask.distributed.Client``; None runs them here.
        progress: called as ``progress(done, total)`` after each batch; ``total`` is
            counted once, up front.
        config: the classifiers' configuration, sent to every worker
            (:func:`pipeline.classify.classifier_config`).

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is not configured (here or
            on a worker).
    """
    from classifiers.registry import build_all
    from pipeline.classify import translated_errors

    started = time.perf_counter()
    with translated_errors():
        built = build_all(only=only, config=config)
    # Workers build exactly these versioned names, in this (output) order.
    names = tuple(built)
    active = list(built.values())
    classifier_names = sorted({c.name for c in active})
    total = count_articles(store, since, until)
    tally = _Tally()
    pending: list[tuple[Any, list[ClassifiableArticle]]] = []

    def submit(rows: list[ClassifiableArticle]) -> None:
        with store.session() as session:
            publishers = article_publishers(session, [a.id for a in rows])
        if executor is None:
            with translated_errors():
                pending.append((_classify(rows, active, publishers), rows))
        elif _is_dask(executor):
            # pure=False: no hashing of the batch to name the task
            client: Any = executor
            job = client.submit(classify_job, rows, names, config, publishers, pure=False)
            pending.append((job, rows))
        else:
            pending.append((executor.submit(classify_job, rows, names, config, publishers), rows))

    def drain(keep: int) -> None:
        while len(pending) > keep:
            job, rows = pending.pop(0)
            with translated_errors():
                results = job if isinstance(job, list) else job.result()
            _store_batch(store, rows, results, classifier_names, dry_run, tally)
            kill_point("during-reclassify")
            if progress is not None:
                progress(tally.articles, max(total, tally.articles))

    # Keep every worker busy (and one batch queued for each) while results are stored here;
    # in-process, one batch at a time.
    in_flight = 1 if executor is None else 2 * _parallelism(executor)
    if progress is not None:
        progress(0, total)
    for rows in stream_articles(store, since, until, BATCH):
        submit(rows)
        drain(in_flight - 1)
    drain(0)
    return ReclassifyReport(
        articles=tally.articles,
        stored=tally.stored,
        unchanged=tally.unchanged,
        changed=dict(sorted(tally.changed.items())),
        classifiers=tuple(sorted(names)),
        dry_run=dry_run,
        duration_s=time.perf_counter() - started,
        same_version_drift=dict(sorted(tally.drift.items())),
        labels=tally.labels(),
    )
