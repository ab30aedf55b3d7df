"""evaluate(): hand-computed precision, recall and F1 on a tiny labelled file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.evaluate import evaluate, format_report, read_items

GOLD = [
    {
        "id": "one",
        "text": "Mistral AI released Devstral under Apache 2.0 on NVIDIA hardware.",
        "actors": [
            {"name": "Mistral AI", "type": "sovereign"},
            {"name": "NVIDIA", "type": "big_tech"},
        ],
        "license_events": [
            {
                "kind": "release",
                "actor": "Mistral AI",
                "model": "Devstral",
                "from_license": None,
                "to_license": "Apache-2.0",
            }
        ],
        "risk_themes": ["licensing"],
    },
    {
        "id": "two",
        "html": "<p>xAI and Meta news.</p>",
        "actors": [{"name": "xAI", "type": "model_maker"}],
        "license_events": [
            {
                "kind": "relicense",
                "actor": "Meta",
                "model": "Llama",
                "from_license": None,
                "to_license": "MIT",
            }
        ],
        "risk_themes": [{"theme": "safety"}, {"theme": "privacy"}],
    },
]

PREDICTED = {
    "one": {
        "actors": [
            {"name": "mistral ai", "type": "sovereign", "evidence": "x"},
            {"name": "OpenAI", "type": "model_maker", "evidence": "x"},
        ],
        "license_events": [
            {
                "kind": "release",
                "actor": "Mistral AI",
                "model": "devstral",
                "from_license": None,
                "to_license": "apache-2.0",
                "evidence": "x",
            }
        ],
        "risk_themes": [
            {"theme": "licensing", "score": 0.9, "evidence": "x"},
            {"theme": "security", "score": 0.6, "evidence": "x"},
        ],
    },
    "two": {
        "actors": [{"name": "xAI", "type": "big_tech", "evidence": "x"}],
        "license_events": [
            {
                "kind": "relicense",
                "actor": "Meta",
                "model": "Llama",
                "from_license": "LicenseRef-Old",
                "to_license": "MIT",
                "evidence": "x",
            }
        ],
        "risk_themes": [{"theme": "safety", "score": 0.7, "evidence": "x"}],
    },
}


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(g) + "\n" for g in GOLD) + "\n", encoding="utf-8")
    return path


def test_scores_match_hand_computed_figures(gold_file):
    report = evaluate(read_items(gold_file), lambda item: PREDICTED[item["id"]])
    assert report.items == 2 and report.failures == ()

    names = report.table("actors.name").micro
    assert (names.tp, names.fp, names.fn) == (2, 1, 1)
    assert names.precision == pytest.approx(2 / 3) and names.f1 == pytest.approx(2 / 3)

    pairs = report.table("actors.name+type")
    assert pairs.micro.precision == pytest.approx(1 / 3)
    assert pairs.micro.recall == pytest.approx(1 / 3)
    per = dict(pairs.labels)
    assert (per["sovereign"].tp, per["big_tech"].fp, per["big_tech"].fn) == (1, 1, 1)
    assert (per["model_maker"].fp, per["model_maker"].fn) == (1, 1)
    assert report.actor_type_accuracy == pytest.approx(0.5)
    assert report.actor_type_matched == 2

    strict = report.table("license_events")
    assert strict.micro.f1 == pytest.approx(0.5)
    assert dict(strict.labels)["release"].f1 == 1.0
    assert dict(strict.labels)["relicense"].f1 == 0.0
    assert strict.macro[2] == pytest.approx(0.5)
    assert report.table("license_events.lenient").micro.f1 == 1.0

    themes = report.table("risk_themes")
    assert themes.micro.precision == pytest.approx(2 / 3)
    assert themes.micro.recall == pytest.approx(2 / 3)
    per_theme = dict(themes.labels)
    assert per_theme["licensing"].f1 == 1.0 and per_theme["privacy"].recall == 0.0
    assert per_theme["security"].precision == 0.0
    # Macro averages only over themes seen in gold or predictions (4 of 8 here).
    assert themes.macro[2] == pytest.approx(0.5)


def test_json_and_text_reports_carry_the_figures(gold_file):
    report = evaluate(read_items(gold_file), lambda item: PREDICTED[item["id"]])
    data = json.loads(json.dumps(report.to_json()))
    assert data["classifiers"]["risk_themes"]["micro"]["f1"] == pytest.approx(0.6667)
    assert data["classifiers"]["license_events"]["per_label"]["release"]["support"] == 1
    assert data["actor_type_accuracy"] == 0.5
    text = format_report(report)
    for heading in ("actors.name", "license_events.lenient", "risk_themes", "micro", "macro"):
        assert heading in text


def test_a_failing_classifier_is_scored_as_empty_and_reported(gold_file):
    def classify(item):
        if item["id"] == "two":
            raise RuntimeError("boom")
        return PREDICTED["one"]

    report = evaluate(read_items(gold_file), classify)
    assert report.failures == (("two", "RuntimeError: boom"),)
    themes = dict(report.table("risk_themes").labels)
    assert themes["safety"].fn == 1 and themes["safety"].tp == 0


def test_objects_with_to_json_are_accepted(gold_file):
    class Result:
        def __init__(self, data):
            self.data = data

        def to_json(self):
            return self.data

    report = evaluate(read_items(gold_file), lambda item: Result(PREDICTED[item["id"]]))
    assert report.table("risk_themes").micro.tp == 2


def test_bad_lines_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        list(read_items(path))


def _devset_item():
    from classifiers.dataset import load_labels, passage_id

    label = load_labels()[0]
    return {
        "id": passage_id(label["ref"]),
        "title": "Voxtral",
        "text": "Mistral AI released Voxtral Realtime under Apache 2.0.",
        "actors": label["actors"],
        "license_events": label["license_events"],
        "risk_themes": label["risk_themes"],
    }


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"id": "x", "text": "Text without any expected labels."}],
        [{"ref": {"file": "corpus/dev/x.xml", "entry": "e"}, "risk_themes": ["safety"]}],
    ],
    ids=["empty", "text-without-labels", "label-reference-without-text"],
)
def test_a_file_without_labelled_items_is_refused(tmp_path, lines):
    from classifiers.evaluate import NoLabelledItems

    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with pytest.raises(NoLabelledItems, match="no labelled items"):
        evaluate(read_items(path), lambda item: {})


def test_unlabelled_items_are_skipped_and_counted(gold_file):
    items = [*read_items(gold_file), {"id": "bare", "text": "No labels here."}]
    report = evaluate(items, lambda item: PREDICTED[item["id"]])
    assert report.items == 2 and report.skipped == 1
    assert report.to_json()["skipped"] == 1
    assert "1 unlabelled items skipped" in format_report(report)


def test_new_data_is_not_reported_in_sample(gold_file):
    report = evaluate(read_items(gold_file), lambda item: PREDICTED[item["id"]])
    assert report.in_sample is False and report.note is None
    data = report.to_json()
    assert data["in_sample"] is False and data["note"] is None
    assert "in-sample" not in format_report(report)


@pytest.mark.parametrize("match", ["by-id", "by-reference"])
def test_devset_passages_make_the_report_in_sample(gold_file, match):
    from classifiers.dataset import load_labels

    item = _devset_item()
    if match == "by-reference":
        item.update(id="renamed", ref=load_labels()[0]["ref"])
    items = [*read_items(gold_file), item]
    report = evaluate(items, lambda i: PREDICTED.get(i["id"], {}))
    assert report.in_sample is True and report.in_sample_items == 1
    data = json.loads(json.dumps(report.to_json()))
    assert data["in_sample"] is True and data["in_sample_items"] == 1
    assert "development set" in data["note"] and "1 of 3 items" in data["note"]
    assert format_report(report).splitlines()[1].startswith("note: in-sample")
