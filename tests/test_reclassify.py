"""``lumi reclassify``: streams the archive, is idempotent, reports what changed (a dry run
reports exactly what the real run then does), and gives the same results in worker
processes and on a Dask cluster, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from crashes import article_row
from sqlalchemy import delete, insert, select, update

from classifiers.api import Classification
from pipeline.reclassify import ReclassifyReport, reclassify, result_label
from pipeline.store import (
    ArticleRow,
    ArticleSourceRow,
    ClassificationRow,
    FeedRow,
    Store,
    count_rows,
    open_store,
)

REPO = Path(__file__).resolve().parents[1]
ARTICLES = 24
START = datetime(2026, 3, 1, tzinfo=UTC)
_TEXTS: list[tuple[str, str]] = []


def _corpus_texts(shared: Path) -> list[tuple[str, str]]:
    """(title, text) of the first development-corpus entries with some body text."""
    if not _TEXTS:
        from pipeline.corpus import load_corpus_file

        for path in sorted((shared / "corpus" / "dev").glob("*.xml")):
            for item in load_corpus_file(shared, f"corpus/dev/{path.name}"):
                text = "\n\n".join(item.paragraphs)
                if len(text.split()) >= 50:
                    _TEXTS.append((item.title, text))
    return _TEXTS


def _fill(store: Store, shared: Path, n: int = ARTICLES) -> None:
    """Store ``n`` corpus articles, one a fetch hour apart, half of them from a feed with a
    publisher (what first-person statements are attributed to)."""
    texts = _corpus_texts(shared)[:n]
    with store.session() as s:
        s.execute(
            insert(FeedRow),
            [{"id": "lab", "url": "https://lab.example/feed.xml", "publisher": "Mistral AI"}],
        )
        s.execute(
            insert(ArticleRow),
            [
                article_row(
                    f"https://news.example/{i}", title, text, START + timedelta(hours=i), id=i + 1
                )
                for i, (title, text) in enumerate(texts)
            ],
        )
        s.execute(
            insert(ArticleSourceRow),
            [
                {"article_id": i + 1, "feed_id": "lab", "entry_key": str(i), "title": t}
                for i, (t, _) in enumerate(texts)
                if i % 2 == 0
            ],
        )


@pytest.fixture
def archive(store: Store, shared_data: Path) -> Store:
    """A classified archive of corpus articles, on SQLite and PostgreSQL."""
    _fill(store, shared_data)
    reclassify(store)
    return store


@pytest.fixture
def sqlite_archive(tmp_path: Path, shared_data: Path):
    """A classified archive of corpus articles in a SQLite file."""
    opened = open_store(f"sqlite:///{tmp_path / 'lumi.db'}", auto_migrate=True)
    _fill(opened, shared_data)
    reclassify(opened)
    yield opened
    opened.close()


def _rows(store: Store) -> list[tuple[Any, ...]]:
    """Every stored classification, comparable across runs (no row ids or times)."""
    with store.session() as s:
        return sorted(
            (r.article_id, r.classifier, r.version, r.content_hash, json.dumps(r.result))
            for r in s.scalars(select(ClassificationRow))
        )


def _comparable(report: ReclassifyReport) -> dict[str, Any]:
    out = report.to_json()
    del out["dry_run"], out["duration_s"]
    return out


def _stored_labels(store: Store, article_id: int, classifier: str) -> set[str]:
    """The labels of the newest stored result of one article and classifier."""
    with store.session() as s:
        row = s.scalars(
            select(ClassificationRow)
            .where(
                ClassificationRow.article_id == article_id,
                ClassificationRow.classifier == classifier,
            )
            .order_by(ClassificationRow.id.desc())
            .limit(1)
        ).one()
    return {
        result_label(r)
        for r in Classification.from_json(classifier, row.version, row.result).results
    }


def test_a_first_pass_stores_every_result_and_a_second_changes_nothing(
    store: Store, shared_data: Path
) -> None:
    _fill(store, shared_data)
    first = reclassify(store)
    names = sorted({n.split(".")[0] for n in first.classifiers})
    assert first.articles == ARTICLES
    assert first.stored == ARTICLES * len(names) and first.unchanged == 0
    assert first.changed == dict.fromkeys(names, ARTICLES)
    # every label of every stored result is reported gained, none lost
    for name in names:
        expected: dict[str, int] = {}
        for article_id in range(1, ARTICLES + 1):
            for label in _stored_labels(store, article_id, name):
                expected[label] = expected.get(label, 0) + 1
        got = first.labels.get(name, {})
        assert {k: v.gained for k, v in got.items()} == expected
        assert all(v.lost == 0 and 0 < len(v.sample) <= 5 for v in got.values())
    second = reclassify(store)
    assert second.articles == ARTICLES and second.stored == 0
    assert second.unchanged == first.stored
    assert second.changed == {} and second.labels == {} and second.same_version_drift == {}


def test_a_dry_run_reports_exactly_what_the_real_run_then_does_and_stores_nothing(
    archive: Store,
) -> None:
    with archive.session() as s:
        # an older actors version found nothing in three articles
        s.execute(
            update(ClassificationRow)
            .where(ClassificationRow.article_id.in_([1, 2, 3]))
            .where(ClassificationRow.classifier == "actors")
            .values(version="v0", result=[])
        )
        # risk themes were never stored for two articles
        s.execute(
            delete(ClassificationRow)
            .where(ClassificationRow.article_id.in_([4, 5]))
            .where(ClassificationRow.classifier == "risk_themes")
        )
        # an older relevance version decided the other way
        row = s.scalars(
            select(ClassificationRow).where(
                ClassificationRow.article_id == 6, ClassificationRow.classifier == "relevance"
            )
        ).one()
        flipped = [dict(row.result[0], relevant=not row.result[0]["relevant"])]
        s.execute(
            update(ClassificationRow)
            .where(ClassificationRow.id == row.id)
            .values(version="v0", result=flipped)
        )
        # one article's text changed since it was classified
        s.execute(
            update(ArticleRow)
            .where(ArticleRow.id == 7)
            .values(text=ArticleRow.text + "\n\nUpdated.", content_hash="1" * 64)
        )
    before = _rows(archive)

    dry = reclassify(archive, dry_run=True)
    assert _rows(archive) == before  # nothing stored
    assert dry.dry_run and dry.articles == ARTICLES
    real = reclassify(archive)
    assert _comparable(dry) == _comparable(real)
    assert not real.dry_run

    names = len(real.classifiers)
    # three actors, two risk themes, one relevance result, and every result of article 7
    assert real.stored == 3 + 2 + 1 + names
    assert real.unchanged == ARTICLES * names - real.stored
    assert real.changed["relevance"] >= 1
    relevance = real.labels["relevance"]
    now_relevant = "true" in _stored_labels(archive, 6, "relevance")
    gained, lost = ("true", "false") if now_relevant else ("false", "true")
    assert relevance[gained].gained >= 1 and relevance[lost].lost >= 1
    assert any(s.id == 6 for s in relevance[gained].sample)
    # the actors found again are reported gained, with the articles as samples
    for article_id in (1, 2, 3):
        for label in _stored_labels(archive, article_id, "actors"):
            change = real.labels["actors"][label]
            assert change.gained >= 1
            assert len(change.sample) == 5 or article_id in {s.id for s in change.sample}
    assert {s.change for c in real.labels.get("actors", {}).values() for s in c.sample} <= {"+"}

    after = _rows(archive)
    again = reclassify(archive)
    assert again.stored == 0 and again.changed == {} and again.labels == {}
    assert _rows(archive) == after


def test_progress_gets_done_and_the_total_counted_up_front(archive: Store) -> None:
    calls: list[tuple[int, int]] = []
    reclassify(archive, only=["actors"], progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, ARTICLES) and calls[-1] == (ARTICLES, ARTICLES)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert {t for _, t in calls} == {ARTICLES}


def test_fetch_bounds_select_the_articles(archive: Store) -> None:
    since, until = START + timedelta(hours=5), START + timedelta(hours=15)
    calls: list[tuple[int, int]] = []
    report = reclassify(
        archive,
        since=since,
        until=until,
        only=["actors"],
        progress=lambda d, t: calls.append((d, t)),
    )
    assert report.articles == 10 and calls[-1] == (10, 10)


def test_results_that_drift_under_the_same_version_are_reported_not_overwritten(
    archive: Store,
) -> None:
    with archive.session() as s:
        s.execute(
            update(ClassificationRow)
            .where(ClassificationRow.article_id == 1, ClassificationRow.classifier == "actors")
            .values(result=[{"name": "Stale"}])
        )
    dry = reclassify(archive, only=["actors"], dry_run=True)
    report = reclassify(archive, only=["actors"])
    assert _comparable(dry) == _comparable(report)
    assert report.same_version_drift == {"actors": 1}
    assert report.stored == 0 and report.changed == {}
    with archive.session() as s:
        kept = s.scalar(
            select(ClassificationRow.result).where(
                ClassificationRow.article_id == 1, ClassificationRow.classifier == "actors"
            )
        )
    assert kept == [{"name": "Stale"}]


def test_worker_processes_give_the_same_results(sqlite_archive: Store) -> None:
    expected = _rows(sqlite_archive)
    with sqlite_archive.session() as s:
        s.execute(delete(ClassificationRow))
    with ProcessPoolExecutor(max_workers=2) as pool:
        report = reclassify(sqlite_archive, executor=pool)
    assert report.stored == len(expected)
    assert _rows(sqlite_archive) == expected


def test_a_two_worker_dask_cluster_gives_the_same_results_as_one_process(
    sqlite_archive: Store,
) -> None:
    pytest.importorskip("dask.distributed", reason="Dask: pip install 'lumi[dask]'")
    from pipeline.reclassify import local_cluster

    expected = _rows(sqlite_archive)
    with sqlite_archive.session() as s:
        s.execute(delete(ClassificationRow))
    local = reclassify(sqlite_archive, dry_run=True)
    client, close = local_cluster(2)
    try:
        assert len(client.nthreads()) == 2
        on_dask = reclassify(sqlite_archive, executor=client)
    finally:
        close()
    assert _comparable(on_dask) == _comparable(local)
    assert _rows(sqlite_archive) == expected


def test_a_cluster_starts_while_the_default_dashboard_port_is_taken() -> None:
    pytest.importorskip("dask.distributed", reason="Dask: pip install 'lumi[dask]'")
    from pipeline.reclassify import local_cluster

    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:
        pass  # already taken by something else: the same situation
    try:
        client, close = local_cluster(1)
        try:
            assert len(client.nthreads()) == 1
            assert client.scheduler_info()["services"].get("dashboard") != 8787
        finally:
            close()
    finally:
        holder.close()


def _lumi(args: list[str], store: Store) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env["LUMI_DATABASE_URL"] = store.engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "reclassify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


def test_the_cli_reports_a_dry_run_as_text_then_the_real_run_as_json_without_progress_when_piped(
    sqlite_archive: Store,
) -> None:
    with sqlite_archive.session() as s:
        s.execute(
            update(ClassificationRow)
            .where(ClassificationRow.classifier == "actors", ClassificationRow.article_id <= 2)
            .values(version="v0", result=[])
        )
    before = _rows(sqlite_archive)
    dry = _lumi(["--only", "actors", "--dry-run"], sqlite_archive)
    assert dry.returncode == 0, dry.stderr
    assert _rows(sqlite_archive) == before
    head = dry.stdout.splitlines()[0]
    assert head.startswith(f"{ARTICLES} articles, 2 results would be stored") and "dry run" in head
    assert dry.stderr == ""  # piped: no progress bar
    real = _lumi(["--only", "actors", "--json"], sqlite_archive)
    assert real.returncode == 0, real.stderr
    report = json.loads(real.stdout)
    assert report["articles"] == ARTICLES and report["stored"] == 2
    assert report["dry_run"] is False and set(report["changed"]) <= {"actors"}
    assert real.stderr == ""


def test_reclassify_on_a_local_dask_cluster_through_the_cli(sqlite_archive: Store) -> None:
    pytest.importorskip("dask.distributed", reason="Dask is an optional extra: lumi[dask]")
    with sqlite_archive.session() as s:
        s.execute(delete(ClassificationRow).where(ClassificationRow.classifier == "actors"))
        assert count_rows(s, ClassificationRow) > 0
    proc = _lumi(["--workers", "2", "--only", "actors", "--json"], sqlite_archive)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["articles"] == ARTICLES and report["stored"] == ARTICLES
