"""Feed parsing over real third-party feeds: formats, encodings, ill-formed and hostile XML."""

from __future__ import annotations

import ast
import hashlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import FeedParseError, HostileXML, NotAFeed, ParseError
from pipeline.ingest.parse import parse_feed
from pipeline.records import FeedEntry, ParsedFeed

# Files under feeds/formats/ that are not feeds at all (plain XML samples, an HTML page).
KNOWN_NON_FEEDS = {"xml_sample_1.xml", "xml_sample_2.xml", "unrecognized.rss"}


def _formats_files(shared_data: Path) -> list[Path]:
    root = shared_data / "feeds" / "formats"
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(".serde.json") and "test/output" not in p.as_posix()
    )


def _rss(items: str, channel_extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>T</title><link>https://blog.example/</link>{channel_extra}{items}"
        "</channel></rss>"
    ).encode()


# --- every real feed -------------------------------------------------------------------


def test_every_formats_feed_parses_without_unexpected_errors(shared_data, capsys):
    files = _formats_files(shared_data)
    assert len(files) > 100
    with_entries, not_feeds, empty = [], [], []
    for path in files:
        try:
            parsed = parse_feed("f", path.read_bytes(), url="https://feeds.example/feed")
        except (NotAFeed, FeedParseError) as exc:
            not_feeds.append(f"{path.name}: {type(exc).__name__}")
            assert path.name in KNOWN_NON_FEEDS, f"{path}: {exc}"
            continue
        assert isinstance(parsed, ParsedFeed)
        (with_entries if parsed.entries else empty).append(path.name)
    with capsys.disabled():
        print(
            f"\nformats/: {len(with_entries)} feeds with entries, {len(empty)} without "
            f"({', '.join(empty)}), not feeds: {', '.join(not_feeds)}"
        )
    assert len(with_entries) >= len(files) - len(KNOWN_NON_FEEDS) - 1


def test_entry_count_and_first_title_match_feed_rs_expectations(shared_data):
    fixtures = shared_data / "feeds" / "formats" / "feed-rs" / "feed-rs" / "fixture"
    checked = 0
    for expected_file in sorted(fixtures.rglob("*.serde.json")):
        stem = expected_file.name.removesuffix(".serde.json")
        source = next(expected_file.parent.glob(f"{stem}.[xj]*[ln]"), None)
        if source is None or source.name.endswith(".serde.json"):
            continue
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        parsed = parse_feed("f", source.read_bytes())
        assert len(parsed.entries) == len(expected["entries"]), source.name
        if expected["entries"]:
            title = (expected["entries"][0].get("title") or {}).get("content") or ""
            assert parsed.entries[0].title == title, source.name
        checked += 1
    assert checked >= 50


def test_entries_carry_only_plain_values(shared_data):
    path = shared_data / "feeds/formats/rss-parser/test/input/content-encoded.rss"
    parsed = parse_feed("f", path.read_bytes())
    allowed = (str, datetime, tuple, bool, int, type(None))
    for entry in parsed.entries:
        for field in FeedEntry.__dataclass_fields__:
            value = getattr(entry, field)
            assert isinstance(value, allowed), (field, type(value))
        assert all(isinstance(t, str) for t in entry.tags)
    assert parsed.entries[0].content.startswith("<h4>")
    assert "plants" in parsed.entries[0].tags


def test_rss_fields_are_mapped(shared_data):
    path = shared_data / "feeds/formats/feed-rs/feed-rs/fixture/rss2/rss_2.0_relurl_1.xml"
    parsed = parse_feed("blog", path.read_bytes(), url="https://insanity.industries/index.xml")
    assert parsed.format == "rss20"
    assert parsed.language == "en"
    entry = parsed.entries[0]
    assert entry.feed_id == "blog"
    assert entry.title == "Pareto-optimal compression"
    assert entry.published == datetime(2021, 3, 2, 22, 39, 15, tzinfo=UTC)
    assert entry.summary.startswith("Everyone wants good compression.")


