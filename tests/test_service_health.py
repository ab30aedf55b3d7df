"""/healthz tells the truth: ok, degraded (failing feeds, stale cycles) or 503 unavailable."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from types import SimpleNamespace

import pytest

from pipeline.ingest.registry import parse_registry
from pipeline.service import CYCLE_INTERVAL_SECONDS, STALE_CYCLES, Service
from pipeline.settings import load_settings
from pipeline.store import open_store, utcnow
from pipeline.store.feeds import record_polls, sync_registry


def _registry(n: int):
    return parse_registry(
        {
            "feeds": [
                {
                    "id": f"f{i}",
                    "url": f"https://example.org/{i}.xml",
                    "title": f"Feed {i}",
                    "language": "en",
                }
                for i in range(n)
            ]
        }
    )


def _serving(store) -> Service:
    """A service whose health endpoint answers on a free loopback port (no scheduler)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings({}).replace(http_host="127.0.0.1", http_port=port)
    svc = Service(store, settings, lambda: None)
    svc.bind()
    assert svc._http is not None
    threading.Thread(target=svc._http.serve_forever, daemon=True).start()
    svc._serving = True
    return svc


@pytest.fixture
def service(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    sync_registry(store, _registry(4))
    svc = _serving(store)
    yield svc
    svc.stop()
    store.close()


def _healthz(svc: Service) -> tuple[int, dict]:
    assert svc.http_address is not None
    host, port = svc.http_address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _fail(svc: Service, *ids: str) -> None:
    record_polls(svc.store, [{"id": i, "state": "failing", "error_class": "http"} for i in ids])


def test_healthy_service_answers_ok_with_no_reasons(service):
    status, body = _healthz(service)
    assert status == 200
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["feeds"] == 4 and body["failing_feeds"] == []


def test_half_the_feeds_failing_is_still_ok_but_more_is_degraded(service):
    _fail(service, "f0", "f1")
    assert _healthz(service)[1]["status"] == "ok"
    _fail(service, "f2")
    status, body = _healthz(service)
    assert status == 200 and body["status"] == "degraded"
    assert body["reasons"] == ["failing_share 0.75 > 0.5"]
    assert sorted(body["failing_feeds"]) == ["f0", "f1", "f2"]
    assert b"lumi_health_status 1.0" in service.metrics.render()


def test_threshold_comes_from_the_setting(service):
    service.settings = service.settings.replace(health_max_failing=0.2)
    _fail(service, "f0")
    assert _healthz(service)[1]["reasons"] == ["failing_share 0.25 > 0.2"]


def test_a_last_cycle_older_than_three_intervals_is_degraded(service):
    service._cycle = lambda: SimpleNamespace(feeds=[], new=0, failed=0)
    service.run_cycle_job()
    fresh = service.health()
    assert fresh["status"] == "ok"
    later = utcnow() + timedelta(seconds=STALE_CYCLES * CYCLE_INTERVAL_SECONDS + 30)
    stale = service.health(now=later)
    assert stale["status"] == "degraded"
    assert stale["reasons"][0].startswith("last_cycle ") and stale["reasons"][0].endswith("s ago")


def test_a_service_that_never_finished_a_cycle_goes_stale_from_its_start(service):
    service.started_at = utcnow()
    assert service.health()["status"] == "ok"
    later = service.started_at + timedelta(seconds=STALE_CYCLES * CYCLE_INTERVAL_SECONDS + 1)
    assert service.health(now=later)["reasons"][0].startswith("no cycle since start ")


def test_an_unreachable_database_answers_503_with_the_reason(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    store = open_store(f"sqlite:///{folder / 'lumi.db'}")
    sync_registry(store, _registry(2))
    # the database vanishes under the running service (a lost volume)
    store.engine.dispose()
    shutil.rmtree(folder)
    svc = _serving(store)
    try:
        status, body = _healthz(svc)
    finally:
        svc.stop()
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["reasons"][0].startswith("database: ")
    assert "Traceback" not in json.dumps(body)
    assert b"lumi_health_status 2.0" in svc.metrics.render()
