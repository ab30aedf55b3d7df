"""actors.v4: registry data, resolution of names and model families, false-hit avoidance,
roles, the feed's publisher and organisations outside the registry."""

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
    text = "Hugging Face\u2060 trained it. GPT\u2011Rosalind is new."
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
    doc = make_document("Acme Robotics ordered servers. OpenAI shipped an update.")
    candidates = classifier.candidates(doc)
    assert [(c.name, c.type) for c in candidates] == [("Acme Robotics", "unknown")]
    assert [m.name for m in classifier.classify(doc)] == ["OpenAI"]


def test_a_statistical_pipeline_entity_next_to_a_cue_is_an_actor_not_a_candidate(
    tmp_path: Path,
) -> None:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "Acme Robotics"}])  # type: ignore[attr-defined]
    nlp.to_disk(tmp_path / "pipeline")
    classifier = ActorClassifier(spacy_model=str(tmp_path / "pipeline"))
    doc = make_document("Acme Robotics released its open-weight model for warehouse arms.")
    assert classifier.candidates(doc) == ()
    (mention,) = classifier.classify(doc)
    assert (mention.name, mention.type, mention.role) == ("Acme Robotics", "model_maker", "subject")


# --- roles ------------------------------------------------------------------------------


def roles(actors: ActorClassifier, text: str, title: str = "", publisher: str | None = None):
    doc = make_document(text, title=title, publisher=publisher)
    return [(m.name, m.role) for m in actors.classify(doc)]


def test_models_named_in_a_benchmark_comparison_are_mentioned(actors: ActorClassifier) -> None:
    text = "Qwen3 is out today. On coding tasks it outperforms GPT-4o and Claude by a wide margin."
    assert roles(actors, text, title="Alibaba releases Qwen3") == [
        ("Alibaba", "subject"),
        ("OpenAI", "mentioned"),
        ("Anthropic", "mentioned"),
    ]


def test_a_customer_list_is_mentioned_and_the_releasing_lab_is_the_subject(
    actors: ActorClassifier,
) -> None:
    text = (
        "Its customers include Microsoft and Samsung. "
        "Cohere released Command A Vision on Tuesday for document work."
    )
    assert roles(actors, text) == [
        ("Cohere", "subject"),
        ("Microsoft", "mentioned"),
        ("Samsung", "mentioned"),
    ]


def test_the_most_mentioned_actor_is_the_subject_when_nothing_else_says(
    actors: ActorClassifier,
) -> None:
    text = (
        "Engineers praised Gemini for long documents. Google said usage doubled. "
        "One team also tried a Llama checkpoint."
    )
    assert roles(actors, text) == [("Google", "subject"), ("Meta", "mentioned")]


def test_an_actor_named_once_in_passing_is_mentioned(actors: ActorClassifier) -> None:
    assert roles(actors, "I worked at Google for a decade before opening a bakery.") == [
        ("Google", "mentioned")
    ]


# --- the feed's publisher ------------------------------------------------------------------


def test_the_publisher_speaking_in_the_first_person_is_the_subject_though_never_named(
    actors: ActorClassifier,
) -> None:
    text = "Shieldstral screens prompts before they reach our models. We trained it with NVIDIA."
    found = actors.classify(
        make_document(text, title="Introducing Shieldstral", publisher="Mistral AI")
    )
    assert [(m.name, m.type, m.role) for m in found] == [
        ("Mistral AI", "sovereign", "subject"),
        ("NVIDIA", "big_tech", "mentioned"),
    ]
    assert found[0].evidence == "Shieldstral screens prompts before they reach our models."


def test_the_publisher_given_by_alias_resolves_to_its_canonical_name(
    actors: ActorClassifier,
) -> None:
    assert roles(actors, "We are hiring in Paris.", publisher="Mistral") == [
        ("Mistral AI", "subject")
    ]


def test_a_publisher_naming_its_product_is_the_subject_even_in_the_third_person(
    actors: ActorClassifier,
) -> None:
    text = "Grok now drafts replies inside the mail client used by many companies."
    assert roles(actors, text, publisher="xAI") == [("xAI", "subject")]


def test_without_first_person_or_its_products_the_publisher_is_not_added(
    actors: ActorClassifier,
) -> None:
    text = "The conference opens in Lisbon on Monday with talks on databases."
    assert roles(actors, text, publisher="OpenAI") == []


