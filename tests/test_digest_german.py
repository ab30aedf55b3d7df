"""A German digest (``LUMI_LANGUAGE=de``): every heading and label in Markdown, HTML and Atom
is German, summary section headings and the short-text note included; the JSON digest keeps
the English heading and adds the German one.

The English labels looked for are all of them, taken from the label tables
(:data:`pipeline.publish.render.i18n.TEXT`, ``VALUES`` and ``HEADINGS``), not a hand list.
The summary text itself is the sources' English wording: it is taken out of each rendering
before the labels are looked for, and the same digest rendered in English shows that the
search finds English labels where they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from test_digest import DAY, actor, body, relicense, seed_article, theme

from pipeline.publish.checks import SHORT_NOTE
from pipeline.publish.digest import build_digest, prepare_day, write_digest
from pipeline.publish.render import renderer
from pipeline.publish.render.atom import ATOM
from pipeline.publish.render.i18n import HEADINGS, TEXT, VALUES, summary_heading, text
from pipeline.publish.render.json_out import validate
from pipeline.publish.summarise import HEADINGS as SUMMARY_HEADINGS
from pipeline.records import Digest
from pipeline.settings import load_settings
from pipeline.store import Store

LICENSING = (
    "Mistral AI moved Devstral to a new license on Monday, replacing its research terms. "
    "The model writes and reviews code in more than eighty programming languages. "
    "Its weights can be downloaded from the company's model hub. "
    "Devstral now ships under Apache 2.0. "
    "Mistral AI said so. "
    "Lawmakers in Brussels asked for a compliance review under the AI Act. "
    "Regulators are watching closely. "
    "Independent testers found a security vulnerability that lets a crafted prompt bypass "
    "the safeguards. "
    "The release puts pressure on rivals whose models are sold through paid cloud APIs. "
    "Banks and other enterprise customers already pilot the model, and its pricing "
    "undercuts the competition."
)
PRIVACY = (
    "Regulators opened a review of chatbots on Monday. "
    "The authorities asked vendors how prompts are stored and for how long. "
    "The review follows complaints that chat logs were kept longer than users were told. "
    "Vendors have until June to answer the regulator. "
    "A ruling could change how assistants handle user data across Europe. "
    "Several companies said they welcome the review. "
    "Regulators are watching closely. "
    "Consumer groups asked for fines where the privacy rules were broken."
)


@pytest.fixture
def digests(store: Store) -> dict[str, Digest]:
    """One stored day built into a German and an English digest: a licensing story, a
    regulation story, a story too short for a summary and two headlines."""
    seed_article(
        store,
        1,
        title="Devstral switches to Apache 2.0 license",
        text=LICENSING,
        results={
            "license_events": [relicense("Devstral")],
            "actors": [{**actor("Mistral AI", "model_maker"), "role": "subject"}],
            "risk_themes": [theme("security", 0.8)],
        },
    )
    seed_article(
        store,
        2,
        title="Regulators open a chatbot privacy review",
        text=PRIVACY,
        results={"risk_themes": [theme("privacy", 0.8)]},
    )
    seed_article(
        store,
        3,
        title="Breeze weights are out",
        text="Breeze weights are out now.",
        results={"risk_themes": [theme("licensing", 0.3)]},
    )
    seed_article(store, 4, title="Quarterly hiring update", text=body(4))
    seed_article(store, 5, title="Office move next spring", text=body(5))
    out = {}
    for language in ("de", "en"):
        settings = load_settings(env={"LUMI_LANGUAGE": language}).replace(digest_max_items=3)
        assert settings.language == language
        prepare_day(store, DAY, settings)
        out[language] = build_digest(store, DAY, settings)
    return out


def english_labels() -> set[str]:
    """Every English label and heading text that differs from its German one: the fixed
    parts of each template (placeholders cut out), vocabulary names and summary headings."""
    found: set[str] = set()
    for key, template in TEXT["en"].items():
        if template == TEXT["de"][key]:
            continue  # "{publication} — {date}": nothing English in it
        for piece in re.split(r"\{[^}]*\}", template):
            piece = " ".join(piece.split()).strip(" .,;:()—–-")
            if re.search(r"[A-Za-z]{4}", piece):
                found.add(piece)
    for table in (VALUES, HEADINGS):
        found.update(v for k, v in table["en"].items() if v != table["de"][k])
    return found


def _flat(value: str) -> str:
    return " ".join(value.split())


def _feed_texts(digest: Digest) -> list[str]:
    """What a digest shows from its sources and summaries (English by nature), longest
    first so a sentence goes before a name inside it."""
    texts = [digest.publication_name]
    for item in digest.items:
        texts += [item.title, item.at_a_glance, *(s.text for s in item.sections)]
        texts += [str(a.get("name")) for a in item.actors]
        texts += [str(e.get(k)) for e in item.license_events for k in ("model", "to_license")]
        texts += [s.site for s in item.sources if s.site]
    for headline in digest.headlines:
        texts += [headline.title, *(s.site for s in headline.sources if s.site)]
    return sorted({_flat(t) for t in texts if t and t != SHORT_NOTE}, key=len, reverse=True)


def _html_text(markup: str) -> str:
    doc = lxml_html.fromstring(markup)
    for style in doc.iter("style"):
        style.drop_tree()
    return doc.text_content()


def shown_text(fmt: str, rendered: bytes) -> str:
    """The text a reader of ``fmt`` sees (markup and escapes undone, one line)."""
    if fmt == "md":
        # every Markdown special character is backslash-escaped; link targets are URLs
        shown = re.sub(r"\]\(<[^>]*>\)", "]", rendered.decode())
        shown = re.sub(r"<!--.*?-->", "", shown)
        return _flat(re.sub(r"\\(.)", r"\1", shown))
    if fmt == "html":
        return _flat(_html_text(rendered.decode()))
    root = etree.fromstring(rendered)
    parts = []
    for node in root.iter(f"{{{ATOM}}}*"):
        if node.tag == f"{{{ATOM}}}content" and node.get("type") == "html":
            parts.append(_html_text(f"<div>{node.text}</div>"))
        elif node.text and node.text.strip():
            parts.append(node.text)
        if node.get("label"):
            parts.append(node.get("label", ""))
    return _flat(" ".join(parts))


def english_left(digest: Digest, fmt: str, labels: set[str]) -> set[str]:
    """The English labels in ``digest`` rendered as ``fmt``, feed and summary text aside."""
    shown = shown_text(fmt, renderer(fmt)(digest))
    for value in _feed_texts(digest):
        shown = shown.replace(value, " ")
    return labels_in(shown, labels)


def labels_in(shown: str, labels: set[str]) -> set[str]:
    """The ``labels`` that occur in ``shown`` as words (not inside a machine name such as
    JSON-LD's ``digitalSourceType``)."""
    return {label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", shown)}


def test_the_label_tables_hold_every_summary_heading_in_every_language() -> None:
    assert tuple(HEADINGS["en"]) == SUMMARY_HEADINGS
    assert set(HEADINGS) == set(TEXT)
    for table in HEADINGS.values():
        assert set(table) == set(SUMMARY_HEADINGS)
    assert TEXT["en"]["short_note"] == SHORT_NOTE
    assert summary_heading("de", "Risk.") == "Risiko."
    assert summary_heading("de", "licensing") == "Lizenzen."  # a paraphrase's spelling
    assert summary_heading("de", "") == ""


@pytest.mark.parametrize("fmt", ["md", "html", "atom"])
def test_a_german_digest_shows_no_english_heading_or_label(
    digests: dict[str, Digest], fmt: str
) -> None:
    labels = english_labels()
    assert {"What's new.", "Licensing.", "Source", "At a glance", "More headlines"} <= labels
    german = digests["de"]
    headings = {s.heading for i in german.items for s in i.sections if s.heading}
    assert {"Licensing.", "Regulation."} <= headings  # the summaries have English headings
    assert english_left(german, fmt, labels) == set()
    shown = shown_text(fmt, renderer(fmt)(german))
    for heading in headings:
        assert summary_heading("de", heading) in shown, heading
    assert text("de", "short_note") in shown
    assert text("de", "at_a_glance") in shown
    # the same search finds the English labels in the English digest
    english = english_left(digests["en"], fmt, labels)
    assert {"Source", "At a glance", "Licensing.", "Regulation."} <= english
    assert SHORT_NOTE.rstrip(".") in english


def test_the_german_json_digest_keeps_the_english_heading_and_adds_the_german_one(
    digests: dict[str, Digest],
) -> None:
    document = json.loads(renderer("json")(digests["de"]))
    validate(document)
    sections = [s for item in document["items"] for s in item["sections"]]
    assert sections and all(
        s["display_heading"] == summary_heading("de", s["heading"]) for s in sections
    )
    pairs = {(s["heading"], s["display_heading"]) for s in sections if s["heading"]}
    assert ("Licensing.", "Lizenzen.") in pairs and ("Regulation.", "Regulierung.") in pairs
    assert all(s["display_heading"] == "" for s in sections if not s["heading"])


def test_lumi_digest_writes_german_files_with_language_from_the_environment(
    store: Store, digests: dict[str, Digest], tmp_path: Path
) -> None:
    settings = load_settings(env={"LUMI_LANGUAGE": "de"}).replace(digest_max_items=3)
    paths = write_digest(store, DAY, settings, out_dir=tmp_path)
    by_format = {p.suffix.lstrip("."): p.read_bytes() for p in paths}
    labels = english_labels()
    for fmt in ("md", "html", "atom"):
        shown = shown_text(fmt, by_format[fmt])
        for value in _feed_texts(digests["de"]):
            shown = shown.replace(value, " ")
        assert labels_in(shown, labels) == set(), fmt
