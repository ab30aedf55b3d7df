"""feedparser's 745 XSS sanitising cases, ingested over HTTP and rendered in every format.

Nothing executable may survive into the digest outside our own trusted template: no
``<script>`` (except the one JSON-LD block), no ``on*`` attribute, no ``javascript:``,
``vbscript:`` or ``data:text/html`` URL, no ``iframe``/``object``/``embed``/``form``/
``base`` and no refresh ``meta``; Atom and JSON stay valid.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import feedparser
import pytest
from fixtures_http import guarded_settings
from loopback import LoopbackServer
from lxml import etree
from lxml import html as lxml_html

from pipeline.ingest.cycle import run_cycle
from pipeline.publish.digest import prepare_day, story_days, write_digest
from pipeline.publish.render.json_out import validate
from pipeline.records import FeedSource
from pipeline.store import open_store

SANITIZE = Path("feeds/hostile/feedparser/tests/wellformed/sanitize")
FORBIDDEN_TAGS = {"iframe", "object", "embed", "form", "base", "frame", "frameset", "applet"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "livescript:")


def _bad_url(value: str) -> bool:
    squeezed = "".join(value.split()).lower()
    return squeezed.startswith(BAD_SCHEMES) or any(s in squeezed for s in BAD_SCHEMES)


def check_html(page: bytes) -> None:
    """Fail when anything executable is in ``page`` beyond the trusted template."""
    doc = lxml_html.fromstring(page)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    json.loads(scripts[0].text)  # the JSON-LD block still parses
    assert "<" not in scripts[0].text
    metas = doc.xpath("//meta[@http-equiv]")
    assert [m.get("http-equiv") for m in metas] == ["Content-Security-Policy"]
    for node in doc.iter():
        if not isinstance(node.tag, str):
            continue
        assert node.tag not in FORBIDDEN_TAGS, node.tag
        for name, value in node.attrib.items():
            assert not name.lower().startswith("on"), (node.tag, name)
            assert not _bad_url(value), (node.tag, name, value)
        href = node.get("href")
        if href is not None and href.startswith("#"):  # the table of contents
            assert doc.xpath("//*[@id=$id]", id=href[1:]), href
        elif href is not None:
            assert href.startswith(("http://", "https://")), href
        assert node.tag != "img"


@pytest.fixture(scope="module")
def digest_files(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = shared_data / SANITIZE
    files = sorted(folder.glob("*.xml"))
    assert len(files) == 745
    tmp = tmp_path_factory.mktemp("sanitize")
    store = open_store(f"sqlite:///{tmp / 'lumi.db'}")
    try:
        with LoopbackServer(shared_data) as server:
            sources = [
                FeedSource(f.stem, server.url(f"/{SANITIZE}/{f.name}"), f.stem, "en") for f in files
            ]
            settings = guarded_settings(server, fetch_pages=False)
            report = run_cycle(store, settings, sources, force=True, classify=False)
        assert len(report.feeds) == 745
        assert len(report.new_article_ids) > 150
        span = story_days(store, settings.timezone)
        assert span is not None
        first, last = span
        days = (last - first).days + 1
        prepare_day(store, last, settings, days=days)
        return write_digest(store, last, settings, out_dir=tmp / "out", days=days)
    finally:
        store.close()


def _by_suffix(paths: list[Path], suffix: str) -> list[Path]:
    return [p for p in paths if p.suffix == suffix]


def test_html_digest_of_hostile_feeds_holds_nothing_executable(digest_files: list[Path]) -> None:
    pages = _by_suffix(digest_files, ".html")
    items = 0
    for page in pages:
        data = page.read_bytes()
        check_html(data)
        items += len(lxml_html.fromstring(data).xpath("//article"))
    # ~190 cases keep some text; identical leftovers ("safe description") are one story.
    assert items >= 10


def test_atom_digest_of_hostile_feeds_is_valid_and_inert(digest_files: list[Path]) -> None:
    for path in _by_suffix(digest_files, ".atom"):
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        root = etree.fromstring(data)
        for content in root.iter("{http://www.w3.org/2005/Atom}content"):
            fragment = lxml_html.fragment_fromstring(content.text, create_parent="div")
            for node in fragment.iter():
                assert node.tag not in FORBIDDEN_TAGS | {"script", "img"}
                for name, value in node.attrib.items():
                    assert not name.lower().startswith("on") and not _bad_url(value)
        for link in root.iter("{http://www.w3.org/2005/Atom}link"):
            assert link.get("href").startswith(("http://", "https://"))


def test_json_digest_of_hostile_feeds_validates(digest_files: list[Path]) -> None:
    for path in _by_suffix(digest_files, ".json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        validate(document)
        for item in document["items"]:
            assert item["ai_disclosure"]["exemption_applied"] is False


def test_markdown_digest_of_hostile_feeds_renders_inert(digest_files: list[Path]) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    for path in _by_suffix(digest_files, ".md"):
        rendered = markdown_it.MarkdownIt("commonmark").render(path.read_text(encoding="utf-8"))
        doc = lxml_html.fromstring(f"<div>{rendered}</div>")
        for node in doc.iter():
            if not isinstance(node.tag, str):
                continue
            assert node.tag not in FORBIDDEN_TAGS | {"script", "img", "meta", "style"}
            for name, value in node.attrib.items():
                assert not name.lower().startswith("on") and not _bad_url(value)


def test_one_digest_spans_every_publication_day_of_the_hostile_feeds(
    digest_files: list[Path],
) -> None:
    names = {p.name.rsplit(".", 1)[0] for p in digest_files}
    assert len(names) == 1 and len(digest_files) == 4
    first, last = names.pop().removeprefix("lumi-digest-").split("--")
    assert date.fromisoformat(first) <= date.fromisoformat(last)


def _raw_payloads(path: Path) -> list[str]:
    """The unsanitised HTML strings of one sanitize case (feedparser with sanitising off)."""
    raw = feedparser.parse(path.read_bytes(), sanitize_html=False)
    values = [c.value for e in raw.entries for c in e.get("content", [])]
    values += [e[k] for e in raw.entries for k in ("summary", "title") if e.get(k)]
    values += [raw.feed[k] for k in ("title", "subtitle", "rights") if raw.feed.get(k)]
    return [v for v in values if v.strip()]


def test_json_feed_html_of_every_sanitize_case_holds_nothing_executable(
    shared_data: Path,
) -> None:
    """The same 745 payloads as JSON Feed ``content_html``, which Lumi sanitises itself."""
    from pipeline.ingest.parse import parse_feed

    files = sorted((shared_data / SANITIZE).glob("*.xml"))
    assert len(files) == 745
    checked = 0
    for path in files:
        for payload in _raw_payloads(path):
            doc = {
                "version": "https://jsonfeed.org/version/1.1",
                "title": path.stem,
                "items": [{"id": "1", "title": "t", "content_html": payload}],
            }
            content = parse_feed(path.stem, json.dumps(doc).encode()).entries[0].content
            checked += 1
            if not content.strip():
                continue
            fragment = lxml_html.fragment_fromstring(content, create_parent="div")
            for node in fragment.iter():
                if not isinstance(node.tag, str):
                    continue
                assert node.tag not in FORBIDDEN_TAGS | {"script", "style", "meta", "link"}, (
                    path.name,
                    content,
                )
                for name, value in node.attrib.items():
                    assert not name.lower().startswith("on"), (path.name, content)
                    assert not _bad_url(value), (path.name, content)
    assert checked > 745
