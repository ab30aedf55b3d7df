"""The classifier registry: versioned names, golden snapshot, lazy cached instances, API."""

from __future__ import annotations

import importlib.util
import json

import pytest

from classifiers import registry
from classifiers.api import ClassificationReport, classify_document, classify_text
from classifiers.base import Classifier, ClassifierConfig, make_document
from classifiers.errors import ClassifierNotConfigured, UnknownClassifier

HAS_RISK_THEMES = importlib.util.find_spec("classifiers.risk_themes") is not None


def _risk_themes_configured() -> bool:
    if not HAS_RISK_THEMES:
        return False
    try:
        registry.get("risk_themes")
    except ClassifierNotConfigured:
        return False
    return True


# Results independent of the machine: no statistical spaCy pipeline even where one is installed.
NO_MODEL = ClassifierConfig(spacy_model="none")


def test_registered_set_matches_the_golden_file() -> None:
    golden = json.loads(registry.GOLDEN_PATH.read_text(encoding="utf-8"))
    if not HAS_RISK_THEMES:
        golden = [row for row in golden if row["name"] != "risk_themes"]
    assert registry.describe() == golden


def test_every_registration_declares_existing_data_files() -> None:
    for entry in registry.registrations():
        if entry.name == "risk_themes":
            continue  # its model file is built by training; absence means "not configured"
        for name in entry.data_files:
            assert (registry.DATA_DIR / name).is_file(), f"{entry.fullname}: {name}"


def test_get_accepts_name_or_versioned_name_and_caches_the_instance() -> None:
    by_name = registry.get("actors")
    assert registry.get("actors.v4") is by_name
    assert isinstance(by_name, Classifier)
    assert (by_name.name, by_name.version) == ("actors", "v4")


def test_build_returns_a_fresh_instance_with_overrides() -> None:
    fresh = registry.build("actors.v4", spacy_model="none")
    assert fresh is not registry.get("actors")


def test_unknown_names_list_what_is_registered() -> None:
    with pytest.raises(UnknownClassifier, match=r"actors\.v4"):
        registry.get("sentiment")
    with pytest.raises(UnknownClassifier):
        registry.get("actors.v9")


def test_registering_a_second_factory_under_the_same_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @registry.register("actors", "v4", labels=())
        class Impostor:  # pragma: no cover - never built
            pass


def test_build_all_only_builds_what_is_asked() -> None:
    built = registry.build_all(only=["license_events"])
    assert list(built) == ["license_events.v9"]


def test_license_classifier_shares_the_actor_tokenization() -> None:
    events = registry.get("license_events")
    actors = registry.get("actors")
    assert events.actors is actors  # type: ignore[attr-defined]
    doc = make_document("Mistral AI released Magistral Small under Apache 2.0.")
    events.classify(doc)
    # the actor analysis for this document object is already cached
    assert actors._cache[-1][0] is doc  # type: ignore[attr-defined]


@pytest.mark.skipif(not HAS_RISK_THEMES, reason="risk-theme classifier not present")
def test_build_all_skips_an_unconfigured_classifier_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = registry.registration("risk_themes")

    def missing(**_kwargs: object) -> Classifier:
        raise ClassifierNotConfigured("risk-theme model missing")

    monkeypatch.setitem(
        registry._registry,
        entry.fullname,
        registry.Registration(
            entry.name, entry.version, entry.labels, missing, entry.defaults, entry.data_files
        ),
    )
    monkeypatch.setattr(registry, "_instances", {})
    assert "risk_themes.v4" not in registry.build_all()
    with pytest.raises(ClassifierNotConfigured):
        registry.build_all(only=["risk_themes"])


def test_classify_text_reports_every_classifier_in_the_contract_shape() -> None:
    report = classify_text(
        "Google's Gemma 4 now ships under Apache 2.0, replacing the Gemma Terms of Use.",
        title="Gemma 4 changes license",
        language="en",
        config=NO_MODEL,
    )
    assert isinstance(report, ClassificationReport)
    data = report.to_json()
    assert set(data) == {
        "title",
        "language",
        "relevance",
        "actors",
        "license_events",
        "risk_themes",
        "summary",
        "disclosure",
        "classifiers",
    }
    assert data["language"] == "en"
    assert data["summary"] is None and data["disclosure"] is None
    assert data["actors"][0]["name"] == "Google"
    assert data["license_events"][0]["kind"] == "relicense"
    assert data["relevance"]["relevant"] is True and 0.5 <= data["relevance"]["score"] <= 1
    assert data["classifiers"]["relevance"] == "v4"
    assert data["classifiers"]["actors"] == "v4"
    assert data["classifiers"]["license_events"] == "v9"
    assert ("risk_themes" in data["classifiers"]) == _risk_themes_configured()
    json.dumps(data)


def test_classify_document_with_only_runs_only_those() -> None:
    doc = make_document("Anthropic released Claude under no license at all.")
    report = classify_document(doc, only=["actors"], config=NO_MODEL)
    assert dict(report.classifiers) == {"actors": "v4"}
    assert report.license_events == () and report.risk_themes == ()
    assert [a.name for a in report.actors] == ["Anthropic"]