def test_without_a_publisher_first_person_text_adds_no_actor(actors: ActorClassifier) -> None:
    assert roles(actors, "We shipped a faster release of our compiler this week.") == []


# --- organisations outside the registry ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "kind"),
    [
        (
            "Kestrel Minds, a French AI startup that trains small language models, raised "
            "$20 million on Monday.",
            "Kestrel Minds",
            "model_maker",
        ),
        (
            "Brightwave, a chip company, said demand for its AI accelerators doubled.",
            "Brightwave",
            "big_tech",
        ),
        (
            "The government-backed AI lab Nordmodel published a report on Nordic data.",
            "Nordmodel",
            "sovereign",
        ),
        ("Zeta Ridge released its first open-weight model on Friday.", "Zeta Ridge", "model_maker"),
        (
            "Researchers at Vandermeer University built a benchmark for language models.",
            "Vandermeer University",
            "research",
        ),
    ],
)
def test_an_organisation_outside_the_registry_is_typed_from_the_cue(
    actors: ActorClassifier, text: str, name: str, kind: str
) -> None:
    assert found(actors, text) == {name: kind}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Startup Corvid raised $5 million to build AI agents for accountants.", "Corvid"),
        ("Lisbon-based AI startup Marlow Works hired ten engineers.", "Marlow Works"),
        ("Researchers at Quillon described an AI method for reading invoices.", "Quillon"),
    ],
)
def test_an_organisation_outside_the_registry_without_evidence_of_its_kind_is_unknown(
    actors: ActorClassifier, text: str, name: str
) -> None:
    assert found(actors, text) == {name: "unknown"}


@pytest.mark.parametrize(
    "text",
    [
        "Last Tuesday The Grand Hotel opened in New York, and Winter Olympics tickets sold out.",
        "Jane Porter, a researcher at the bank, said the AI pilot went well.",
        "Meanwhile, a company spokesperson declined to comment on the AI plans.",
        "Hartley Foods, a company that bakes bread, opened a second bakery in Leeds.",
        "The startup Fernbrook raised $3 million to sell garden furniture.",
        "Researchers at Northgate Hospital studied sleep in 400 patients.",
    ],
)
def test_capitalised_ordinary_words_people_and_non_ai_firms_are_not_actors(
    actors: ActorClassifier, text: str
) -> None:
    assert found(actors, text) == {}


# --- actors.v3: more cues, institutions, Chinese and French forms ----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Lumen-7B is a 7B parameter language model built by Corvane and OpenQuill-Europe.",
            {"Corvane": "unknown", "OpenQuill-Europe": "unknown"},
        ),
        (
            "The open-weight AI model was developed by Brightmoor Labs under Apache 2.0.",
            {"Brightmoor Labs": "unknown"},
        ),
        ("Le modèle de langage Lumen a été développé par Corvane.", {"Corvane": "unknown"}),
        ("El modelo de lenguaje fue desarrollado por Corvane.", {"Corvane": "unknown"}),
        ("Das Sprachmodell wurde entwickelt von Nordwerk.", {"Nordwerk": "unknown"}),
        (
            "The language model was trained by the Kestrel University lab in Wales.",
            {"Kestrel University": "research"},
        ),
    ],
)
def test_the_maker_named_after_by_is_an_actor(
    actors: ActorClassifier, text: str, expected: dict[str, str]
) -> None:
    assert found(actors, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The language model was released by Jane Porter last week.",
        "Drone-Arena is a benchmark created by Quillon Labs to test AI agents.",
        "The frugal AI methodology was developed by Normex, a standards body.",
        "The weather model was built by Corvane for farmers.",
    ],
)
def test_by_needs_an_ai_model_and_an_organisation(actors: ActorClassifier, text: str) -> None:
    assert found(actors, text) == {}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("A new language model from Kestrel University beats larger rivals.", "Kestrel University"),
        (
            "Kestrel University researchers trained a small language model for Welsh.",
            "Kestrel University",
        ),
        (
            "The Kestrel Institute of Technology built an AI model for Icelandic.",
            "Kestrel Institute of Technology",
        ),
        (
            "The University of Vandermeer released an open-weight language model.",
            "University of Vandermeer",
        ),
    ],
)
def test_a_university_or_institute_doing_ai_work_is_research(
    actors: ActorClassifier, text: str, name: str
) -> None:
    assert found(actors, text) == {name: "research"}


