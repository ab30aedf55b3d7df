"""feedparser's whole test suite through ingestion, and XML bombs/XXE refused up front.

Every case under ``feeds/hostile/feedparser/tests`` (ill-formed, encoding, entities,
well-formed incl. the 745 sanitize cases, JSON) must come out of :func:`parse_feed` as a
parsed feed or as one of Lumi's parse errors, never as another exception. Documents that
declare entities (bombs, XXE) are refused before any parser sees them, for feeds and for
OPML imports alike, and nothing they point at is ever fetched (their URLs lead to the
canary port).
"""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import pytest
from faultserver import Canary

from pipeline.errors import FeedRegistryError, HostileXML, ParseError
from pipeline.ingest import parse as parse_module
from pipeline.ingest.parse import parse_feed
from pipeline.ingest.registry import import_opml

FEEDPARSER = Path("feeds/hostile/feedparser/tests")
DEFUSEDXML = Path("feeds/hostile/defusedxml/xmltestdata")
_HEADER = re.compile(r"^Header:\s*(.+)$", re.M)


def _case_headers(data: bytes) -> dict[str, str]:
    """The ``Header:`` lines a feedparser case asks to be served with."""
    text = data.decode("utf-8", "replace")
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in _HEADER.findall(text))
    }


def test_every_feedparser_case_parses_or_fails_with_a_lumi_parse_error(
    shared_data: Path,
) -> None:
    files = sorted(p for p in (shared_data / FEEDPARSER).rglob("*") if p.is_file())
    assert len(files) > 2000
    outcomes: collections.Counter[str] = collections.Counter()
    crashes: list[str] = []
    sanitize_parsed = 0
    for path in files:
        data = path.read_bytes()
        try:
            parsed = parse_feed(
                "fp", data, url="http://feedparser.example/feed", headers=_case_headers(data)
            )
        except ParseError as exc:
            outcomes[exc.error_class] += 1
            continue
        except Exception as exc:  # the point of the test: nothing else may escape
            crashes.append(f"{path.relative_to(shared_data)}: {type(exc).__name__}: {exc}")
            continue
        outcomes["parsed"] += 1
        if "sanitize" in path.parts:
            sanitize_parsed += 1
        for entry in parsed.entries:
            assert entry.dedupe_key.startswith(("guid:", "url:", "hash:"))
    assert crashes == []
    assert outcomes["parsed"] > 0.98 * len(files), outcomes
    assert sanitize_parsed == 745  # every XSS case is a feed, to be sanitised, not refused


# -- bombs and XXE -------------------------------------------------------------------------


def _laughs(levels: int = 10) -> str:
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)]
    return "<!DOCTYPE lolz [" + "".join(lines) + "]>"


_RSS = '<rss version="2.0"><channel><title>{}</title><item><title>{}</title></item></channel></rss>'
_OPML = (
    '<opml version="2.0"><head><title>{}</title></head><body>'
    '<outline text="{}" xmlUrl="https://feeds.example/rss"/></body></opml>'
)


def _hostile_documents(canary: Canary, body: str = _RSS) -> dict[str, bytes]:
    """Generated bombs and XXE probes; every external reference points at the canary."""
    probe = f"http://127.0.0.1:{canary.port}"
    blob = "x" * 100_000
    return {
        "billion-laughs": (_laughs() + body.format("&lol9;", "&lol9;")).encode(),
        "quadratic": (
            f'<!DOCTYPE r [<!ENTITY a "{blob}">]>' + body.format("&a;" * 2000, "&a;")
        ).encode(),
        "xxe-http": (
            f'<!DOCTYPE r [<!ENTITY e SYSTEM "{probe}/secret">]>' + body.format("&e;", "x")
        ).encode(),
        "xxe-file": (
            '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body.format("&e;", "x")
        ).encode(),
        "parameter-entity": (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{probe}/evil.dtd"> %p;]>' + body.format("t", "x")
        ).encode(),
        "utf16-laughs": (_laughs() + body.format("&lol9;", "x")).encode("utf-16"),
        "utf16le-no-bom": (
            '<?xml version="1.0" encoding="utf-16le"?>' + _laughs() + body.format("&lol9;", "x")
        ).encode("utf-16-le"),
        "spaced-declaration": (
            '<!DOCTYPE r [<! ENTITY a "aaaa">]>' + body.format("&a;", "x")
        ).encode(),
    }


@pytest.fixture
def no_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if a document reaches feedparser: refusal must come before any parsing."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a hostile document reached the XML parser")

    monkeypatch.setattr(parse_module.feedparser, "parse", refuse)


def test_generated_bombs_and_xxe_feeds_are_refused_before_parsing(
    canary: Canary, no_feedparser: None
) -> None:
    for name, body in _hostile_documents(canary).items():
        with pytest.raises(HostileXML) as info:
            parse_feed("bomb", body, url=f"http://127.0.0.1:{canary.port}/feed")
        assert info.value.error_class == "parse_error", name


def test_entity_declaring_shared_samples_are_refused_before_parsing(
    shared_data: Path, no_feedparser: None
) -> None:
    declaring = [
        p
        for p in sorted((shared_data / FEEDPARSER).rglob("*.xml"))
        + sorted((shared_data / DEFUSEDXML).glob("*.xml"))
        if b"<!ENTITY" in p.read_bytes()
    ]
    assert len(declaring) >= 8
    for path in declaring:
        with pytest.raises(HostileXML):
            parse_feed("bomb", path.read_bytes())


def test_opml_bombs_and_xxe_are_refused(canary: Canary, shared_data: Path) -> None:
    documents = _hostile_documents(canary, _OPML)
    for path in sorted((shared_data / DEFUSEDXML).glob("*.xml")):
        if b"<!ENTITY" in path.read_bytes():
            documents[path.name] = path.read_bytes()
    for name, document in documents.items():
        with pytest.raises(FeedRegistryError, match=r"refused|not valid") as info:
            import_opml(document)
        assert "lol" * 5 not in str(info.value), name


def test_opml_with_an_external_dtd_imports_without_fetching_it(canary: Canary) -> None:
    document = (
        f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:{canary.port}/opml.dtd">'
        '<opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="A feed" xmlUrl="https://feeds.example/rss"/></body></opml>'
    ).encode()
    (source,) = import_opml(document)
    assert source.url == "https://feeds.example/rss"


def test_feed_with_an_external_dtd_parses_without_fetching_it(canary: Canary) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:{canary.port}/rss.dtd">'
        '<rss version="2.0"><channel><title>T</title><item><guid>1</guid><title>Item</title>'
        "</item></channel></rss>"
    ).encode()
    assert parse_feed("f", body).entries[0].title == "Item"
