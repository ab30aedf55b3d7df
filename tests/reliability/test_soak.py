"""The short soak: 60 feeds on 10 loopback virtual hosts over four simulated hours, on
SQLite and on PostgreSQL.

The soak (``soakharness.py``) runs in a fresh interpreter, so its peak RSS is the soak's own
and not that of the tests run before it; it prints its result as JSON. The full soak (500
feeds, 50 hosts, a simulated day) is ``bench/soak.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from soakharness import SCALES, _check_store

from pipeline.store import open_store

HARNESS = Path(__file__).with_name("soakharness.py")


def _soak(database_url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HARNESS), "--scale", "short", "--database-url", database_url,
         "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["returncode"] = done.returncode
    return result


def test_four_simulated_hours_of_faulty_feeds_keep_every_invariant(db_url: str) -> None:
    result = _soak(db_url)
    assert result["violations"] == [], result["examples"]
    assert result["returncode"] == 0
    # the soak did what it claims: many items, several kinds of fault, 304s, canary links
    assert result["items_healthy"] >= 100
    assert len(result["faults_injected"]) >= 3
    assert sum(result["faults_injected"].values()) >= 5
    assert result["answers"]["feed-304"] > 0
    assert result["answers"]["feed-unhealthy"] > 0
    assert result["canary_links"] > 0
    # the invariants, one by one (the violations list above already holds them)
    assert result["duplicates"] == {"canonical_url": 0, "content_hash": 0, "feed_guid": 0}
    assert result["missing"] == result["stored_twice"] == result["unknown_sources"] == 0
    assert result["items_stored"] >= result["items_healthy"]
    assert result["healthy_feeds_not_ok"] == 0
    assert set(result["unhealthy_feed_states"]) <= {"failing", "disabled"}
    assert result["canary_hits"] == 0
    assert result["peak_per_host"] <= result["per_host_limit"]
    assert result["peak_in_flight"] <= result["concurrency_limit"]
    assert result["peak_rss_mib"] <= SCALES["short"].rss_bound_mib
    assert result["digest_identical"] and result["digest_bytes"] > 0


def test_the_ledger_check_finds_missing_twice_stored_and_unknown_sources(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}", auto_migrate=True)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO feeds (id, url, title, language, tags, in_registry, state, "
                "consecutive_failures, created_at) VALUES "
                "('f', 'http://127.0.0.2/f.xml', 'f', 'en', '[]', 1, 'ok', 0, '2026-11-20')"
            )
            for n, url in enumerate(["http://h.test/a", "http://h.test/b"]):
                conn.exec_driver_sql(
                    "INSERT INTO articles (key, url, canonical_url, title, text, summary, "
                    "text_source, is_teaser, content_hash, fetched_at, pending_text, "
                    f"page_attempts) VALUES ('k{n}', '{url}', '{url}', 't{n}', 'x{n}', '', "
                    f"'feed', 0, 'h{n}', '2026-11-20', 0, 0)"
                )
            # two entry keys with one GUID (a store that lost the GUID's uniqueness), a stray
            rows = [("g1", "k1", 1), ("g1", "k2", 2), ("stray", "k3", 2)]
            for guid, key, article in rows:
                conn.exec_driver_sql(
                    "INSERT INTO article_sources (article_id, feed_id, entry_key, guid, url, "
                    f"title, seen_at) VALUES ({article}, 'f', '{key}', '{guid}', "
                    "'http://h.test/a', 't', '2026-11-20')"
                )
        ledger = [
            {"feed_id": "f", "guid": guid, "link": "http://h.test/a", "healthy": True,
             "target": "own"}
            for guid in ("g1", "g2")
        ]  # fmt: skip
        checks = _check_store(store, ledger)
    finally:
        store.close()
    assert (checks["stored_twice"], checks["missing"], checks["unknown"]) == (1, 1, 1)
    assert checks["duplicates"]["feed_guid"] == 1
