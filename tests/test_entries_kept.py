"""No entry is lost: entries without text wait for their page; distinct entries stay distinct."""

from __future__ import annotations

from datetime import timedelta

from fixtures_http import guarded_settings
from loopback import LoopbackServer, RequestRecord, Response
from sqlalchemy import select

from pipeline.ingest.cycle import run_cycle
from pipeline.records import FeedSource
from pipeline.settings import load_settings
from pipeline.store import (
    ArticleRow,
    ArticleSourceRow,
    ClassificationRow,
    StoryArticleRow,
    SummaryRow,
    count_rows,
    utcnow,
)

NO_TEXT_RSS = "feeds/formats/rss-parser/test/input/xml2js-options.rss"
CHANGELOG = "corpus/dev/feed_anthropic_changelog_claude_code.xml"
RSS_TYPE = {"Content-Type": "application/rss+xml"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}

ARTICLE_HTML = (
    "<!DOCTYPE html><html lang='en'><head><title>Zyphra releases ZAYA2</title></head><body>"
    "<article><h1>Zyphra releases ZAYA2</h1>"
    + "".join(
        f"<p>Paragraph {n}: Zyphra released the ZAYA2 language model under the Apache 2.0 "
        "license, with weights on its model hub and a report describing the training data, "
        "the evaluation suite and the safety review the company ran before the release.</p>"
        for n in range(1, 7)
    )
    + "</article></body></html>"
).encode()


def _src(feed_id: str, url: str) -> FeedSource:
    return FeedSource(feed_id, url, feed_id, "en", ("test",))


def _feed(*items: tuple[str | None, str, str, str]) -> bytes:
    """An RSS feed of (guid, title, link, description) items, written for these tests."""
    body = "".join(
        "<item>"
        + (f"<guid isPermaLink='false'>{guid}</guid>" if guid else "")
        + f"<title>{title}</title><link>{link}</link><description>{text}</description></item>"
        for guid, title, link, text in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://wire.example/</link>{body}</channel></rss>"
    ).encode()


def _flaky_page(fail_times: int, status: int = 503):
    calls = {"n": 0}

    def route(_request: RequestRecord) -> Response:
        calls["n"] += 1
        if calls["n"] <= fail_times:
            return Response(status, {"Content-Type": "text/plain"}, b"not now")
        return Response(200, HTML_TYPE, ARTICLE_HTML)

    return route, calls


def test_entries_without_text_and_unreachable_pages_are_stored_as_pending(store, loopback_server):
    settings = guarded_settings(loopback_server, http_timeout=3.0)
    report = run_cycle(store, settings, [_src("science", loopback_server.url(NO_TEXT_RSS))])
    out = report.to_json()
    articles, sources = _rows(store)
    assert 69 <= len(articles) <= 70
    assert all(a.pending_text and a.text == "" and a.text_source == "none" for a in articles)
    assert all(a.title and a.url for a in articles)
    assert all(a.page_attempts == 1 and a.page_error for a in articles)
    assert all(a.next_page_attempt_at is not None for a in articles)
    assert len(sources) == len(articles)
    assert out["feeds"][0]["pending"] == len(articles)
    assert out["pending"] == len(articles)
    assert out["feeds"][0]["new"] == len(articles)


def _rows(store) -> tuple[list[ArticleRow], list[ArticleSourceRow]]:
    with store.session() as s:
        articles = list(s.scalars(select(ArticleRow).order_by(ArticleRow.id)))
        sources = list(s.scalars(select(ArticleSourceRow)))
        s.expunge_all()
    return articles, sources


