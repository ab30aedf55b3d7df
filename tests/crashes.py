"""Helpers for crash tests and the chaos run: start `lumi` killed at a named point, read
back what the database and the export folder hold (never shipped).

Used by ``tests/test_service_kill.py`` and ``bench/chaos.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from loopback import free_port, reap
from sqlalchemy import insert, select

from pipeline.faults import KILL_AT_ENV
from pipeline.store import ArticleRow, ArticleSourceRow, ClassificationRow, Store, utcnow

__all__ = [
    "REPO",
    "archive_articles",
    "classifications",
    "copy_sqlite",
    "http_get",
    "lumi",
    "run_lumi",
    "serve_until_a_cycle",
    "stored_sources",
    "visible_files",
]

REPO = Path(__file__).resolve().parents[1]


def lumi(
    env: dict[str, str],
    command: str,
    kill_at: str | None = None,
    args: Sequence[str] = (),
    **kwargs: Any,
) -> subprocess.Popen:
    """Start ``lumi <command> <args>`` in ``env``, to die at ``kill_at`` when given."""
    env = dict(env)
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    else:
        env.pop(KILL_AT_ENV, None)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", command, *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def run_lumi(
    env: dict[str, str],
    command: str,
    kill_at: str | None = None,
    args: Sequence[str] = (),
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """Run ``lumi <command> <args>`` to its end (or its kill); its exit code and output."""
    proc = lumi(env, command, kill_at=kill_at, args=args)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        reap(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def http_get(url: str) -> str:
    """The body of a GET of ``url`` (a local endpoint), as text."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()


def serve_until_a_cycle(env: dict[str, str], timeout: float = 120) -> str:
    """Run `lumi run` until it has finished a cycle (its start-up digests come first), then
    stop it with SIGTERM, which must end it with exit 0 within 10 s; its stderr."""
    port = free_port()
    proc = lumi({**env, "LUMI_HTTP_PORT": str(port)}, "run")
    try:
        deadline = time.monotonic() + timeout
        health: dict = {}
        while time.monotonic() < deadline and not health.get("last_cycle"):
            if proc.poll() is not None:
                raise AssertionError(f"`lumi run` ended early: {proc.stderr.read()}")
            with contextlib.suppress(OSError):
                health = json.loads(http_get(f"http://127.0.0.1:{port}/healthz"))
            time.sleep(0.3)
        assert health.get("last_cycle"), "the service never finished a cycle"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        return proc.stderr.read()
    finally:
        reap(proc)


def stored_sources(store: Store) -> list[tuple[str, str]]:
    """(feed id, entry key) of every stored article source, duplicates kept."""
    with store.session() as session:
        return [
            (feed_id, key)
            for feed_id, key in session.execute(
                select(ArticleSourceRow.feed_id, ArticleSourceRow.entry_key)
            )
        ]


def visible_files(directory: Path) -> dict[str, bytes]:
    """The visible files of an export folder and their bytes (hidden temporary files left
    out: a reader never opens those)."""
    if not directory.is_dir():
        return {}
    return {
        p.name: p.read_bytes() for p in sorted(directory.iterdir()) if not p.name.startswith(".")
    }


_TEMPLATES = (
    "Mistral AI releases Voxtral {n} under the Apache 2.0 license for commercial use.",
    "Meta's Llama {n} moves from a research-only license to a community license.",
    "A report on model risks: bias and safety concerns in release {n} of the system.",
    "The city council met on Tuesday {n} to discuss the new bus timetable and parking.",
)


def article_row(url: str, title: str, text: str, fetched_at: Any, **columns: Any) -> dict:
    """The ``articles`` row of an English feed-text article at ``url``, for a bulk insert
    (its content hash computed from ``text``); ``columns`` adds or overrides columns."""
    return {
        "key": url,
        "url": url,
        "title": title,
        "text": text,
        "text_source": "feed",
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        "language": "en",
        "fetched_at": fetched_at,
        **columns,
    }


def archive_articles(store: Store, articles: int, *, first: int = 0) -> None:
    """Store ``articles`` small unclassified articles straight into the archive (no feed),
    numbered from ``first``."""
    texts = [
        (n, " ".join(_TEMPLATES[n % len(_TEMPLATES)].format(n=n) for _ in range(3)))
        for n in range(first, first + articles)
    ]
    with store.session() as session:
        session.execute(
            insert(ArticleRow),
            [
                article_row(
                    f"https://archive.example/{n}",
                    text.split(".")[0],
                    text,
                    utcnow() - timedelta(hours=n - first),
                )
                for n, text in texts
            ],
        )


def classifications(store: Store) -> list[tuple]:
    """Every stored classification, comparable across databases (no row ids or times)."""
    with store.session() as session:
        return sorted(
            (r.article_id, r.classifier, r.version, r.content_hash, json.dumps(r.result))
            for r in session.scalars(select(ClassificationRow))
        )


def copy_sqlite(source: str, target: Path) -> None:
    """A consistent copy of a SQLite database file, its write-ahead log included."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
