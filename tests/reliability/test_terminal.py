"""Terminal escape sequences in feeds, OPML and server answers never reach a terminal raw.

A hostile feed can put ESC (``\\x1b``), CSI (``\\x9b``), OSC (``\\x9d``) or BEL into its
titles, authors, tags, links, charset and media type; an OPML file into its labels; a
server into its reason phrase. Parsing drops them from text, percent-encodes them in
links and writes them as ``\\xNN`` in messages; the registry refuses them in feeds.yaml
and cleans them out of imported OPML. Then ``lumi feeds list``, ``lumi fetch`` and
``lumi feeds check`` (text and JSON) print nothing a terminal would act on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from faultserver import FaultServer, head, rss
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import FeedRegistryError
from pipeline.ingest.cycle import run_cycle
from pipeline.ingest.parse import parse_feed
from pipeline.ingest.registry import import_opml, load_registry, parse_registry
from pipeline.settings import load_settings
from pipeline.store import open_store

# What a terminal would act on: C0 controls but tab and newline, DEL and C1.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ESC = "\x1b[31m\x1b]0;owned\x07\x9b2J\x9d8;;http://evil/\x9c"


def _hostile_rss() -> bytes:
    items = [
        f"<guid>a-1</guid><title>Red {ESC} title</title><author>x@y (Mal {ESC} lory)</author>"
        f"<category>tag {ESC}</category><link>https://fault.example/post/{ESC}</link>"
        f"<description>Text {ESC} here, long enough to be kept.</description>"
    ]
    # Raw ESC and BEL are not allowed in XML 1.0 (the parser degrades); C1 is.
    return rss(f"Feed {ESC}", items)


def _hostile_json() -> bytes:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"JSON {ESC}",
        "home_page_url": f"https://fault.example/{ESC}",
        "items": [
            {
                "id": f"j-{ESC}",
                "url": f"https://fault.example/j/{ESC}",
                "title": f"JSON item {ESC}",
                "summary": f"Summary {ESC}",
                "content_html": f"<p>Content {ESC}</p>",
                "tags": [f"t{ESC}"],
                "authors": [{"name": f"Writer {ESC}"}],
            }
        ],
    }
    return json.dumps(doc).encode()


def test_parsed_text_links_and_problems_carry_no_controls() -> None:
    for body, headers in [
        (_hostile_rss(), {"content-type": "application/rss+xml"}),
        (_hostile_json(), {"content-type": "application/feed+json"}),
        (_hostile_rss(), {"content-type": "application/rss+xml; charset=\x9b31m"}),
        (_hostile_rss(), {"content-type": "text/\x9bevil"}),
    ]:
        parsed = parse_feed("f", body, url="https://fault.example/feed", headers=headers)
        fields = [parsed.title, parsed.link or "", parsed.problem or ""]
        for entry in parsed.entries:
            fields += [entry.title, entry.summary, entry.content, entry.author or ""]
            fields += [entry.url or "", entry.guid or "", entry.dedupe_key, *entry.tags]
        assert parsed.entries
        assert not [f for f in fields if CONTROLS.search(f)], fields
        assert "Red" in parsed.entries[0].title or "JSON" in parsed.entries[0].title


def test_registry_refuses_controls_and_opml_import_cleans_them() -> None:
    base = {"id": "a", "url": "https://feeds.example/rss", "title": "A", "language": "en"}
    for field, value in [
        ("title", f"A {ESC}"),
        ("url", "https://feeds.example/\x1b[2J"),
        ("tags", ["ok", f"bad{ESC}"]),
        ("publisher", f"P {ESC}"),
    ]:
        with pytest.raises(FeedRegistryError) as info:
            parse_registry({"feeds": [{**base, field: value}]})
        assert info.value.field == field
        assert not CONTROLS.search(str(info.value))
    opml = (
        b'<opml version="2.0"><head><title>t</title></head><body>'
        b'<outline text="Folder &#x9b;2J"><outline text="Feed &#x9b;31m red&#x9d;" '
        b'category="news,&#x9b;5mblink&#x7f;" xmlUrl="https://feeds.example/rss"/></outline>'
        b"</body></opml>"
    )
    (source,) = import_opml(opml)
    assert not CONTROLS.search(source.title + "".join(source.tags)), source
    assert "Feed" in source.title and "news" in source.tags


@pytest.fixture
def hostile_server() -> FaultServer:
    server = FaultServer()
    server.add_response("/rss", _hostile_rss())
    server.add_response("/json", _hostile_json(), headers={"Content-Type": "application/feed+json"})
    server.add(
        "/charset",
        lambda conn, _r: conn.raw(
            head(
                200, {"Content-Type": "application/rss+xml; charset=\x9b31m", "Connection": "close"}
            )
            + _hostile_rss()
        ),
    )
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" '
        f'href="https://fault.example/{ESC}.xml"></head><body>page</body></html>'
    ).encode()
    server.add_response("/html", html, headers={"Content-Type": "text/html"})
    server.add(
        "/reason",
        lambda conn, _r: conn.raw(
            b"HTTP/1.1 500 \x1b[31mBoom\x9b2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    server.add(
        "/reason-c1",
        lambda conn, _r: conn.raw(
            b"HTTP/1.1 503 Busy\x9b2J\x9d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    server.add_response(
        "/garbage", b"\x1b[2J\x1b]0;title\x07" * 20, headers={"Content-Type": "text/plain"}
    )
    return server


def test_cli_output_of_hostile_feeds_holds_no_escape_sequences(
    hostile_server: FaultServer, tmp_path: Path
) -> None:
    with hostile_server as server:
        outlines = "".join(
            f'<outline text="{name} &#x9b;31m&#x9b;2J" category="c&#x9d;x" '
            f'xmlUrl="{server.url("/" + name)}"/>'
            for name in ("rss", "json", "charset", "html", "reason", "reason-c1", "garbage")
        )
        opml = tmp_path / "hostile.opml"
        opml.write_text(
            f'<opml version="2.0"><head><title>h</title></head><body>{outlines}</body></opml>',
            encoding="utf-8",
        )
        env = {
            "LUMI_FEEDS": str(tmp_path / "feeds.yaml"),
            "LUMI_DATABASE_URL": f"sqlite:///{tmp_path / 'lumi.db'}",
            "LUMI_ALLOWED_ADDRESSES": server.host_port,
            "LUMI_FETCH_PAGES": "0",
            "LUMI_HTTP_TIMEOUT": "3",
        }
        runner = CliRunner()
        outputs = {}
        assert runner.invoke(app, ["feeds", "import-opml", str(opml)], env=env).exit_code == 0
        # A first cycle without classification stores the hostile entries, so the commands
        # below print what they carry without loading the classifiers.
        store = open_store(env["LUMI_DATABASE_URL"])
        try:
            settings = load_settings(env=env)
            run_cycle(store, settings, load_registry(Path(env["LUMI_FEEDS"])), classify=False)
        finally:
            store.close()
        for args in (
            ["feeds", "list"],
            ["feeds", "list", "--json"],
            ["fetch", "--all"],
            ["fetch", "--all", "--json"],
            ["feeds", "check"],
            ["feeds", "check", "--json"],
        ):
            result = runner.invoke(app, args, env=env)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                args,
                result.exception,
            )
            outputs[" ".join(args)] = result.stdout + result.stderr
    registry = yaml.safe_load((tmp_path / "feeds.yaml").read_text(encoding="utf-8"))
    assert len(registry["feeds"]) == 7
    checked = json.loads(outputs["feeds check --json"].splitlines()[0])
    assert "state" in checked
    for command, text in outputs.items():
        found = [text[max(0, m.start() - 200) : m.end() + 50] for m in CONTROLS.finditer(text)]
        assert not found, (command, found)
    assert "not_a_feed" in outputs["feeds check"] and "http_5xx" in outputs["feeds check"]


def test_extracted_page_text_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    """Page text is third-party text too: ``lumi extract`` writes its controls as ``\\xNN``
    in text output and as JSON escapes with ``--json``, never raw."""
    body = " ".join(
        f"<p>Paragraph {i} of a page whose author hid \x9b2J and \x1b]0;owned\x07 in it, "
        "long enough for the extractor to keep as article text.</p>"
        for i in range(6)
    )
    page = tmp_path / "hostile.html"
    page.write_text(
        f"<html><head><title>Hostile \x9b31m page</title></head><body><article>{body}"
        "</article></body></html>",
        encoding="utf-8",
    )
    runner = CliRunner()
    text = runner.invoke(app, ["extract", str(page)])
    as_json = runner.invoke(app, ["extract", "--json", str(page)])
    assert text.exit_code == 0 and as_json.exit_code == 0, (text.output, as_json.output)
    for output in (text.stdout + text.stderr, as_json.stdout + as_json.stderr):
        assert not CONTROLS.search(output), output
    # The page is extracted whole (a C0 control once made the extractor drop it) and what
    # is left of the sequences is plain text.
    record = json.loads(as_json.stdout.splitlines()[0])
    assert "Paragraph 5" in record["text"] and "]0;owned" in record["text"]
    assert "Paragraph 5" in text.stdout


def test_terminal_safe_writes_every_control_as_an_escape() -> None:
    from pipeline.cli import terminal_safe

    assert terminal_safe(f"a{ESC}b\tc\nd") == (
        "a\\x1b[31m\\x1b]0;owned\\x07\\x9b2J\\x9d8;;http://evil/\\x9cb\tc\nd"
    )
