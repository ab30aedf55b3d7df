"""The digest: publication-day boundaries, ranking and grouping, contents and headlines, source
lines, reproducible and atomic export."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import ConfigError, ExportError
from pipeline.publish.digest import (
    PreparedDay,
    build_digest,
    day_bounds,
    prepare_day,
    rank_items,
    write_digest,
)
from pipeline.publish.label import disclosure_for
from pipeline.publish.render.json_out import validate
from pipeline.publish.review import record_review
from pipeline.records import (
    Article,
    Digest,
    DigestItem,
    DigestSource,
    FeedEntry,
    FeedSource,
    SummarySection,
)
from pipeline.settings import Settings, load_settings
from pipeline.store import (
    ArticleRow,
    ClassificationRow,
    LLMFailureRow,
    LLMUsageRow,
    ReviewRow,
    Store,
    StoryArticleRow,
    StoryRow,
    SummaryRow,
    count_rows,
    insert_article,
    store_classification,
    sync_feeds,
)

DAY = date(2026, 5, 4)
NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def settings_for(**changes: Any) -> Settings:
    """Default settings, environment ignored."""
    return load_settings(env={}).replace(**changes)


def seed_article(
    store: Store,
    n: int,
    *,
    title: str,
    text: str,
    fetched_at: datetime = NOON,
    feed: str = "wire",
    url: str | None = None,
    results: dict[str, list[dict[str, Any]]] | None = None,
    published: datetime | None = None,
    site_name: str | None = "News Example",
    canonical: str | None = None,
    feed_title: str | None = None,
) -> int:
    """Store one article (and its feed) plus optional classifier results; returns its id.

    The feed dates the article an hour before its fetch unless ``published`` is given.
    """
    url = url if url is not None else f"https://news.example/{n}"
    article = Article(
        key=url or f"{feed}:{n}",
        url=url or None,
        canonical_url=canonical or url or None,
        title=title,
        text=text,
        text_source="feed",
        is_teaser=False,
        content_hash=f"hash-{n}",
        language="en",
        author=None,
        site_name=site_name,
        published_feed=published or fetched_at - timedelta(hours=1),
        published_extracted=None,
        fetched_at=fetched_at,
    )
    entry = FeedEntry(
        feed_id=feed,
        dedupe_key=f"guid:{n}",
        guid=str(n),
        url=url or None,
        canonical_url=canonical or url or None,
        title=title,
        summary="",
        content=text,
        author=None,
        published=article.published_feed,
        updated=None,
    )
    with store.session() as session:
        source = FeedSource(feed, f"https://{feed}.example/feed", feed_title or feed, "en")
        sync_feeds(session, [source])
        article_id, _, _ = insert_article(session, article, entry)
        for name, payload in (results or {}).items():
            store_classification(session, article_id, name, "v1", article.content_hash, payload)
    return article_id


def digest_of(store: Store, day: date, settings: Settings, *, days: int = 1) -> Digest:
    """What ``lumi digest`` shows: the day's stages run, then the digest built."""
    prepare_day(store, day, settings, days=days)
    return build_digest(store, day, settings, days=days)


def export(store: Store, day: date, settings: Settings, **kwargs: Any) -> list[Path]:
    """What ``lumi digest`` writes: the day's stages run, then the digest written."""
    prepare_day(store, day, settings, days=kwargs.get("days", 1))
    return write_digest(store, day, settings, **kwargs)


def actor(name: str, kind: str) -> dict[str, Any]:
    return {"name": name, "type": kind, "evidence": f"{name} said so.", "score": 1.0}


def relicense(model: str) -> dict[str, Any]:
    return {
        "kind": "relicense",
        "actor": "Mistral AI",
        "model": model,
        "from_license": None,
        "to_license": "Apache-2.0",
        "evidence": f"{model} now ships under Apache 2.0.",
        "score": 0.9,
    }


def theme(name: str, score: float) -> dict[str, Any]:
    return {"theme": name, "score": score, "evidence": "Regulators are watching closely."}


_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
]
_WORDS += [
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "yankee",
    "zulu",
]


