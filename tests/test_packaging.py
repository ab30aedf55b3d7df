"""The Dockerfile copies files that exist and checks health on the configured port."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from loopback import free_port, reap

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_every_path_the_dockerfile_copies_exists():
    copies = re.findall(r"^COPY\s+(.+)$", DOCKERFILE, re.M)
    assert copies
    for line in copies:
        *sources, _dest = line.split()
        for source in sources:
            assert (REPO / source).exists(), source


def test_healthcheck_uses_the_port_setting_and_no_literal_port():
    check = re.search(r"^HEALTHCHECK .*$", DOCKERFILE, re.M)
    assert check is not None
    assert "LUMI_HTTP_PORT" in check.group(0)
    assert not re.search(r":\d{2,5}/", check.group(0))
    assert re.search(r"^\s*LUMI_HTTP_PORT=\d+", DOCKERFILE, re.M)


def _dockerfile_env() -> dict[str, str]:
    """The ENV instructions of the Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.+)$", joined, re.M):
        env.update(dict(pair.split("=", 1) for pair in line.split()))
    return env


def test_the_image_runs_as_a_non_root_user_with_a_data_volume():
    assert re.search(r"^USER\s+(?!root\b)\w+", DOCKERFILE, re.M)
    assert re.search(r'^VOLUME\s+\["/data"\]', DOCKERFILE, re.M)
    assert _dockerfile_env()["LUMI_DATABASE_URL"].startswith("sqlite:////data/")


def test_compose_runs_the_image_against_postgresql():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    lumi, db = services["lumi"], services["db"]
    assert lumi["build"] == "."
    assert lumi["environment"]["LUMI_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in lumi["environment"]["LUMI_DATABASE_URL"]
    assert lumi["depends_on"]["db"]["condition"] == "service_healthy"
    assert db["image"].startswith("postgres:") and "healthcheck" in db
    assert any(v.endswith(":/data") for v in lumi["volumes"])
    # Health and metrics are published on the host's loopback interface only.
    assert all(p.startswith("127.0.0.1:") for p in lumi["ports"])


def test_the_image_command_migrates_and_serves_from_a_plain_install(tmp_path):
    """Install exactly the files the Dockerfile copies with a plain ``pip install``, then run
    the image's CMD with its ENV (the /data paths moved to a scratch folder): the database
    is migrated, /healthz answers, and SIGTERM stops the service with exit 0."""
    app, site, data = tmp_path / "app", tmp_path / "site", tmp_path / "data"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
    for line in re.findall(r"^COPY\s+(.+)$", DOCKERFILE, re.M):
        *sources, dest = line.split()
        for source in sources:
            target = app / dest.rstrip("/") if dest != "./" else app / source
            if (REPO / source).is_dir():
                shutil.copytree(REPO / source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / source, target)
    install = subprocess.run(
        [*pip, str(site), str(app)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    (app / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    for key, value in _dockerfile_env().items():
        env[key] = value.replace("/data", str(data)).replace("/app", str(app))
    env.update(
        LUMI_HTTP_HOST="127.0.0.1",
        LUMI_HTTP_PORT=str(port),
        PYTHONPATH=str(site),
        PATH=f"{site / 'bin'}{os.pathsep}{env['PATH']}",
    )
    data.mkdir()
    cmd = json.loads(re.search(r"^CMD\s+(\[.*\])$", DOCKERFILE, re.M).group(1))
    where = subprocess.run(
        [sys.executable, "-c", "import pipeline; print(pipeline.__file__)"],
        env=env,
        cwd=data,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site)), where.stdout
    proc = subprocess.Popen(cmd, env=env, cwd=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert health is not None, proc.stderr.read().decode() if proc.poll() is not None else ""
        assert health["status"] == "ok"
        assert (data / "lumi.db").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        reap(proc)
