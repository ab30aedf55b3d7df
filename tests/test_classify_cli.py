"""``lumi classify`` and ``lumi eval``: output contract, input order, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "pipeline" / "demo_data" / "pages"

RELEASE = (
    "Zyphra releases ZAYA2 under Apache 2.0\n\n"
    "Zyphra said on Tuesday that its ZAYA2 models are released under the Apache 2.0 license. "
    "The company, which trains hybrid state-space models, said the weights can be "
    "downloaded today. "
    "Security researchers warned that prompt-injection attacks against coding agents remain "
    "a serious vulnerability for anyone deploying such models.\n"
)


def _lumi(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=180,
        cwd=REPO,
    )


def _lines(proc: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_classify_json_prints_one_contract_object_per_input_in_order(tmp_path):
    text = tmp_path / "release.txt"
    text.write_text(RELEASE, encoding="utf-8")
    page = PAGES / "cohere-command-a-apache-relicense.html"
    proc = _lumi(["classify", "--json", str(page), str(text), "-"], stdin=RELEASE.encode())
    assert proc.returncode == 0, proc.stderr
    out = _lines(proc)
    assert [o["input"] for o in out] == [str(page), str(text), "-"]
    for obj in out:
        assert {
            "title",
            "language",
            "actors",
            "license_events",
            "risk_themes",
            "summary",
            "disclosure",
            "classifiers",
        } <= set(obj)
        assert obj["classifiers"] == {
            "relevance": "v4",
            "actors": "v4",
            "license_events": "v9",
            "risk_themes": "v4",
        }
        for item in obj["actors"] + obj["license_events"] + obj["risk_themes"]:
            assert item["evidence"]
        assert set(obj["relevance"]) == {"relevant", "score", "evidence"}
        assert obj["relevance"]["relevant"] is True and obj["relevance"]["evidence"]
    cohere, zyphra = out[0], out[1]
    assert {"name": "Cohere", "type": "sovereign"}.items() <= cohere["actors"][0].items()
    assert [(e["kind"], e["to_license"]) for e in cohere["license_events"]] == [
        ("relicense", "Apache-2.0")
    ]
    assert zyphra["title"] == "Zyphra releases ZAYA2 under Apache 2.0"
    assert [
        (e["kind"], e["actor"], e["model"], e["to_license"]) for e in zyphra["license_events"]
    ] == [("release", "Zyphra", "ZAYA2", "Apache-2.0")]
    assert "security" in {t["theme"] for t in zyphra["risk_themes"]}
    for t in zyphra["risk_themes"]:
        assert t["evidence"] in RELEASE
    assert zyphra["disclosure"]["ai_generated"] is True
    assert zyphra["disclosure"]["exemption_applied"] is False
    assert out[2]["license_events"] == zyphra["license_events"]


def test_classify_text_report_shows_the_evidence():
    proc = _lumi(["classify", str(PAGES / "zyphra-zaya2-apache-release.html")])
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert "Zyphra (model_maker)" in text and "evidence:" in text
    assert "release: Zyphra / ZAYA2" in text


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"", "empty input"), (b"   \n\t ", "empty input"), (bytes(range(256)) * 64, "binary input")],
)
def test_unusable_input_gets_a_clear_result_not_a_crash(data, problem):
    proc = _lumi(["classify", "--json", "-"], stdin=data)
    assert proc.returncode == 1
    (obj,) = _lines(proc)
    assert problem in obj["error"]["message"]
    assert obj["actors"] == [] and obj["risk_themes"] == []


def test_five_megabyte_text_is_classified_in_bounded_time():
    big = (RELEASE * (5 * 1024 * 1024 // len(RELEASE) + 1)).encode()
    proc = _lumi(["classify", "--json", "-"], stdin=big)
    assert proc.returncode == 0, proc.stderr
    (obj,) = _lines(proc)
    assert any("classified the first" in w for w in obj["warnings"])
    assert {a["name"] for a in obj["actors"]} == {"Zyphra"}


def test_non_english_text_reports_its_language_and_what_is_supported():
    german = PAGES / "mittelstand-qwen-llama-abhaengigkeit.html"
    proc = _lumi(["classify", "--json", str(german)])
    (obj,) = _lines(proc)
    assert obj["language"] == "de"
    (warning,) = [w for w in obj["warnings"] if "not fully supported" in w]
    # German license phrasing is covered; only the English-trained risk themes may miss
    assert "risk themes are English-only" in warning and "license phrasing" not in warning
    assert {"Alibaba", "Meta"} <= {a["name"] for a in obj["actors"]}


def test_missing_file_is_reported_and_the_other_inputs_still_run(tmp_path):
    text = tmp_path / "ok.txt"
    text.write_text(RELEASE, encoding="utf-8")
    proc = _lumi(["classify", "--json", str(tmp_path / "missing.html"), str(text)])
    assert proc.returncode == 1
    first, second = _lines(proc)
    assert "cannot read" in first["error"]["message"]
    assert second["actors"]


def test_eval_scores_each_classifier_from_a_labelled_file(tmp_path):
    items = [
        {
            "text": RELEASE,
            "actors": [{"name": "Zyphra", "type": "model_maker"}],
            "license_events": [
                {
                    "kind": "release",
                    "actor": "Zyphra",
                    "model": "ZAYA2",
                    "from_license": None,
                    "to_license": "Apache-2.0",
                }
            ],
            "risk_themes": ["security"],
        },
        {
            "html": (PAGES / "regional-rail-cable-theft.html").read_text(encoding="utf-8"),
            "actors": [],
            "license_events": [],
            "risk_themes": ["security"],
        },
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    proc = _lumi(["eval", "--json", str(path)])
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["items"] == 2
    tables = report["classifiers"]
    assert tables["actors.name"]["micro"]["f1"] == 1.0
    assert tables["license_events"]["micro"]["f1"] == 1.0
    assert {"micro", "macro", "per_label"} <= set(tables["risk_themes"])
    text = _lumi(["eval", str(path)]).stdout.decode()
    assert "micro" in text and "macro" in text