def body(n: int) -> str:
    """A distinct article text per ``n`` (so articles never merge as near-duplicates)."""
    words = [_WORDS[(n * 7 + i * (n + 3)) % len(_WORDS)] for i in range(40)]
    return (
        f"Report number {n} was published on Monday for developers. "
        + " ".join(words[:20]).capitalize()
        + ". "
        + " ".join(words[20:]).capitalize()
        + "."
    )


def test_day_bounds_follow_the_digest_time_zone() -> None:
    start, end = day_bounds(DAY, "Europe/Berlin")
    assert start == datetime(2026, 5, 3, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 5, 4, 22, 0, tzinfo=UTC)


def test_article_published_at_2230_utc_belongs_to_next_day_in_berlin(store: Store) -> None:
    seed_article(
        store,
        1,
        title="Late night model release",
        text=body(1),
        published=datetime(2026, 5, 3, 22, 30, tzinfo=UTC),
        fetched_at=datetime(2026, 5, 3, 23, 30, tzinfo=UTC),
    )
    berlin = settings_for(timezone="Europe/Berlin")
    assert [i.title for i in digest_of(store, DAY, berlin).items] == ["Late night model release"]
    assert digest_of(store, DAY - timedelta(days=1), berlin).items == ()
    # In UTC the same fetch is still on the earlier day.
    utc = settings_for(timezone="UTC")
    assert [i.title for i in digest_of(store, DAY - timedelta(days=1), utc).items] == [
        "Late night model release"
    ]


def test_license_events_and_risk_themes_rank_first_in_translated_sections(store: Store) -> None:
    seed_article(store, 1, title="Quarterly hiring update at a lab", text=body(1))
    seed_article(
        store,
        2,
        title="Regulators open review of chatbot privacy",
        text=body(2),
        results={"risk_themes": [theme("privacy", 0.8)], "actors": [actor("OpenAI", "big_tech")]},
    )
    seed_article(
        store,
        3,
        title="Devstral switches to Apache 2.0 license",
        text=body(3),
        results={
            "license_events": [relicense("Devstral")],
            "actors": [actor("Mistral AI", "sovereign")],
        },
    )
    seed_article(
        store,
        4,
        title="New model family tops coding benchmark",
        text=body(4),
        results={"actors": [actor("DeepSeek", "model_maker")]},
    )
    digest = digest_of(store, DAY, settings_for())
    assert [i.section for i in digest.items] == ["licensing", "risk", "models", "other"]
    assert digest.items[0].license_events[0]["model"] == "Devstral"
    assert digest.items[0].actors == (
        {
            "name": "Mistral AI",
            "type": "sovereign",
            "role": "subject",
            "evidence": "Mistral AI said so.",
        },
    )
    assert digest.items[1].risk_themes[0]["theme"] == "privacy"


def _item(n: int, kind: str, *, themes: int = 0) -> DigestItem:
    disclosure = disclosure_for("extractive", settings=settings_for(), generated_at=NOON)
    return DigestItem(
        id=f"s-{n}",
        section="risk" if themes else "models",
        title=f"story {n}",
        at_a_glance="",
        sections=(SummarySection("Risk.", "x"),),
        sources=(DigestSource("site", None, None),),
        actors=({"name": f"org{n}", "type": kind, "evidence": ""},),
        license_events=(),
        risk_themes=tuple(theme("security", 0.9) for _ in range(themes)),
        disclosure=disclosure,
    )


def test_rerank_penalises_repeated_actor_types() -> None:
    # Three big-tech stories score a little higher than one research story; without the
    # diversity penalty research would come last.
    items = [
        _item(1, "big_tech", themes=1),
        _item(2, "big_tech", themes=1),
        _item(3, "big_tech", themes=1),
        _item(4, "research"),
    ]
    order = [i.id for i in rank_items(items)]
    assert order.index("s-4") < order.index("s-3")
    assert order[0] == "s-1"  # ties break on the id: deterministic
    assert [i.id for i in rank_items(reversed(items))] == order


