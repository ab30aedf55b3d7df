"""Summaries a reader can forward: third person, facts first, headings that fit.

The extractive summariser and the checks every published summary must pass
(:func:`pipeline.publish.checks.summary_problems`), on short texts written for these tests.
"""

from __future__ import annotations

import dataclasses
import re

from test_render import make_digest

from classifiers.base import split_sentences
from pipeline.publish.checks import (
    SHORT_NOTE,
    dangling_start,
    first_person,
    heading_fits,
    license_phrase,
    problem_checks,
    summary_problems,
)
from pipeline.publish.render.atom import render as render_atom
from pipeline.publish.render.html import render as render_html
from pipeline.publish.render.markdown import render as render_md
from pipeline.publish.summarise import facts_sentence, summarise_story, third_person
from pipeline.records import ArticleText, Summary, SummarySection

PUBLISHER = "Northwind AI"
TITLE = "Introducing Breeze 2"
TEXT = (
    "Today, we're releasing Breeze 2, our next coding model family, in two sizes: "
    "Breeze 2 (120B) and Breeze Small 2 (20B). Breeze 2 ships under a modified MIT license, "
    "while Breeze Small 2 uses Apache 2.0.\n\n"
    "This makes the small model free for commercial use. However, the large model carries a "
    "revenue cap for companies above 20 million dollars a month.\n\n"
    "We are also introducing Gust, a command-line tool that runs Breeze 2 on a laptop. "
    "Gust is available as an extension in popular code editors.\n\n"
    "Breeze 2 scores 70.1% on a public software engineering benchmark, ahead of models five "
    "times its size. Banks in Spain and Portugal already test the model for code review, "
    "and the API price is two dollars per million output tokens.\n\n"
    "The European Commission asked model providers to publish a summary of their training "
    "data under the AI Act. Northwind AI published the summary for Breeze 2 on its website.\n\n"
    "Independent testers showed that a crafted prompt can make Gust run shell commands "
    "without asking. A fix ships in the next release of Gust.\n\n"
    "Join us at the launch stream on Thursday to see Gust in action."
)
EVENTS = [
    {
        "kind": "release",
        "actor": PUBLISHER,
        "model": "Breeze 2",
        "subject_kind": "model",
        "from_license": None,
        "to_license": "LicenseRef-Modified-MIT",
        "evidence": "Breeze 2 ships under a modified MIT license, while Breeze Small 2 uses "
        "Apache 2.0.",
    },
    {
        "kind": "release",
        "actor": PUBLISHER,
        "model": "Breeze Small 2",
        "subject_kind": "model",
        "from_license": None,
        "to_license": "Apache-2.0",
        "evidence": "Breeze 2 ships under a modified MIT license, while Breeze Small 2 uses "
        "Apache 2.0.",
    },
]
CLASSIFICATION = {
    "actors": [
        {"name": PUBLISHER, "type": "model_maker", "role": "subject", "evidence": TEXT[:40]},
        {"name": "European Commission", "type": "unknown", "role": "mentioned", "evidence": ""},
    ],
    "license_events": EVENTS,
    "risk_themes": [
        {
            "theme": "security",
            "score": 0.8,
            "evidence": "Independent testers showed that a crafted prompt can make Gust run "
            "shell commands without asking.",
        }
    ],
}


def _texts(text: str = TEXT, title: str = TITLE) -> list[ArticleText]:
    return [ArticleText(title, text, article_id=1, url="https://northwind.example/breeze-2")]


def _item(summary: Summary, title: str = TITLE, classification: dict | None = None) -> dict:
    found = classification or {}
    return {
        "id": "s-1",
        "title": title,
        "at_a_glance": summary.at_a_glance,
        "sections": [{"heading": s.heading, "text": s.text} for s in summary.sections],
        "actors": found.get("actors", []),
        "license_events": found.get("license_events", []),
        "risk_themes": found.get("risk_themes", []),
    }


def _paragraphs(summary: Summary) -> list[str]:
    return [summary.at_a_glance, *(s.text for s in summary.sections)]


