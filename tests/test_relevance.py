"""relevance.v4: the shipped model, its decisions on real items, evidence, registry and training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classifiers import registry
from classifiers.base import RelevanceScore, make_document
from classifiers.errors import ClassifierNotConfigured
from classifiers.relevance import (
    CJK_PREFIX,
    DENSE_FEATURES,
    MODEL_PATH,
    NO_TOPIC,
    REGIMES,
    SHORT_WORDS,
    TITLE_ONLY_WORDS,
    RelevanceClassifier,
    dense_features,
    is_degenerate,
    load_lexicon,
    regime_of,
    relevance_terms,
    word_count,
)
from classifiers.train import (
    RELEVANCE_DEFAULT_OUTPUT,
    RelevanceExample,
    site_group,
    train_relevance,
)
from pipeline.corpus import load_corpus_file

HN = "corpus/dev/feed_hackernews.xml"
THAILAND = "https://worksinprogress.co/issue/how-thailand-resisted-colonization/"
MISTRAL = "corpus/dev/feed_mistral_news.before-2026-03.xml"
MISTRAL_3 = "https://mistral.ai/news/mistral-3"


@pytest.fixture(scope="module")
def classifier() -> RelevanceClassifier:
    return RelevanceClassifier()


def _document(shared: Path, rel: str, entry: str):
    item = {i.entry: i for i in load_corpus_file(shared, rel)}[entry]
    return make_document("\n\n".join(item.paragraphs), title=item.title)


def test_shipped_model_loads_and_classifies_one_result(classifier):
    results = classifier.classify(make_document("Some text.", title="A title"))
    assert len(results) == 1 and isinstance(results[0], RelevanceScore)
    assert classifier.model_info["metrics"]["overall"]["items"] > 0


def test_history_essay_from_hacker_news_is_not_relevant(classifier, shared_data):
    (result,) = classifier.classify(_document(shared_data, HN, THAILAND))
    assert not result.relevant
    assert result.score < classifier.threshold
    assert result.evidence == NO_TOPIC


def test_model_release_from_an_ai_lab_is_relevant_with_a_sentence_as_evidence(
    classifier, shared_data
):
    doc = _document(shared_data, MISTRAL, MISTRAL_3)
    (result,) = classifier.classify(doc)
    assert result.relevant and result.score >= classifier.threshold
    sentences = {" ".join(doc.text[a:b].split()) for a, b in doc.sentences}
    assert result.evidence in sentences


def test_score_is_a_probability_and_monotone_with_the_decision(classifier):
    texts = [
        ("", "Gardening tips for spring"),
        ("The recipe needs flour, butter and two eggs.", "Lemon cake"),
        ("OpenAI released a new open-weight language model for developers.", "New model"),
        ("The EU AI Act sets obligations for providers of general-purpose AI models.", ""),
    ]
    rows = []
    for text, title in texts:
        (result,) = classifier.classify(make_document(text, title=title))
        assert 0.0 <= result.score <= 1.0
        assert result.relevant == (result.score >= classifier.threshold_for(text))
        rows.append((classifier.decision(text, title), result.score))
    rows.sort()
    assert [s for _, s in rows] == sorted(s for _, s in rows)


def test_title_is_the_evidence_when_the_body_is_empty(classifier):
    doc = make_document("", title="Anthropic releases Claude, a new AI model for enterprises")
    (result,) = classifier.classify(doc)
    assert result.relevant and result.evidence == doc.title


def test_text_without_a_known_term_scores_zero_and_is_not_relevant(classifier):
    (result,) = classifier.classify(make_document("", title=""))
    assert result == RelevanceScore(False, 0.0, NO_TOPIC)


def test_registry_lists_relevance_first_without_building_it():
    rows = registry.describe()
    assert rows[0]["fullname"] == "relevance.v4"
    assert rows[0]["output_key"] == "relevance"
    assert registry.registration("relevance").result_type is RelevanceScore


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", json.dumps({"format": "lumi.relevance/1", "vocabulary": ["a"]})],
)
def test_malformed_model_file_raises_classifier_not_configured(tmp_path, content):
    path = tmp_path / "relevance.v4.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured, match="lumi train relevance"):
        RelevanceClassifier(path)


def test_missing_model_file_names_the_build_command(tmp_path):
    with pytest.raises(ClassifierNotConfigured, match="lumi train relevance"):
        RelevanceClassifier(tmp_path / "absent.json")


def test_sites_group_by_their_first_name():
    assert site_group("www.nytimes.com") == site_group("nytimes") == "nytimes"
    assert site_group("blog.example.org") == "example"


def _synthetic() -> list[RelevanceExample]:
    ai = [
        "The lab released a new language model with open weights for developers.",
        "Regulators published rules for general-purpose AI models and their providers.",
        "The startup raised funding to train frontier AI models on new GPU clusters.",
        "Researchers evaluated the model for jailbreaks and other AI safety risks.",
    ]
    other = [
        "The team won the match after a late goal in the second half.",
        "Bake the bread for forty minutes until the crust is golden.",
        "The city council approved the new budget for road repairs.",
        "The museum opened an exhibition of nineteenth-century paintings.",
    ]
    out = []
    for n in range(12):
        out.append(RelevanceExample(ai[n % 4], "AI model news", True, f"ai{n}.example", "passage"))
        out.append(RelevanceExample(other[n % 4], "Local news", False, f"news{n}.example", "page"))
    return out


def test_training_on_a_small_synthetic_set_writes_a_loadable_model(tmp_path):
    out = tmp_path / "relevance.json"
    report = train_relevance(_synthetic(), out, folds=3)
    assert report.examples == 24 and report.sites == 24
    assert 0.0 <= report.overall.precision <= 1.0
    model = json.loads(out.read_text(encoding="utf-8"))
    assert model["metrics"]["overall"]["items"] == 24
    trained = RelevanceClassifier(out)
    (ai,) = trained.classify(make_document("A new open-weight language model.", "AI model news"))
    (bread,) = trained.classify(make_document("Bake the bread until golden.", "Local news"))
    assert ai.score > bread.score


def test_shipped_model_is_the_default_path():
    assert MODEL_PATH.name == "relevance.v4.json" and MODEL_PATH.is_file()


def test_numpy_inference_reproduces_the_scikit_learn_scores():
    from classifiers.relevance import relevance_features
    from classifiers.train import fit_relevance

    examples = _synthetic()
    inputs = [relevance_features(e.text, e.title) for e in examples]
    fitted = fit_relevance(inputs, [e.relevant for e in examples], [e.site for e in examples])
    clf = RelevanceClassifier(model=fitted.model)
    items = [
        ("A new open-weight language model was released for developers to run.", "AI news"),
        ("Bake bread.", ""),
    ]
    expected = fitted.predict_proba([relevance_features(t, h) for t, h in items])
    got = [clf.score_text(t, h) for t, h in items]
    assert got == pytest.approx(expected.tolist(), abs=1e-6)


def _lumi(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    lumi = str(Path(sys.executable).parent / "lumi")
    return subprocess.run(
        [lumi, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=90
    )


def test_lumi_train_relevance_refuses_an_existing_default_output(tmp_path):
    (tmp_path / "corpus").mkdir()  # a shared folder that passes the first check
    existing = tmp_path / RELEVANCE_DEFAULT_OUTPUT
    existing.write_text("keep me", encoding="utf-8")
    proc = _lumi(tmp_path, "train", "relevance", "--shared", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "exists already" in proc.stderr and "Traceback" not in proc.stderr
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_lumi_train_names_the_classifiers_it_knows(tmp_path):
    proc = _lumi(tmp_path, "train", "sentiment", "--shared", str(tmp_path))
    assert proc.returncode == 2
    assert "risk_themes or relevance" in proc.stderr


def test_training_twice_with_the_same_seed_writes_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    train_relevance(_synthetic(), first, folds=3, seed=1)
    train_relevance(_synthetic(), second, folds=3, seed=1)
    assert first.read_bytes() == second.read_bytes()


# Short texts written for these tests (not third-party text).
DEV_TOOL_POST = (
    "Version 3 of our schema migration tool is out. Migrations now run inside a single "
    "transaction, so a failed step rolls the whole change back. The new dry-run flag prints "
    "the SQL each migration would execute without touching the database. We rewrote the "
    "lock handling: two deploys that start at once no longer race for the migrations table. "
    "Postgres 17 and MySQL 8.4 are supported, and SQLite gained foreign-key checks. The "
    "release notes were proof-read by an LLM. Upgrading needs no changes to existing "
    "migration files; run the upgrade command once and commit the new lock file."
)
PLAIN_AI_POST = (
    "The lab trained a 70-billion-parameter language model on 15 trillion tokens using "
    "4,000 GPUs. It released the model weights under an open license, with a report on "
    "its benchmark results in reasoning and coding. The model beats the previous open "
    "models on most evaluations, and a smaller version runs on a single GPU for inference."
)


def _sentence_shares(text: str) -> dict[str, float]:
    return dict(zip(DENSE_FEATURES, dense_features(text, "Release notes").tolist(), strict=True))


def test_developer_tool_post_that_mentions_an_llm_once_is_not_relevant(classifier):
    (result,) = classifier.classify(make_document(DEV_TOOL_POST, title="Migrator 3.0 released"))
    assert not result.relevant and result.evidence == NO_TOPIC


def test_ai_post_in_plain_model_and_gpu_vocabulary_is_relevant(classifier):
    (result,) = classifier.classify(make_document(PLAIN_AI_POST, title="A new open model"))
    assert result.relevant and result.evidence != NO_TOPIC


@pytest.mark.parametrize("text", ["word word word", " ".join(["word"] * 400), "AI " * 50])
def test_degenerate_repeated_word_input_is_not_relevant(classifier, text):
    assert is_degenerate(text)
    (result,) = classifier.classify(make_document(text, title=""))
    assert result == RelevanceScore(False, 0.0, NO_TOPIC)


def test_prose_is_not_degenerate():
    assert not is_degenerate(DEV_TOOL_POST) and not is_degenerate(PLAIN_AI_POST)


def test_a_single_mention_gives_a_small_share_of_ai_sentences():
    passing = _sentence_shares(DEV_TOOL_POST)
    main_topic = _sentence_shares(PLAIN_AI_POST)
    assert 0 < passing["body_strong_share"] <= 0.2
    assert main_topic["body_any_share"] == 1.0
    assert main_topic["body_compute_share"] > 0 and passing["body_compute_share"] == 0


def test_lexicon_counts_registry_model_families_and_cjk_terms():
    lexicon = load_lexicon()
    groups = {g for _, g, _ in lexicon.matches("We fine-tuned Qwen3 and Llama-3.1-8B.")}
    assert {"core", "actor"} <= groups
    actors = {a for _, _, a in lexicon.matches("Claude Opus and gpt-oss-120b") if a}
    assert actors == {"Anthropic", "OpenAI"}
    assert any(g == "core" for _, g, _ in lexicon.matches("这是一个人工智能大模型"))
    assert lexicon.matches("The cake needs flour and eggs.") == []


def test_an_item_without_a_body_is_title_only_and_feeds_of_ai_labs_are_flagged():
    features = dict(
        zip(
            DENSE_FEATURES,
            dense_features("", "Claude gets a new memory feature", publisher="Anthropic"),
            strict=True,
        )
    )
    assert features["title_only"] == 1.0 and features["title_strong"] == 1.0
    assert features["ai_publisher"] == 1.0
    assert dense_features("", "x", publisher="Google")[DENSE_FEATURES.index("ai_publisher")] == 0


def test_title_only_items_have_their_own_calibration(classifier):
    assert classifier.title_threshold != classifier.threshold
    assert classifier.regimes["title_only"][:2] != classifier.regimes["body"][:2]


def test_a_short_body_is_its_own_regime_with_its_own_threshold(classifier):
    short = "The lab released a new open-weight model today, with a report on its benchmarks."
    assert TITLE_ONLY_WORDS <= word_count(short) < SHORT_WORDS
    features = dict(zip(DENSE_FEATURES, dense_features(short, "A new model"), strict=True))
    assert features["short_text"] == 1.0 and features["title_only"] == 0.0
    assert regime_of(dense_features(short, "A new model")) == "short"
    assert regime_of(dense_features(PLAIN_AI_POST * 3, "A new model")) == "body"
    assert regime_of(dense_features("", "A new model")) == "title_only"
    assert classifier.threshold_for(short) == classifier.short_threshold
    assert classifier.threshold_for(PLAIN_AI_POST * 3) == classifier.threshold
    assert set(classifier.regimes) == set(REGIMES)


def test_a_title_naming_an_ai_accelerator_counts_as_ai_compute():
    title = "Renting H100 nodes by the hour"
    features = dict(zip(DENSE_FEATURES, dense_features("", title), strict=True))
    assert features["title_compute"] == 1.0 and features["title_other"] == 0.0
    assert {g for _, g, _ in load_lexicon().matches("GB200 racks with NVLink")} == {"compute"}
    # case decides: LoRA (low-rank adapters) is AI vocabulary, LoRa (the radio) is not
    assert [g for _, g, _ in load_lexicon().matches("a LoRA adapter")] == ["core"]
    assert load_lexicon().matches("a LoRa radio mesh") == []


def test_thresholds_are_the_middle_of_the_near_best_cuts_not_the_single_best():
    import numpy as np

    from classifiers.train import RELEVANCE_F1_TOLERANCE, _plateau_threshold

    # one cut is best by far: the threshold lies between the items it separates
    probs = np.array([0.95, 0.9, 0.85, 0.6, 0.3, 0.2])
    y = np.array([1, 1, 1, 0, 0, 0])
    assert 0.6 < _plateau_threshold(probs, y) < 0.85
    # a run of cuts within the tolerance of the best: the threshold splits the run in two
    rng = np.random.default_rng(0)
    probs = np.sort(rng.uniform(size=300))[::-1]
    y = (rng.uniform(size=300) < probs).astype(int)
    cut = _plateau_threshold(probs, y)

    def f1(t: float) -> float:
        pred = probs >= t
        return 2 * int((pred & (y == 1)).sum()) / (int(pred.sum()) + int(y.sum()))

    cuts = (probs[:-1] + probs[1:]) / 2
    scores = np.array([f1(t) for t in cuts])
    near = cuts[scores >= scores.max() - RELEVANCE_F1_TOLERANCE]
    assert len(near) > 3 and f1(cut) >= scores.max() - RELEVANCE_F1_TOLERANCE
    assert abs(int((near > cut).sum()) - int((near < cut).sum())) <= 1


def test_malformed_lexicon_raises_classifier_not_configured(tmp_path):
    path = tmp_path / "lexicon.yaml"
    path.write_text("lexicon:\n  - group: nonsense\n    terms: [x]\n", encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured, match="group"):
        load_lexicon(path)


def test_registry_lists_the_lexicon_among_the_relevance_data_files():
    assert "relevance_lexicon.yaml" in registry.registration("relevance").data_files


# A short Chinese sentence written for this test: "The lab released its new large model
# today; developers can download the weights and use them commercially."
CHINESE_AI_NEWS = "该实验室今天发布了新的大模型,开发者可以下载权重并用于商业用途。"


def test_a_chinese_body_is_read_and_not_taken_for_a_title_only_item():
    features = dict(zip(DENSE_FEATURES, dense_features(CHINESE_AI_NEWS, "新模型"), strict=True))
    assert word_count(CHINESE_AI_NEWS) >= 12
    assert features["title_only"] == 0.0
    assert features["body_strong_share"] == 1.0


def test_chinese_text_gives_character_bigram_terms():
    terms = relevance_terms(CHINESE_AI_NEWS)
    assert f"{CJK_PREFIX}模型" in terms and f"{CJK_PREFIX}大模" in terms
    assert not any(t.startswith(CJK_PREFIX) for t in relevance_terms("Plain English text."))


def test_passage_relevance_corrections_override_the_passage_label(tmp_path):
    import shutil

    from classifiers.dataset import DEVSET_DIR
    from pipeline.corpus import RELEVANCE_CORRECTIONS, relevance_examples

    passage = {
        "source": "https://example.org/a",
        "site": "example.org",
        "title": "A database changes its license",
        "passage": "The database project moved to a source-available license.",
        "split": "dev",
        "relevant": True,
    }
    (tmp_path / "passages-x.jsonl").write_text(json.dumps(passage) + "\n", encoding="utf-8")
    shutil.copy(DEVSET_DIR / RELEVANCE_CORRECTIONS, tmp_path / RELEVANCE_CORRECTIONS)
    correction = {"source": passage["source"], "relevant": False, "note": "no AI angle"}
    with (tmp_path / RELEVANCE_CORRECTIONS).open("a", encoding="utf-8") as f:
        f.write(json.dumps(correction) + "\n")
    train, held_out = relevance_examples(tmp_path, devset=tmp_path)
    assert [(e.title, e.relevant) for e in train] == [(passage["title"], False)]
    assert held_out == []


def test_every_relevance_correction_names_a_stored_passage_and_a_reason():
    from classifiers.dataset import DEVSET_DIR, load_labels
    from pipeline.corpus import PASSAGE_FILES, RELEVANCE_CORRECTIONS

    sources = {p["source"] for p in load_labels(sorted(DEVSET_DIR.glob(PASSAGE_FILES)))}
    corrections = load_labels([DEVSET_DIR / RELEVANCE_CORRECTIONS])
    assert corrections
    for c in corrections:
        assert c["source"] in sources and isinstance(c["relevant"], bool) and c["note"]


def test_second_relevance_passage_file_uses_new_sites_and_the_split_of_each_site():
    from classifiers.dataset import DEVSET_DIR, load_labels
    from classifiers.train import split_of_site
    from pipeline.corpus import PASSAGE_FILES, RELEVANCE_LABEL_FILES

    new_file = DEVSET_DIR / "passages-relevance-2.jsonl"
    rows = load_labels([new_file])
    others = [p for p in sorted(DEVSET_DIR.glob(PASSAGE_FILES)) if p != new_file]
    other_sites = {r.get("site") for r in load_labels(others)}
    label_files = [DEVSET_DIR / n for n in RELEVANCE_LABEL_FILES]
    other_sites |= {r.get("site") for r in load_labels(label_files)}
    assert len(rows) >= 100
    assert {r["relevant"] for r in rows} == {True, False}
    for r in rows:
        assert r["site"] not in other_sites, r["site"]
        assert r["source"].startswith("http") and r["note"]
        assert r["split"] == split_of_site(r["site"])
        assert len(r["passage"]) <= 400


def test_the_relevance_training_set_reads_the_second_passage_file(shared_data):
    from pipeline.corpus import relevance_examples

    train, held_out = relevance_examples(shared_data)
    sites = {e.site for e in train + held_out}
    assert {"hn.due.io", "crosscut.com", "nsjonline.com"} <= sites
    beyond_labs = [e for e in train if not e.lab_feed and e.relevant]
    assert len(beyond_labs) >= 300