def test_reexport_of_the_same_day_is_byte_identical(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0 license",
        text=body(1),
        results={"license_events": [relicense("Devstral")]},
    )
    seed_article(store, 2, title="Quarterly hiring update", text=body(2))
    settings = settings_for()
    first = export(store, DAY, settings, out_dir=tmp_path / "a")
    record_review(
        store, "s-1", approve=True, editor="Desk Editor", at=datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    )
    second = export(store, DAY, settings, out_dir=tmp_path / "b")
    third = export(store, DAY, settings, out_dir=tmp_path / "c")
    assert [p.name for p in first] == [
        "lumi-digest-2026-05-04.md",
        "lumi-digest-2026-05-04.html",
        "lumi-digest-2026-05-04.json",
        "lumi-digest-2026-05-04.atom",
    ]
    for b, c in zip(second, third, strict=True):
        assert b.read_bytes() == c.read_bytes(), b.name
    # the review changed the item, so the earlier export differs
    assert first[2].read_bytes() != second[2].read_bytes()


def test_articles_published_after_the_day_leave_its_digest_unchanged(
    store: Store, tmp_path: Path
) -> None:
    url = "https://news.example/same"
    seed_article(store, 1, title="Devstral switches to Apache 2.0", text=body(1), url=url)
    settings = settings_for()
    before = export(store, DAY, settings, formats=["json"], out_dir=tmp_path / "a")[0]
    # The same story reported by another feed the next day joins the story; published after
    # the day, it is not part of the day's digest.
    seed_article(
        store,
        2,
        title="Devstral switches to Apache 2.0",
        text=body(2),
        url=url,
        feed="other",
        fetched_at=NOON + timedelta(days=1),
    )
    seed_article(
        store,
        3,
        title="Devstral now ships under Apache 2.0, a follow-up",
        text=body(3),
        fetched_at=NOON + timedelta(days=1),
    )
    after = export(store, DAY, settings, formats=["json"], out_dir=tmp_path / "b")[0]
    assert before.read_bytes() == after.read_bytes()


def test_json_digest_validates_against_the_schema(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0 license",
        text=body(1),
        results={
            "license_events": [relicense("Devstral")],
            "actors": [actor("Mistral AI", "sovereign")],
            "risk_themes": [theme("licensing", 0.7)],
        },
    )
    seed_article(store, 2, title="No URL at all", text=body(2), url="")
    prepare_day(store, DAY, settings_for())
    record_review(store, "s-1", approve=True, editor="Desk", note="checked sources")
    path = export(store, DAY, settings_for(), formats=["json"], out_dir=tmp_path)[0]
    document = json.loads(path.read_text(encoding="utf-8"))
    validate(document)
    assert document["date"] == "2026-05-04"
    assert {i["id"] for i in document["items"]} == {"s-1", "s-2"}
    reviewed = next(i for i in document["items"] if i["id"] == "s-1")
    assert reviewed["ai_disclosure"]["human_review"]["note"] == "checked sources"


def test_schema_rejects_an_exemption_without_review(store: Store, tmp_path: Path) -> None:
    import jsonschema

    seed_article(store, 1, title="A story", text=body(1))
    path = export(store, DAY, settings_for(), formats=["json"], out_dir=tmp_path)[0]
    document = json.loads(path.read_text(encoding="utf-8"))
    document["items"][0]["ai_disclosure"]["exemption_applied"] = True
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_unknown_format_is_a_configuration_error(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="pdf"):
        write_digest(store, DAY, settings_for(), formats=["md", "pdf"], out_dir=out)
    assert not out.exists()


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_article(store, 1, title="A story", text=body(1))
    settings = settings_for()
    out = tmp_path / "out"
    (path,) = export(store, DAY, settings, formats=["html"], out_dir=out)
    before = path.read_bytes()
    seed_article(store, 2, title="Another story", text=body(2))

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ExportError, match="No space"):
        export(store, DAY, settings, formats=["html"], out_dir=out)
    assert path.read_bytes() == before
    assert [p.name for p in out.iterdir()] == [path.name]
    monkeypatch.undo()
    export(store, DAY, settings, formats=["html"], out_dir=out)
    assert b"Another story" in path.read_bytes()


