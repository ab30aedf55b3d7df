"""Article 50 label wherever readers see AI text: a real digest, every format, every field.

The digest is built from a real store and exported with ``write_digest``; each format is
parsed into *fields* (the units a reader or a feed reader sees on their own: an Atom summary,
an entry's content, a JSON-LD string, a meta description, a Markdown item). In every field,
each occurrence of an item's AI text (its "At a glance" text, its section texts, or the start
of either, as an excerpt would show it) must come after that item's label in the same field.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html
from test_digest import DAY, body, relicense, seed_article, settings_for, theme

from pipeline.publish.digest import build_digest, prepare_day, write_digest
from pipeline.publish.render.atom import ATOM
from pipeline.publish.render.i18n import text
from pipeline.publish.render.json_out import validate
from pipeline.publish.review import record_review
from pipeline.records import Digest, DigestItem
from pipeline.store import Store

EDITOR = "Desk Editor"
#: Characters of an AI text an excerpt (a truncated description) would still show.
EXCERPT = 40
#: Short one-field places that must *start* with the label, not merely contain it.
DESCRIPTION_KEYS = ("abstract", "description")
DESCRIPTION_METAS = ("description", "og:description", "twitter:description")

Field = tuple[str, str]  # (where, text as the reader gets it)


def norm(value: str) -> str:
    """Whitespace-collapsed text, so line wrapping never hides or fakes a match."""
    return " ".join(value.split())


def _ai_texts(item: DigestItem) -> list[str]:
    texts = [item.at_a_glance, *(s.text for s in item.sections)]
    needles = []
    for value in texts:
        value = norm(value)
        if value:
            needles += [value, value[:EXCERPT]]
    return needles


def assert_labelled(fields: Iterable[Field], items: Sequence[DigestItem]) -> set[str]:
    """Every occurrence of an item's AI text in a field comes after that item's label there.

    Returns:
        The ids of the items whose full "At a glance" text was found at least once, so a
        caller can tell the check was not vacuous (e.g. an escaping the parser undid wrong).
    """
    found: set[str] = set()
    # A note the summariser writes the same way for several items (e.g. that a source was
    # too short) cannot be told apart by item: it is checked in its own item only.
    counts = Counter(needle for item in items for needle in set(_ai_texts(item)))
    for where, value in fields:
        haystack = norm(value)
        for item in items:
            label = norm(item.disclosure.label_text)
            for needle in _ai_texts(item):
                if counts[needle] > 1:
                    continue
                for match in re.finditer(re.escape(needle), haystack):
                    assert label in haystack[: match.start()], (
                        f"{where}: AI text of {item.id} at {match.start()} without its label "
                        f"before it: {haystack[:200]!r}"
                    )
            if norm(item.at_a_glance) and norm(item.at_a_glance) in haystack:
                found.add(item.id)
    return found


def assert_starts_with_label(where: str, value: str, item: DigestItem) -> None:
    """A short one-field text (summary, description) begins with the item's label."""
    assert norm(value).startswith(norm(item.disclosure.label_text)), f"{where}: {value[:200]!r}"


# --- the digest -----------------------------------------------------------------------------


@pytest.fixture(params=["en", "de"])
def exported(
    request: pytest.FixtureRequest, store: Store, tmp_path: Path
) -> tuple[Digest, dict[str, bytes]]:
    """A real three-item digest (one reviewed) and its four exported files, by format."""
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0",
        # Markdown/HTML/XML punctuation in the AI text: each format escapes it differently.
        text="Mistral & partners said the <model> is *fast* [really] and #1 at coding. " + body(1),
        results={"license_events": [relicense("Devstral")]},
    )
    seed_article(
        store,
        2,
        title="Regulators open a chatbot privacy review",
        text="Regulators opened a privacy review of chatbots on Monday. " + body(2),
        results={"risk_themes": [theme("privacy", 0.8)]},
    )
    seed_article(store, 3, title="Quarterly hiring update", text=body(3))
    settings = settings_for(language=request.param)
    prepare_day(store, DAY, settings)  # what `lumi digest` runs first
    record_review(
        store, "s-1", approve=True, editor=EDITOR, at=datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    )
    digest = build_digest(store, DAY, settings)
    paths = write_digest(store, DAY, settings, out_dir=tmp_path / "out")
    return digest, {p.suffix.lstrip("."): p.read_bytes() for p in paths}


