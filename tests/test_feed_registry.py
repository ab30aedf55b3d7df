"""The feed registry: feeds.yaml validation and OPML round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import FeedRegistryError
from pipeline.ingest.registry import (
    append_to_registry,
    dump_registry,
    export_opml,
    import_opml,
    load_registry,
    parse_registry,
)
from pipeline.records import FeedSource

REPO = Path(__file__).resolve().parents[1]


def _doc(**overrides):
    entry = {
        "id": "lab-blog",
        "url": "https://example.org/feed.xml",
        "title": "Lab blog",
        "language": "en",
        "tags": ["labs"],
    }
    entry.update(overrides)
    return {"feeds": [entry]}


def test_shipped_registry_is_valid_and_large_enough() -> None:
    sources = load_registry(REPO / "feeds.yaml")
    assert len(sources) >= 25
    assert len({s.id for s in sources}) == len(sources)
    assert {s.language for s in sources} - {"en"}, "needs at least one other EU language"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "ftp://example.org/feed"}, "url"),
        ({"url": None}, "url"),
        ({"language": "English"}, "language"),
        ({"tags": "labs"}, "tags"),
        ({"poll_minutes": 0}, "poll_minutes"),
        ({"poll_minutes": "often"}, "poll_minutes"),
        ({"id": "Has Spaces"}, "id"),
        ({"colour": "blue"}, "colour"),
        ({"publisher": ""}, "publisher"),
        ({"publisher": ["Mistral AI"]}, "publisher"),
    ],
)
def test_invalid_entry_error_names_the_entry_and_the_field(overrides, field) -> None:
    with pytest.raises(FeedRegistryError) as info:
        parse_registry(_doc(**overrides))
    assert info.value.field == field
    assert f"field '{field}'" in str(info.value)
    assert "entry" in str(info.value)


def test_publisher_given_by_alias_is_stored_under_its_canonical_actor_name() -> None:
    (source,) = parse_registry(_doc(publisher="Mistral"))
    assert source.publisher == "Mistral AI"


def test_publisher_outside_the_actor_registry_is_kept_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="pipeline.ingest.registry"):
        (source,) = parse_registry(_doc(publisher="Kestrel  Minds"))
    assert source.publisher == "Kestrel Minds"
    assert "not in the actor registry" in caplog.text


def test_a_feed_without_publisher_has_none() -> None:
    (source,) = parse_registry(_doc())
    assert source.publisher is None


def test_shipped_lab_feeds_name_their_publisher() -> None:
    sources = {s.id: s for s in load_registry(REPO / "feeds.yaml")}
    assert sources["openai-news"].publisher == "OpenAI"
    assert sources["mistral-ai-news"].publisher == "Mistral AI"
    assert sources["the-verge-ai"].publisher is None


def test_duplicate_ids_are_refused() -> None:
    doc = _doc()
    doc["feeds"].append(dict(doc["feeds"][0]))
    with pytest.raises(FeedRegistryError, match="duplicate id"):
        parse_registry(doc)


def test_missing_registry_file_says_how_to_point_at_it(tmp_path: Path) -> None:
    with pytest.raises(FeedRegistryError, match="LUMI_FEEDS"):
        load_registry(tmp_path / "nope.yaml")


def test_yaml_dump_round_trips(tmp_path: Path) -> None:
    sources = load_registry(REPO / "feeds.yaml")
    path = tmp_path / "feeds.yaml"
    path.write_text(dump_registry(sources), encoding="utf-8")
    assert load_registry(path) == sources


def test_opml_export_then_import_round_trips() -> None:
    sources = load_registry(REPO / "feeds.yaml")
    assert import_opml(export_opml(sources).encode()) == sources


def test_opml_from_another_reader_maps_folders_to_tags() -> None:
    opml = b"""<?xml version="1.0"?>
    <opml version="1.0"><head><title>x</title></head><body>
      <outline text="AI Labs">
        <outline type="rss" text="Some Lab" xmlUrl="https://lab.example/rss"/>
      </outline>
      <outline type="rss" title="Policy &amp; Law" xmlUrl="https://policy.example/atom"
               language="de"/>
    </body></opml>"""
    sources = import_opml(opml)
    assert sources[0] == FeedSource(
        "some-lab", "https://lab.example/rss", "Some Lab", "en", ("ai-labs",), None
    )
    assert sources[1].id == "policy-law" and sources[1].language == "de"


def test_opml_with_entity_expansion_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]>
    <opml version="2.0"><body><outline text="&a;" xmlUrl="https://e.org/f"/></body></opml>"""
    with pytest.raises(FeedRegistryError, match="refused"):
        import_opml(bomb)