def test_empty_day_still_writes_every_format(store: Store, tmp_path: Path) -> None:
    paths = export(store, DAY, settings_for(language="de"), out_dir=tmp_path / "out")
    assert len(paths) == 4
    assert "An diesem Tag wurden keine Meldungen erstmals veröffentlicht." in paths[1].read_text(
        "utf-8"
    )
    document = json.loads(paths[2].read_text("utf-8"))
    validate(document)
    assert (document["items"], document["headlines"], document["contents"]) == ([], [], [])


# --- reading does not write ------------------------------------------------------------------


def _row_counts(store: Store) -> dict[str, int]:
    tables = (
        ArticleRow,
        ClassificationRow,
        StoryRow,
        StoryArticleRow,
        SummaryRow,
        LLMUsageRow,
        LLMFailureRow,
        ReviewRow,
    )
    with store.session() as session:
        return {t.__tablename__: count_rows(session, t) for t in tables}


def test_building_a_digest_only_reads_and_prepare_day_runs_the_stages(
    store: Store, tmp_path: Path
) -> None:
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0 license",
        text=body(1),
        results={"license_events": [relicense("Devstral")]},
    )
    seed_article(store, 2, title="Quarterly hiring update", text=body(2))
    settings = settings_for()
    unprepared = _row_counts(store)
    assert build_digest(store, DAY, settings).items == ()  # no story yet: nothing to show
    write_digest(store, DAY, settings, out_dir=tmp_path / "unprepared")
    assert _row_counts(store) == unprepared

    assert prepare_day(store, DAY, settings) == PreparedDay(articles=2, stories=2, summarised=2)
    assert prepare_day(store, DAY, settings) == PreparedDay(0, 0, 0)
    assert PreparedDay(2, 1, 1).describe() == "grouped 2 articles into 1 stories, summarised 1"
    prepared = _row_counts(store)
    assert (prepared["stories"], prepared["summaries"]) == (2, 2)
    digest = build_digest(store, DAY, settings)
    assert [i.title for i in digest.items] == [
        "Devstral switches to Apache 2.0 license",
        "Quarterly hiring update",
    ]
    assert digest == digest_of(store, DAY, settings)
    first = write_digest(store, DAY, settings, out_dir=tmp_path / "a")
    second = write_digest(store, DAY, settings, out_dir=tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert _row_counts(store) == prepared


def test_a_changed_text_is_summarised_on_the_spot_until_the_stage_stores_it(store: Store) -> None:
    from sqlalchemy import update

    seed_article(store, 1, title="Devstral switches to Apache 2.0 license", text=body(1))
    settings = settings_for()
    prepare_day(store, DAY, settings)
    (stored,) = build_digest(store, DAY, settings).items
    with store.session() as session:  # the article is corrected
        session.execute(update(ArticleRow).values(text=body(5), content_hash="hash-corrected"))
    before = _row_counts(store)
    (fresh,) = build_digest(store, DAY, settings).items
    assert _row_counts(store) == before
    assert fresh.at_a_glance.startswith("Report number 5") and fresh != stored
    assert prepare_day(store, DAY, settings).summarised == 1
    assert build_digest(store, DAY, settings).items[0].at_a_glance == fresh.at_a_glance


def relevance(relevant: bool, score: float) -> list[dict[str, Any]]:
    return [{"relevant": relevant, "score": score, "evidence": "The opening sentence."}]


def test_stories_outside_ai_news_are_left_out_and_counted(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="Lab releases open-weight model",
        text=body(1),
        results={"relevance": relevance(True, 0.97), "actors": [actor("Mistral AI", "sovereign")]},
    )
    seed_article(
        store,
        2,
        title="A history of the Roman aqueducts",
        text=body(2),
        results={"relevance": relevance(False, 0.03), "risk_themes": [theme("sovereignty", 0.7)]},
    )
    seed_article(store, 3, title="Classified before relevance existed", text=body(3))
    digest = digest_of(store, DAY, settings_for())
    assert [i.title for i in digest.items] == [
        "Lab releases open-weight model",
        "Classified before relevance existed",
    ]
    assert digest.left_out == 1
    assert "off_topic" not in {i.section for i in digest.items}
    assert digest.items[0].relevance == {
        "relevant": True,
        "score": 0.97,
        "evidence": "The opening sentence.",
    }
    paths = export(store, DAY, settings_for(), formats=["md", "html", "json"], out_dir=tmp_path)
    markdown, html, data = (p.read_text(encoding="utf-8") for p in paths)
    assert "1 stories outside AI-industry news were left out" in markdown
    assert "lumi digest --all" in html
    document = json.loads(data)
    validate(document)
    assert document["left_out"] == {"not_relevant": 1}
    assert "Roman aqueducts" not in markdown + html + data


def test_digest_all_lists_stories_outside_ai_news_last(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="A history of the Roman aqueducts",
        text=body(1),
        results={"relevance": relevance(False, 0.03), "risk_themes": [theme("sovereignty", 0.9)]},
    )
    seed_article(
        store,
        2,
        title="Lab releases open-weight model",
        text=body(2),
        results={"relevance": relevance(True, 0.97)},
    )
    prepare_day(store, DAY, settings_for(), include_off_topic=True)
    digest = build_digest(store, DAY, settings_for(), include_off_topic=True)
    assert [(i.title, i.section) for i in digest.items] == [
        ("Lab releases open-weight model", "other"),
        ("A history of the Roman aqueducts", "off_topic"),
    ]
    assert digest.left_out == 0
    paths = write_digest(
        store, DAY, settings_for(), formats=["md", "json"], out_dir=tmp_path, include_off_topic=True
    )
    markdown, data = (p.read_text(encoding="utf-8") for p in paths)
    assert "## Outside AI-industry news" in markdown
    validate(json.loads(data))


def test_off_topic_stories_are_not_summarised_by_default(store: Store) -> None:
    seed_article(
        store,
        1,
        title="A history of the Roman aqueducts",
        text=body(1),
        results={"relevance": relevance(False, 0.03)},
    )
    assert prepare_day(store, DAY, settings_for()).summarised == 0
    assert prepare_day(store, DAY, settings_for(), include_off_topic=True).summarised == 1


def test_subject_actors_are_listed_before_mentioned_ones(store: Store) -> None:
    seed_article(
        store,
        1,
        title="Lab releases open-weight model",
        text=body(1),
        results={
            "actors": [
                {**actor("OpenAI", "model_maker"), "role": "mentioned"},
                {**actor("Mistral AI", "sovereign"), "role": "subject"},
            ]
        },
    )
    (item,) = digest_of(store, DAY, settings_for()).items
    assert [(a["name"], a["role"]) for a in item.actors] == [
        ("Mistral AI", "subject"),
        ("OpenAI", "mentioned"),
    ]


# --- the publication day ---------------------------------------------------------------------


def test_story_published_on_d_but_fetched_on_d_plus_3_is_in_ds_digest(store: Store) -> None:
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0 license",
        text=body(1),
        published=NOON,
        fetched_at=NOON + timedelta(days=3),
    )
    settings = settings_for()
    assert [i.title for i in digest_of(store, DAY, settings).items] == [
        "Devstral switches to Apache 2.0 license"
    ]
    assert digest_of(store, DAY + timedelta(days=3), settings).items == ()