@pytest.mark.parametrize(
    "text",
    [
        "Bartek, a professor of maths at Kestrel University, used an AI chatbot to write an app.",
        "The AI Security Institute of Freedonia tested the language model.",
        "The Institute for Progress published a policy paper on AI.",
        "An operating system designed at the University of Kestrel used a document model.",
        "The University said the AI course is full.",
    ],
)
def test_an_institution_that_is_a_regulator_an_affiliation_or_not_about_ai_is_not_an_actor(
    actors: ActorClassifier, text: str
) -> None:
    assert found(actors, text) == {}


def test_every_name_of_a_list_after_at_or_from_is_examined(actors: ActorClassifier) -> None:
    text = "Researchers from Quillon and Brightmoor Labs described an AI method for invoices."
    assert found(actors, text) == {"Quillon": "unknown", "Brightmoor Labs": "unknown"}
    assert found(actors, "Visitors from Paris and London tried the AI demo.") == {}


@pytest.mark.parametrize(
    "text",
    [
        "Corvane, which trains open-weight language models for lawyers, hired ten people.",
        "Corvane's open-weight models now speak Welsh.",
    ],
)
def test_an_organisation_that_makes_models_is_a_model_maker(
    actors: ActorClassifier, text: str
) -> None:
    assert found(actors, text) == {"Corvane": "model_maker"}


@pytest.mark.parametrize(
    "text",
    [
        "Jane Porter's language model course is popular.",
        "Halden Foods, which makes bread, opened a bakery in Leeds.",
    ],
)
def test_people_and_firms_that_make_no_models_are_not_model_makers(
    actors: ActorClassifier, text: str
) -> None:
    assert found(actors, text) == {}


def test_an_appositive_with_the_needs_a_defining_clause(actors: ActorClassifier) -> None:
    text = "Kestrel, the startup behind the open-weight Lumen language models, raised $20 million."
    assert found(actors, text) == {"Kestrel": "model_maker"}
    assert found(actors, "Kestrel, the company said, will sell AI chips to farms.") == {}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("百度发布文心大模型4.5，腾讯混元同日开源。", {"Baidu", "Tencent"}),
        ("OpenAI昨日宣布推出两款开源大语言模型。", {"OpenAI"}),
        ("清华大学和北京大学发布了新的大模型。", {"Tsinghua University", "Peking University"}),
        (
            "Les modèles d'OpenAI et l’ETH Zürich entraînent un modèle de langage.",
            {"OpenAI", "ETH Zurich"},
        ),
        ("ETH Zürich y EPFL lanzan un modelo de lenguaje abierto.", {"ETH Zurich", "EPFL"}),
    ],
)
def test_chinese_names_and_french_elisions_are_matched(
    actors: ActorClassifier, text: str, names: set[str]
) -> None:
    assert set(found(actors, text)) == names


def test_a_research_lab_in_the_sentence_of_a_model_is_tied_to_ai_work(
    actors: ActorClassifier,
) -> None:
    text = "We are working with Argonne National Laboratory to bring GPT-5 into its platform."
    assert found(actors, text) == {
        "OpenAI": "model_maker",
        "Argonne National Laboratory": "research",
    }
    assert found(actors, "Argonne National Laboratory opened a new cafeteria.") == {}
    # "MIT" next to a model is the licence
    assert found(actors, "Qwen3 weights are published under MIT.") == {"Alibaba": "big_tech"}


# --- actors.v4: more scripts, glued names, hubs, licences and cues in more languages ------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("카카오가 새 AI 모델을 오픈소스로 공개했다.", {"Kakao"}),
        ("①LG의 뚝심: 새 언어모델이 나왔다.", {"LG"}),
        ("Grok 4 (High)GPT-5 (High)Claude Opus 4.1", {"xAI", "OpenAI", "Anthropic"}),
        ("FLUX.1 [dev] license updated today.", {"Black Forest Labs"}),
        ("Is Falcon 180B not based on Falcon 40B?", {"TII"}),
        ("Its license excludes Europe for llama3.3.", {"Meta"}),
    ],
)
def test_names_in_korean_after_numbers_brackets_or_before_a_version_are_matched(
    actors: ActorClassifier, text: str, names: set[str]
) -> None:
    assert set(found(actors, text)) == names