# --- 1. at a glance states the facts in the third person -----------------------------------


def test_at_a_glance_of_a_license_story_states_who_released_which_model_under_which_license():
    summary = summarise_story(_texts(), CLASSIFICATION, PUBLISHER)
    assert summary.at_a_glance.startswith(
        "Northwind AI released Breeze 2 (120B) under the Modified MIT License and "
        "Breeze Small 2 (20B) under the Apache License 2.0."
    )
    assert "LicenseRef" not in summary.at_a_glance
    assert summary_problems(_item(summary, classification=CLASSIFICATION)) == []


def test_every_name_number_and_license_of_the_facts_sentence_is_traceable_to_the_evidence():
    sentence = facts_sentence(CLASSIFICATION, _texts())
    assert sentence is not None
    sources = " ".join([TEXT, *(e["evidence"] for e in EVENTS)])
    for number in re.findall(r"\d+(?:\.\d+)?", sentence):
        assert number in sources
    for event in EVENTS:
        assert event["model"] in sentence and event["actor"] in sentence
        assert license_phrase(event["to_license"]) in sentence


def test_relicense_is_stated_from_the_old_license_to_the_new_one():
    event = dict(
        EVENTS[1], kind="relicense", from_license="CC-BY-NC-4.0", evidence="Breeze Small 2 "
    )
    sentence = facts_sentence({"license_events": [event]})
    assert sentence == (
        "Northwind AI moved Breeze Small 2 from the Creative Commons Attribution Non "
        "Commercial 4.0 International to the Apache License 2.0."
    )


def test_readable_license_names_come_from_the_license_table():
    assert license_phrase("Apache-2.0") == "the Apache License 2.0"
    assert license_phrase("LicenseRef-Non-Commercial") == "a non-commercial license"
    assert license_phrase("LicenseRef-Modified-MIT") == "the Modified MIT License"


def test_at_a_glance_never_repeats_the_title():
    text = (
        "Breeze 2 is out now for everyone.\n\n"
        "Northwind AI released Breeze 2, a coding model that runs on one graphics card. "
        "The model writes, reviews and explains code in twelve languages."
    )
    summary = summarise_story(_texts(text, "Breeze 2 is out now for everyone"))
    assert "Breeze 2 is out now for everyone" not in summary.at_a_glance
    assert summary.at_a_glance.startswith("Northwind AI released Breeze 2")


def test_at_a_glance_of_a_subjects_own_post_names_the_subject():
    text = (
        "The new release makes code review twice as fast for large teams. Reviews that took an "
        "hour now take thirty minutes on the same hardware.\n\n"
        "The model was trained on permissively licensed code only."
    )
    classification = {
        "actors": [{"name": PUBLISHER, "type": "model_maker", "role": "subject", "evidence": ""}]
    }
    summary = summarise_story(_texts(text, "Faster reviews"), classification, PUBLISHER)
    assert summary.at_a_glance.startswith(
        "Northwind AI says that the new release makes code review twice as fast"
    )
    assert "glance_facts" not in problem_checks(
        summary_problems(_item(summary, "Faster reviews", classification))
    )


# --- 2. paraphrase rules of the extractive default -------------------------------------------


def test_a_first_person_statement_is_reported_in_the_third_person_grammatically():
    cases = {
        "We are releasing Breeze 2 today.": "Northwind AI says it is releasing Breeze 2 today.",
        "Today, we're releasing Breeze 2.": "Northwind AI says that today, it is releasing "
        "Breeze 2.",
        "Our new model ships under Apache 2.0.": "Northwind AI says its new model ships under "
        "Apache 2.0.",
        "We release the weights on Monday.": "Northwind AI says it releases the weights on Monday.",
        "We also trained Gust on our own data.": "Northwind AI says it also trained Gust on "
        "its own data.",
        "We've partnered with two banks.": "Northwind AI says it has partnered with two banks.",
    }
    for sentence, expected in cases.items():
        assert third_person(sentence, PUBLISHER) == expected