def test_a_first_fetch_of_a_back_catalogue_does_not_flood_the_fetch_days_digest(
    store: Store,
) -> None:
    today = NOON + timedelta(days=90)
    for n, age in enumerate((400, 200, 30, 0), start=1):
        seed_article(
            store,
            n,
            title=f"Story from {age} days before the fetch",
            text=body(n),
            published=today - timedelta(days=age),
            fetched_at=today,
        )
    settings = settings_for()
    assert [i.title for i in digest_of(store, today.date(), settings).items] == [
        "Story from 0 days before the fetch"
    ]


def test_digest_date_on_a_past_day_of_the_archive_works(store: Store) -> None:
    fetch = NOON + timedelta(days=60)
    seed_article(store, 1, title="Old release", text=body(1), published=NOON, fetched_at=fetch)
    seed_article(
        store,
        2,
        title="Day after",
        text=body(2),
        published=NOON + timedelta(days=1),
        fetched_at=fetch,
    )
    settings = settings_for()
    assert [i.title for i in digest_of(store, DAY, settings).items] == ["Old release"]
    assert [i.title for i in digest_of(store, DAY + timedelta(days=1), settings).items] == [
        "Day after"
    ]


def test_a_story_belongs_to_the_day_of_its_earliest_source(store: Store) -> None:
    seed_article(store, 1, title="Devstral switches to Apache 2.0", text=body(1))
    # another site ran the same text a day earlier; we fetched it later
    seed_article(
        store,
        2,
        title="Devstral switches to Apache 2.0",
        text=body(1),
        url="https://elsewhere.example/devstral",
        feed="other",
        published=NOON - timedelta(days=1),
        fetched_at=NOON + timedelta(days=1),
    )
    settings = settings_for()
    prepare_day(store, DAY + timedelta(days=1), settings)  # both grouped into one story
    earlier = digest_of(store, DAY - timedelta(days=1), settings)
    assert [i.title for i in earlier.items] == ["Devstral switches to Apache 2.0"]
    assert [s.url for s in earlier.items[0].sources] == ["https://elsewhere.example/devstral"]
    assert digest_of(store, DAY, settings).items == ()


