"""Renderers: the same items in every format, each marked and labelled, nothing executable."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from pipeline.publish.label import IPTC_SCHEME, disclosure_for
from pipeline.publish.render import FORMATS, renderer
from pipeline.publish.render.atom import NAMESPACE
from pipeline.publish.render.html import CSP, PALETTE
from pipeline.publish.render.html import render as render_html
from pipeline.publish.render.json_out import validate
from pipeline.publish.render.markdown import render as render_md
from pipeline.publish.review import ReviewRecord
from pipeline.records import Digest, DigestItem, DigestSource, SummarySection
from pipeline.settings import load_settings

AT = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOSTILE = "</script><script>alert(1)</script> & <img src=x onerror=alert(2)> [x](javascript:1)"


def make_digest(language: str = "en", *, reviewed: bool = False, hostile: bool = False) -> Digest:
    settings = load_settings(env={}).replace(language=language)
    review = ReviewRecord(1, "s-1", True, "Jane Doe", None, AT) if reviewed else None
    title = f"Devstral relicensed {HOSTILE}" if hostile else "Devstral switches to Apache 2.0"
    items = (
        DigestItem(
            id="s-1",
            section="licensing",
            title=title,
            at_a_glance=("Glance " + HOSTILE) if hostile else "Mistral moved Devstral.",
            sections=(SummarySection("Licensing.", "Now Apache-2.0 \x00\x0b text."),),
            sources=(
                DigestSource("Mistral <b>news</b>", "https://mistral.example/devstral", AT),
                DigestSource("evil", "javascript:alert(3)", None),
            ),
            actors=({"name": "Mistral AI", "type": "sovereign", "evidence": "Mistral said."},),
            license_events=(
                {
                    "kind": "relicense",
                    "actor": "Mistral AI",
                    "model": "Devstral",
                    "from_license": None,
                    "to_license": "Apache-2.0",
                    "evidence": "Devstral now ships under Apache 2.0.",
                },
            ),
            risk_themes=(),
            disclosure=disclosure_for(
                "extractive", review=review, settings=settings, generated_at=AT
            ),
        ),
        DigestItem(
            id="s-2",
            section="risk",
            title="EU regulators publish guidance",
            at_a_glance="Guidance was published.",
            sections=(),
            sources=(DigestSource("EU", "https://eu.example/a", None),),
            actors=(),
            license_events=(),
            risk_themes=({"theme": "regulation", "score": 0.8, "evidence": "Rules."},),
            disclosure=disclosure_for("llm", settings=settings, generated_at=AT, model="m"),
        ),
    )
    return Digest(
        day=date(2026, 5, 4),
        generator_name="Lumi",
        generator_version="0.1.0",
        language=language,
        timezone="Europe/Berlin",
        policy_url=settings.ai_policy_url,
        items=items,
        updated=AT,
    )


# --- HTML -------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_every_colour_pair_meets_wcag_aa_and_is_the_one_used() -> None:
    page = render_html(make_digest()).decode()
    css = lxml_html.fromstring(page).find(".//style").text
    for name, (fg, bg) in PALETTE.items():
        assert contrast(fg, bg) >= 4.5, name
        assert fg in css, name
    used = set(re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", css))
    assert used <= {fg for fg, _ in PALETTE.values()}


def test_html_is_self_contained_and_forbids_scripts() -> None:
    doc = lxml_html.fromstring(render_html(make_digest()))
    assert doc.get("lang") == "en"
    csp = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp == [CSP] and "default-src 'none'" in CSP
    for node in doc.iter():
        if not isinstance(node.tag, str):
            continue
        assert node.get("src") is None, node.tag
        if node.tag == "link":
            pytest.fail("no <link> elements: stylesheets and icons would be external requests")
        if node.get("href") is not None:
            assert node.tag == "a" and node.get("href").startswith(("https://", "http://"))
    css = doc.find(".//style").text
    assert "url(" not in css and "@import" not in css
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]


def test_heading_hierarchy_never_skips_a_level() -> None:
    doc = lxml_html.fromstring(render_html(make_digest()))
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_label_precedes_the_ai_text_and_links_the_policy() -> None:
    doc = lxml_html.fromstring(render_html(make_digest(reviewed=True)))
    assert doc.xpath('//meta[@name="ai-disclosure"]/@content') == ["ai-autonomous"]
    articles = doc.xpath("//article")
    assert [a.get("ai-disclosure") for a in articles] == ["ai-assisted", "ai-autonomous"]
    assert [a.get("ai-model") for a in articles] == [None, "m"]  # the paraphrasing model
    for article in articles:
        paragraphs = article.findall("p")
        label = paragraphs[0]
        assert "ai-label" in label.get("class")
        assert "Article 50" in label.text_content()
        assert label.xpath("a/@href") == ["https://example.org/ai-policy"]
        assert paragraphs[1].text_content().startswith("At a glance:")
    assert articles[0].find("p").text_content().startswith("AI-assisted, reviewed by Jane Doe.")


def test_json_ld_marks_each_item_and_cannot_be_broken_out_of() -> None:
    page = render_html(make_digest(hostile=True)).decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1) and ">" not in block.group(1)
    data = json.loads(block.group(1))
    first, second = data["@graph"]
    assert first["@type"] == "NewsArticle"
    assert first["headline"].endswith(HOSTILE)  # escaped, not lost
    assert first["digitalSourceType"] == (
        "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    )
    assert second["digitalSourceType"] == "https://schema.org/TrainedAlgorithmicMediaDigitalSource"
    assert first["isBasedOn"] == ["https://mistral.example/devstral"]  # javascript: dropped
    assert first["publishingPrinciples"] == "https://example.org/ai-policy"


def test_hostile_text_renders_as_text_only() -> None:
    doc = lxml_html.fromstring(render_html(make_digest(hostile=True)))
    assert len(doc.xpath("//script")) == 1  # the JSON-LD block only
    assert doc.xpath("//img") == []
    assert not any(
        k.startswith("on") for n in doc.iter() if isinstance(n.tag, str) for k in n.attrib
    )
    assert HOSTILE in doc.xpath("//article[@id='s-1']/h3")[0].text_content()
    assert "\x00" not in etree.tostring(doc, encoding="unicode")


def test_german_chrome() -> None:
    doc = lxml_html.fromstring(render_html(make_digest("de")))
    assert doc.get("lang") == "de"
    assert [h.text_content() for h in doc.iter("h2")] == ["Lizenzen", "Risiko und Regulierung"]
    assert doc.find(".//title").text == "Lumi-Digest — 2026-05-04"
    first = doc.xpath("//article")[0]
    assert first.find("p").text_content().startswith("KI-generierte Zusammenfassung")
    assert "Auf einen Blick:" in first.text_content()


# --- Atom -------------------------------------------------------------------------------------


def test_atom_parses_without_bozo_and_marks_every_entry() -> None:
    data = renderer("atom")(make_digest(hostile=True))
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 2
    root = etree.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom", "lumi": NAMESPACE}
    for entry, source_type in zip(
        root.findall("a:entry", ns),
        ["compositeWithTrainedAlgorithmicMedia", "trainedAlgorithmicMedia"],
        strict=True,
    ):
        cats = entry.xpath(f'a:category[@scheme="{IPTC_SCHEME}"]/@term', namespaces=ns)
        assert cats == [source_type]
        marker = entry.find("lumi:disclosure", ns)
        assert marker.get("level") == "ai-autonomous"
        assert marker.get("exemptionApplied") == "false"
        content = entry.find("a:content", ns)
        assert content.get("type") == "html"
        fragment = lxml_html.fragment_fromstring(content.text, create_parent="div")
        assert fragment[0].text_content().startswith("AI-generated summary")
        assert fragment.xpath("//script|//img") == []
        assert entry.find("a:summary", ns).text.startswith("AI-generated summary")
    assert parsed.entries[0].title.endswith(HOSTILE)
    assert [e.summary.startswith("AI-generated summary") for e in parsed.entries] == [True, True]
    assert parsed.entries[0].summary.endswith("At a glance: Glance " + HOSTILE)


def test_reviewed_and_german_labels_lead_the_atom_summary_and_json_ld_abstract() -> None:
    digest = make_digest("de", reviewed=True)
    summaries = [e.summary for e in feedparser.parse(renderer("atom")(digest)).entries]
    page = render_html(digest).decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    abstracts = [node["abstract"] for node in json.loads(block.group(1))["@graph"]]
    for shown in (summaries, abstracts):
        assert shown[0].startswith("KI-gestützt, redaktionell geprüft von Jane Doe.")
        assert shown[0].endswith("Auf einen Blick: Mistral moved Devstral.")
        assert shown[1].startswith("KI-generierte Zusammenfassung — nicht redaktionell geprüft.")


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_puts_the_label_before_the_summary_and_escapes_feed_text() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    text = render_md(make_digest(hostile=True)).decode()
    lines = text.splitlines()
    label = next(i for i, line in enumerate(lines) if "AI-generated summary" in line)
    glance = next(i for i, line in enumerate(lines) if line.startswith("**At a glance:**"))
    assert label < glance
    assert "[AI policy](<https://example.org/ai-policy>)" in lines[label]
    rendered = markdown_it.MarkdownIt("commonmark").render(text)
    doc = lxml_html.fromstring(f"<div>{rendered}</div>")
    assert doc.xpath("//script|//img") == []
    hrefs = doc.xpath("//a/@href")
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert HOSTILE in doc.xpath("//h3")[0].text_content()


# --- all formats ------------------------------------------------------------------------------


def test_every_format_carries_the_same_items_in_the_same_order() -> None:
    digest = make_digest()
    outputs: dict[str, Any] = {fmt: renderer(fmt)(digest) for fmt in FORMATS}
    document = json.loads(outputs["json"])
    validate(document)
    ids = [i["id"] for i in document["items"]]
    assert ids == ["s-1", "s-2"]
    assert [a.get("id") for a in lxml_html.fromstring(outputs["html"]).xpath("//article")] == ids
    atom_ids = [e.id.rsplit(":", 1)[1] for e in feedparser.parse(outputs["atom"]).entries]
    assert atom_ids == ids
    assert re.findall(r"id: (s-\d+) -->", outputs["md"].decode()) == ids