def test_a_pending_entry_gets_its_text_when_its_page_arrives_and_is_then_classified(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(allowed_addresses=[server.host_port])
        route, calls = _flaky_page(fail_times=2)
        server.add_route("/zaya2", route)
        server.add_response(
            "/feed.xml",
            _feed(("z-1", "Zyphra releases ZAYA2", server.url("zaya2"), "")),
            headers=RSS_TYPE,
        )
        sources = [_src("wire", server.url("feed.xml"))]
        first = run_cycle(store, settings, sources)
        # not due yet: nothing is retried in the next cycle
        soon = run_cycle(store, settings, sources, force=True)
        later = run_cycle(store, settings, sources, force=True, now=utcnow() + timedelta(hours=2))
        much_later = run_cycle(
            store, settings, sources, force=True, now=utcnow() + timedelta(hours=12)
        )
    assert first.to_json()["pending"] == 1
    assert soon.pages_retried == 0
    assert (later.pages_retried, later.pending_filled, later.to_json()["pending"]) == (1, 0, 1)
    assert (much_later.pages_retried, much_later.pending_filled) == (1, 1)
    assert much_later.to_json()["pending"] == 0
    assert calls["n"] == 3
    with store.session() as s:
        (article,) = s.scalars(select(ArticleRow))
        assert not article.pending_text and article.text_source == "page"
        assert "Apache 2.0" in article.text
        assert article.next_page_attempt_at is None
        events = s.scalar(
            select(ClassificationRow.result).where(
                ClassificationRow.classifier == "license_events",
                ClassificationRow.content_hash == article.content_hash,
            )
        )
        assert count_rows(s, StoryArticleRow) == 1
        summaries = list(s.scalars(select(SummaryRow.content_hash)))
    assert [e["to_license"] for e in events] == ["Apache-2.0"]
    assert summaries == []  # summarising is the digest's stage (prepare_day), not the fetch's


def test_a_page_that_is_gone_stops_the_retries_and_the_entry_stays_title_only(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(allowed_addresses=[server.host_port])
        server.add_response("/gone", b"gone", status=410, headers={"Content-Type": "text/plain"})
        server.add_response(
            "/feed.xml",
            _feed(("g-1", "A withdrawn announcement", server.url("gone"), "")),
            headers=RSS_TYPE,
        )
        sources = [_src("wire", server.url("feed.xml"))]
        run_cycle(store, settings, sources)
        retried = run_cycle(store, settings, sources, force=True, now=utcnow() + timedelta(hours=2))
        again = run_cycle(store, settings, sources, force=True, now=utcnow() + timedelta(days=3))
    assert retried.pages_retried == 1
    assert again.pages_retried == 0
    with store.session() as s:
        (article,) = s.scalars(select(ArticleRow))
    assert article.pending_text and article.title == "A withdrawn announcement"
    assert article.next_page_attempt_at is None and article.page_attempts == 2
    assert "410" in (article.page_error or "")


def test_page_retries_stop_after_the_configured_attempts(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(
            allowed_addresses=[server.host_port], page_retry_attempts=3
        )
        route, calls = _flaky_page(fail_times=99)
        server.add_route("/later", route)
        server.add_response(
            "/feed.xml", _feed(("l-1", "Later", server.url("later"), "")), headers=RSS_TYPE
        )
        sources = [_src("wire", server.url("feed.xml"))]
        for days in range(6):
            run_cycle(store, settings, sources, force=True, now=utcnow() + timedelta(days=days))
    assert calls["n"] == 3
    with store.session() as s:
        (article,) = s.scalars(select(ArticleRow))
    assert article.pending_text and article.next_page_attempt_at is None


def test_a_pending_entry_is_filled_by_another_feed_that_carries_the_text(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(
            allowed_addresses=[server.host_port], fetch_pages=False
        )
        link = "https://wire.example/zaya2"
        text = " ".join(["Zyphra released ZAYA2 under the Apache 2.0 license."] * 12)
        server.add_response(
            "/a.xml", _feed(("a-1", "Zyphra releases ZAYA2", link, "")), headers=RSS_TYPE
        )
        server.add_response(
            "/b.xml", _feed(("b-1", "Zyphra releases ZAYA2", link, text)), headers=RSS_TYPE
        )
        first = run_cycle(store, settings, [_src("a", server.url("a.xml"))])
        second = run_cycle(
            store, settings, [_src("a", server.url("a.xml")), _src("b", server.url("b.xml"))]
        )
    assert first.to_json()["pending"] == 1
    assert second.to_json()["pending"] == 0
    with store.session() as s:
        (article,) = s.scalars(select(ArticleRow))
        assert count_rows(s, ArticleSourceRow) == 2
    assert not article.pending_text and "Apache 2.0" in article.text
    # feed-only mode never schedules a page retry
    assert article.next_page_attempt_at is None


def test_an_entry_with_neither_title_nor_link_nor_text_is_the_only_one_dropped(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(allowed_addresses=[server.host_port])
        feed = (
            b"<?xml version='1.0'?><rss version='2.0'><channel><title>W</title>"
            b"<item><guid isPermaLink='false'>empty-1</guid></item>"
            b"<item><guid isPermaLink='false'>t-1</guid><title>Title only</title></item>"
            b"</channel></rss>"
        )
        server.add_response("/feed.xml", feed, headers=RSS_TYPE)
        report = run_cycle(store, settings, [_src("wire", server.url("feed.xml"))])
    with store.session() as s:
        titles = list(s.scalars(select(ArticleRow.title)))
    assert titles == ["Title only"]
    assert report.to_json()["pending"] == 1


def test_changelog_entries_that_differ_only_by_fragment_stay_distinct(store, loopback_server):
    settings = guarded_settings(loopback_server, http_timeout=3.0)
    report = run_cycle(store, settings, [_src("changelog", loopback_server.url(CHANGELOG))])
    with store.session() as s:
        rows = list(s.scalars(select(ArticleRow)))
        stories = {sa.story_id for sa in s.scalars(select(StoryArticleRow))}
    assert report.new == 110
    assert len(rows) == 110
    assert len({r.canonical_url for r in rows}) == 110
    assert all("#" in (r.canonical_url or "") for r in rows)
    # the anchors name entries of one shared page: that page is never fetched as their text
    assert not any(r.path.endswith("CHANGELOG.md") for r in loopback_server.requests)
    assert all(r.text_source != "page" for r in rows)
    assert len(stories) > 50  # one story per release note, not one for the whole page


def test_entries_of_one_feed_with_different_guids_and_the_same_link_stay_distinct(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(
            allowed_addresses=[server.host_port], fetch_pages=False
        )
        home = "https://wire.example/"
        one = " ".join(["The first bulletin reports a new open-weights model release."] * 8)
        two = " ".join(["The second bulletin covers a regulator's draft guidance."] * 8)
        server.add_response(
            "/feed.xml",
            _feed(("b-1", "Bulletin one", home, one), ("b-2", "Bulletin two", home, two)),
            headers=RSS_TYPE,
        )
        server.add_response(
            "/feed2.xml", _feed(("b-3", "Bulletin three", home, two)), headers=RSS_TYPE
        )
        run_cycle(store, settings, [_src("wire", server.url("feed.xml"))])
        server.add_response(
            "/feed.xml",
            _feed(
                ("b-1", "Bulletin one", home, one),
                ("b-2", "Bulletin two", home, two),
                ("b-4", "Bulletin four", home, one.replace("first", "fourth")),
            ),
            headers=RSS_TYPE,
        )
        run_cycle(store, settings, [_src("wire", server.url("feed.xml"))], force=True)
    with store.session() as s:
        titles = sorted(s.scalars(select(ArticleRow.title)))
    assert titles == ["Bulletin four", "Bulletin one", "Bulletin two"]


def test_the_same_link_from_two_feeds_and_guidless_repeats_are_one_article(store):
    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(
            allowed_addresses=[server.host_port], fetch_pages=False
        )
        text = " ".join(["Zyphra released ZAYA2 under the Apache 2.0 license."] * 10)
        server.add_response(
            "/a.xml",
            _feed(
                (None, "ZAYA2", "https://wire.example/zaya2/", text),
                (None, "ZAYA2 (again)", "https://wire.example/zaya2?utm_source=x", text),
            ),
            headers=RSS_TYPE,
        )
        server.add_response(
            "/b.xml", _feed(("b-1", "ZAYA2", "https://wire.example/zaya2", text)), headers=RSS_TYPE
        )
        run_cycle(store, settings, [_src("a", server.url("a.xml")), _src("b", server.url("b.xml"))])
    with store.session() as s:
        (article,) = s.scalars(select(ArticleRow))
        # the GUID-less repeat is the same entry of feed a: one source per feed
        assert count_rows(s, ArticleSourceRow) == 2
    assert article.canonical_url == "https://wire.example/zaya2"


def test_fetch_json_and_feeds_check_count_title_only_entries(tmp_path, loopback_server):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    registry = tmp_path / "feeds.yaml"
    feed = {"id": "science", "url": loopback_server.url(NO_TEXT_RSS), "title": "Science"}
    registry.write_text(
        yaml.safe_dump({"feeds": [{**feed, "language": "en", "tags": ["t"]}]}), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    env.update(
        LUMI_DATABASE_URL=f"sqlite:///{tmp_path / 'lumi.db'}",
        LUMI_FEEDS=str(registry),
        LUMI_ALLOWED_ADDRESSES=loopback_server.host_port,
        LUMI_HTTP_TIMEOUT="3",
    )
    lumi = str(Path(sys.executable).parent / "lumi")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [lumi, *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
        )

    fetched = run("fetch", "--json")
    assert fetched.returncode == 0, fetched.stderr
    report = json.loads(fetched.stdout)
    assert 69 <= report["pending"] <= 70
    assert report["feeds"][0]["pending"] == report["pending"]
    (state,) = map(json.loads, run("feeds", "check", "--json").stdout.splitlines())
    assert state["articles"] == state["pending"] == report["pending"]
    assert f"pending={report['pending']}" in run("feeds", "check").stdout


def test_a_title_only_entry_reaches_the_digest_clearly_marked(store, tmp_path):
    import json
    from datetime import UTC, datetime

    import feedparser

    from pipeline.publish.digest import write_digest
    from pipeline.publish.render.i18n import text as chrome

    with LoopbackServer() as server:
        settings = load_settings(env={}).replace(
            allowed_addresses=[server.host_port], timezone="UTC"
        )
        server.add_response("/gone", b"", status=404, headers={"Content-Type": "text/plain"})
        server.add_response(
            "/feed.xml",
            _feed(("t-1", "Zyphra releases ZAYA2", server.url("gone"), "")),
            headers=RSS_TYPE,
        )
        run_cycle(store, settings, [_src("wire", server.url("feed.xml"))])
    day = datetime.now(UTC).date()
    paths = {p.suffix: p for p in write_digest(store, day, settings, out_dir=tmp_path)}
    (item,) = json.loads(paths[".json"].read_text(encoding="utf-8"))["items"]
    assert item["title"] == "Zyphra releases ZAYA2" and item["title_only"] is True
    assert item["at_a_glance"] == "" and item["sections"] == []
    note = chrome("en", "title_only")
    assert note in paths[".md"].read_text(encoding="utf-8")
    assert note in paths[".html"].read_text(encoding="utf-8")
    (entry,) = feedparser.parse(paths[".atom"].read_bytes()).entries
    assert note in entry.summary