def test_an_article_dated_in_the_future_of_its_fetch_counts_on_its_fetch_day(
    store: Store,
) -> None:
    seed_article(
        store,
        1,
        title="Embargoed date typo",
        text=body(1),
        published=NOON + timedelta(days=30),
        fetched_at=NOON,
    )
    assert [i.title for i in digest_of(store, DAY, settings_for()).items] == ["Embargoed date typo"]


def test_days_3_covers_the_three_days_ending_on_the_date(store: Store, tmp_path: Path) -> None:
    for n, back in enumerate((0, 1, 2, 3), start=1):
        seed_article(
            store,
            n,
            title=f"Published {back} days before",
            text=body(n),
            published=NOON - timedelta(days=back),
            fetched_at=NOON,
        )
    settings = settings_for()
    digest = digest_of(store, DAY, settings, days=3)
    assert sorted(i.title for i in digest.items) == [
        "Published 0 days before",
        "Published 1 days before",
        "Published 2 days before",
    ]
    assert (digest.first, digest.day) == (date(2026, 5, 2), DAY)
    paths = export(store, DAY, settings, days=3, out_dir=tmp_path)
    assert [p.name for p in paths] == [
        "lumi-digest-2026-05-02--2026-05-04.md",
        "lumi-digest-2026-05-02--2026-05-04.html",
        "lumi-digest-2026-05-02--2026-05-04.json",
        "lumi-digest-2026-05-02--2026-05-04.atom",
    ]
    document = json.loads(paths[2].read_text("utf-8"))
    validate(document)
    assert (document["first_date"], document["date"]) == ("2026-05-02", "2026-05-04")
    assert "# Lumi AI News — May 2, 2026 – May 4, 2026" in paths[0].read_text("utf-8")
    with pytest.raises(ConfigError, match="days"):
        write_digest(store, DAY, settings, days=0, out_dir=tmp_path / "none")


# --- contents and headlines --------------------------------------------------------------------


def _seed_ranked(store: Store) -> None:
    """Two licensing stories, one risk story and three others (ranked in that order)."""
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0",
        text=body(1),
        results={"license_events": [relicense("Devstral")]},
    )
    seed_article(
        store,
        2,
        title="Codestral moves to Apache 2.0",
        text=body(2),
        results={"license_events": [relicense("Codestral")]},
    )
    seed_article(
        store,
        3,
        title="Regulators open privacy review",
        text=body(3),
        results={"risk_themes": [theme("privacy", 0.8)]},
    )
    for n in (4, 5, 6):
        seed_article(store, n, title=f"Hiring update {n}", text=body(n))


