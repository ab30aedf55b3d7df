"""Pages through the whole ingest path: fetch, extract, fall back, flag, dedupe.

Runs the real cycle over the project's own sample feeds and pages served on loopback.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from loopback import LoopbackServer
from sqlalchemy import select

from pipeline.demo import run_demo
from pipeline.ingest.cycle import run_cycle
from pipeline.records import FeedSource
from pipeline.settings import load_settings
from pipeline.store import ArticleRow, ArticleSourceRow, open_store

EXPECTED = json.loads(
    (Path(str(resources.files("pipeline.demo_data"))) / "expected.json").read_text("utf-8")
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out, load_settings(env={}), echo=lambda _line: None)
    store = open_store(f"sqlite:///{result.database}")
    with store.session() as s:
        rows = {
            r.canonical_url.rsplit("/", 1)[-1].removesuffix(".html"): r
            for r in s.scalars(select(ArticleRow))
        }
        for row in rows.values():
            s.expunge(row)
        sources = list(s.execute(select(ArticleSourceRow.article_id, ArticleSourceRow.feed_id)))
    store.close()
    return result, rows, sources


def test_demo_ingests_every_sample_story_once(demo):
    result, rows, _ = demo
    assert result.failed == 0
    assert set(rows) == set(EXPECTED)


def test_pages_are_fetched_and_extracted_without_boilerplate(demo):
    _, rows, _ = demo
    row = rows["zyphra-zaya2-apache-release"]
    assert row.text_source == "page"
    assert "cookie" not in row.text.lower()
    assert row.site_name and row.author
    assert row.published_feed is not None and row.published_extracted is not None


def test_missing_page_keeps_the_feeds_own_full_text(demo):
    _, rows, _ = demo
    row = rows["eleutherai-european-eval-suite"]
    assert row.text_source == "feed"
    assert not row.is_teaser and len(row.text.split()) > 100


def test_teaser_is_flagged_not_passed_off_as_the_article(demo):
    _, rows, _ = demo
    assert rows["poolside-paris-research-team"].is_teaser
    assert not rows["zyphra-zaya2-apache-release"].is_teaser


def test_language_is_detected_on_the_text(demo):
    _, rows, _ = demo
    for slug, expected in EXPECTED.items():
        assert rows[slug].language == expected["language"], slug


def test_same_story_with_tracking_parameters_is_one_article_with_two_sources(demo):
    _, rows, sources = demo
    for slug in ("deepseek-v4-1-mit-release", "mistral-ai-act-training-summary"):
        feeds = {f for a, f in sources if a == rows[slug].id}
        assert len(feeds) == 2, slug
        assert "utm_" not in (rows[slug].canonical_url or "")


def test_content_hash_is_stored_for_every_article(demo):
    _, rows, _ = demo
    assert all(len(r.content_hash) == 64 for r in rows.values())


def test_page_redirect_to_a_private_address_is_refused_and_the_feed_text_kept(tmp_path):
    with LoopbackServer() as server:
        target = "http://127.0.0.1:1/secret"
        body = "<p>" + " ".join(["Full feed text about an open model release."] * 30) + "</p>"
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<link>{server.url('')}</link><item><title>Item</title>"
            f"<link>{server.url('_fault/redirect?to=' + target)}</link><guid>g1</guid>"
            f"<description><![CDATA[{body}]]></description></item></channel></rss>"
        ).encode()
        server.add_response("/feed.xml", feed, headers={"Content-Type": "application/rss+xml"})
        settings = load_settings(env={}).replace(allowed_addresses=[server.host_port])
        store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
        report = run_cycle(
            store, settings, [FeedSource("f", server.url("feed.xml"), "F", "en")], classify=False
        )
        with store.session() as s:
            row = s.scalars(select(ArticleRow)).one()
            assert row.text_source == "feed_summary" and not row.is_teaser
        store.close()
    assert report.feeds[0].pages_failed == 1
    assert not any(r.path == "/secret" for r in server.requests)


def test_demo_digest_lists_a_page_reached_with_tracking_parameters_once(demo):
    result, _, _ = demo
    (json_path,) = [p for p in result.outputs if p.suffix == ".json"]
    digest = json.loads(json_path.read_text("utf-8"))
    (item,) = [i for i in digest["items"] if i["title"].startswith("DeepSeek releases V4.1")]
    urls = [s["url"] for s in item["sources"]]
    assert len(urls) == 1 and "utm_" not in urls[0]
    assert {e["kind"] for e in item["license_events"]} == {"release"}


def test_each_digest_item_reports_how_its_summary_was_made(demo):
    result, _, _ = demo
    (json_path,) = [p for p in result.outputs if p.suffix == ".json"]
    for item in json.loads(json_path.read_text("utf-8"))["items"]:
        assert item["summary_check"]["method"] == "extractive"
        assert item["summary_check"]["model"] is None


def test_a_story_known_only_from_a_teaser_says_so_in_every_format(demo):
    result, _, _ = demo
    by_suffix = {p.suffix: p for p in result.outputs}
    digest = json.loads(by_suffix[".json"].read_text("utf-8"))
    flagged = [i["title"] for i in digest["items"] if i.get("teaser_only")]
    assert flagged == ["Poolside expands its Paris research team"]
    for suffix in (".md", ".html", ".atom"):
        assert "teaser only" in by_suffix[suffix].read_text("utf-8"), suffix
