"""Adding a classifier is a module, a registry entry, a data file and its tests; nothing else
changes: a toy classifier registered here reaches ``lumi classify``'s output, ingestion's
stored classifications, ``lumi reclassify`` and the story merge without touching the pipeline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from classifiers import registry
from classifiers.api import Classification
from classifiers.base import Document
from pipeline.classify import ClassifyInput, classify_input
from pipeline.reclassify import reclassify
from pipeline.settings import load_settings
from pipeline.store import ArticleRow, ClassificationRow, current_classifications, open_store


@dataclasses.dataclass(frozen=True, slots=True)
class Shout:
    """A toy result: one upper-case word of the text."""

    word: str
    evidence: str
    score: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"word": self.word, "evidence": self.evidence, "score": self.score}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Shout:
        return cls(str(data["word"]), str(data.get("evidence", "")), float(data.get("score", 1)))

    def identity(self) -> tuple[Any, ...]:
        return (self.word,)


class ShoutClassifier:
    name = "shouts"
    version = "v1"
    labels = ("shout",)
    output_key = "shouts"

    def classify(self, doc: Document) -> tuple[Shout, ...]:
        words = dict.fromkeys(w.strip(".,!") for w in doc.text.split())
        return tuple(Shout(w, doc.title) for w in words if len(w) > 1 and w.isupper())


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    registry.registrations()  # the built-ins first, so the toy sorts after them
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    monkeypatch.setattr(registry, "_instances", {})
    registry.register("shouts", "v1", labels=("shout",), output_key="shouts", result_type=Shout)(
        ShoutClassifier
    )
    yield


TEXT = "Mistral AI released Devstral under Apache 2.0. It is FAST and OPEN, they said."


def test_the_toy_classifier_appears_in_lumi_classify_output(toy: None) -> None:
    settings = load_settings(env={"LUMI_SPACY_MODEL": "none"})
    out = classify_input(ClassifyInput("-", "Devstral", TEXT, "en"), settings)
    assert out["shouts"] == [
        {"word": "AI", "evidence": "Devstral", "score": 1.0},
        {"word": "FAST", "evidence": "Devstral", "score": 1.0},
        {"word": "OPEN", "evidence": "Devstral", "score": 1.0},
    ]
    assert out["classifiers"]["shouts"] == "v1"
    assert out["actors"][0]["name"] == "Mistral AI"
    keys = list(out)
    assert keys.index("risk_themes") < keys.index("shouts") < keys.index("summary")


def test_the_toy_classifier_is_stored_by_ingestion_and_reclassify_and_merged(
    toy: None, tmp_path: Path
) -> None:
    from pipeline.demo import run_demo
    from pipeline.publish.summarise import story_classification

    result = run_demo(tmp_path / "demo", load_settings(env={}), echo=lambda _l: None)
    store = open_store(f"sqlite:///{result.database}")
    try:
        with store.session() as session:
            ids = list(session.scalars(select(ArticleRow.id).order_by(ArticleRow.id)))
            rows = session.scalars(
                select(ClassificationRow).where(ClassificationRow.classifier == "shouts")
            ).all()
            assert sorted(r.article_id for r in rows) == ids  # ingestion stored it
            current = current_classifications(session, ids)
            toy_results = {
                aid: next(c for c in found if c.classifier == "shouts")
                for aid, found in current.items()
            }
            assert all(isinstance(c, Classification) for c in toy_results.values())
            shouted = [c for c in toy_results.values() if c.results]
            assert shouted and all(isinstance(r, Shout) for c in shouted for r in c.results)
            merged = story_classification(session, ids)
            assert merged is not None
            assert {s["word"] for s in merged["shouts"]} == {
                r.word for c in shouted for r in c.results
            }
            session.execute(
                delete(ClassificationRow).where(ClassificationRow.classifier == "shouts")
            )
        report = reclassify(store, only=["shouts"])
        assert report.articles == len(ids) and report.stored == len(ids)
        assert report.classifiers == ("shouts.v1",)
        with store.session() as session:
            again = current_classifications(session, ids)
        assert {
            aid: next(c for c in found if c.classifier == "shouts") for aid, found in again.items()
        } == toy_results
    finally:
        store.close()
