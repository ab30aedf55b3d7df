"""The bundled demo data and the shipped feed registry: valid, consistent and complete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import yaml
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pipeline" / "demo_data"
BASE = "http://127.0.0.1:8765"
FEED_FILES = sorted((DEMO / "feeds").iterdir())
PAGES = sorted((DEMO / "pages").glob("*.html"))
EXPECTED = json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))

ACTOR_TYPES = {"model_maker", "sovereign", "big_tech", "product_company", "research"}
EVENT_KINDS = {"release", "relicense", "new_license"}
THEMES = {
    "security",
    "export_control",
    "regulation",
    "licensing",
    "vendor_dependence",
    "sovereignty",
    "safety",
    "privacy",
}
SPDX_OR_REF = re.compile(
    r"^(Apache-2\.0|MIT|BSD-3-Clause|CC-BY(-NC|-SA)?-4\.0|OpenMDW-1\.0|LicenseRef-[\w.-]+)$"
)
# Official EU languages other than English.
EU_LANGUAGES = frozenset(
    {"bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "it"}
    | {"lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"}
)


def _parse(path: Path) -> feedparser.FeedParserDict:
    text = path.read_text(encoding="utf-8").replace("{{BASE}}", BASE)
    return feedparser.parse(text.encode("utf-8"))


def _slug(url: str) -> str:
    """The page slug a served link points to; fails for links outside ``/pages/``."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE, url
    match = re.fullmatch(r"/pages/([a-z0-9-]+)\.html", parts.path)
    assert match, f"not a page link: {url}"
    return match.group(1)


def _entries() -> list[tuple[str, feedparser.FeedParserDict]]:
    return [(path.stem, entry) for path in FEED_FILES for entry in _parse(path).entries]


