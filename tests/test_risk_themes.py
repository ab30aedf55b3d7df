"""risk_themes.v4: JSON model parity with scikit-learn, reproducible training, thresholds,
body-only evidence, context-gated rules, grouped folds, hostile inputs, and the shipped
model."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest

from classifiers import registry
from classifiers.base import RISK_THEMES, Document, ThemeScore, make_document, split_sentences
from classifiers.errors import ClassifierNotConfigured
from classifiers.risk_themes import (
    MODEL_PATH,
    RiskThemeClassifier,
    _alternation_hits,
    literal_prefixes,
    load_theme_rules,
    rules_digest,
    theme_hits,
)
from classifiers.train import (
    fit_risk_themes,
    grouped_folds,
    passage_sites,
    train_risk_themes,
)
from pipeline.corpus import corpus_loader

# Small invented passages: each theme gets its own phrasing, mixed with neutral filler.
_THEME_SENTENCES = {
    "security": "Attackers used a jailbreak and a prompt injection to exploit the vulnerability.",
    "export_control": "New export controls and sanctions restrict chip exports to the region.",
    "regulation": "Regulators said the AI Act imposes compliance obligations on providers.",
    "licensing": "The weights ship under the Apache 2.0 license with permissive terms.",
    "vendor_dependence": "Customers fear lock-in and dependence on one dominant vendor.",
    "sovereignty": "The government wants sovereign AI infrastructure and strategic autonomy.",
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
    path = tmp_path_factory.mktemp("model") / "risk_themes.v4.json"
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
        link = f"https://site{i % 6}.example/post/{i}"
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
        model["themes"][theme]["min_evidence"] = 0.0
    every_theme = make_document(" ".join(_THEME_SENTENCES.values()))
    everything = RiskThemeClassifier(model=model).classify(every_theme)
    assert {s.theme for s in everything} == set(RISK_THEMES)
    # Without body evidence even a zero threshold reports nothing but the theme at hand.
    assert {s.theme for s in RiskThemeClassifier(model=model).classify(doc)} == {"security"}
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
    assert (clf.name, clf.version, clf.labels) == ("risk_themes", "v4", RISK_THEMES)
    assert model["version"] == "v4"


def test_risk_themes_v4_is_registered_with_its_model_file():
    entry = registry.registration("risk_themes")
    assert entry.fullname == "risk_themes.v4"
    assert "risk_themes.v4.json" in entry.data_files
    assert MODEL_PATH.name == "risk_themes.v4.json"
    assert MODEL_PATH.is_file()
    assert all(r["fullname"] != "risk_themes.v3" for r in registry.describe())


@pytest.mark.parametrize("body", ["", "Comments", "Jailbreak: attackers exploit prompt injection"])
def test_a_theme_only_the_title_mentions_is_not_reported(classifier, body):
    # An empty body, a body without the theme, or a body that only repeats the title.
    title = "Jailbreak: attackers exploit prompt injection"
    found = classifier.classify(make_document(body, title=title))
    assert "security" not in {s.theme for s in found}
    for score in found:
        assert score.evidence and score.evidence != title


def test_the_same_words_in_the_body_are_reported_with_body_evidence(classifier):
    title = "Jailbreak: attackers exploit prompt injection"
    body = "Researchers found a prompt injection vulnerability that attackers could exploit."
    found = {s.theme: s for s in classifier.classify(make_document(body, title=title))}
    assert "security" in found
    assert found["security"].evidence == body


_BOILERPLATE = [
    "Comments on Hacker News",
    "We use cookies to improve your experience. Read our privacy policy and terms of service.",
    "Copyright © 2025 Example Inc. All rights reserved.",
    "Subscribe to our newsletter for the latest security news.",
]


@pytest.mark.parametrize("paragraph", _BOILERPLATE)
def test_a_boilerplate_paragraph_gives_no_theme(paragraph):
    clf = RiskThemeClassifier()
    assert clf.classify(make_document(paragraph, title="Show HN: a faster sorting library")) == ()


@pytest.mark.parametrize("paragraph", _BOILERPLATE[:3])
def test_theme_rules_do_not_read_site_chrome_even_unstripped(paragraph):
    # Without boilerplate stripping the rules still find no evidence in these lines.
    rules = load_theme_rules()
    assert not any(theme_hits(paragraph, rules, split_sentences(paragraph)))
    doc = Document(paragraph, "Show HN", None, split_sentences(paragraph))
    assert RiskThemeClassifier().classify(doc) == ()


def test_politics_without_technology_raises_no_context_gated_theme():
    rules = load_theme_rules()
    gated = [RISK_THEMES.index(t) for t in ("export_control", "regulation", "sovereignty")]
    history = (
        "In 1775 Congress debated sanctions on British trade. The sovereign parliament "
        "passed legislation to regulate the colonies."
    )
    hits = theme_hits(history, rules)
    assert all(not hits[j] for j in gated)
    about_ai = (
        "Congress debated export controls on AI chips. Lawmakers want regulation of "
        "frontier models. Europe wants sovereign cloud infrastructure."
    )
    hits = theme_hits(about_ai, rules)
    assert all(hits[j] for j in gated)


def test_fast_rule_matching_finds_exactly_what_the_alternation_finds():
    rules = load_theme_rules()
    texts = [
        " ".join(_THEME_SENTENCES.values()),
        "JAILBREAKING, Prompt-Injection and the EU AI Act; H20 and H800 chips; GDPR; PII.",
        "Unregulated xsecurity; reexport controls; the Bureau of Industry and Security (BIS).",
        "İstanbul privacy rules and cyberattacks on data centers.",
        # patterns that open with an optional word or a look-behind
        "AI safety and safety; frontier model security and model security; user privacy "
        "commitments and privacy requirements; credit card account numbers.",
        "The policy and terms of use, then the terms of service; emotional reliance and reliance.",
        "",
    ]
    for text in texts:
        for rule in rules:
            assert rule.hits(text) == _alternation_hits(rule, text), (rule.theme, text)


def test_a_pattern_is_screened_by_every_literal_text_a_match_can_start_with():
    assert literal_prefixes("(?:ai )?safety") == ("ai safety", "safety")
    assert literal_prefixes("(?:(?:frontier )?model) security") == (
        "frontier model security",
        "model security",
    )
    # a look-behind consumes nothing; a group after the first literal ends the prefix
    assert literal_prefixes("(?<!policy and )terms of (?:use|service)") == ("terms of ",)
    assert literal_prefixes(r"\bip\b") == ("ip",)
    # a match that can start anywhere: the pattern always runs
    assert literal_prefixes("(?:very )*safe") is None
    assert literal_prefixes("(?:ai )?") is None
    assert literal_prefixes("[a-z]+ safety") is None


def test_grouped_folds_never_split_a_site():
    sites = [f"site{i % 13}.example" for i in range(120)]
    labels = [{RISK_THEMES[i % len(RISK_THEMES)]} if i % 4 else set() for i in range(120)]
    folds = grouped_folds(labels, sites, 5, seed=0)
    assert len(folds) == 5
    seen_test = []
    for train_idx, test_idx in folds:
        train_sites = {sites[i] for i in train_idx}
        test_sites = {sites[i] for i in test_idx}
        assert not train_sites & test_sites
        assert len(train_idx) + len(test_idx) == len(sites)
        seen_test.extend(test_idx)
    assert sorted(seen_test) == list(range(len(sites)))
    # Fewer sites than folds: as many folds as sites.
    assert len(grouped_folds(labels[:6], ["a", "b", "a", "b", "a", "b"], 5, seed=0)) == 2
    with pytest.raises(ValueError):
        grouped_folds(labels[:3], ["a", "a", "a"], 5, seed=0)


def test_passage_sites_are_link_hosts_for_aggregators_and_one_site_per_lab_feed():
    refs = [
        ("corpus/dev/feed_hn.xml", "https://www.example.com/a"),
        ("corpus/dev/feed_hn.xml", "https://blog.other.org/b"),
        ("corpus/dev/feed_hn.xml", None),
        ("corpus/dev/feed_lab.xml", "https://lab.ai/news/1"),
        ("corpus/dev/feed_lab.xml", "https://lab.ai/news/2"),
        ("corpus/dev/feed_lab_research.xml", "https://lab.ai/research/3"),
    ]
    sites = passage_sites(refs)
    assert sites[:3] == ["example.com", "blog.other.org", "corpus/dev/feed_hn.xml"]
    # One lab's two feeds are one site, so no fold has that lab on both sides.
    assert sites[3] == sites[4] == sites[5] == "lab.ai"


def _theme_weight(text: str, theme: str) -> float:
    rules = load_theme_rules()
    return sum(w for _, w in theme_hits(text, rules)[RISK_THEMES.index(theme)])


def test_fine_tuning_is_not_a_regulatory_fine():
    assert _theme_weight("We fine-tuned the AI model on satellite data.", "regulation") == 0
    assert _theme_weight("The AI company was fined under the AI Act.", "regulation") >= 4


def test_a_privacy_slogan_is_weaker_evidence_than_a_named_privacy_harm():
    slogan = _theme_weight("A privacy-first app for on-device AI.", "privacy")
    harm = _theme_weight("The AI app raised privacy concerns over personal data.", "privacy")
    assert slogan < 1.5
    assert harm >= 6


def test_dependence_on_one_provider_and_model_deprecation_are_vendor_evidence():
    weight = _theme_weight(
        "Teams are reliant on one API provider. The older models will be deprecated.",
        "vendor_dependence",
    )
    assert weight >= 5


def test_passages_outside_the_selection_may_be_left_out_of_training(monkeypatch):
    monkeypatch.setattr("classifiers.train.OTHER_WEIGHT_GRID", (1.0, 0.0))
    texts, titles, labels = _corpus()
    select = [i % 3 != 0 for i in range(len(texts))]
    fitted = fit_risk_themes(texts, titles, labels, seed=0, select_on=select)
    learned = [t for t in fitted.model["themes"].values() if t["mode"] == "model"]
    assert learned
    assert all(t["other_weight"] in (1.0, 0.0) for t in learned)
    assert fitted.model["features"]["other_weight_grid"] == [1.0, 0.0]


def test_a_theme_named_in_passing_has_a_small_share_of_the_rule_weight():
    from classifiers.risk_themes import N_RULE_FEATURES, rule_features

    text = (
        "The lab published alignment evaluations, safeguards against harmful output and a "
        "study of deceptive behaviour. One paragraph notes a security review."
    )
    features = rule_features(text, load_theme_rules())
    assert features.shape == (N_RULE_FEATURES,)
    shares = dict(zip(RISK_THEMES, features[2 * len(RISK_THEMES) :].tolist(), strict=True))
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["safety"] > 0.8 > 0.2 > shares["security"] > 0


def test_attack_surface_and_dual_use_knowledge_are_security_evidence():
    assert (
        _theme_weight(
            "The agent host has no external ingress, so the attack surface is small.", "security"
        )
        >= 2.5
    )
    assert _theme_weight("Dual-use knowledge in AI models helps malicious actors.", "security") >= 4


def test_a_setting_is_kept_only_when_it_beats_the_simpler_one_by_the_tolerance(monkeypatch):
    import classifiers.train as train

    texts, titles, labels = _corpus()
    monkeypatch.setattr(train, "SELECTION_TOLERANCE", 1.0)
    simplest = fit_risk_themes(texts, titles, labels, seed=0)
    for theme in RISK_THEMES:
        spec = simplest.model["themes"][theme]
        # every setting is within a tolerance of 1: the first of the grid is kept
        assert (spec["C"], spec["class_weight"]) == train.HYPER_GRID[0]
        assert spec["min_evidence"] == train.MIN_EVIDENCE_GRID[0]
        assert spec["min_share"] == train.MIN_SHARE_GRID[0]
    assert simplest.model["features"]["selection_tolerance"] == 1.0
    monkeypatch.setattr(train, "SELECTION_TOLERANCE", 0.0)
    best = fit_risk_themes(texts, titles, labels, seed=0)
    for theme in RISK_THEMES:
        assert (
            best.model["themes"][theme]["inner_f1"] >= (simplest.model["themes"][theme]["inner_f1"])
        )


def test_security_controls_boundaries_and_data_theft_are_security_evidence():
    text = (
        "The AI lab hardened and red-teamed its research environments. A monitor flags "
        "any violation of a security boundary, data theft or a stolen admin credential."
    )
    assert _theme_weight(text, "security") >= 7


def test_cells_concentrated_and_portable_laptops_are_not_vendor_dependence():
    assert _theme_weight("The cells tolerated concentration well.", "vendor_dependence") == 0
    assert _theme_weight("AI on portable hardware such as laptops.", "vendor_dependence") == 0
    assert _theme_weight("Most AI models rely on matrix operations.", "vendor_dependence") == 0
    assert (
        _theme_weight(
            "Control is concentrated in a few clouds; we rely on foreign providers.",
            "vendor_dependence",
        )
        >= 3
    )


def test_privacy_requirements_and_memory_controls_are_privacy_evidence():
    assert (
        _theme_weight(
            "For firms with strict data privacy requirements, AI runs on-prem.", "privacy"
        )
        >= 2.5
    )
    assert _theme_weight("You can edit or delete individual memories.", "privacy") >= 1.5
    assert _theme_weight("We never train on your data.", "privacy") >= 2.5


def test_compliance_with_environmental_standards_is_not_regulation():
    assert (
        _theme_weight("The AI study is compliant with international standards.", "regulation")
        <= 0.5
    )
    assert _theme_weight("The AI app must comply with the AI Act.", "regulation") >= 3


def test_a_catastrophic_loss_in_battle_is_not_catastrophic_ai_risk():
    assert _theme_weight("Carriers exposed to catastrophic loss in the Pacific.", "safety") == 0
    assert _theme_weight("Models could contribute to catastrophic risks.", "safety") >= 3


def test_scores_are_the_same_whatever_the_process_string_hashing(shared_data):
    import os
    import subprocess
    import sys

    # a news page whose terms, taken in hash order, once summed to different last bits
    page = (
        shared_data
        / "extraction/scrapinghub-article-extraction-benchmark/html"
        / "d605bdef2cde7308a9f2fbd1484d4a9c3da0167177245d346da61e455f42208d.html.gz"
    )
    script = (
        "import gzip, sys\n"
        "from classifiers import registry\n"
        "from classifiers.base import make_document\n"
        "from pipeline.ingest.extract import extract_page\n"
        "page = extract_page(gzip.decompress(open(sys.argv[1], 'rb').read()))\n"
        "(clf,) = registry.build_all(['risk_themes'], None).values()\n"
        "doc = make_document(page.text, title=page.title or '', language=page.language)\n"
        "print([(s.theme, repr(s.score)) for s in clf.classify(doc)])\n"
    )
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(page)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert outputs.pop().startswith("[(")
