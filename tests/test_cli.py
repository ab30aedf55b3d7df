"""The ``lumi`` command line: output contracts, exit codes and documentation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from pipeline.cli import app

REPO = Path(__file__).resolve().parents[1]
GOOD = "feeds/formats/rss-parser/test/input/heise.atom"
PAGE = "pages/trafilatura-ai-topic/bsi.de-ki.html"


def _registry(path: Path, feeds: list[tuple[str, str]]) -> Path:
    doc = {
        "feeds": [
            {"id": i, "url": u, "title": i, "language": "en", "tags": ["t"]} for i, u in feeds
        ]
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, loopback_server) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    base.update(
        {
            "LUMI_DATABASE_URL": f"sqlite:///{tmp_path / 'lumi.db'}",
            "LUMI_ALLOWED_ADDRESSES": loopback_server.host_port,
            "LUMI_FETCH_PAGES": "0",
            "LUMI_HTTP_TIMEOUT": "5",
        }
    )
    return base


def _lumi(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_fetch_json_prints_one_object_and_exits_0_when_all_feeds_succeed(
    tmp_path, env, loopback_server
):
    env["LUMI_FEEDS"] = str(
        _registry(tmp_path / "feeds.yaml", [("heise", loopback_server.url(GOOD))])
    )
    proc = _lumi(["fetch", "--all", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"feeds", "new", "failed"}
    assert out["failed"] == 0 and out["new"] > 0
    feed = out["feeds"][0]
    assert {"id", "http_status", "new", "error"} <= set(feed)
    assert feed["id"] == "heise" and feed["http_status"] == 200 and feed["error"] is None


def test_fetch_exits_1_and_reports_the_error_class_when_a_feed_fails(
    tmp_path, env, loopback_server
):
    env["LUMI_FEEDS"] = str(
        _registry(
            tmp_path / "feeds.yaml",
            [
                ("heise", loopback_server.url(GOOD)),
                ("broken", loopback_server.url("_fault/status/503?retry_after=120")),
            ],
        )
    )
    proc = _lumi(["fetch", "--json"], env)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    errors = {f["id"]: f["error"] for f in out["feeds"]}
    assert errors["heise"] is None
    assert errors["broken"]["class"] == "http_5xx" and errors["broken"]["message"]
    assert out["failed"] == 1


@pytest.mark.parametrize(
    ("args", "extra_env"),
    [
        (["fetch", "--feed", "no-such-feed"], {}),
        (["fetch"], {"LUMI_HTTP_TIMEOUT": "soon"}),
        (["fetch", "--frobnicate"], {}),
        (["fetch"], {"LUMI_FEEDS": "/nonexistent/feeds.yaml"}),
    ],
)
def test_usage_and_configuration_errors_exit_2(tmp_path, env, loopback_server, args, extra_env):
    env["LUMI_FEEDS"] = str(
        _registry(tmp_path / "feeds.yaml", [("heise", loopback_server.url(GOOD))])
    )
    env.update(extra_env)
    proc = _lumi(args, env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.strip()


def test_invalid_registry_entry_exits_2_naming_entry_and_field(tmp_path, env):
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n  - id: ok-feed\n    url: gopher://x\n    title: X\n    language: en\n",
        encoding="utf-8",
    )
    env["LUMI_FEEDS"] = str(path)
    proc = _lumi(["feeds", "list"], env)
    assert proc.returncode == 2
    assert "ok-feed" in proc.stderr and "url" in proc.stderr


def test_feeds_check_shows_state_last_success_error_and_next_poll(tmp_path, env, loopback_server):
    env["LUMI_FEEDS"] = str(
        _registry(
            tmp_path / "feeds.yaml",
            [
                ("heise", loopback_server.url(GOOD)),
                ("gone", loopback_server.url("_fault/status/410")),
                ("never", loopback_server.url(GOOD) + "?never=1"),
            ],
        )
    )
    _lumi(["fetch", "--feed", "heise", "--feed", "gone"], env)
    proc = _lumi(["feeds", "check", "--json"], env)
    rows = {r["id"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert rows["heise"]["state"] == "ok" and rows["heise"]["last_success_at"]
    assert rows["heise"]["next_poll_at"]
    assert rows["gone"]["state"] == "disabled" and rows["gone"]["error_class"] == "http_4xx"
    assert rows["never"]["state"] == "new"
    assert proc.returncode == 1  # a disabled feed is something to look at
    text = _lumi(["feeds", "check"], env).stdout
    assert "gone" in text and "disabled" in text and "http_4xx" in text


def test_opml_export_and_import_round_trip_through_the_cli(tmp_path, env):
    env["LUMI_FEEDS"] = str(REPO / "feeds.yaml")
    opml = tmp_path / "feeds.opml"
    assert _lumi(["feeds", "export-opml", "--out", str(opml)], env).returncode == 0
    env["LUMI_FEEDS"] = str(tmp_path / "imported.yaml")
    proc = _lumi(["feeds", "import-opml", str(opml)], env)
    assert proc.returncode == 0, proc.stderr
    original = yaml.safe_load((REPO / "feeds.yaml").read_text(encoding="utf-8"))["feeds"]
    imported = yaml.safe_load(Path(env["LUMI_FEEDS"]).read_text(encoding="utf-8"))["feeds"]
    assert [f["id"] for f in imported] == [f["id"] for f in original]
    assert [f["url"] for f in imported] == [f["url"] for f in original]


def test_extract_json_prints_one_line_per_input_in_order(env, shared_data: Path, loopback_server):
    url = loopback_server.url(PAGE)
    proc = _lumi(["extract", str(shared_data / PAGE), url, "--json"], env)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(shared_data / PAGE), url]
    for line in lines:
        assert line["language"] == "de"
        assert {"title", "author", "date", "text", "is_teaser"} <= set(line)
        assert len(line["text"]) > 200


def test_extract_refuses_a_private_address_not_on_the_allow_list(env, loopback_server):
    env["LUMI_ALLOWED_ADDRESSES"] = ""
    proc = _lumi(["extract", loopback_server.url(PAGE), "--json"], env)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["class"] == "RefusedAddress"


def test_config_prints_effective_values_with_their_source(env):
    env["LUMI_TIMEZONE"] = "Europe/Berlin"
    values = json.loads(_lumi(["config", "--json"], env).stdout)
    assert values["timezone"] == "Europe/Berlin"
    assert values["http_timeout"] == 5.0
    text = _lumi(["config"], env).stdout
    assert "LUMI_TIMEZONE" in text and "(env, str)" in text


def test_db_upgrade_migrates_an_empty_database(tmp_path, env):
    env["LUMI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"
    proc = _lumi(["db", "upgrade"], env)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"database at revision \w+", proc.stdout)


def test_demo_runs_the_pipeline_into_a_fresh_sqlite_file(tmp_path, env):
    out = tmp_path / "demo"
    proc = _lumi(["demo", "--out", str(out)], env)
    assert proc.returncode == 0, proc.stderr
    assert (out / "lumi.db").is_file()
    assert "Stored" in proc.stdout and "articles" in proc.stdout
    again = _lumi(["demo", "--out", str(out)], env)
    assert again.returncode == 0
    assert again.stdout.count("new=") == proc.stdout.count("new=")


def _commands(group=None, prefix=""):
    group = group or get_command(app)
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, full + " ")
        else:
            yield full


def test_every_command_has_help_and_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    names = list(_commands())
    assert {
        "fetch",
        "demo",
        "extract",
        "run",
        "config",
        "db upgrade",
        "feeds list",
        "feeds check",
        "feeds import-opml",
        "feeds export-opml",
    } <= set(names)
    for name in names:
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.output
        top = name.split()[0]
        assert f"lumi {top}" in readme, f"`lumi {name}` is not documented in README.md"
        for word in name.split()[1:]:
            assert word in readme, f"`lumi {name}` is not documented in README.md"


def test_digest_of_past_days_review_and_reexport_through_the_cli(tmp_path, env):
    from datetime import timedelta

    from pipeline.publish.digest import story_days
    from pipeline.store import open_store

    out = tmp_path / "demo"
    assert _lumi(["demo", "--out", str(out)], env).returncode == 0
    env["LUMI_DATABASE_URL"] = f"sqlite:///{out / 'lumi.db'}"
    store = open_store(env["LUMI_DATABASE_URL"])
    try:  # the sample stories were published on past days of the archive
        span = story_days(store, env.get("LUMI_TIMEZONE", "UTC"))
    finally:
        store.close()
    assert span is not None
    last = span[1]
    day = last.isoformat()
    period = ["--date", day, "--days", "2"]
    first = _lumi(["digest", *period, "--format", "json,html", "--out", str(tmp_path / "a")], env)
    assert first.returncode == 0, first.stderr
    paths = [Path(p) for p in first.stdout.split()]
    assert sorted(p.suffix for p in paths) == [".html", ".json"]
    assert {p.stem for p in paths} == {f"lumi-digest-{last - timedelta(days=1)}--{day}"}
    digest = json.loads(paths[[p.suffix for p in paths].index(".json")].read_text("utf-8"))
    item = digest["items"][0]
    assert item["ai_disclosure"]["disclosure_level"] == "ai-autonomous"
    assert _lumi(["review", item["id"], "--approve", "--editor", "  "], env).returncode == 2
    reviewed = _lumi(
        [
            "review",
            item["id"],
            "--approve",
            "--editor",
            "Desk Editor",
            "--note",
            "checked against the source",
        ],
        env,
    )
    assert reviewed.returncode == 0, reviewed.stderr
    again = _lumi(["digest", *period, "--format", "json", "--out", str(tmp_path / "b")], env)
    after = json.loads(Path(again.stdout.strip()).read_text("utf-8"))
    disclosure = {i["id"]: i["ai_disclosure"] for i in after["items"]}[item["id"]]
    assert disclosure["disclosure_level"] == "ai-assisted"
    assert disclosure["exemption_applied"] is True
    assert disclosure["editorial_responsibility"] == "Desk Editor"
    third = _lumi(["digest", *period, "--format", "json", "--out", str(tmp_path / "b")], env)
    assert Path(third.stdout.strip()).read_bytes() == Path(again.stdout.strip()).read_bytes()
    assert _lumi(["review", "s-999999", "--approve", "--editor", "X"], env).returncode == 1


def test_digest_groups_and_summarises_first_and_says_so(tmp_path, env):
    from test_digest import DAY, body, relicense, seed_article

    from pipeline.publish.digest import write_digest
    from pipeline.settings import load_settings
    from pipeline.store import open_store

    store = open_store(env["LUMI_DATABASE_URL"])
    try:
        seed_article(
            store,
            1,
            title="Devstral switches to Apache 2.0 license",
            text=body(1),
            results={"license_events": [relicense("Devstral")]},
        )
        seed_article(store, 2, title="Quarterly hiring update", text=body(2))
    finally:
        store.close()
    args = ["digest", "--date", DAY.isoformat(), "--format", "json"]
    first = _lumi([*args, "--out", str(tmp_path / "a")], env)
    assert first.returncode == 0, first.stderr
    assert "grouped 2 articles into 2 stories, summarised 2" in first.stderr.splitlines()
    written = Path(first.stdout.strip()).read_bytes()
    digest = json.loads(written)
    assert [i["title"] for i in digest["items"]] == [
        "Devstral switches to Apache 2.0 license",
        "Quarterly hiring update",
    ]
    assert digest["items"][0]["section"] == "licensing"
    again = _lumi([*args, "--out", str(tmp_path / "b")], env)
    assert "grouped 0 articles into 0 stories, summarised 0" in again.stderr.splitlines()
    assert Path(again.stdout.strip()).read_bytes() == written
    # what the command wrote is what the read-only export gives from the stored data
    store = open_store(env["LUMI_DATABASE_URL"])
    try:
        settings = load_settings(env=env)
        (path,) = write_digest(store, DAY, settings, formats=["json"], out_dir=tmp_path / "c")
    finally:
        store.close()
    assert path.read_bytes() == written


def test_digest_all_includes_the_stories_left_out_as_outside_ai_news(tmp_path, env):
    from test_digest import DAY, body, relevance, seed_article

    from pipeline.store import open_store

    store = open_store(env["LUMI_DATABASE_URL"])
    try:
        seed_article(
            store,
            1,
            title="Lab releases open-weight model",
            text=body(1),
            results={"relevance": relevance(True, 0.9)},
        )
        seed_article(
            store,
            2,
            title="A history of the Roman aqueducts",
            text=body(2),
            results={"relevance": relevance(False, 0.1)},
        )
    finally:
        store.close()
    args = ["digest", "--date", DAY.isoformat(), "--format", "json"]
    default = _lumi([*args, "--out", str(tmp_path / "a")], env)
    assert default.returncode == 0, default.stderr
    digest = json.loads(Path(default.stdout.strip()).read_text("utf-8"))
    assert [i["title"] for i in digest["items"]] == ["Lab releases open-weight model"]
    assert digest["left_out"] == {"not_relevant": 1}
    everything = _lumi([*args, "--all", "--out", str(tmp_path / "b")], env)
    assert everything.returncode == 0, everything.stderr
    digest = json.loads(Path(everything.stdout.strip()).read_text("utf-8"))
    assert [(i["title"], i["section"]) for i in digest["items"]] == [
        ("Lab releases open-weight model", "other"),
        ("A history of the Roman aqueducts", "off_topic"),
    ]
    assert digest["left_out"] == {"not_relevant": 0}


def test_digest_date_shows_what_was_published_that_day_whenever_it_was_fetched(tmp_path, env):
    from datetime import timedelta

    from test_digest import DAY, NOON, body, seed_article

    from pipeline.store import open_store

    store = open_store(env["LUMI_DATABASE_URL"])
    try:
        seed_article(
            store,
            1,
            title="Published on the day, fetched three days later",
            text=body(1),
            published=NOON,
            fetched_at=NOON + timedelta(days=3),
        )
    finally:
        store.close()
    day = ["digest", "--date", DAY.isoformat(), "--format", "json"]
    shown = _lumi([*day, "--out", str(tmp_path / "a")], env)
    assert shown.returncode == 0, shown.stderr
    digest = json.loads(Path(shown.stdout.strip()).read_text("utf-8"))
    assert [i["title"] for i in digest["items"]] == [
        "Published on the day, fetched three days later"
    ]
    later = (DAY + timedelta(days=3)).isoformat()
    fetch_day = _lumi(["digest", "--date", later, "--format", "json", "--out", str(tmp_path)], env)
    assert json.loads(Path(fetch_day.stdout.strip()).read_text("utf-8"))["items"] == []
    refused = _lumi([*day, "--days", "0", "--out", str(tmp_path / "b")], env)
    assert refused.returncode == 2


@pytest.mark.postgres
def test_postgres_is_migrated_with_db_upgrade_then_fetch_runs_on_it(
    tmp_path, env, loopback_server, pg_url
):
    env["LUMI_DATABASE_URL"] = pg_url
    env["LUMI_FEEDS"] = str(
        _registry(tmp_path / "feeds.yaml", [("heise", loopback_server.url(GOOD))])
    )
    before = _lumi(["fetch", "--json"], env)
    assert before.returncode == 2 and "lumi db upgrade" in before.stderr
    assert _lumi(["db", "upgrade"], env).returncode == 0
    after = _lumi(["fetch", "--json"], env)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["new"] > 0
