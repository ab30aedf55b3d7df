"""risk_themes.v1: JSON model parity with scikit-learn, reproducible training, thresholds,
evidence, hostile inputs, and the shipped model."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest

from classifiers.base import RISK_THEMES, ThemeScore, make_document
from classifiers.errors import ClassifierNotConfigured
from classifiers.risk_themes import (
    MODEL_PATH,
    RiskThemeClassifier,
    load_theme_rules,
    rules_digest,
)
from classifiers.train import fit_risk_themes, train_risk_themes
from pipeline.corpus import corpus_loader

# Small invented passages: each theme gets its own phrasing, mixed with neutral filler.
_THEME_SENTENCES = {
    "security": "Attackers used a jailbreak and a prompt injection to exploit the vulnerability.",
    "export_control": "New export controls and sanctions restrict chip exports to the region.",
    "regulation": "Regulators said the AI Act imposes compliance obligations on providers.",
    "licensing": "The weights ship under the Apache 2.0 license with permissive terms.",
    "vendor_dependence": "Customers fear lock-in and dependence on one dominant vendor.",
    "sovereignty": "The government wants sovereign infrastructure and strategic autonomy.",
    "safety": "The lab published alignment evaluations and new safeguards against harm.",
    "privacy": "Regulators questioned how personal data and GDPR privacy duties were handled.",
}
_FILLER = [
    "The company released a faster model for coding assistants.",
    "Benchmarks improved on math and reasoning tasks this quarter.",
    "Developers can try the new API with a free tier.",
    "The team thanked its partners for their support.",
    "Pricing starts at two dollars per million tokens.",
    "The model supports a longer context window and tool use.",
]


def _corpus(n: int = 48, seed: int = 1) -> tuple[list[str], list[str], list[set[str]]]:
    rng = random.Random(seed)
    texts, titles, labels = [], [], []
    for i in range(n):
        themes = set() if i % 5 == 0 else {RISK_THEMES[i % len(RISK_THEMES)]}
        if i % 7 == 0 and themes:
            themes.add(RISK_THEMES[(i + 3) % len(RISK_THEMES)])
        sentences = rng.sample(_FILLER, 3) + [_THEME_SENTENCES[t] for t in sorted(themes)]
        rng.shuffle(sentences)
        texts.append(" ".join(sentences))
        titles.append(f"Update number {i}")
        labels.append(themes)
    return texts, titles, labels


@pytest.fixture(scope="module")
def fitted():
    texts, titles, labels = _corpus()
    return fit_risk_themes(texts, titles, labels, seed=0)


@pytest.fixture(scope="module")
def classifier(fitted, tmp_path_factory) -> RiskThemeClassifier:
    path = tmp_path_factory.mktemp("model") / "risk_themes.v1.json"
    path.write_text(json.dumps(fitted.model), encoding="utf-8")
    return RiskThemeClassifier(path)


def test_json_model_loads_without_unpickling_and_matches_sklearn(fitted, tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(fitted.model), encoding="utf-8")

    def refuse(*args, **kwargs):
        raise AssertionError("the model must not be unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    clf = RiskThemeClassifier(path)

    texts, titles, _ = _corpus(n=24, seed=7)
    texts.append("Sovereign data residency rules and a jailbreak of the assistant.")
    titles.append("")
    expected = fitted.predict_proba(texts, titles)
    got = np.array(
        [
            [clf.score_text(t, h)[theme] for theme in RISK_THEMES]
            for t, h in zip(texts, titles, strict=True)
        ]
    )
    assert np.abs(expected - got).max() < 1e-6
    # Themes with too few examples fall back to rules; the others are learned.
    modes = {t: fitted.model["themes"][t]["mode"] for t in RISK_THEMES}
    assert set(modes.values()) == {"model"}


def test_rules_only_theme_when_too_few_examples():
    texts, titles, labels = _corpus()
    labels = [s - {"export_control"} for s in labels]
    labels[1] = labels[1] | {"export_control"}
    fitted = fit_risk_themes(texts, titles, labels, seed=0)
    spec = fitted.model["themes"]["export_control"]
    assert spec["mode"] == "rules"
    clf = RiskThemeClassifier(model=fitted.model)
    strong = clf.score_text(
        "Export controls and sanctions hit chip exports; the entity list grew.", ""
    )
    weak = clf.score_text("A new coding model is out.", "")
    assert strong["export_control"] >= spec["threshold"] > weak["export_control"]
    probs = fitted.predict_proba(["Export controls and sanctions again."], [""])
    assert (
        abs(
            probs[0, RISK_THEMES.index("export_control")]
            - clf.score_text("Export controls and sanctions again.")["export_control"]
        )
        < 1e-6
    )


def _fake_shared(root: Path) -> list[dict]:
    """A corpus feed of invented entries and the label lines that reference it."""
    texts, titles, labels = _corpus(n=30, seed=3)
    items, lines = [], []
    for i, (text, title, themes) in enumerate(zip(texts, titles, labels, strict=True)):
        link = f"https://example.org/post/{i}"
        items.append(
            f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<description>&lt;p&gt;{text}&lt;/p&gt;</description></item>"
        )
        lines.append(
            {
                "ref": {"file": "corpus/dev/feed_test.xml", "entry": link, "paragraphs": None},
                "actors": [],
                "license_events": [],
                "risk_themes": sorted(themes),
            }
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>t</title><link>https://example.org/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    )
    (root / "corpus" / "dev").mkdir(parents=True)
    (root / "corpus" / "dev" / "feed_test.xml").write_text(feed, encoding="utf-8")
    return lines


def test_training_is_byte_identical_for_the_same_inputs_and_seed(tmp_path):
    labels = _fake_shared(tmp_path / "shared")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    corpus = corpus_loader(tmp_path / "shared")
    report = train_risk_themes(labels, corpus, a, seed=0, folds=3)
    train_risk_themes(labels, corpus, b, seed=0, folds=3)
    assert a.read_bytes() == b.read_bytes()
    model = json.loads(a.read_text())
    assert model["training"]["passages"] == 30 == report.passages
    assert model["training"]["digest"] == report.training_digest
    assert report.model_bytes == a.stat().st_size
    assert sum(t.support for t in report.themes) == sum(len(x["risk_themes"]) for x in labels)
    assert 0.0 <= report.micro_f1 <= 1.0
    # The model file loads and reproduces its labels on a clearly themed text.
    clf = RiskThemeClassifier(a)
    found = {s.theme for s in clf.classify(make_document(_THEME_SENTENCES["licensing"]))}
    assert "licensing" in found


def test_thresholds_decide_which_themes_are_reported(fitted):
    doc = make_document(_THEME_SENTENCES["security"] + " " + _FILLER[0])
    model = json.loads(json.dumps(fitted.model))
    for theme in RISK_THEMES:
        model["themes"][theme]["threshold"] = 1.01
    assert RiskThemeClassifier(model=model).classify(doc) == ()
    for theme in RISK_THEMES:
        model["themes"][theme]["threshold"] = 0.0
    everything = RiskThemeClassifier(model=model).classify(doc)
    assert {s.theme for s in everything} == set(RISK_THEMES)
    scores = [s.score for s in everything]
    assert scores == sorted(scores, reverse=True)

    # A threshold between two themes' scores keeps exactly the one above it.
    clf = RiskThemeClassifier(model=fitted.model)
    probs = clf.score_text(doc.text)
    cut = (probs["security"] + probs["privacy"]) / 2
    assert probs["security"] > probs["privacy"]
    model["themes"]["security"]["threshold"] = cut
    model["themes"]["privacy"]["threshold"] = cut
    for theme in set(RISK_THEMES) - {"security", "privacy"}:
        model["themes"][theme]["threshold"] = 1.01
    got = RiskThemeClassifier(model=model).classify(doc)
    assert [s.theme for s in got] == ["security"]
    assert got[0].score == pytest.approx(probs["security"])


def test_evidence_is_the_article_sentence_that_carries_the_theme(classifier):
    text = (
        "The company shipped a new model on Tuesday. "
        "Pricing starts at two dollars per million tokens. "
        "Researchers found a prompt injection vulnerability that attackers could exploit. "
        "The team thanked its partners."
    )
    doc = make_document(text, title="Quarterly update")
    found = {s.theme: s for s in classifier.classify(doc)}
    assert "security" in found
    evidence = found["security"].evidence
    assert evidence in text
    assert "prompt injection" in evidence
    assert isinstance(found["security"], ThemeScore)


def test_evidence_falls_back_to_model_terms_without_rule_hits(classifier):
    # No rule pattern of the theme occurs: the sentence with the most positive weight wins.
    doc = make_document("Nothing here. Pricing starts at two dollars per million tokens.")
    evidence = classifier.evidence(doc, RISK_THEMES.index("regulation"))
    assert evidence in doc.text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "\x00\x01\x02\xff\ufffd" * 2000,
        "Die Regulierungsbehörde prüft den Datenschutz und die Souveränität der Modelle. "
        "人工智能模型的出口管制。",
    ],
    ids=["empty", "blank", "binary-junk", "non-english"],
)
def test_odd_inputs_give_sane_results(classifier, text):
    result = classifier.classify(make_document(text))
    assert isinstance(result, tuple)
    for score in result:
        assert score.theme in RISK_THEMES
        assert 0.0 <= score.score <= 1.0
        assert isinstance(score.evidence, str)
    scores = classifier.score_text(text)
    assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_five_megabyte_text_completes_with_bounded_evidence(classifier):
    block = " ".join(_THEME_SENTENCES.values()) + " "
    text = block * (5_000_000 // len(block) + 1)
    assert len(text) >= 5_000_000
    result = classifier.classify(make_document(text))
    assert result, "a text repeating every theme's phrasing should raise some theme"
    for score in result:
        assert len(score.evidence) <= 400
        assert score.evidence in text


def test_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(ClassifierNotConfigured, match="lumi train"):
        RiskThemeClassifier(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured, match="lumi train"):
        RiskThemeClassifier(bad)
    bad.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured):
        RiskThemeClassifier(bad)


def test_theme_definitions_cover_every_theme_with_rules():
    rules = load_theme_rules()
    assert [r.theme for r in rules] == list(RISK_THEMES)
    for r in rules:
        assert r.definition and r.patterns and len(r.patterns) == len(r.weights)
        assert all(w > 0 for w in r.weights)


def test_shipped_model_is_small_json_built_from_the_current_rules():
    raw = MODEL_PATH.read_bytes()
    assert len(raw) < 1_000_000
    model = json.loads(raw)
    assert model["rules"]["digest"] == rules_digest(load_theme_rules()), (
        "themes.yaml changed since the model was trained: run `lumi train`"
    )
    assert model["training"]["passages"] > 0
    clf = RiskThemeClassifier()
    assert (clf.name, clf.version, clf.labels) == ("risk_themes", "v1", RISK_THEMES)
