"""Every log line speaks one vocabulary of fields, and the classifiers' lines are formatted too."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest

from pipeline.logs import FIELDS, LOGGERS, configure_logging
from pipeline.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
_LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def _calls():
    """(path, call node) for every call in Lumi's code and its classifiers."""
    for package in ("pipeline", "classifiers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    yield path, node


def _log_calls():
    for path, node in _calls():
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in _LEVELS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("log", "logger")
        ):
            yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_every_log_call_uses_only_the_documented_fields_and_names_its_stage():
    problems = []
    calls = list(_log_calls())
    assert len(calls) > 20  # the scan found the code's log calls
    for where, node in calls:
        extra = next((k.value for k in node.keywords if k.arg == "extra"), None)
        if not isinstance(extra, ast.Dict):
            problems.append(f"{where}: no literal extra={{...}}")
            continue
        keys = {k.value for k in extra.keys if isinstance(k, ast.Constant)}
        unknown = keys - set(FIELDS)
        if unknown:
            problems.append(f"{where}: fields outside the vocabulary {sorted(unknown)}")
        if not keys & {"stage", "classifier"}:
            problems.append(f"{where}: neither stage nor classifier")
    assert not problems, "\n".join(problems)


def test_every_logger_in_the_code_is_one_that_configure_logging_formats():
    names = set()
    for path, node in _calls():
        if getattr(node.func, "attr", None) == "getLogger" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                names.add(str(arg.value))
            elif isinstance(arg, ast.Name) and arg.id == "__name__":
                names.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert names
    stray = {n for n in names if n.split(".")[0] not in LOGGERS}
    assert not stray


@pytest.fixture
def captured_stderr(capsys):
    yield capsys
    for name in LOGGERS:
        logging.getLogger(name).handlers.clear()


def test_json_format_carries_fields_for_lumi_and_classifier_loggers(captured_stderr):
    configure_logging(load_settings(env={"LUMI_LOG_FORMAT": "json"}), level="INFO")
    logging.getLogger("lumi.ingest").info("feed polled", extra={"stage": "fetch", "count": 3})
    logging.getLogger("classifiers.actors").info("model on", extra={"classifier": "actors.v2"})
    lines = [json.loads(line) for line in captured_stderr.readouterr().err.splitlines()]
    assert [(r["logger"], r["message"]) for r in lines] == [
        ("lumi.ingest", "feed polled"),
        ("classifiers.actors", "model on"),
    ]
    assert lines[0]["stage"] == "fetch" and lines[0]["count"] == 3
    assert lines[1]["classifier"] == "actors.v2" and lines[1]["level"] == "INFO"


def test_text_format_shows_classifier_info_lines_with_their_fields(captured_stderr):
    configure_logging(load_settings(env={"LUMI_LOG_FORMAT": "text"}), level="INFO")
    logging.getLogger("classifiers.registry").info("loaded", extra={"classifier": "x.v1"})
    line = captured_stderr.readouterr().err.strip()
    assert line == "INFO classifiers.registry: loaded classifier=x.v1"