def test_xml_base_resolves_links_inside_content(shared_data):
    path = shared_data / "feeds/formats/feed-rs/feed-rs/fixture/atom/atom_xml_base.xml"
    entry = parse_feed("f", path.read_bytes()).entries[0]
    assert "https://numi.st/post/2022/travel-uke/IMG_1232.jpeg" in entry.content
    assert entry.author == "Not Blank"
    assert entry.updated == datetime(2022, 4, 21, tzinfo=UTC)


# --- JSON Feed -------------------------------------------------------------------------


def test_json_feed_is_parsed(shared_data):
    path = shared_data / "feeds/formats/feed-rs/feed-rs/fixture/jsonfeed/jsonfeed_spec_1.json"
    parsed = parse_feed("jf", path.read_bytes(), content_type="application/feed+json")
    assert parsed.format == "json1"
    assert parsed.title == "JSON Feed"
    entry = parsed.entries[0]
    assert entry.dedupe_key == "guid:https://jsonfeed.org/2017/05/17/announcing_json_feed"
    assert entry.published == datetime(2017, 5, 17, 15, 2, 12, tzinfo=UTC)
    assert "Manton Reece" in entry.content
    assert entry.author == "Brent Simmons and Manton Reece"


def test_json_feed_item_urls_are_canonicalised(shared_data):
    path = shared_data / "feeds/formats/trafilatura-resources/tests/resources/feed.json"
    parsed = parse_feed("npr", path.read_bytes())
    assert len(parsed.entries) == 25
    entry = parsed.entries[0]
    assert "utm_medium" in (entry.url or "")
    assert entry.canonical_url is not None and "utm_" not in entry.canonical_url


def test_json_feed_html_content_is_sanitised():
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "X",
        "items": [{"id": 1, "content_html": '<p onclick="x()">Hi<script>alert(1)</script></p>'}],
    }
    parsed = parse_feed("jf", json.dumps(doc).encode())
    assert parsed.format == "json11"
    content = parsed.entries[0].content
    assert "Hi" in content and "script" not in content and "onclick" not in content
    assert parsed.entries[0].guid == "1"


def test_json_that_is_not_a_feed_is_not_a_feed():
    with pytest.raises(NotAFeed, match="not a JSON Feed"):
        parse_feed("x", b'{"hello": "world"}')


def test_broken_json_served_as_json_is_a_parse_error():
    with pytest.raises(FeedParseError, match="not valid JSON"):
        parse_feed("x", b'{"version": ', content_type="application/feed+json")


# --- dedupe keys -----------------------------------------------------------------------


def test_dedupe_key_prefers_guid_then_canonical_url_then_hash():
    body = _rss(
        "<item><guid>tag:blog,1</guid><link>https://blog.example/a?utm_source=x</link>"
        "<title>A</title></item>"
        "<item><link>/b?utm_source=rss&amp;id=2#top</link><title>B</title></item>"
        "<item><title>C</title><description>Only text</description></item>"
    )
    parsed = parse_feed("f", body, url="https://blog.example/feed.xml")
    first, second, third = parsed.entries
    assert first.dedupe_key == "guid:tag:blog,1"
    assert first.canonical_url == "https://blog.example/a"
    assert second.guid is None
    assert second.url == "https://blog.example/b?utm_source=rss&id=2#top"
    assert second.dedupe_key == "url:https://blog.example/b?id=2"
    expected = hashlib.sha256(b"C\nOnly text").hexdigest()
    assert third.dedupe_key == f"hash:{expected}"


def test_same_item_gets_same_key_in_two_parses():
    body = _rss("<item><title>C</title><description>x</description></item>")
    assert parse_feed("f", body).entries[0].dedupe_key == (
        parse_feed("f", body).entries[0].dedupe_key
    )


# --- feed-level fields, dates ----------------------------------------------------------


def test_ttl_language_and_dates_are_mapped():
    body = _rss(
        "<item><guid>1</guid><pubDate>Tue, 10 Jun 2025 09:30:00 +0200</pubDate></item>"
        "<item><guid>2</guid><pubDate>not a date</pubDate></item>",
        channel_extra="<ttl>45</ttl><language>de-DE</language>",
    )
    parsed = parse_feed("f", body)
    assert parsed.ttl_minutes == 45
    assert parsed.language == "de"
    assert parsed.entries[0].published == datetime(2025, 6, 10, 7, 30, tzinfo=UTC)
    assert parsed.entries[0].published.tzinfo is UTC
    assert parsed.entries[1].published is None
    assert parsed.entries[0].language == "de"


