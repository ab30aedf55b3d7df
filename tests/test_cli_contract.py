"""The ``lumi`` contract: bad arguments to any command give the documented exit code and
one ``error:`` line on stderr, never a traceback. Everything runs through the installed
``lumi`` entry point in a scratch directory with its own SQLite file and feed registry."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer
import yaml
from typer.main import get_command

from pipeline.cli import app, run_app
from pipeline.errors import ConfigError, LumiError

# Every case is a real subprocess of the installed entry point; on two busy cores the
# module fixture that runs them all takes minutes, which is load, not a hang.
pytestmark = pytest.mark.timeout(600)

LUMI = Path(sys.executable).parent / "lumi"
REPO = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Case:
    """One invocation, the exit code it must give and what its error line must name."""

    name: str
    args: tuple[str, ...]
    code: int
    names: str = ""  # text the single ``error:`` line must contain
    env: tuple[tuple[str, str], ...] = ()


BUSY_PORT = "{busy_port}"  # replaced by a port a listening socket holds during the run

CASES = [
    Case("unknown-option", ("--bogus",), 2, "No such option"),
    Case("unknown-command", ("nosuch",), 2, "No such command"),
    Case("missing-config-file", ("--config", "missing.conf", "config"), 2, "missing.conf"),
    Case("bad-setting", ("config",), 2, "LUMI_HTTP_TIMEOUT", (("LUMI_HTTP_TIMEOUT", "soon"),)),
    Case("config-unknown-option", ("config", "--bogus"), 2, "No such option"),
    Case("fetch-unknown-option", ("fetch", "--frobnicate"), 2, "No such option"),
    Case("fetch-unknown-feed", ("fetch", "--feed", "no-such-feed"), 2, "no-such-feed"),
    Case("extract-no-target", ("extract",), 2, "Missing argument"),
    Case("extract-missing-file", ("extract", "missing.html"), 1),
    Case("classify-unknown-classifier", ("classify", "--only", "nosuch", "a.txt"), 2, "nosuch"),
    Case("classify-no-target", ("classify",), 2, "Missing argument"),
    Case("eval-missing-file", ("eval", "missing.jsonl"), 2, "cannot read missing.jsonl"),
    Case("eval-no-labelled-items", ("eval", "empty.jsonl"), 2, "no labelled items"),
    Case("eval-not-json", ("eval", "a.txt"), 2, "line 1"),
    Case("train-no-shared-corpus", ("train", "--shared", "nowhere"), 2, "shared corpus"),
    Case("train-bad-seed", ("train", "--seed", "abc"), 2, "--seed"),
    Case("reclassify-negative-workers", ("reclassify", "--workers", "-3"), 2, "--workers"),
    Case("reclassify-unknown-classifier", ("reclassify", "--only", "nosuch"), 2, "nosuch"),
    Case("reclassify-bad-date", ("reclassify", "--since", "yesterday"), 2, "not a date"),
    Case(
        "reclassify-unreachable-dask",
        ("reclassify", "--dask", "tcp://127.0.0.1:1"),
        2,
        "Dask scheduler at tcp://127.0.0.1:1",
    ),
    Case("digest-bad-date", ("digest", "--date", "2026-13-45"), 2, "not a date"),
    Case("digest-unknown-format", ("digest", "--format", "pdf"), 2, "pdf"),
    Case("review-no-id", ("review",), 2, "Missing argument"),
    Case(
        "review-malformed-id",
        ("review", "story-1", "--approve", "--editor", "X"),
        2,
        "not a digest item id",
    ),
    Case("review-no-verdict", ("review", "s-1", "--editor", "X"), 2, "--approve or --reject"),
    Case(
        "review-no-editor",
        ("review", "s-1", "--approve", "--editor", " "),
        2,
        "editorial responsibility",
    ),
    Case("review-unknown-id", ("review", "s-999", "--approve", "--editor", "X"), 1, "s-999"),
    Case("demo-out-is-a-file", ("demo", "--out", "a.txt"), 2, "a.txt is a file"),
    Case("run-port-in-use", ("run",), 2, "in use", (("LUMI_HTTP_PORT", BUSY_PORT),)),
    Case("run-bad-port", ("run",), 2, "LUMI_HTTP_PORT", (("LUMI_HTTP_PORT", "-1"),)),
    Case("feeds-bare", ("feeds",), 2),
    Case(
        "feeds-list-no-registry",
        ("feeds", "list"),
        2,
        "nowhere.yaml",
        (("LUMI_FEEDS", "nowhere.yaml"),),
    ),
    Case("feeds-check-unknown-option", ("feeds", "check", "--bogus"), 2, "No such option"),
    Case("feeds-import-missing-file", ("feeds", "import-opml", "missing.opml"), 2, "missing.opml"),
    Case("feeds-import-not-opml", ("feeds", "import-opml", "a.txt"), 2, "OPML"),
    Case(
        "feeds-export-unwritable",
        ("feeds", "export-opml", "--out", "no/such/dir/x.opml"),
        2,
        "cannot write",
    ),
    Case("db-bare", ("db",), 2),
    Case(
        "dataset-build-no-corpus",
        ("dataset", "build", "--shared", "nowhere"),
        2,
        "does not hold the shared corpus",
    ),
    Case("dataset-show-holdout", ("dataset", "show", ".", "corpus/holdout/x.xml"), 2, "holdout"),
    Case("db-upgrade-unknown-revision", ("db", "upgrade", "nosuchrev"), 2, "nosuchrev"),
    Case(
        "db-upgrade-unreachable-postgres",
        ("db", "upgrade"),
        2,
        "cannot connect to the database",
        (("LUMI_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test"),),
    ),
]


def lumi_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no inherited LUMI_* values, a scratch database and registry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env.update(
        {
            "LUMI_DATABASE_URL": f"sqlite:///{tmp_path / 'lumi.db'}",
            "LUMI_FEEDS": str(tmp_path / "feeds.yaml"),
            "LUMI_EXPORT_DIR": str(tmp_path / "digests"),
            "LUMI_HTTP_TIMEOUT": "5",
        }
    )
    return env


def lumi(
    args: list[str] | tuple[str, ...], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``lumi`` console script."""
    return subprocess.run(
        [str(LUMI), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=90
    )


def _scratch(tmp_path: Path) -> None:
    feed = {"id": "lab", "url": "https://feeds.example/ai.xml", "title": "Lab", "language": "en"}
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump({"feeds": [feed]}), encoding="utf-8")
    (tmp_path / "a.txt").write_text("Mistral AI released a model.\n", encoding="utf-8")
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    """Every case's completed process, run in parallel (each takes a few seconds)."""
    root = tmp_path_factory.mktemp("contract")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])

        def run(case: Case) -> subprocess.CompletedProcess[str]:
            cwd = root / case.name
            cwd.mkdir()
            _scratch(cwd)
            env = lumi_env(cwd)
            env.update({k: v.replace(BUSY_PORT, port) for k, v in case.env})
            return lumi(case.args, env, cwd)

        with ThreadPoolExecutor(max_workers=8) as pool:
            done = dict(zip([c.name for c in CASES], pool.map(run, CASES), strict=True))
        yield done


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_arguments_give_the_documented_exit_code_and_one_error_line(
    results: dict[str, subprocess.CompletedProcess[str]], case: Case
) -> None:
    proc = results[case.name]
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == case.code, (proc.stdout, proc.stderr)
    if not case.names:
        return
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert case.names in errors[0]
    others = [
        line
        for line in proc.stderr.splitlines()
        if line.strip() and not line.startswith(("error:", "warning:"))
    ]
    assert others == [], proc.stderr


