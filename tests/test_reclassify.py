"""``lumi reclassify``: idempotent, reports changes, same results in worker processes."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import delete, select, update

from pipeline.demo import run_demo
from pipeline.reclassify import reclassify
from pipeline.settings import load_settings
from pipeline.store import ClassificationRow, count_rows, open_store


@pytest.fixture
def archive(tmp_path):
    result = run_demo(tmp_path / "demo", load_settings(env={}), echo=lambda _l: None)
    store = open_store(f"sqlite:///{result.database}")
    yield store
    store.close()


def test_reclassify_over_a_current_archive_stores_nothing(archive):
    with archive.session() as s:
        before = count_rows(s, ClassificationRow)
    report = reclassify(archive)
    assert report.articles == 18
    assert report.stored == 0 and report.unchanged == before
    assert report.changed == {}


def test_changed_results_are_counted_and_stored_unless_dry_run(archive):
    with archive.session() as s:
        victim = s.scalar(select(ClassificationRow.article_id).limit(1))
        s.execute(
            update(ClassificationRow)
            .where(ClassificationRow.article_id == victim, ClassificationRow.classifier == "actors")
            .values(result=[], version="v0")
        )
    dry = reclassify(archive, dry_run=True, only=["actors"])
    assert dry.changed == {"actors": 1} and dry.stored == 0
    real = reclassify(archive, only=["actors"])
    assert real.changed == {"actors": 1} and real.stored == 1
    again = reclassify(archive, only=["actors"])
    assert again.changed == {} and again.stored == 0


def test_worker_processes_give_the_same_results(archive):
    with archive.session() as s:
        expected = sorted(
            (r.article_id, r.classifier, str(r.result))
            for r in s.scalars(select(ClassificationRow))
        )
        s.execute(delete(ClassificationRow))
    with ProcessPoolExecutor(max_workers=2) as pool:
        report = reclassify(archive, executor=pool)
    assert report.stored == len(expected)
    with archive.session() as s:
        got = sorted(
            (r.article_id, r.classifier, str(r.result))
            for r in s.scalars(select(ClassificationRow))
        )
    assert got == expected


def test_results_that_drift_under_the_same_version_are_reported_not_overwritten(archive):
    with archive.session() as s:
        victim = s.scalar(select(ClassificationRow.article_id).limit(1))
        s.execute(
            update(ClassificationRow)
            .where(ClassificationRow.article_id == victim, ClassificationRow.classifier == "actors")
            .values(result=[{"name": "Stale"}])
        )
    report = reclassify(archive, only=["actors"])
    assert report.same_version_drift == {"actors": 1}
    assert report.stored == 0
    with archive.session() as s:
        kept = s.scalar(
            select(ClassificationRow.result).where(
                ClassificationRow.article_id == victim, ClassificationRow.classifier == "actors"
            )
        )
    assert kept == [{"name": "Stale"}]


def test_reclassify_on_a_local_dask_cluster_through_the_cli(archive, tmp_path):
    pytest.importorskip("dask.distributed", reason="Dask is an optional extra: lumi[dask]")
    import json
    import os
    import subprocess
    import sys

    with archive.session() as s:
        s.execute(delete(ClassificationRow).where(ClassificationRow.classifier == "actors"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env["LUMI_DATABASE_URL"] = archive.engine.url.render_as_string()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "reclassify",
            "--workers",
            "2",
            "--only",
            "actors",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["articles"] == 18 and report["stored"] == 18