def test_a_first_person_sentence_that_cannot_be_rewritten_safely_is_refused():
    for sentence in (
        "Join us at the launch stream on Thursday.",
        "I think we got the pricing right.",
        "Why did we build Gust?",
        "We gladly welcome feedback.",
    ):
        assert third_person(sentence, PUBLISHER) is None


def test_no_first_person_pronoun_outside_quotation_marks_in_any_summary_text():
    with_publisher = summarise_story(_texts(), CLASSIFICATION, PUBLISHER)
    without = summarise_story(_texts(), CLASSIFICATION)  # no publisher: first person is dropped
    for summary in (with_publisher, without):
        for paragraph in _paragraphs(summary):
            assert first_person(paragraph) == [], paragraph
    # what cannot be rewritten is quoted whole, with attribution, or left out
    joined = " ".join(_paragraphs(with_publisher))
    assert "Join us" not in joined or "Northwind AI writes: “Join us" in joined
    assert first_person("She said “we will ship it” on Monday.") == []
    assert first_person("We will ship it.") == ["We"]
    assert first_person("The US market and the U.S. courts.") == []


def test_a_publisher_statement_is_attributed_to_the_publisher():
    summary = summarise_story(_texts(), CLASSIFICATION, PUBLISHER)
    text = " ".join(_paragraphs(summary))
    assert "Northwind AI says it is also introducing Gust" in text


def test_no_sentence_twice_in_one_item():
    copy = ArticleText("Breeze 2 lands", TEXT, article_id=2, url="https://news.example/b")
    summary = summarise_story([*_texts(), copy], CLASSIFICATION, PUBLISHER)
    sentences = [
        " ".join(p[a:b].split()).casefold()
        for p in _paragraphs(summary)
        for a, b in split_sentences(p)
    ]
    assert len(sentences) == len(set(sentences))
    repeated = {
        "title": "T",
        "at_a_glance": "Breeze 2 is out now.",
        "sections": [{"heading": "What's new.", "text": "Breeze 2 is out now. It is fast."}],
    }
    assert "repeated" in problem_checks(summary_problems(repeated))


def test_a_quotation_the_sentence_splitter_cuts_stays_whole():
    text = (
        "Northwind AI released Breeze 2 for code review on Monday.\n\n"
        "“We built Breeze for banks. It runs anywhere,” said Ana Ruiz, who leads the lab. "
        "The model costs nothing for research use."
    )
    summary = summarise_story(_texts(text, "Breeze 2"), None, PUBLISHER)
    for paragraph in _paragraphs(summary):
        assert paragraph.count("“") == paragraph.count("”"), paragraph
    unbalanced = {"title": "T", "at_a_glance": "“We built Breeze for banks.", "sections": []}
    assert "quotes" in problem_checks(summary_problems(unbalanced))


def test_no_paragraph_starts_with_a_connective_whose_antecedent_is_missing():
    summary = summarise_story(_texts(), CLASSIFICATION, PUBLISHER)
    for paragraph in _paragraphs(summary):
        assert not dangling_start(paragraph), paragraph
    for start in ("However, it", "This makes", "It runs", "Until then, the", "They said"):
        assert dangling_start(f"{start} something.")
    assert not dangling_start("This week, Northwind AI released Breeze 2.")
    assert not dangling_start("Items ship today.")


def test_a_heading_is_used_only_when_its_paragraph_is_about_it():
    assert heading_fits("Licensing.", "Breeze 2 ships under the Apache 2.0 license.")
    assert not heading_fits("Licensing.", "Breeze 2 is twice as fast as Breeze 1.")
    assert heading_fits("Regulation.", "The AI Act requires a training-data summary.")
    assert not heading_fits("Regulation.", "The Trust will select a successor in spring.")
    assert heading_fits("Who.", "Northwind AI leads the release.", ["Northwind AI"])
    summary = summarise_story(_texts(), CLASSIFICATION, PUBLISHER)
    sections = {s.heading: s.text for s in summary.sections}
    assert "Apache" in sections["Licensing."] or "license" in sections["Licensing."]
    for section in summary.sections:
        if section.heading:
            assert heading_fits(
                section.heading,
                section.text,
                [PUBLISHER, "European Commission"],
                [CLASSIFICATION["risk_themes"][0]["evidence"]],
            )