def test_a_falcon_rocket_is_not_a_model(actors: ActorClassifier) -> None:
    assert found(actors, "A Falcon 9 rocket carried the AI satellite to orbit.") == {}


def test_a_latin_context_word_next_to_japanese_text_counts(actors: ActorClassifier) -> None:
    text = "東京大学の松尾研究室は公開したLLMの記述を削除した。"
    assert found(actors, text) == {"University of Tokyo": "research"}


@pytest.mark.parametrize(
    "text",
    [
        "The weights are published on Hugging Face under the MIT license.",
        "Both models can be downloaded today from Hugging Face.",
        "We are releasing the model weights on the Hugging Face Hub.",
        "It is available on GitHub, HuggingFace, and ModelScope.",
        "Die Modelle sind auf Plattformen wie Hugging Face und GitHub verfügbar.",
        "Les deux modèles sont disponibles sur la plateforme Hugging Face.",
        "Weights are gated and need authenticating with a HuggingFace token.",
        "两款模型现已在Hugging Face平台开放下载。",
    ],
)
def test_hugging_face_as_the_place_a_model_is_hosted_is_not_an_actor(
    actors: ActorClassifier, text: str
) -> None:
    assert "Hugging Face" not in found(actors, text)


@pytest.mark.parametrize(
    "text",
    [
        "SmolLM3, released by Hugging Face, is a small language model.",
        "Hugging Face launches a new open robotics model.",
        "Researchers from Hugging Face trained the model on open data.",
        "Bloom was built by BigScience and the French company Hugging Face.",
    ],
)
def test_hugging_face_as_the_maker_is_an_actor(actors: ActorClassifier, text: str) -> None:
    assert "Hugging Face" in found(actors, text)


@pytest.mark.parametrize(
    "text",
    [
        "团队以MIT许可证开源了这个大模型。",
        "Всё это в open-source под лицензией MIT, и модель уже доступна.",
        "Model licences range from permissive (Apache-2.0, MIT) to bespoke AI terms.",
        "To unlock the potential of open AI models, we need a new license.",
    ],
)
def test_a_licence_named_mit_and_open_ai_models_are_not_organisations(
    actors: ActorClassifier, text: str
) -> None:
    assert found(actors, text) == {}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Grok 4.5 is now available in GitHub Copilot for developers.", {"xAI", "Microsoft"}),
        ("Tori uses models from SpaceXAI to read market sentiment.", {"xAI"}),
        (
            "GPT-5.6 Sol is competitive with Mythos Preview on ExploitBench.",
            {"OpenAI", "Anthropic"},
        ),
        ("Added support for Bedrock API keys.", {"Amazon"}),
        ("Chai-1 predicts the 3D structure of biomolecules.", {"Chai Discovery"}),
        ("ESM C models are available for commercial use.", {"EvolutionaryScale"}),
        ("dots.llm1是小红书的技术团队开发的大语言模型。", {"Xiaohongshu"}),
        (
            "A paper co-authored with collaborators at Vanderbilt, Columbia, Oxford and "
            "Cambridge tested GPT-5.",
            {
                "OpenAI",
                "Vanderbilt University",
                "Columbia University",
                "University of Oxford",
                "University of Cambridge",
            },
        ),
    ],
)
def test_registry_names_added_from_development_misses_are_matched(
    actors: ActorClassifier, text: str, names: set[str]
) -> None:
    assert set(found(actors, text)) == names


@pytest.mark.parametrize(
    "text",
    [
        "The poet Francesca Gardner, from Cambridge’s English Faculty, wrote about mowing.",
        "Portrait of Andrew Marvell at Trinity College, Cambridge, by the University of Cambridge.",
        "Oxford-based founders raised money for an AI model.",
    ],
)
def test_place_names_and_other_copilots_are_not_actors(actors: ActorClassifier, text: str) -> None:
    assert found(actors, text) == {}