# --- not feeds, broken feeds -----------------------------------------------------------


def test_html_page_is_not_a_feed_and_names_the_advertised_feed():
    page = (
        b"<!DOCTYPE html><html><head><title>Blog</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b"</head><body><p>Hello</p></body></html>"
    )
    with pytest.raises(NotAFeed, match="HTML page") as info:
        parse_feed("f", page, url="https://blog.example/", content_type="text/html")
    assert "https://blog.example/feed.xml" in str(info.value)
    assert info.value.error_class == "not_a_feed"


def test_real_html_page_is_not_a_feed(shared_data):
    page = shared_data / "pages/trafilatura-ai-topic/wired.com.burn.html"
    with pytest.raises(NotAFeed, match="HTML"):
        parse_feed("f", page.read_bytes())


def test_empty_document_is_a_parse_error(shared_data):
    path = shared_data / "feeds/hostile/feedparser/tests/illformed/rss_empty_document.xml"
    with pytest.raises(FeedParseError) as info:
        parse_feed("f", path.read_bytes())
    assert info.value.error_class == "parse_error"


@pytest.mark.parametrize(
    ("name", "entry_title"),
    [
        ("rss_incomplete_cdata.xml", None),
        ("rdf_channel_empty_textinput.xml", "crashes here"),
        ("rss_item_link_corrupted_ampersands.xml", None),
    ],
)
def test_illformed_feeds_keep_recoverable_entries_and_are_degraded(shared_data, name, entry_title):
    path = shared_data / "feeds/hostile/feedparser/tests/illformed" / name
    parsed = parse_feed("f", path.read_bytes())
    assert parsed.degraded
    assert parsed.problem
    assert len(parsed.entries) == 1
    if entry_title:
        assert parsed.entries[0].title == entry_title


def test_illformed_link_keeps_its_ampersand(shared_data):
    path = (
        shared_data
        / "feeds/hostile/feedparser/tests/illformed/rss_item_link_corrupted_ampersands.xml"
    )
    assert parse_feed("f", path.read_bytes()).entries[0].url == "http://link/get?a=1&b=2"


def test_undefined_entity_in_real_feed_is_degraded_not_lost(shared_data):
    path = shared_data / "feeds/formats/feed-rs/feed-rs/fixture/rss2/rss_2.0_dbengines.xml"
    parsed = parse_feed("f", path.read_bytes())
    assert parsed.degraded and "entity" in (parsed.problem or "")
    assert parsed.entries[0].title.startswith("Snowflake is the DBMS of the Year 2022")


def test_well_formed_feed_is_not_degraded(shared_data):
    path = shared_data / "feeds/formats/rss-parser/test/input/guardian.rss"
    parsed = parse_feed("f", path.read_bytes(), content_type="application/rss+xml")
    assert not parsed.degraded and parsed.problem is None
    assert len(parsed.entries) == 55


def test_leading_whitespace_before_xml_declaration_is_tolerated(shared_data):
    path = shared_data / "feeds/formats/rss-parser/test/input/itunes-missing-image.rss"
    parsed = parse_feed("f", path.read_bytes())
    assert not parsed.degraded
    assert len(parsed.entries) == 131


# --- encodings -------------------------------------------------------------------------


def _feedparser_case(path: Path) -> tuple[dict[str, str], str]:
    text = path.read_bytes().decode("utf-8", "replace")
    headers = dict(
        (k.strip().lower(), v.strip())
        for k, v in (h.split(":", 1) for h in re.findall(r"^Header:\s*(.+)$", text, re.M))
    )
    expect = (re.findall(r"^Expect:\s*(.+)$", text, re.M) or [""])[0]
    return headers, expect


