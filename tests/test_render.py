"""Renderers: the same items in every format, each marked and labelled, nothing executable."""

from __future__ import annotations

import dataclasses
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
from pipeline.publish.render.i18n import MONTHS, VALUES, format_date, format_period, published_on
from pipeline.publish.render.json_out import validate
from pipeline.publish.render.markdown import render as render_md
from pipeline.publish.review import ReviewRecord
from pipeline.records import Digest, DigestHeadline, DigestItem, DigestSource, SummarySection
from pipeline.settings import load_settings

AT = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOSTILE = "</script><script>alert(1)</script> & <img src=x onerror=alert(2)> [x](javascript:1)"


def make_digest(
    language: str = "en", *, reviewed: bool = False, hostile: bool = False, headlines: int = 0
) -> Digest:
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
        generator_name=settings.generator_name,
        generator_version="v0.1.0",
        language=language,
        timezone="Europe/Berlin",
        policy_url=settings.ai_policy_url,
        items=items,
        updated=AT,
        headlines=tuple(
            DigestHeadline(
                f"s-{n}",
                "other",
                f"Headline {n} {HOSTILE}" if hostile else f"Headline {n}",
                (DigestSource("www.headline.example", f"https://www.headline.example/{n}", AT),),
            )
            for n in range(3, 3 + headlines)
        ),
        publication_name=settings.publication_name,
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
            # absolute http(s) links, or a table-of-contents jump within the page
            assert node.tag == "a" and node.get("href").startswith(("https://", "http://", "#"))
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
    assert [h.text_content() for h in doc.iter("h2")] == [
        "Inhalt",
        "Lizenzen",
        "Risiko und Regulierung",
    ]
    assert doc.find(".//title").text == "Lumi AI News — 4. Mai 2026"
    first = doc.xpath("//article")[0]
    assert first.find("p").text_content().startswith("KI-generierte Zusammenfassung")
    assert "Auf einen Blick:" in first.text_content()


def test_german_digest_has_german_dates_headings_and_labels_in_every_format() -> None:
    digest = make_digest("de", headlines=2)
    outputs = {fmt: renderer(fmt)(digest).decode() for fmt in ("md", "html", "atom")}
    for fmt, shown in outputs.items():
        assert "Veröffentlicht am 4. Mai 2026" in shown, fmt
        assert "KI-generierte Kuratierung gemäß Artikel 50" in shown, fmt
        assert "Lizenzwechsel: Devstral → Apache-2.0" in shown, fmt
        assert "souveräner KI-Anbieter" in shown, fmt
        for english in ("Published", "Source:", "At a glance", "Contents", "More headlines", "May"):
            assert english not in shown, (fmt, english)
    assert "## Weitere Schlagzeilen" in outputs["md"]
    assert "- Lizenzen (1)" in outputs["md"] and "- Weitere Schlagzeilen (2)" in outputs["md"]
    doc = lxml_html.fromstring(outputs["html"])
    assert [h.text_content() for h in doc.iter("h2")] == [
        "Inhalt",
        "Lizenzen",
        "Risiko und Regulierung",
        "Weitere Schlagzeilen",
    ]


def test_dates_are_written_for_the_language_without_a_locale() -> None:
    assert format_date("en", date(2026, 6, 28)) == "June 28, 2026"
    assert format_date("de", date(2026, 6, 28)) == "28. Juni 2026"
    assert format_date("de", date(2026, 3, 1)) == "1. März 2026"
    assert format_period("en", date(2026, 8, 1), date(2026, 8, 4)) == (
        "August 1, 2026 – August 4, 2026"
    )
    assert format_period("en", date(2026, 8, 4), date(2026, 8, 4)) == "August 4, 2026"
    assert all(len(names) == 12 for names in MONTHS.values())
    assert set(VALUES["de"]) == set(VALUES["en"])


def test_a_sources_day_is_that_of_the_digest_time_zone() -> None:
    late = datetime(2026, 5, 3, 23, 30, tzinfo=UTC)  # already May 4 in Berlin
    assert published_on("en", late, "Europe/Berlin") == "Published May 4, 2026"
    assert published_on("en", late, "UTC") == "Published May 3, 2026"


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


# --- contents, headlines, closing line ---------------------------------------------------------

CLOSING = (
    "Lumi AI News — AI-generated curation pursuant to Article 50 EU AI Act. "
    "Paraphrase and classification by Lumi News Pipeline v"
)


def test_table_of_contents_counts_each_section_and_the_headlines() -> None:
    digest = make_digest(headlines=3)
    assert digest.contents() == [("licensing", 1, 0), ("risk", 1, 0), ("other", 0, 3)]
    markdown = render_md(digest).decode()
    contents = markdown.split("## Contents", 1)[1].split("## Licensing", 1)[0]
    assert [line for line in contents.splitlines() if line.startswith("- ")] == [
        "- Licensing (1)",
        "- Risk and regulation (1)",
        "- More headlines (3)",
    ]
    doc = lxml_html.fromstring(render_html(digest))
    toc = doc.xpath("//nav//a")
    assert [(a.text_content(), a.get("href")) for a in toc] == [
        ("Licensing (1)", "#section-licensing"),
        ("Risk and regulation (1)", "#section-risk"),
        ("More headlines (3)", "#section-headlines"),
    ]
    for _, target in (("", a.get("href")) for a in toc):
        assert doc.xpath(f'//*[@id="{target[1:]}"]'), target
    document = json.loads(renderer("json")(digest))
    validate(document)
    assert document["contents"] == [
        {"section": "licensing", "items": 1, "headlines": 0},
        {"section": "risk", "items": 1, "headlines": 0},
        {"section": "other", "items": 0, "headlines": 3},
    ]