def test_max_items_cuts_the_rest_to_a_headline_list_best_ranked_first(
    store: Store, tmp_path: Path
) -> None:
    _seed_ranked(store)
    settings = settings_for(digest_max_items=3)
    digest = digest_of(store, DAY, settings)
    assert [i.title for i in digest.items] == [
        "Devstral switches to Apache 2.0",
        "Codestral moves to Apache 2.0",
        "Regulators open privacy review",
    ]
    assert [h.title for h in digest.headlines] == [f"Hiring update {n}" for n in (4, 5, 6)]
    assert digest.headlines[0].sources[0].url == "https://news.example/4"
    assert digest.contents() == [("licensing", 2, 0), ("risk", 1, 0), ("other", 0, 3)]
    md, _, data, atom = (
        p.read_bytes() for p in write_digest(store, DAY, settings, out_dir=tmp_path)
    )
    assert "- Licensing (2)\n- Risk and regulation (1)\n- More headlines (3)" in md.decode()
    assert "- [Hiring update 4](<https://news.example/4>)" in md.decode()
    document = json.loads(data)
    validate(document)
    assert [h["title"] for h in document["headlines"]] == [f"Hiring update {n}" for n in (4, 5, 6)]
    assert atom.count(b"<entry>") == 3


def test_prepare_day_summarises_only_the_full_items_not_the_headlines(store: Store) -> None:
    _seed_ranked(store)
    settings = settings_for(digest_max_items=2)
    assert prepare_day(store, DAY, settings) == PreparedDay(articles=6, stories=6, summarised=2)
    with store.session() as session:
        assert count_rows(session, SummaryRow) == 2
    # a larger digest later summarises the newly shown stories only
    assert prepare_day(store, DAY, settings_for(digest_max_items=4)).summarised == 2


def _rss(items: list[tuple[str, str]], published: datetime) -> bytes:
    """An RSS feed of (title, text) items, each published at ``published``."""
    stamp = published.strftime("%a, %d %b %Y %H:%M:%S +0000")
    body_xml = "".join(
        f"<item><guid isPermaLink='false'>wire-{n}</guid><title>{title}</title>"
        f"<link>https://wire.example/{n}</link><pubDate>{stamp}</pubDate>"
        f"<description>{text}</description></item>"
        for n, (title, text) in enumerate(items)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://wire.example/</link>{body_xml}</channel></rss>"
    ).encode()