def test_the_digest_has_reviewed_and_unreviewed_ai_text(
    exported: tuple[Digest, dict[str, bytes]],
) -> None:
    digest, _ = exported
    lang = digest.language
    by_id = {item.id: item for item in digest.items}
    assert set(by_id) == {"s-1", "s-2", "s-3"}
    assert all(item.at_a_glance for item in digest.items)
    assert any(item.sections for item in digest.items)
    reviewed = text(lang, "label_reviewed", editor=EDITOR)
    assert by_id["s-1"].disclosure.label_text.startswith(reviewed)
    for item_id in ("s-2", "s-3"):
        assert by_id[item_id].disclosure.label_text.startswith(text(lang, "label_unreviewed"))


# --- Atom -----------------------------------------------------------------------------------


def _atom_fields(data: bytes) -> Iterator[Field]:
    """Every element text and attribute of the feed; an HTML content as its visible text."""
    root = etree.fromstring(data)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        where = etree.QName(node).localname
        for name, value in node.attrib.items():
            yield f"atom {where}@{name}", value
        value = node.text or ""
        if node.tag == f"{{{ATOM}}}content" and node.get("type") == "html":
            value = lxml_html.fragment_fromstring(value, create_parent="div").text_content()
        yield f"atom {where}", value


def _atom_item_id(entry_id: str) -> str:
    return entry_id.rsplit(":", 1)[1]