def test_opml_outline_with_bad_url_is_named() -> None:
    opml = b"""<opml version="2.0"><body>
      <outline text="Bad" xmlUrl="javascript:alert(1)"/></body></opml>"""
    with pytest.raises(FeedRegistryError, match="field 'url'"):
        import_opml(opml)


NEW = FeedSource(
    id="new-lab",
    url="https://newlab.example/feed.xml",
    title="New Lab: news — weekly",
    language="de",
    tags=("labs", "de"),
    poll_minutes=30,
)


def _read(text: str) -> tuple[FeedSource, ...]:
    import yaml

    return parse_registry(yaml.safe_load(text))


def test_appending_keeps_the_shipped_registry_text_and_adds_the_entry_at_the_end() -> None:
    text = (REPO / "feeds.yaml").read_text(encoding="utf-8")
    appended = append_to_registry(text, [NEW])
    assert appended.startswith(text)
    assert _read(appended) == (*load_registry(REPO / "feeds.yaml"), NEW)
    # Blank-line-separated entries stay so, at the list's own indentation.
    assert appended[len(text) :].startswith("\n  - id: new-lab\n")


@pytest.mark.parametrize(
    "text",
    [
        "feeds: []\n",
        "# registry\nfeeds: []  # none yet\nextra: 1\n",
        "feeds:\n- id: a\n  url: https://a.example/\n  title: A\n  language: en\n  tags:\n  - t",
        "feeds:\n  - {id: a, url: 'https://a.example/', title: A, language: en}\n# the end\n",
    ],
    ids=["empty-flow-list", "comments-and-other-keys", "no-final-newline", "flow-entries"],
)
def test_appending_works_on_any_registry_layout_and_keeps_comments(text: str) -> None:
    appended = append_to_registry(text, [NEW])
    assert _read(appended) == (*_read(text), NEW)
    for comment in [line for line in text.splitlines() if "#" in line]:
        assert comment.split("#", 1)[1] in appended


def test_appending_nothing_returns_the_text_unchanged() -> None:
    text = "feeds: [] # odd  spacing\n"
    assert append_to_registry(text, []) is text


def test_the_feed_publisher_is_stored_and_owns_its_first_person_articles(store) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from pipeline.classify import classify_articles
    from pipeline.records import Article, FeedEntry
    from pipeline.store import ClassificationRow, FeedRow, insert_article, sync_feeds

    now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    url = "https://example.org/shieldstral"
    with store.session() as s:
        sync_feeds(
            s,
            [FeedSource("lab", "https://example.org/lab.xml", "Lab", "en", publisher="Mistral AI")],
        )
    with store.session() as s:
        article_id = insert_article(
            s,
            Article(
                key=url,
                url=url,
                canonical_url=url,
                title="Introducing Shieldstral",
                text="Shieldstral screens prompts before they reach our models.",
                text_source="page",
                is_teaser=False,
                content_hash="1" * 64,
                language="en",
                author=None,
                site_name="Lab",
                published_feed=now,
                published_extracted=None,
                fetched_at=now,
            ),
            FeedEntry(
                feed_id="lab",
                dedupe_key="guid:1",
                guid=None,
                url=url,
                canonical_url=url,
                title="Introducing Shieldstral",
                summary="",
                content="",
                author=None,
                published=now,
                updated=None,
            ),
        )[0]
    classify_articles(store, [article_id], only=["actors"])
    with store.session() as s:
        assert s.get(FeedRow, "lab").publisher == "Mistral AI"
        (result,) = s.scalars(
            select(ClassificationRow.result).where(ClassificationRow.classifier == "actors")
        )
    assert [(a["name"], a["role"]) for a in result] == [("Mistral AI", "subject")]