def test_another_vendors_copilot_is_not_microsoft(actors: ActorClassifier) -> None:
    assert found(actors, "Salesforce Einstein Copilot answers questions with AI.") == {
        "Salesforce": "big_tech"
    }


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("La startup française Vortal a publié son premier modèle de langage.", "Vortal"),
        (
            "Vortal, une startup parisienne qui développe des modèles de langage, a levé 20 M€.",
            "Vortal",
        ),
        (
            "Das Münchner KI-Start-up Nexlayer hat ein neues Sprachmodell veröffentlicht.",
            "Nexlayer",
        ),
        (
            "Lumora, una startup de Madrid que desarrolla modelos de IA, presentó su modelo.",
            "Lumora",
        ),
        ("Il modello linguistico è stato sviluppato da Quantora e Brightmoor.", "Quantora"),
        ("该模型由深言科技开发并开源。", "深言科技"),
    ],
)
def test_cues_in_other_languages_find_organisations_outside_the_registry(
    actors: ActorClassifier, text: str, name: str
) -> None:
    assert name in found(actors, text)


@pytest.mark.parametrize(
    "text",
    [
        "Lumora, una startup de Madrid que vende zapatos, abrió una tienda.",
        "Forschungseinrichtungen und Unternehmen können das Open-Source-Modell nutzen.",
        "La startup de Madrid Lumora abrió una tienda de zapatos.",
        "该模型由小红书的技术团队开发。",
    ],
)
def test_cues_in_other_languages_need_an_ai_organisation(
    actors: ActorClassifier, text: str
) -> None:
    names = set(found(actors, text))
    assert not names - {"Xiaohongshu"}


def test_the_place_a_subjects_model_comes_to_in_the_title_is_mentioned(
    actors: ActorClassifier,
) -> None:
    doc = make_document("Grok 4.5 is available in Copilot.", title="Grok 4.5 in GitHub Copilot")
    roles = {m.name: m.role for m in actors.classify(doc)}
    assert roles == {"xAI": "subject", "Microsoft": "mentioned"}


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


# --- the pre-filter ----------------------------------------------------------------------

_PREFILTER_FRAGMENTS = [
    "DeepSeek-R1's weights and Qwen2.5-VL-72B came out the same week.",
    "  Mistral AI  said Mistral\u00a0AI and Mistral\nAI are written three ways.",
    "Hugging Face\u2060 hosts GPT\u2011Rosalind and Llama-3.1-8B-Instruct.",
    "Ain't nobody training y'all a model at 40\u00b0K. today, said Meta; meta-analysis is not.",
    "3Gemma, _Llama, x2Claude and 01.AI's Yi-34B sit next to letters and digits.",
    "Apple released an apple-flavoured model; Zed shipped Zeta and the zed editor.",
    "Falcon-H1 and H1 of the year; the R1 report and Kimi K2 from Moonshot AI.",
    "\u53d1\u5e03Qwen3-Coder\u5728\u963f\u91cc\u5df4\u5df4 (Alibaba) \u4e0a\u7ebf\u3002",
    "x" * 600 + " OpenAI " + "y" * 300 + " Anthropic, Google DeepMind and NVIDIA.",
    "Nothing here names a lab: the weather was mild and the trains ran on time.",
    "百度发布文心大模型4.5,腾讯混元和OpenAI昨日开源;Les modèles d'OpenAI et l’ETH Zürich.",
    "카카오가 공개했다. ①LG의 엑사원, (High)GPT-5 (High)Gemini 3 and FLUX.1 [dev] on Hugging Face.",
]


@pytest.mark.parametrize("in_title", [False, True])
def test_the_prefilter_finds_the_same_mentions_as_tokenizing_everything(
    actors: ActorClassifier, in_title: bool
) -> None:
    filler = " ".join(["The committee met on Tuesday to discuss the budget."] * 30)
    texts = [*_PREFILTER_FRAGMENTS, filler.join(_PREFILTER_FRAGMENTS), "Mistral", " Mistral AI"]
    for text in texts:
        normalised = text.replace("\u2060", " ").replace("\u2011", "-")
        full = actors._match_window(normalised, 0, in_title)
        assert actors._match(text, in_title) == full, text[:60]
    assert actors._match_window(filler.join(_PREFILTER_FRAGMENTS), 0, in_title)


def test_the_prefilter_tokenizes_only_windows_around_possible_mentions(
    actors: ActorClassifier,
) -> None:
    filler = " ".join(["The committee met on Tuesday to discuss the budget."] * 40)
    text = filler + " Anthropic released Claude. " + filler
    windows = actors._prefilter.windows(text)
    assert windows is not None and len(windows) == 1
    start, end = windows[0]
    assert start < text.index("Anthropic") and text.index("Claude") + 6 < end
    assert end - start < 100
    assert actors._prefilter.windows("Ain't it grand, " + text) is None  # an exception