def test_headlines_are_links_without_ai_text_and_not_feed_entries() -> None:
    digest = make_digest(headlines=2, hostile=True)
    markdown = render_md(digest).decode()
    headlines = markdown.split("## More headlines", 1)[1]
    assert "2 more stories, by title only (not summarised)." in headlines
    assert "(<https://www.headline.example/3>)" in headlines
    assert "ai-disclosure" not in headlines  # no AI text, so no label
    doc = lxml_html.fromstring(render_html(digest))
    (section,) = doc.xpath('//section[@aria-labelledby="section-headlines"]')
    assert section.xpath("article") == []
    links = section.xpath(".//li/a[1]/@href")
    assert links == ["https://www.headline.example/3", "https://www.headline.example/4"]
    assert doc.xpath("//script[not(@type)]|//img") == []
    atom = feedparser.parse(renderer("atom")(digest))
    assert [e.id.rsplit(":", 1)[1] for e in atom.entries] == ["s-1", "s-2"]
    document = json.loads(renderer("json")(digest))
    validate(document)
    assert [h["id"] for h in document["headlines"]] == ["s-3", "s-4"]
    assert set(document["headlines"][0]) == {"id", "section", "title", "sources"}


def test_closing_line_ends_each_item_in_every_format() -> None:
    digest = make_digest()
    first, second = digest.items
    assert first.disclosure.closing_text.startswith(CLOSING)
    assert second.disclosure.closing_text.startswith(
        "Lumi AI News — AI-generated curation pursuant to Article 50 EU AI Act. "
        "Paraphrase and classification by Lumi News Pipeline v"
    )
    markdown = render_md(digest).decode()
    for chunk, item in zip(markdown.split("\n### ")[1:], digest.items, strict=True):
        last = [line for line in chunk.splitlines() if line and not line.startswith("## ")][-2:]
        assert last[0].startswith("Source: ")
        assert last[1] == f"*{item.disclosure.closing_text}*"
    doc = lxml_html.fromstring(render_html(digest))
    for article, item in zip(doc.xpath("//article"), digest.items, strict=True):
        paragraphs = article.findall("p")
        assert "sources" in paragraphs[-2].get("class")
        assert paragraphs[-1].text_content() == item.disclosure.closing_text
    (block,) = doc.xpath('//script[@type="application/ld+json"]')
    graph = json.loads(block.text)["@graph"]
    assert [n["creditText"] for n in graph] == [i.disclosure.closing_text for i in digest.items]
    assert graph[0]["publisher"] == {"@type": "Organization", "name": "Lumi AI News"}
    root = etree.fromstring(renderer("atom")(digest))
    ns = {"a": "http://www.w3.org/2005/Atom", "lumi": NAMESPACE}
    for entry, item in zip(root.findall("a:entry", ns), digest.items, strict=True):
        content = lxml_html.fragment_fromstring(
            entry.find("a:content", ns).text, create_parent="div"
        )
        assert content.findall("p")[-1].text_content() == item.disclosure.closing_text
        assert entry.find("lumi:disclosure", ns).get("closing") == item.disclosure.closing_text
    document = json.loads(renderer("json")(digest))
    validate(document)
    assert [i["ai_disclosure"]["closing_text"] for i in document["items"]] == [
        i.disclosure.closing_text for i in digest.items
    ]


def test_a_reviewed_item_closes_as_ai_assisted_curation() -> None:
    first = make_digest(reviewed=True).items[0]
    assert first.disclosure.closing_text.startswith(
        "Lumi AI News — AI-assisted curation pursuant to Article 50 EU AI Act."
    )


def test_generator_version_is_the_same_v_version_everywhere() -> None:
    digest = make_digest()
    version = digest.items[0].disclosure.generator_version
    assert version.startswith("v") and not version.startswith("vv")
    label = digest.items[0].disclosure.label_text
    assert f"Lumi News Pipeline {version}." in label
    assert digest.items[0].disclosure.closing_text.endswith(f"Lumi News Pipeline {version}.")
    doc = lxml_html.fromstring(render_html(digest))
    (block,) = doc.xpath('//script[@type="application/ld+json"]')
    assert {n["creator"]["softwareVersion"] for n in json.loads(block.text)["@graph"]} == {version}
    root = etree.fromstring(renderer("atom")(digest))
    marker = root.find(f".//{{{NAMESPACE}}}disclosure")
    assert marker.get("generator") == f"Lumi News Pipeline {version}"
    document = json.loads(renderer("json")(digest))
    assert document["items"][0]["ai_disclosure"]["generator"] == {
        "name": "Lumi News Pipeline",
        "version": version,
    }


def test_a_section_without_a_heading_renders_as_a_plain_intro_paragraph() -> None:
    base = make_digest()
    intro = SummarySection("", "Mistral changed the terms of its coding model.")
    item = dataclasses.replace(base.items[0], sections=(intro, *base.items[0].sections))
    digest = dataclasses.replace(base, items=(item, *base.items[1:]))
    markdown = render_md(digest).decode()
    assert "\nMistral changed the terms of its coding model.\n" in markdown
    assert "****" not in markdown
    doc = lxml_html.fromstring(render_html(digest))
    paragraphs = doc.xpath("//article[@id='s-1']/p")
    assert paragraphs[2].text_content() == "Mistral changed the terms of its coding model."
    assert paragraphs[2].find("strong") is None
    root = etree.fromstring(renderer("atom")(digest))
    content = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")
    assert "<p>Mistral changed the terms of its coding model.</p>" in content.text
    validate(json.loads(renderer("json")(digest)))