def test_a_fetch_summarises_nothing_and_lumi_digest_summarises_only_its_full_items(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    from loopback import LoopbackServer
    from sqlalchemy import select

    from pipeline.ingest.cycle import run_cycle
    from pipeline.store import open_store

    url = f"sqlite:///{tmp_path / 'lumi.db'}"
    stories = [
        (
            f"Lab {n} releases an open-weight language model",
            f"AI lab number {n} released an open-weight large language model for developers. "
            + body(n),
        )
        for n in range(1, 5)
    ]
    with LoopbackServer() as server:
        feed = _rss(stories, NOON - timedelta(hours=1))
        server.add_response("/feed.xml", feed, headers={"Content-Type": "application/rss+xml"})
        settings = settings_for(
            database_url=url, allowed_addresses=[server.host_port], fetch_pages=False
        )
        store = open_store(url)
        try:
            wire = FeedSource("wire", server.url("feed.xml"), "Wire", "en")
            report = run_cycle(store, settings, [wire])
            assert report.new == 4
            with store.session() as session:
                # grouped into stories, classified, but not one summary written
                assert count_rows(session, StoryRow) == 4
                assert count_rows(session, ClassificationRow) > 0
                assert count_rows(session, SummaryRow) == 0
        finally:
            store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env.update({"LUMI_DATABASE_URL": url, "LUMI_DIGEST_MAX_ITEMS": "2"})
    args = ["digest", "--date", DAY.isoformat(), "--format", "json", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert "summarised 2" in done.stderr
    document = json.loads(Path(done.stdout.strip()).read_text("utf-8"))
    assert (len(document["items"]), len(document["headlines"])) == (2, 2)
    store = open_store(url)
    try:
        with store.session() as session:
            summarised = set(session.scalars(select(SummaryRow.story_id)))
    finally:
        store.close()
    assert {f"s-{story_id}" for story_id in summarised} == {i["id"] for i in document["items"]}


def test_json_digest_with_contents_and_headlines_validates_against_the_schema(
    store: Store, tmp_path: Path
) -> None:
    _seed_ranked(store)
    settings = settings_for(digest_max_items=2)
    (path,) = export(store, DAY, settings, formats=["json"], out_dir=tmp_path)
    document = json.loads(path.read_text("utf-8"))
    validate(document)
    assert document["publication"] == "Lumi AI News"
    assert document["contents"] == [
        {"section": "licensing", "items": 2, "headlines": 0},
        {"section": "risk", "items": 0, "headlines": 1},
        {"section": "other", "items": 0, "headlines": 3},
    ]


# --- the source line ---------------------------------------------------------------------------


def test_source_line_names_the_pages_site_name(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="A story",
        text=body(1),
        site_name="Interconnects",
        feed="feed_interconnects",
        feed_title="feed_interconnects (dev)",
    )
    (md,) = export(store, DAY, settings_for(), formats=["md"], out_dir=tmp_path)
    shown = md.read_text("utf-8")
    assert "Source: [Interconnects](<https://news.example/1>) · Published May 4, 2026" in shown
    assert "feed\\_interconnects" not in shown and "(dev)" not in shown


def test_source_line_falls_back_to_the_domain_never_the_feed(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="A story",
        text=body(1),
        url="https://www.interconnects.ai/p/a-story",
        site_name=None,
        feed="feed_mistral_news",
        feed_title="feed_mistral_news (dev)",
    )
    digest = digest_of(store, DAY, settings_for())
    assert [s.site for s in digest.items[0].sources] == ["www.interconnects.ai"]
    paths = export(store, DAY, settings_for(), out_dir=tmp_path)
    for path in paths:
        assert "feed_mistral_news" not in path.read_text("utf-8"), path.name


def test_sources_are_deduplicated_by_canonical_url(store: Store) -> None:
    canonical = "https://news.example/devstral"
    seed_article(store, 1, title="Devstral switches to Apache 2.0", text=body(1), url=canonical)
    seed_article(
        store,
        2,
        title="Devstral switches to Apache 2.0",
        text=body(1),
        url=canonical + "?utm_source=feed",
        canonical=canonical,
        feed="other",
    )
    (item,) = digest_of(store, DAY, settings_for()).items
    assert [(s.site, s.url) for s in item.sources] == [("News Example", canonical)]


def test_german_digest_has_german_dates_and_labels(store: Store, tmp_path: Path) -> None:
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0",
        text=body(1),
        results={"license_events": [relicense("Devstral")]},
    )
    md, html, _, atom = export(store, DAY, settings_for(language="de"), out_dir=tmp_path)
    for path in (md, html, atom):
        shown = path.read_text("utf-8")
        assert "Lumi AI News — 4. Mai 2026" in shown, path.name
        assert "Quelle:" in shown and "Veröffentlicht am 4. Mai 2026" in shown, path.name
        assert "KI-generierte Kuratierung gemäß Artikel 50" in shown, path.name
        assert "Published" not in shown and "Source:" not in shown, path.name
    assert "## Inhalt" in md.read_text("utf-8") and "## Lizenzen" in md.read_text("utf-8")


def test_closing_line_ends_every_item_in_every_format(store: Store, tmp_path: Path) -> None:
    seed_article(store, 1, title="A story", text=body(1))
    settings = settings_for(publication_name="Desk Briefing", generator_name="Desk Bot")
    md, html, data, atom = export(store, DAY, settings, out_dir=tmp_path)
    closing = (
        "Desk Briefing — AI-generated curation pursuant to Article 50 EU AI Act. "
        "Paraphrase and classification by Desk Bot v"
    )
    assert md.read_text("utf-8").rstrip().splitlines()[-1].startswith(f"*{closing}")
    assert closing in html.read_text("utf-8") and closing in atom.read_text("utf-8")
    document = json.loads(data.read_text("utf-8"))
    validate(document)
    assert document["items"][0]["ai_disclosure"]["closing_text"].startswith(closing)
    assert document["generator"]["name"] == "Desk Bot"