_EXPECTED_TEXT = re.compile(
    r"(entries\[0\]\['description'\]|feed\['title'\]) == ('(?:[^'\\]|\\.)*')"
)


def test_feedparser_encoding_cases_decode_to_the_expected_text(shared_data):
    checked = 0
    for path in sorted((shared_data / "feeds/hostile/feedparser/tests/encoding").glob("*.xml")):
        headers, expect = _feedparser_case(path)
        match = _EXPECTED_TEXT.search(expect)
        if not match:
            continue
        expected = ast.literal_eval(match.group(2))
        parsed = parse_feed("f", path.read_bytes(), headers=headers)
        actual = parsed.title if match.group(1).startswith("feed") else parsed.entries[0].summary
        assert actual == expected, path.name
        checked += 1
    assert checked >= 8


def test_http_charset_header_is_honoured(shared_data):
    path = shared_data / "feeds/hostile/feedparser/tests/encoding/http_text_xml_charset_2.xml"
    body = path.read_bytes()
    with_header = parse_feed("f", body, headers={"Content-Type": "text/xml; charset=windows-1252"})
    assert with_header.entries[0].summary == "This is a \xa3\u201ctest.\u201d"
    # Same bytes, another declared charset: different text, so the header is what decides.
    other = parse_feed("f", body, content_type="text/xml; charset=koi8-r")
    assert other.entries[0].summary == "This is a ё⌠test.■"


def test_bare_media_type_does_not_hide_the_header_charset(shared_data):
    path = shared_data / "feeds/hostile/feedparser/tests/encoding/http_text_xml_charset_2.xml"
    parsed = parse_feed(
        "f",
        path.read_bytes(),
        content_type="text/xml",
        headers={"content-type": "text/xml; charset=koi8-r"},
    )
    assert parsed.entries[0].summary == "This is a ё⌠test.■"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("koi8r.xml", "Наверное, единственное"),
        ("euckr.xml", "TypeKey 시스템이"),
        ("shiftjis.xml", "色々調べてたら"),
        ("windows1255.xml", "האם תדפיס"),
    ],
)
def test_undeclared_legacy_encodings_are_detected(shared_data, name, needle):
    path = shared_data / "feeds/hostile/feedparser/tests/illformed/chardet" / name
    assert needle in parse_feed("f", path.read_bytes()).entries[0].summary


@pytest.mark.parametrize(
    ("name", "title", "entry_title"),
    [
        ("encoding/testdata/utf8.xml", "테스트 피드", "Café"),
        ("encoding/testdata/utf8-incorrect-prolog.xml", "테스트 피드", "Café"),
        ("encoding/testdata/invalid-prolog.xml", "테스트 피드", "Café"),
        ("encoding/testdata/windows-1252-incorrect-prolog.xml", "Euro €", None),
        ("encoding/testdata/windows-1252.xml", "Euro €", None),
        ("encoding/testdata/iso-8859-1.xml", "Café", None),
        ("encoding/testdata/koi8r.xml", "Пример RSS ленты", "Первая новость"),
        ("xml/testdata/koi8r.xml", "Пример RSS ленты", "Первая новость"),
    ],
)
def test_miniflux_wrong_charset_cases_decode_correctly(shared_data, name, title, entry_title):
    path = shared_data / "feeds/hostile/miniflux/internal/reader" / name
    parsed = parse_feed("f", path.read_bytes())
    assert parsed.title == title
    if entry_title:
        assert parsed.entries[0].title == entry_title


def test_undeclared_western_text_that_a_detector_calls_a_dos_code_page_is_windows_1252():
    body = (
        '<rss version="2.0"><channel><title>Café ‘quoted’ – €5</title>'
        "<item><guid>1</guid><title>Crème brûlée</title></item></channel></rss>"
    ).encode("windows-1252")
    parsed = parse_feed("f", body, content_type="application/rss+xml")
    assert parsed.title == "Café ‘quoted’ – €5"
    assert parsed.entries[0].title == "Crème brûlée"