def _xml(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(path.read_bytes(), parser)


# --- feeds ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
def test_feed_parses_cleanly_after_base_substitution(path: Path) -> None:
    parsed = _parse(path)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version in {"rss20", "atom10"}
    assert parsed.entries
    for entry in parsed.entries:
        assert entry.title and entry.link and entry.get("id")
        assert entry.published_parsed[:3] in {(2026, 11, 20), (2026, 11, 21)}


def test_every_link_in_the_raw_feeds_uses_the_base_placeholder() -> None:
    for path in FEED_FILES:
        text = path.read_text(encoding="utf-8")
        assert "127.0.0.1" not in text
        for url in re.findall(r"(?:href=\"|<link>|<guid[^>]*>)([^\"<]+)", text):
            if url.startswith(("http", "{")):
                assert url.startswith("{{BASE}}/"), f"{path.name}: {url}"


def test_feed_links_resolve_to_pages_except_the_deliberate_missing_one() -> None:
    missing = {slug for slug, item in EXPECTED.items() if not item["page_exists"]}
    assert len(missing) == 1
    linked = set()
    for _feed, entry in _entries():
        slug = _slug(entry.link)
        linked.add(slug)
        assert (DEMO / "pages" / f"{slug}.html").is_file() == (slug not in missing), slug
    assert linked == set(EXPECTED), "every expected item is linked from a feed, and only those"
    assert {p.stem for p in PAGES} <= linked, "no orphan pages"


def test_missing_page_item_carries_its_full_text_in_the_feed() -> None:
    (slug,) = [slug for slug, item in EXPECTED.items() if not item["page_exists"]]
    (entry,) = [e for _f, e in _entries() if _slug(e.link) == slug]
    body = entry.content[0].value
    assert body.count("<p>") >= 3
    assert len(re.sub(r"<[^>]+>", " ", body).split()) >= 100


def test_same_story_appears_twice_once_with_tracking_parameters() -> None:
    by_slug: dict[str, list[tuple[str, str]]] = {}
    for feed, entry in _entries():
        by_slug.setdefault(_slug(entry.link), []).append((feed, entry.link))
    tracked = [
        links
        for links in by_slug.values()
        if len({f for f, _ in links}) == 2 and any("utm_source=" in u for _, u in links)
    ]
    assert tracked, "one story must be in two feeds, once with utm_* parameters"
    assert any("?" not in url for _, url in tracked[0])


def test_retitled_update_keeps_the_link_and_changes_the_title() -> None:
    titles: dict[str, set[str]] = {}
    for _feed, entry in _entries():
        if "?" not in entry.link:
            titles.setdefault(entry.link, set()).add(entry.title)
    retitled = {link for link, seen in titles.items() if len(seen) == 2}
    assert len(retitled) == 1
    slug = _slug(retitled.pop())
    assert titles[f"{BASE}/pages/{slug}.html"] == {
        EXPECTED[slug]["title"],
        *EXPECTED[slug]["alt_titles"],
    }


def test_teaser_item_has_a_short_read_more_summary_and_a_thin_page() -> None:
    (slug,) = [slug for slug, item in EXPECTED.items() if item["teaser"]]
    (entry,) = [e for _f, e in _entries() if _slug(e.link) == slug]
    assert "Read more" in entry.summary and len(entry.summary.split()) < 20
    assert "content" not in entry
    article = _xml(DEMO / "pages" / f"{slug}.html").find(".//article")
    words = " ".join(p.xpath("string()") for p in article.iter("p")).split()
    assert len(words) < 60


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_page_is_well_formed_html_with_metadata_and_boilerplate(path: Path) -> None:
    root = _xml(path)  # raises on any unbalanced tag or bad entity
    expected = EXPECTED[path.stem]
    assert root.tag == "html" and root.get("lang") == expected["language"]
    assert root.findtext("head/title").startswith(expected["title"])

    def meta(attr: str, name: str) -> str | None:
        found = root.find(f"head/meta[@{attr}='{name}']")
        return None if found is None else found.get("content")

    assert meta("name", "author")
    assert meta("property", "og:site_name") == expected["site"]
    assert meta("property", "article:published_time") == expected["published"]
    assert root.find(".//div[@id='cookie-banner']") is not None
    assert root.find("body/header/nav") is not None and root.find("body/footer") is not None
    paragraphs = root.findall(".//article/p")
    assert len(paragraphs) >= (1 if expected["teaser"] else 4)


def test_full_articles_are_short_news_items() -> None:
    for path in PAGES:
        if EXPECTED[path.stem]["teaser"]:
            continue
        text = " ".join(p.xpath("string()") for p in _xml(path).iterfind(".//article/p"))
        assert 150 <= len(text.split()) <= 300, path.stem


# --- expected labels --------------------------------------------------------------------


def test_expected_labels_cover_every_page_with_valid_ids() -> None:
    assert {p.stem for p in PAGES} <= set(EXPECTED)
    for slug, item in EXPECTED.items():
        assert item["title"] and item["language"] in {"en", "de"}, slug
        assert all(a["type"] in ACTOR_TYPES and a["name"] for a in item["actors"]), slug
        assert set(item["risk_themes"]) <= THEMES, slug
        for event in item["license_events"]:
            assert event["kind"] in EVENT_KINDS, slug
            assert SPDX_OR_REF.match(event["to_license"]), slug
            assert event["from_license"] is None or SPDX_OR_REF.match(event["from_license"])


def test_expected_labels_exercise_the_whole_taxonomy() -> None:
    items = [i for i in EXPECTED.values() if i["page_exists"] and not i["teaser"]]
    assert len(items) == 16
    assert {a["type"] for i in items for a in i["actors"]} == ACTOR_TYPES
    assert {t for i in items for t in i["risk_themes"]} == THEMES
    events = [e for i in items for e in i["license_events"]]
    releases = [e for e in events if e["kind"] == "release"]
    relicenses = [e for e in events if e["kind"] == "relicense"]
    assert len([e for e in releases if not e["to_license"].startswith("LicenseRef-")]) >= 3
    assert len(relicenses) >= 2 and any(e["from_license"] is None for e in relicenses)
    assert any(e["kind"] == "new_license" for e in events)
    assert any(not i["actors"] and not i["risk_themes"] for i in items), "needs a negative"
    assert any(i["language"] != "en" for i in items)


# --- feed registry ----------------------------------------------------------------------


def test_feeds_yaml_is_a_large_valid_registry() -> None:
    feeds = yaml.safe_load((REPO / "feeds.yaml").read_text(encoding="utf-8"))["feeds"]
    assert len(feeds) >= 25
    ids = [f["id"] for f in feeds]
    assert len(set(ids)) == len(ids)
    assert len({f["url"] for f in feeds}) == len(feeds)
    for feed in feeds:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", feed["id"]), feed["id"]
        assert re.match(r"^https?://[^\s/]+/", feed["url"]), feed["id"]
        assert feed["title"].strip(), feed["id"]
        assert re.fullmatch(r"[a-z]{2}", feed["language"]), feed["id"]
        assert isinstance(feed["tags"], list) and feed["tags"], feed["id"]
        assert all(isinstance(t, str) and t for t in feed["tags"]), feed["id"]
        poll = feed.get("poll_minutes")
        assert poll is None or (isinstance(poll, int) and poll > 0), feed["id"]
    assert {f["language"] for f in feeds} & EU_LANGUAGES, "needs a non-English EU language"
