"""``lumi run``: scheduled cycles, health and metrics, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from loopback import free_port, reap

from pipeline.errors import ConfigError
from pipeline.service import Service
from pipeline.settings import load_settings
from pipeline.store import open_store

REPO = Path(__file__).resolve().parents[1]
GOOD = "feeds/formats/rss-parser/test/input/heise.atom"


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read()


def _wait_for(url: str, deadline: float) -> dict:
    while time.monotonic() < deadline:
        try:
            status, body = _get(url)
            data = json.loads(body)
            if status == 200 and data.get("last_cycle"):
                return data
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never reported a finished cycle")


def test_run_polls_serves_health_and_metrics_and_stops_on_sigterm(tmp_path, loopback_server):
    registry = tmp_path / "feeds.yaml"
    registry.write_text(
        yaml.safe_dump(
            {
                "feeds": [
                    {
                        "id": "heise",
                        "url": loopback_server.url(GOOD),
                        "title": "Heise",
                        "language": "de",
                        "tags": ["t"],
                    },
                    {
                        "id": "broken",
                        "url": loopback_server.url("_fault/status/500"),
                        "title": "Broken",
                        "language": "en",
                        "tags": ["t"],
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env.update(
        {
            "LUMI_FEEDS": str(registry),
            "LUMI_DATABASE_URL": f"sqlite:///{tmp_path / 'lumi.db'}",
            "LUMI_ALLOWED_ADDRESSES": loopback_server.host_port,
            "LUMI_FETCH_PAGES": "0",
            "LUMI_HTTP_PORT": str(port),
            "LUMI_EXPORT_DIR": str(tmp_path / "digests"),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 90)
        assert health["status"] == "ok"
        assert health["last_cycle"]["feeds"] == 2 and health["last_cycle"]["failed"] == 1
        assert health["failing_feeds"] == ["broken"]
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        text = metrics.decode()
        assert status == 200
        assert "lumi_cycles_total 1.0" in text
        assert 'lumi_feeds_polled_total{outcome="error"} 1.0' in text
        assert "lumi_articles_new_total" in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        reap(proc)


def test_a_port_in_use_fails_start_before_the_scheduler_runs(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    cycles: list[int] = []
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = load_settings({}).replace(http_host="127.0.0.1", http_port=busy.getsockname()[1])
        service = Service(store, settings, lambda: cycles.append(1))
        try:
            with pytest.raises(ConfigError, match="in use"):
                service.start()
            assert not service.scheduler.running
            assert service.http_address is None
        finally:
            service.stop()
            store.close()
    assert cycles == []


def test_scheduled_digest_writes_the_stories_first_published_yesterday(tmp_path):
    from datetime import UTC, datetime, timedelta

    from test_digest import body, seed_article

    from pipeline.cli import _digest_job

    now = datetime.now(UTC)
    yesterday = now.date() - timedelta(days=1)
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    settings = load_settings({}).replace(export_dir=str(tmp_path / "digests"), timezone="UTC")
    try:
        # fetched today, published yesterday: yesterday's news
        seed_article(
            store,
            1,
            title="Published yesterday, fetched today",
            text=body(1),
            published=datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC),
            fetched_at=now,
        )
        seed_article(store, 2, title="Published today", text=body(2), published=now, fetched_at=now)
        service = Service(store, settings, lambda: None, digest=_digest_job(store, settings))
        service.run_digest_job()
    finally:
        store.close()
    written = tmp_path / "digests" / f"lumi-digest-{yesterday.isoformat()}.json"
    digest = json.loads(written.read_text("utf-8"))
    assert [i["title"] for i in digest["items"]] == ["Published yesterday, fetched today"]
    assert sorted(p.suffix for p in written.parent.iterdir()) == [".atom", ".html", ".json", ".md"]
