"""Storage: migrations, idempotent writes and concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from pipeline.errors import ConfigError
from pipeline.records import Article, FeedEntry, FeedSource
from pipeline.store import (
    ArticleRow,
    ArticleSourceRow,
    ClassificationRow,
    FeedRow,
    count_rows,
    current_revision,
    engine_for,
    head_revision,
    insert_article,
    migrate,
    open_store,
    store_classification,
    sync_feeds,
    update_feeds,
)

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _entry(feed_id: str, key: str, url: str | None = "https://example.org/a") -> FeedEntry:
    return FeedEntry(
        feed_id=feed_id,
        dedupe_key=key,
        guid=None,
        url=url,
        canonical_url=url,
        title="A title",
        summary="A summary",
        content="",
        author=None,
        published=NOW,
        updated=None,
    )


def _article(key: str = "https://example.org/a") -> Article:
    return Article(
        key=key,
        url=key,
        canonical_url=key,
        title="A title",
        text="Body text.",
        text_source="page",
        is_teaser=False,
        content_hash="0" * 64,
        language="en",
        author=None,
        site_name="Example",
        published_feed=NOW,
        published_extracted=None,
        fetched_at=NOW,
    )


def _sources() -> list[FeedSource]:
    return [
        FeedSource("one", "https://example.org/one.xml", "One", "en", ("x",)),
        FeedSource("two", "https://example.org/two.xml", "Two", "de"),
    ]


def test_upgrade_head_on_empty_database_creates_every_table(db_url: str) -> None:
    engine = engine_for(db_url)
    try:
        migrate(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"feeds", "articles", "article_sources", "classifications"} <= tables
    finally:
        engine.dispose()


def test_migrations_form_one_linear_history() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from pipeline.store import migrations_dir

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    revisions = list(script.walk_revisions())
    assert all(len(r._all_down_revisions) <= 1 for r in revisions)


def test_upgrade_from_previous_schema_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = engine_for(url)
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO feeds (id, url, title, language, tags, in_registry, state, "
            "consecutive_failures, created_at) VALUES ('old', 'https://e.org/f', 'Old', 'en', "
            "'[]', 1, 'ok', 0, '2026-01-01 00:00:00')"
        )
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id FROM feeds").scalar() == "old"
    engine.dispose()


def test_default_sqlite_file_is_created_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "lumi.db"
    store = open_store(f"sqlite:///{path}")
    store.close()
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            head_revision()
        )


@pytest.mark.postgres
def test_postgres_is_not_migrated_silently(pg_url: str) -> None:
    with pytest.raises(ConfigError, match="lumi db upgrade"):
        open_store(pg_url)


def test_invalid_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid database URL"):
        open_store("not a url at all")


def test_same_url_from_two_feeds_is_one_article_with_two_sources(store) -> None:
    with store.session() as s:
        sync_feeds(s, _sources())
    with store.session() as s:
        first = insert_article(s, _article(), _entry("one", "guid:1"))
        second = insert_article(s, _article(), _entry("two", "guid:9"))
    assert first[0] == second[0]
    assert first[1] is True and second[1] is False
    assert first[2] is True and second[2] is True
    with store.session() as s:
        assert count_rows(s, ArticleRow) == 1
        feeds = set(s.scalars(select(ArticleSourceRow.feed_id)))
    assert feeds == {"one", "two"}


def test_writing_the_same_entry_twice_changes_nothing(store) -> None:
    with store.session() as s:
        sync_feeds(s, _sources())
    for _ in range(2):
        with store.session() as s:
            insert_article(s, _article(), _entry("one", "guid:1"))
    with store.session() as s:
        assert count_rows(s, ArticleRow) == 1
        assert count_rows(s, ArticleSourceRow) == 1


def test_classification_is_stored_once_per_version_and_content_hash(store) -> None:
    with store.session() as s:
        sync_feeds(s, _sources())
        article_id, _, _ = insert_article(s, _article(), _entry("one", "guid:1"))
    with store.session() as s:
        assert store_classification(s, article_id, "actors", "v1", "0" * 64, [{"name": "X"}])
        assert not store_classification(s, article_id, "actors", "v1", "0" * 64, [])
        assert store_classification(s, article_id, "actors", "v2", "0" * 64, [])


def test_a_batch_insert_stores_only_new_results_and_counts_them(store) -> None:
    from pipeline.store.classifications import store_classifications

    with store.session() as s:
        sync_feeds(s, _sources())
        first, _, _ = insert_article(s, _article(), _entry("one", "guid:1"))
        second, _, _ = insert_article(
            s, _article("https://example.org/b"), _entry("one", "guid:2", "https://example.org/b")
        )
    rows = [
        (first, "actors", "v1", "0" * 64, [{"name": "X"}]),
        (second, "actors", "v1", "0" * 64, []),
    ]
    with store.session() as s:
        assert store_classifications(s, rows) == 2
    with store.session() as s:
        assert store_classifications(s, [*rows, (first, "actors", "v2", "0" * 64, [])]) == 1
        assert store_classifications(s, []) == 0
    with store.session() as s:
        assert count_rows(s, ClassificationRow) == 3
        stored = {(r.article_id, r.version): r.result for r in s.scalars(select(ClassificationRow))}
    assert stored[(first, "v1")] == [{"name": "X"}] and stored[(second, "v1")] == []


def test_classifying_stored_articles_twice_stores_each_result_once(store) -> None:
    from pipeline.classify import classify_articles

    with store.session() as s:
        sync_feeds(s, _sources())
        ids = [
            insert_article(
                s,
                _article(f"https://example.org/{n}"),
                _entry("one", f"guid:{n}", f"https://example.org/{n}"),
            )[0]
            for n in range(3)
        ]
    first = classify_articles(store, ids, only=["actors", "risk_themes"])
    again = classify_articles(store, ids, only=["actors", "risk_themes"])
    assert (first.articles, first.stored, first.unchanged) == (3, 6, 0)
    assert (again.articles, again.stored, again.unchanged) == (3, 0, 6)
    with store.session() as s:
        assert count_rows(s, ClassificationRow) == 6


def test_feed_state_round_trips_aware_utc_datetimes(store) -> None:
    with store.session() as s:
        sync_feeds(s, _sources())
    with store.session() as s:
        update_feeds(
            s,
            [
                {"id": "one", "next_poll_at": NOW, "state": "ok"},
                {"id": "two", "next_poll_at": NOW, "state": "failing"},
            ],
        )
    with store.session() as s:
        row = s.get(FeedRow, "one")
        assert row is not None
        assert row.next_poll_at == NOW and row.next_poll_at.tzinfo is not None
        assert row.state == "ok"
        assert s.get(FeedRow, "two").state == "failing"


def test_registry_sync_keeps_state_and_marks_removed_feeds(store) -> None:
    with store.session() as s:
        sync_feeds(s, _sources())
    with store.session() as s:
        update_feeds(s, [{"id": "one", "etag": '"abc"', "state": "ok"}])
    with store.session() as s:
        sync_feeds(s, _sources()[:1])
    with store.session() as s:
        assert s.get(FeedRow, "one").etag == '"abc"'
        assert s.get(FeedRow, "two").in_registry is False


def _insert_in_process(url: str, feed_id: str, barrier) -> None:  # pragma: no cover - child
    store = open_store(url)
    barrier.wait()
    for n in range(30):
        with store.session() as s:
            insert_article(
                s,
                _article(f"https://example.org/{n}"),
                _entry(feed_id, f"guid:{n}", f"https://example.org/{n}"),
            )
    store.close()


def test_two_concurrent_writers_never_duplicate_an_article(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lumi.db'}"
    store = open_store(url)
    with store.session() as s:
        sync_feeds(s, _sources())
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_insert_in_process, args=(url, fid, barrier)) for fid in ("one", "two")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with store.session() as s:
        assert count_rows(s, ArticleRow) == 30
        assert count_rows(s, ArticleSourceRow) == 60
    store.close()