def test_a_body_that_is_not_markup_is_not_a_feed():
    with pytest.raises(NotAFeed):
        parse_feed("f", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(NotAFeed):
        parse_feed("f", "just some plain text, no markup".encode("utf-16"))


def test_control_characters_leave_text_and_are_escaped_in_problems():
    body = _rss(
        "<item><guid>1\u009b</guid><title>Red \u009b31m title\u009d</title>"
        "<link>https://blog.example/a\u009b2J</link><author>x@y (Mal\u0085lory)</author>"
        "<description>Text \u009c here</description></item>"
    )
    controls = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
    for headers in ({}, {"content-type": "text/xml; charset=\x9bx"}):
        parsed = parse_feed("f", body, headers=headers)
        (entry,) = parsed.entries
        fields = [entry.guid, entry.title, entry.summary, entry.url, entry.author, parsed.title]
        assert not [f for f in fields if f and controls.search(f)], fields
        assert "Red" in entry.title and "title" in entry.title
        assert parsed.problem is None or not controls.search(parsed.problem)
    json_feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J\x1b[2J",
            "items": [{"id": "1\x1b", "title": "T\x9b31m", "url": "https://a.example/\x1b"}],
        }
    ).encode()
    parsed = parse_feed("f", json_feed)
    assert (parsed.title, parsed.entries[0].title, parsed.entries[0].guid) == ("J[2J", "T31m", "1")


def test_utf8_body_declared_latin1_by_the_server_is_read_as_utf8():
    body = _rss("<item><guid>1</guid><title>Café Zürich</title></item>")
    parsed = parse_feed("f", body, content_type="application/rss+xml; charset=iso-8859-1")
    assert parsed.entries[0].title == "Café Zürich"


# --- hostile XML -----------------------------------------------------------------------


def _defusedxml_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "feeds/hostile/defusedxml/xmltestdata").glob("*.xml"))


def test_every_entity_declaring_sample_is_refused(shared_data):
    refused = 0
    for path in _defusedxml_files(shared_data):
        body = path.read_bytes()
        if b"<!ENTITY" not in body:
            continue
        with pytest.raises(HostileXML) as info:
            parse_feed("f", body)
        assert info.value.error_class == "parse_error"
        assert "entit" in str(info.value)
        refused += 1
    assert refused >= 6


def test_no_defusedxml_sample_expands_anything(shared_data):
    for path in _defusedxml_files(shared_data):
        try:
            parsed = parse_feed("f", path.read_bytes())
        except ParseError:
            continue
        text = " ".join(e.title + e.summary + e.content for e in parsed.entries)
        assert "123" not in text and "BBBB" not in text, path.name


def test_bomb_in_utf16_is_refused_too(shared_data):
    body = (shared_data / "feeds/hostile/defusedxml/xmltestdata/xmlbomb.xml").read_bytes()
    with pytest.raises(HostileXML):
        parse_feed("f", body.decode("utf-8").encode("utf-16"))
    with pytest.raises(HostileXML):
        parse_feed("f", body.decode("utf-8").encode("utf-16-le"))


def test_bomb_hidden_in_utf7_is_refused():
    bomb = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><rss version="2.0"><channel>&a;</channel></rss>'
    body = b'<?xml version="1.0" encoding="utf-7"?>' + bomb.encode("utf-7")
    with pytest.raises(HostileXML):
        parse_feed("f", body)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'<!ENTITY leaked "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_RecordingHandler,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_parser_never_fetches_external_dtds_or_urls(recording_server):
    base, hits = recording_server
    external_dtd = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{base}/rss.dtd">\n'
        '<rss version="2.0"><channel><title>T</title><item><guid>1</guid>'
        "<title>Item</title></item></channel></rss>"
    ).encode()
    parsed = parse_feed("f", external_dtd, url=f"{base}/feed.xml")
    assert parsed.entries[0].title == "Item"
    # A body that *is* a URL must be treated as content, never opened.
    with pytest.raises(ParseError):
        parse_feed("f", f"{base}/feed.xml".encode())
    xxe = f'<!DOCTYPE r [<!ENTITY e SYSTEM "{base}/secret">]><rss>&e;</rss>'.encode()
    with pytest.raises(HostileXML):
        parse_feed("f", xxe)
    assert hits == []