def test_license_evidence_without_a_license_term_gets_no_licensing_heading():
    evidence = "Gust is available as an extension in popular code editors."
    classification = {"license_events": [dict(EVENTS[0], evidence=evidence)]}
    summary = summarise_story(_texts(), classification, PUBLISHER)
    licensing = {s.heading: s.text for s in summary.sections}.get("Licensing.", "")
    assert evidence not in licensing


def test_the_intro_paragraph_is_the_first_section_with_an_empty_heading():
    summary = summarise_story(_texts(), CLASSIFICATION, PUBLISHER)
    assert summary.sections[0].heading == "" and summary.sections[0].text
    assert all(s.heading for s in summary.sections[1:])
    assert 2 <= sum(1 for s in summary.sections if s.heading) <= 4


def test_items_with_too_little_text_say_so_in_one_line_instead_of_inventing_sections():
    short = summarise_story(
        _texts("Northwind AI released Breeze 2.1 with faster code completion.", "v2.1")
    )
    assert short.at_a_glance.startswith("Northwind AI released Breeze 2.1")
    assert [s.text for s in short.sections if s.heading] == []
    assert short.sections[-1] == SummarySection("", SHORT_NOTE)
    empty = summarise_story(_texts("Download here", "v2.1"))
    assert empty.at_a_glance == SHORT_NOTE and empty.sections == ()
    for summary in (short, empty):
        assert summary_problems(_item(summary, "v2.1")) == []


def test_glued_headings_and_boilerplate_are_never_summary_text():
    text = (
        "Introduction Breeze 2 and Breeze Small 2 are two open-weight coding models from "
        "Northwind AI.\n\n"
        "Northwind AI released Breeze 2 for code review on Monday. The model runs on one "
        "graphics card and answers in under a second.\n\n"
        "Share this article"
    )
    summary = summarise_story(_texts(text, "Breeze 2"), None, PUBLISHER)
    joined = " ".join(_paragraphs(summary))
    assert "Introduction Breeze" not in joined and "Share this" not in joined
    glued = {"title": "T", "at_a_glance": "Introduction Breeze 2 is a model.", "sections": []}
    assert "glued" in problem_checks(summary_problems(glued))


def test_checks_report_each_problem_of_a_first_person_summary():
    item = {
        "title": "Introducing Breeze 2",
        "at_a_glance": "Introducing Breeze 2",
        "sections": [
            {"heading": "Regulation.", "text": "We will pick a successor in spring."},
            {"heading": "Risk.", "text": "This is not unreasonable at all."},
        ],
        "actors": [{"name": PUBLISHER, "role": "subject"}],
        "license_events": [],
    }
    checks = problem_checks(summary_problems(item))
    assert {"glance_title", "first_person", "heading", "dangling", "glance_facts"} <= checks


# --- renderers ---------------------------------------------------------------------------------


def test_renderers_show_a_section_with_an_empty_heading_as_a_plain_paragraph():
    digest = make_digest()
    item = dataclasses.replace(
        digest.items[0],
        sections=(
            SummarySection("", "Intro paragraph of the item."),
            SummarySection("Licensing.", "Breeze 2 ships under Apache 2.0."),
        ),
    )
    digest = dataclasses.replace(digest, items=(item, *digest.items[1:]))
    markdown = render_md(digest).decode()
    assert "\nIntro paragraph of the item.\n" in markdown and "****" not in markdown
    for html in (render_html(digest).decode(), render_atom(digest).decode()):
        assert "<strong></strong>" not in html and "&lt;strong&gt;&lt;/strong&gt;" not in html
        assert re.search(r"<p>Intro paragraph of the item\.</p>|&lt;p&gt;Intro paragraph", html)
