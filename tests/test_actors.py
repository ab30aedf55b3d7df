"""actors.v1: registry data, resolution of names and model families, false-hit avoidance."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from classifiers.actors import ActorClassifier, load_actor_registry
from classifiers.base import ACTOR_TYPES, make_document
from classifiers.errors import ClassifierNotConfigured


@pytest.fixture(scope="module")
def actors() -> ActorClassifier:
    return ActorClassifier(spacy_model="none")


def found(actors: ActorClassifier, text: str, title: str = "") -> dict[str, str]:
    return {m.name: m.type for m in actors.classify(make_document(text, title=title))}


# --- the registry data -----------------------------------------------------------------


def test_registry_lists_at_least_110_organisations_with_valid_fields() -> None:
    registry = load_actor_registry()
    assert len(registry.actors) >= 110
    for actor in registry.actors:
        assert actor.type in ACTOR_TYPES and actor.type != "unknown", actor.name
        assert len(actor.country) == 2 and actor.country.isupper(), actor.name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("DeepSeek", "model_maker"),
        ("Zyphra", "model_maker"),
        ("Arcee", "model_maker"),
        ("Poolside", "model_maker"),
        ("Moonshot AI", "model_maker"),
        ("OpenAI", "model_maker"),
        ("Anthropic", "model_maker"),
        ("xAI", "model_maker"),
        ("Cohere", "sovereign"),
        ("Mistral AI", "sovereign"),
        ("Trillion Labs", "sovereign"),
        ("TII", "sovereign"),
        ("Sarvam AI", "sovereign"),
        ("Alibaba", "big_tech"),
        ("Google", "big_tech"),
        ("NVIDIA", "big_tech"),
        ("Meta", "big_tech"),
        ("JetBrains", "product_company"),
        ("Zed", "product_company"),
        ("Photoroom", "product_company"),
        ("Ai2", "research"),
        ("EleutherAI", "research"),
    ],
)
def test_required_actor_types(name: str, kind: str) -> None:
    assert load_actor_registry().by_name(name).type == kind


def test_a_missing_registry_file_is_not_configured(tmp_path: Path) -> None:
    with pytest.raises(ClassifierNotConfigured, match="cannot be read"):
        ActorClassifier(registry_path=tmp_path / "absent.yaml", spacy_model="none")


def test_an_entry_without_a_valid_type_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "actors.yaml"
    path.write_text("actors:\n  - {name: Acme, type: startup, country: US}\n", encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured, match=r"Acme.*'type'"):
        load_actor_registry(path)


# --- resolution --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The team fine-tuned Qwen on legal questions.", "Alibaba"),
        ("A new Gemma checkpoint landed this week.", "Google"),
        ("Nemotron tops the reasoning chart.", "NVIDIA"),
        ("The startup builds on Llama for its assistant.", "Meta"),
        ("Support for Command R+ arrived in the toolkit.", "Cohere"),
        ("Researchers trained OLMo from scratch on open data.", "Ai2"),
        ("Claude wrote most of the patch.", "Anthropic"),
        ("The benchmark compared GPT-5 with older systems.", "OpenAI"),
        ("The bank runs gpt-oss on its own servers.", "OpenAI"),
        ("Grok answered the question in two seconds.", "xAI"),
    ],
)
def test_model_families_resolve_to_their_organisation(
    actors: ActorClassifier, text: str, name: str
) -> None:
    assert name in found(actors, text)


@pytest.mark.parametrize(
    ("text", "name", "form"),
    [
        ("Google's new lab opened today.", "Google", "Google"),
        ("Google’s new lab opened today.", "Google", "Google"),
        ("We compared Qwen-2.5 with the baseline.", "Alibaba", "Qwen"),
        ("We compared Qwen2.5-VL with the baseline.", "Alibaba", "Qwen"),
        ("We ran Llama-3.1-8B-Instruct locally.", "Meta", "Llama"),
        ("We ran gpt-oss-120b locally.", "OpenAI", "gpt-oss"),
        ("DeepSeek-R1's answer was longer.", "DeepSeek", "DeepSeek-R1"),
        ("Microsoft released Phi-4 for laptops.", "Microsoft", "Phi"),
    ],
)
def test_possessive_and_hyphenated_forms_match(
    actors: ActorClassifier, text: str, name: str, form: str
) -> None:
    mentions = {m.name: m for m in actors.classify(make_document(text))}
    assert name in mentions
    assert form in mentions[name].matched


def test_one_mention_per_organisation_with_first_naming_sentence_as_evidence(
    actors: ActorClassifier,
) -> None:
    text = (
        "Gemma runs on phones now. Google said the update ships in May. "
        "Google also mentioned Gemini."
    )
    mentions = actors.classify(make_document(text))
    assert [m.name for m in mentions] == ["Google"]
    assert mentions[0].evidence == "Google said the update ships in May."
    assert mentions[0].matched == ("Gemma", "Google", "Gemini")


def test_evidence_is_the_title_when_only_the_title_names_the_actor(
    actors: ActorClassifier,
) -> None:
    doc = make_document("The weights are online.", title="Anthropic opens a Paris office")
    (mention,) = actors.classify(doc)
    assert mention.name == "Anthropic"
    assert mention.evidence == "Anthropic opens a Paris office"


def test_customers_investors_and_regulators_are_not_actors(actors: ActorClassifier) -> None:
    text = (
        "Goldman Sachs rolled out an AI assistant built by Anthropic. Sequoia led the round, "
        "and the European Commission asked questions."
    )
    assert found(actors, text) == {"Anthropic": "model_maker"}


# --- false hits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Zed Jones scored twice for the visitors.",
        "In Britain the last letter is called zed.",
        "Command the crew to hold position until dawn.",
        "The naval command approved the plan.",
        "She baked an apple pie for the fair.",
        "A meta-analysis of forty trials found no effect.",
        "Meta-analysis remains the gold standard.",
        "A cold mistral wind swept the valley.",
        "Cursor position is saved between sessions.",
        "SpaceX launched a Falcon 9 rocket on Tuesday.",
        "The Greek letter Phi appears in the golden ratio.",
        "He went to MIT to study nuclear engineering.",
        "The project is released under the MIT license.",
    ],
)
def test_ordinary_words_are_not_actors(actors: ActorClassifier, text: str) -> None:
    assert found(actors, text) == {}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The Zed editor now has an AI assistant.", "Zed"),
        ("Zed Industries trained Zeta for edit prediction.", "Zed"),
        ("Cohere said Command beats its older models.", "Cohere"),
        ("The Abu Dhabi institute released Falcon as an open-weight LLM.", "TII"),
        ("Researchers at MIT trained a language model on lab notes.", "MIT"),
        ("A mistral wind did not stop Mistral from shipping its model.", "Mistral AI"),
    ],
)
def test_ambiguous_forms_count_with_context(actors: ActorClassifier, text: str, name: str) -> None:
    assert name in found(actors, text)


def test_an_organisation_confirmed_elsewhere_needs_no_local_context(
    actors: ActorClassifier,
) -> None:
    text = "Zed Industries raised money. Zed ships weekly."
    (mention,) = actors.classify(make_document(text))
    assert mention.matched == ("Zed Industries", "Zed")


def test_invisible_joiners_and_typographic_hyphens_do_not_hide_names(
    actors: ActorClassifier,
) -> None:
    text = "Download it from Hugging Face\u2060 today. GPT\u2011Rosalind is new."
    assert {"Hugging Face", "OpenAI"} <= set(found(actors, text))


def test_analysis_is_cached_per_document_object(actors: ActorClassifier) -> None:
    doc = make_document("Anthropic and OpenAI both shipped updates.")
    assert actors.analyze(doc) is actors.analyze(doc)


# --- optional statistical pipeline -----------------------------------------------------


def test_without_a_statistical_pipeline_candidates_are_empty_and_only_info_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from classifiers import actors as module

    module._ner_cache.clear()
    with caplog.at_level(logging.INFO, logger="classifiers.actors"):
        classifier = ActorClassifier(spacy_model="auto")
    assert classifier.candidates(make_document("Acme Robotics trained a model.")) == ()
    assert all(r.levelno <= logging.INFO for r in caplog.records)


def test_a_statistical_pipeline_reports_unknown_organisations_as_candidates(
    tmp_path: Path,
) -> None:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "ORG", "pattern": "Acme Robotics"},
            {"label": "ORG", "pattern": "OpenAI"},
        ]
    )
    nlp.to_disk(tmp_path / "pipeline")
    classifier = ActorClassifier(spacy_model=str(tmp_path / "pipeline"))
    doc = make_document("Acme Robotics trained a model with OpenAI.")
    candidates = classifier.candidates(doc)
    assert [(c.name, c.type) for c in candidates] == [("Acme Robotics", "unknown")]
    assert [m.name for m in classifier.classify(doc)] == ["OpenAI"]


# --- real articles ---------------------------------------------------------------------


def test_real_lab_posts_name_their_labs(actors: ActorClassifier, shared_data: Path) -> None:
    from pipeline.corpus import load_corpus_file

    items = load_corpus_file(shared_data, "corpus/dev/feed_mistral_news.before-2026-03.xml")
    named = 0
    for item in items[:20]:
        doc = make_document("\n\n".join(item.paragraphs), title=item.title)
        names = {m.name for m in actors.classify(doc)}
        named += "Mistral AI" in names
    assert named >= 18