def test_run_on_a_port_in_use_fails_before_it_says_running(
    results: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    proc = results["run-port-in-use"]
    assert proc.returncode == 2
    assert "running" not in proc.stdout


def _leaf_commands(group: object = None, prefix: str = "") -> Iterator[str]:
    group = group or get_command(app)
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(cmd, "commands"):
            yield from _leaf_commands(cmd, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_command_has_a_contract_case() -> None:
    covered = set()
    for case in CASES:
        words = [a for a in case.args if not a.startswith("-")]
        covered.update({" ".join(words[:1]), " ".join(words[:2])})
    missing = set(_leaf_commands()) - covered
    assert not missing, f"commands without a bad-argument case: {sorted(missing)}"


def test_version_prints_the_version(tmp_path: Path) -> None:
    from pipeline import __version__

    proc = lumi(["--version"], lumi_env(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Lumi {__version__}"


# --- the placeholder policy link ---------------------------------------------------------


def _warnings(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("warning:")]


@pytest.mark.parametrize("args", [["config"], ["config", "--json"], ["digest", "--out", "d"]])
def test_config_and_digest_warn_once_while_the_policy_url_is_the_placeholder(
    tmp_path: Path, args: list[str]
) -> None:
    _scratch(tmp_path)
    env = lumi_env(tmp_path)
    proc = lumi(args, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    (warning,) = _warnings(proc)
    assert "LUMI_AI_POLICY_URL" in warning and "placeholder" in warning
    env["LUMI_AI_POLICY_URL"] = "https://publisher.example/ai-policy"
    configured = lumi(args, env, tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert _warnings(configured) == []


def test_run_warns_once_about_the_placeholder_policy_url(tmp_path: Path) -> None:
    _scratch(tmp_path)
    env = lumi_env(tmp_path)
    env["LUMI_HTTP_PORT"] = "0"
    (tmp_path / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    proc = subprocess.Popen(
        [str(LUMI), "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert "running" in proc.stdout.readline()
        # SIGTERM stops the service cleanly once its handler is installed, which the
        # "service started" log line follows.
        for line in proc.stderr:
            seen.append(line)
            if "service started" in line:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    warnings = [line for line in [*seen, *rest.splitlines()] if line.startswith("warning:")]
    assert len(warnings) == 1 and "LUMI_AI_POLICY_URL" in warnings[0]


# --- how main() reports what escapes a command ----------------------------------------------


def _app_raising(exc: Exception) -> typer.Typer:
    failing = typer.Typer()

    @failing.command()
    def go() -> None:
        raise exc

    @failing.command()
    def other() -> None:
        pass

    return failing


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (RuntimeError("boom"), 1, "error: internal error: RuntimeError: boom"),
        (ConfigError("bad setting"), 2, "error: bad setting"),
        (LumiError("item failed"), 1, "error: item failed"),
    ],
)
def test_an_exception_escaping_a_command_becomes_one_error_line(
    capsys: pytest.CaptureFixture[str], exc: Exception, code: int, line: str
) -> None:
    assert run_app(_app_raising(exc), ["go"]) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0].startswith(line)
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_usage_error_is_one_error_line_pointing_at_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_app(_app_raising(RuntimeError()), ["go", "--bogus"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: No such option: --bogus") and "--help" in line


def test_the_readme_documents_the_internal_error_line() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "error: internal error" in readme and "--verbose" in readme


# --- a review needs an explicit verdict ---------------------------------------------------


def test_a_review_without_a_verdict_records_nothing_and_reject_is_recorded(
    tmp_path: Path,
) -> None:
    from test_digest import DAY, body, seed_article, settings_for

    from pipeline.publish.digest import build_digest, prepare_day
    from pipeline.store import open_store, review_history

    env = lumi_env(tmp_path)
    store = open_store(env["LUMI_DATABASE_URL"])
    try:
        seed_article(store, 1, title="Devstral switches to Apache 2.0", text=body(1))
        prepare_day(store, DAY, settings_for())
        (item,) = build_digest(store, DAY, settings_for()).items
    finally:
        store.close()

    def history() -> list[tuple[bool, str]]:
        reopened = open_store(env["LUMI_DATABASE_URL"])
        try:
            with reopened.session() as session:
                return [(r.approve, r.editor) for r in review_history(session, item.id)]
        finally:
            reopened.close()

    no_verdict = lumi(["review", item.id, "--editor", "Desk Editor"], env, tmp_path)
    assert no_verdict.returncode == 2, no_verdict.stderr
    assert "--approve or --reject" in no_verdict.stderr
    assert history() == []
    rejected = lumi(["review", item.id, "--reject", "--editor", "Desk Editor"], env, tmp_path)
    assert rejected.returncode == 0, rejected.stderr
    assert "rejected by Desk Editor" in rejected.stdout
    assert history() == [(False, "Desk Editor")]


# --- feeds import-opml keeps the registry file --------------------------------------------

OPML_NEW = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline type="rss" text="New Lab" title="New Lab" xmlUrl="https://newlab.example/feed.xml"
           language="en" category="labs"/>
</body></opml>
"""


def test_import_opml_that_adds_nothing_leaves_the_registry_byte_identical(
    tmp_path: Path,
) -> None:
    env = lumi_env(tmp_path)
    registry = tmp_path / "feeds.yaml"
    registry.write_bytes((REPO / "feeds.yaml").read_bytes())
    assert lumi(["feeds", "export-opml", "--out", "all.opml"], env, tmp_path).returncode == 0
    before = registry.read_bytes()
    proc = lumi(["feeds", "import-opml", "all.opml"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "imported 0 feeds" in proc.stdout
    assert registry.read_bytes() == before


def test_import_opml_appends_new_feeds_and_keeps_the_comments(tmp_path: Path) -> None:
    from pipeline.ingest.registry import load_registry

    env = lumi_env(tmp_path)
    registry = tmp_path / "feeds.yaml"
    original = (REPO / "feeds.yaml").read_text(encoding="utf-8")
    assert "# Lumi feed registry" in original
    registry.write_text(original, encoding="utf-8")
    (tmp_path / "new.opml").write_text(OPML_NEW, encoding="utf-8")
    proc = lumi(["feeds", "import-opml", "new.opml"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "imported 1 feeds" in proc.stdout
    after = registry.read_text(encoding="utf-8")
    assert after.startswith(original)  # every comment and entry kept as written
    sources = load_registry(registry)
    assert sources[-1].url == "https://newlab.example/feed.xml"
    assert [s.id for s in sources[:-1]] == [s.id for s in load_registry(REPO / "feeds.yaml")]


# --- lumi eval says when its figures are in-sample ----------------------------------------


def test_eval_reports_devset_passages_as_in_sample_in_json_and_text(tmp_path: Path) -> None:
    import json

    from classifiers.dataset import load_labels, passage_id

    label = load_labels()[0]
    devset = {
        "id": passage_id(label["ref"]),
        "text": "Mistral AI released Voxtral Realtime under the Apache 2.0 license.",
        **{k: label[k] for k in ("actors", "license_events", "risk_themes")},
    }
    fresh = {"id": "new-1", "text": "OpenAI released a model.", "risk_themes": []}
    env = lumi_env(tmp_path)
    (tmp_path / "dev.jsonl").write_text(json.dumps(devset) + "\n" + json.dumps(fresh), "utf-8")
    (tmp_path / "new.jsonl").write_text(json.dumps(fresh) + "\n", "utf-8")
    dev = json.loads(lumi(["eval", "dev.jsonl", "--json"], env, tmp_path).stdout)
    assert dev["in_sample"] is True and dev["in_sample_items"] == 1
    assert "development set" in dev["note"]
    assert "note: in-sample" in lumi(["eval", "dev.jsonl"], env, tmp_path).stdout
    new = json.loads(lumi(["eval", "new.jsonl", "--json"], env, tmp_path).stdout)
    assert new["in_sample"] is False and new["note"] is None
