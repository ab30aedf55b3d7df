"""The labelled development set: every reference resolves, labels use the taxonomies, and
no text is stored in the repository."""

from __future__ import annotations

import json

import pytest

from classifiers.base import ACTOR_ROLES, ACTOR_TYPES, LICENSE_EVENT_KINDS, RISK_THEMES
from classifiers.dataset import DEVSET_DIR, load_labels
from pipeline.corpus import dataset_items, load_corpus_file

LABEL_FILES = sorted(DEVSET_DIR.glob("labels-*.jsonl"))
ALLOWED_KEYS = {"ref", "actors", "license_events", "risk_themes", "note", "split"}


def test_there_are_label_files():
    assert LABEL_FILES, "the development set has no label files"


@pytest.mark.parametrize("path", LABEL_FILES, ids=lambda p: p.name)
def test_label_lines_use_the_taxonomies_and_store_no_text(path):
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label = json.loads(line)
        where = f"{path.name}:{lineno}"
        assert set(label) <= ALLOWED_KEYS, f"{where}: unexpected keys {set(label) - ALLOWED_KEYS}"
        ref = label["ref"]
        assert ref["file"].startswith("corpus/dev/"), where
        span = ref.get("paragraphs")
        assert span is None or (len(span) == 2 and 0 <= span[0] < span[1]), where
        if label.get("split") != "test":  # measurement-only labels carry only some keys
            assert {"actors", "license_events", "risk_themes"} <= set(label), where
        assert set(label.get("risk_themes", [])) <= set(RISK_THEMES), where
        for actor in label.get("actors", []):
            assert actor["type"] in ACTOR_TYPES and actor["name"].strip(), where
            assert actor.get("role", "subject") in ACTOR_ROLES, where
        for event in label.get("license_events", []):
            assert event["kind"] in LICENSE_EVENT_KINDS, where
            assert set(event) >= {"actor", "model", "from_license", "to_license"}, where


def test_every_reference_resolves_to_nonempty_text(shared_data):
    labels = load_labels()
    items = list(dataset_items(shared_data, labels))
    assert len(items) == len(labels)
    for label, item in zip(labels, items, strict=True):
        assert item["text"].strip() or item["title"].strip(), item["id"]
        span = label["ref"].get("paragraphs")
        if span:
            corpus = {i.entry: i for i in load_corpus_file(shared_data, label["ref"]["file"])}
            paragraphs = corpus[label["ref"]["entry"]].paragraphs
            assert span[1] <= len(paragraphs), f"{item['id']}: span beyond the entry"


def test_no_passage_is_labelled_twice(shared_data):
    keys = [
        (lab["ref"]["file"], lab["ref"]["entry"], tuple(lab["ref"].get("paragraphs") or ()))
        for lab in load_labels()
    ]
    assert len(keys) == len(set(keys))


def test_holdout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holdout"):
        load_corpus_file(tmp_path, "corpus/holdout/feed.xml")


def test_broken_label_line_is_named(tmp_path):
    path = tmp_path / "labels-x.jsonl"
    path.write_text('{"ref": {}}\n{broken\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels-x\.jsonl line 2"):
        load_labels([path])


def test_corpus_feeds_go_through_the_serving_parser(tmp_path):
    from pipeline.errors import HostileXML

    feed = tmp_path / "corpus" / "dev" / "bomb.xml"
    feed.parent.mkdir(parents=True)
    feed.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
        "<rss version='2.0'><channel><title>&a;</title></channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(HostileXML):
        load_corpus_file(tmp_path, "corpus/dev/bomb.xml")


def test_lumi_dataset_build_writes_every_labelled_passage(shared_data, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    out = tmp_path / "devset.jsonl"
    result = CliRunner().invoke(
        app, ["dataset", "build", "--shared", str(shared_data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(load_labels()) and f"wrote {len(rows)} items" in result.output
    assert all({"id", "title", "text"} <= set(r) for r in rows)
    assert all("risk_themes" in r for r in rows if r.get("split") != "test")


def test_lumi_dataset_show_numbers_the_paragraphs(shared_data):
    from typer.testing import CliRunner

    from pipeline.cli import app

    rel = load_labels()[0]["ref"]["file"]
    result = CliRunner().invoke(app, ["dataset", "show", str(shared_data), rel, "--entry", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("=== [0] entry=") and "  (0) " in result.output