def test_atom_summary_of_every_entry_starts_with_its_label(
    exported: tuple[Digest, dict[str, bytes]],
) -> None:
    digest, files = exported
    by_id = {item.id: item for item in digest.items}
    parsed = feedparser.parse(files["atom"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [_atom_item_id(e.id) for e in parsed.entries] == [i.id for i in digest.items]
    for entry in parsed.entries:
        assert_starts_with_label(
            "feedparser summary", entry.summary, by_id[_atom_item_id(entry.id)]
        )
    ns = {"a": ATOM}
    entries = etree.fromstring(files["atom"]).findall("a:entry", ns)
    assert len(entries) == len(digest.items)
    for entry in entries:
        item = by_id[_atom_item_id(entry.findtext("a:id", namespaces=ns))]
        summaries = entry.findall("a:summary", ns)
        assert len(summaries) == 1
        assert summaries[0].get("type", "text") == "text"
        assert_starts_with_label("atom summary", summaries[0].text or "", item)
        assert norm(item.at_a_glance) in norm(summaries[0].text or "")
    found = assert_labelled(_atom_fields(files["atom"]), digest.items)
    assert found == set(by_id)


# --- HTML -----------------------------------------------------------------------------------


def _strings(value: Any, path: str) -> Iterator[Field]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


def _json_ld(doc: Any) -> list[Any]:
    return [json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')]


def _html_fields(data: bytes) -> Iterator[Field]:
    """Each article's text, the page text outside them, every attribute, every JSON-LD string."""
    doc = lxml_html.fromstring(data)
    for article in doc.xpath("//article"):
        yield f"html article {article.get('id')}", article.text_content()
    for node in doc.iter():
        if isinstance(node.tag, str):
            for name, value in node.attrib.items():
                yield f"html {node.tag}@{name}", value
    for index, block in enumerate(_json_ld(doc)):
        yield from _strings(block, f"json-ld[{index}]")
    rest = lxml_html.fromstring(data)
    for node in rest.xpath("//article|//script|//style"):
        node.drop_tree()
    yield "html page outside articles", rest.text_content()


def test_html_meta_and_json_ld_descriptions_start_with_the_label(
    exported: tuple[Digest, dict[str, bytes]],
) -> None:
    digest, files = exported
    by_id = {item.id: item for item in digest.items}
    doc = lxml_html.fromstring(files["html"])
    (block,) = _json_ld(doc)
    nodes = {node["@id"].lstrip("#"): node for node in block["@graph"]}
    assert set(nodes) == set(by_id)
    for item_id, node in nodes.items():
        described = [key for key in DESCRIPTION_KEYS if key in node]
        assert described, f"{item_id}: no abstract or description"
        for key in described:
            assert_starts_with_label(f"json-ld {item_id}.{key}", node[key], by_id[item_id])
    for name in DESCRIPTION_METAS:
        for content in doc.xpath(f'//meta[@name="{name}" or @property="{name}"]/@content'):
            for item in digest.items:
                if any(needle in norm(content) for needle in _ai_texts(item)):
                    assert_starts_with_label(f"meta {name}", content, item)
    found = assert_labelled(_html_fields(files["html"]), digest.items)
    assert found == set(by_id)


def test_html_label_precedes_the_ai_text_of_each_article(
    exported: tuple[Digest, dict[str, bytes]],
) -> None:
    digest, files = exported
    doc = lxml_html.fromstring(files["html"])
    glance = text(digest.language, "at_a_glance")
    for article, item in zip(doc.xpath("//article"), digest.items, strict=True):
        paragraphs = [norm(p.text_content()) for p in article.findall("p")]
        assert paragraphs[0].startswith(norm(item.disclosure.label_text))
        assert paragraphs[1] == norm(f"{glance} {item.at_a_glance}")


# --- Markdown -------------------------------------------------------------------------------

_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _md_chunks(data: bytes) -> list[tuple[str | None, list[str]]]:
    """The preamble (id None) and each item's lines, split at the item headings."""
    chunks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in data.decode("utf-8").splitlines():
        if line.startswith("### "):
            chunks.append((None, []))
        found = re.search(r"id: (s-\d+) -->", line)
        if found:
            chunks[-1] = (found.group(1), chunks[-1][1])
        chunks[-1][1].append(line)
    return chunks


def _md_fields(data: bytes) -> Iterator[Field]:
    """Each Markdown item and the preamble, as the text CommonMark shows (escapes undone)."""
    for item_id, lines in _md_chunks(data):
        yield f"markdown {item_id or 'preamble'}", _MD_ESCAPE.sub(r"\1", "\n".join(lines))


def test_markdown_label_line_precedes_each_at_a_glance(
    exported: tuple[Digest, dict[str, bytes]],
) -> None:
    digest, files = exported
    glance = f"**{text(digest.language, 'at_a_glance')}**"
    chunks = [(item_id, lines) for item_id, lines in _md_chunks(files["md"]) if item_id]
    assert [item_id for item_id, _ in chunks] == [item.id for item in digest.items]
    for (item_id, lines), item in zip(chunks, digest.items, strict=True):
        unescaped = [_MD_ESCAPE.sub(r"\1", line) for line in lines]
        label = norm(item.disclosure.label_text)
        label_at = next(i for i, line in enumerate(unescaped) if line.startswith(f"> {label}"))
        glance_at = next(i for i, line in enumerate(lines) if line.startswith(glance))
        assert label_at < glance_at, item_id
        assert norm(item.at_a_glance) in norm(unescaped[glance_at])
    found = assert_labelled(_md_fields(files["md"]), digest.items)
    assert found == {item.id for item in digest.items}


# --- JSON -----------------------------------------------------------------------------------


def test_json_digest_carries_ai_text_only_inside_its_labelled_item(
    exported: tuple[Digest, dict[str, bytes]],
) -> None:
    digest, files = exported
    document = json.loads(files["json"])
    validate(document)
    assert [i["id"] for i in document["items"]] == [item.id for item in digest.items]
    outside = {k: v for k, v in document.items() if k != "items"}
    # Outside the items no disclosure sits next to the text: a label must precede it there.
    assert_labelled(_strings(outside, "$"), digest.items)
    for index, (entry, item) in enumerate(zip(document["items"], digest.items, strict=True)):
        assert entry["ai_disclosure"]["label_text"] == item.disclosure.label_text
        assert entry["at_a_glance"] == item.at_a_glance
        others = [other for other in digest.items if other.id != item.id]
        # another item's AI text here would sit beside the wrong disclosure
        assert_labelled(_strings(entry, f"$.items[{index}]"), others)
