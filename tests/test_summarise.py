"""The extractive summariser: verbatim sentences, the summary's shape, and stored once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from classifiers.base import split_sentences
from pipeline.ingest.extract import build_article
from pipeline.ingest.parse import parse_feed
from pipeline.publish.checks import summary_problems
from pipeline.publish.stories import assign_stories
from pipeline.publish.summaries import summarise_missing, summarise_stories, unsummarised
from pipeline.publish.summarise import SHORT_NOTE, facts_sentence, summarise_story, who_sentence
from pipeline.records import Article, ArticleText, FeedEntry, FeedSource, Summary
from pipeline.settings import load_settings
from pipeline.store import (
    SummaryRow,
    count_rows,
    insert_article,
    store_classification,
    sync_feeds,
)

TITLE = "Northwind AI releases Breeze-2 under Apache 2.0"
TEXT = (
    "Northwind AI released Breeze-2, a reasoning model with 24 billion parameters, on Monday. "
    "The model solves multi-step mathematics problems and explains each step in plain "
    "language.\n\n"
    "Breeze-2 ships under the Apache 2.0 license, replacing the research-only terms of the "
    "first Breeze. The weights can be downloaded from the company's model hub and run on a "
    "single GPU.\n\n"
    "Independent testers showed that a crafted prompt can make the model ignore its system "
    "instructions. Northwind AI said a fix is planned for the next minor version.\n\n"
    "The release puts pressure on larger labs, whose comparable models are sold only through "
    "paid cloud APIs. Banks in Germany and France already pilot the model for internal "
    "document review, the company said.\n\n"
    "Subscribe to our newsletter for more news like this."
)
SECOND_TITLE = "French lab's Breeze-2 goes open"
SECOND_TEXT = (
    "A French start-up made its new reasoning model freely available this week. Breeze-2 is "
    "small enough to run on one graphics card, which lowers the cost of running it in-house. "
    "Analysts expect rivals to respond with their own open releases."
)
INJECTION = (
    "Independent testers showed that a crafted prompt can make the model ignore its system "
    "instructions."
)
LICENSE = (
    "Breeze-2 ships under the Apache 2.0 license, replacing the research-only terms of the "
    "first Breeze."
)

CLASSIFICATION = {
    "actors": [{"name": "Northwind AI", "type": "model_maker", "evidence": TEXT.split("\n")[0]}],
    "license_events": [
        {
            "kind": "relicense",
            "actor": "Northwind AI",
            "model": "Breeze",
            "from_license": None,
            "to_license": "Apache-2.0",
            "evidence": LICENSE,
        }
    ],
    "risk_themes": [{"theme": "security", "score": 0.8, "evidence": INJECTION}],
}


def _texts() -> list[ArticleText]:
    return [ArticleText(TITLE, TEXT, article_id=1), ArticleText(SECOND_TITLE, SECOND_TEXT)]


def _norm(text: str) -> str:
    return " ".join(text.split())


def _output_sentences(summary: Summary) -> list[str]:
    parts = [summary.at_a_glance, *(s.text for s in summary.sections)]
    return [_norm(p[a:b]) for p in parts for a, b in split_sentences(p)]


def _assert_verbatim(
    summary: Summary, texts: list[ArticleText], classification: dict | None = None
) -> None:
    """Every sentence is a source sentence, the facts sentence of the license events, or
    the short-text note (these texts have no first-person statement to report)."""
    sources = [_norm(f"{t.title}\n{t.text}") for t in texts]
    facts = facts_sentence(classification, texts)
    allowed = [_norm(p[a:b]) for p in (facts or "", SHORT_NOTE) for a, b in split_sentences(p)]
    for sentence in _output_sentences(summary):
        assert sentence in allowed or any(sentence in source for source in sources), sentence


def test_every_output_sentence_is_a_source_sentence_or_the_facts_sentence():
    for classification in (None, CLASSIFICATION):
        summary = summarise_story(_texts(), classification)
        _assert_verbatim(summary, _texts(), classification)
    assert summarise_story(_texts(), None).ngram_overlap == 1.0


def test_at_a_glance_is_one_or_two_sentences_within_60_words_and_two_to_four_headed_sections():
    summary = summarise_story(_texts(), CLASSIFICATION)
    assert 1 <= len(split_sentences(summary.at_a_glance)) <= 2
    assert len(summary.at_a_glance.split()) <= 60
    headed = [s for s in summary.sections if s.heading]
    assert 2 <= len(headed) <= 4
    assert all(s.heading.endswith(".") and s.text for s in headed)
    assert summary.sections[0].heading == ""  # the intro paragraph
    assert summary.at_a_glance.startswith("Northwind AI moved Breeze to the Apache License 2.0.")
    plain = summarise_story(_texts(), None)
    assert plain.at_a_glance.startswith("Northwind AI released Breeze-2")


def test_classifier_evidence_goes_under_its_heading():
    plain = {s.heading: s.text for s in summarise_story(_texts(), None).sections}
    guided = {s.heading: s.text for s in summarise_story(_texts(), CLASSIFICATION).sections}
    # Nothing in the wording of the injection sentence says "risk": only the classifier does.
    assert INJECTION not in plain.get("Risk.", "")
    assert INJECTION in guided["Risk."]
    assert LICENSE in guided["Licensing."]


def test_boilerplate_sentences_are_never_selected():
    summary = summarise_story(_texts(), CLASSIFICATION)
    assert "newsletter" not in " ".join(_output_sentences(summary)).lower()


def test_summary_is_deterministic_and_labelled_extractive():
    first = summarise_story(_texts(), CLASSIFICATION)
    assert summarise_story(_texts(), CLASSIFICATION) == first
    assert first.method == "extractive" and first.model is None
    assert first.generator.startswith("Lumi ")
    assert first.content_hash != summarise_story(_texts(), None).content_hash


def test_sources_without_a_usable_sentence_say_so_in_one_line_instead_of_the_title():
    summary = summarise_story([ArticleText("Breeze-2 weights are out", "Download here")])
    assert summary.at_a_glance == SHORT_NOTE
    assert summary.sections == ()


AGGREGATED = (
    "The new terminal front-end runs several coding agents under one interface. "
    "It starts in under a second and keeps each agent's history in one place.\n\n"
    "Users can switch between agents without losing the conversation so far. "
    "The interface is written in Python and runs on Linux, macOS and Windows.\n\n"
    "Later this year the team wants to add plugins for editors and a web view. "
    "Configuration lives in one plain text file in the home directory.\n\n"
    "Themes change the colours of the panels and the size of the fonts. "
    "Keyboard shortcuts cover every action that the mouse can trigger.\n\n"
    "The changelog lists every release since the first public preview. "
    "Bug reports go to the issue tracker of the public repository.\n\n"
    "A small group of volunteers reviews the pull requests every week. "
    "Hugging Face hosts a copy of the documentation for readers offline."
)


def _subject(name: str, evidence: str, matched: tuple[str, ...] = ()) -> dict:
    actor = {"name": name, "type": "model_maker", "role": "subject", "evidence": evidence}
    return {"actors": [{**actor, "matched": list(matched)}], "license_events": []}


def test_at_a_glance_names_the_subject_actor_with_a_source_sentence_when_the_lead_does_not():
    texts = [ArticleText("Toad unifies coding agents", AGGREGATED)]
    evidence = "Hugging Face hosts a copy of the documentation for readers offline."
    summary = summarise_story(texts, _subject("Hugging Face", evidence))
    assert summary.at_a_glance.startswith("The new terminal front-end runs several")
    assert summary.at_a_glance.endswith(evidence)
    _assert_verbatim(summary, texts)
    item = {"title": texts[0].title, "at_a_glance": summary.at_a_glance, "sections": []}
    item["actors"] = _subject("Hugging Face", evidence)["actors"]
    assert not [p for p in summary_problems(item) if p.startswith("glance_facts")]


def test_without_a_source_sentence_naming_the_subject_at_a_glance_says_who_the_source_names():
    texts = [ArticleText("Toad unifies coding agents", AGGREGATED + " Built with Claude Code")]
    # the actor classifier found Anthropic only by its product, in a fragment
    classification = _subject("Anthropic", "Built with Claude Code", ("Claude Code", "Claude"))
    summary = summarise_story(texts, classification)
    assert summary.at_a_glance.startswith("The new terminal front-end runs several")
    assert summary.at_a_glance.endswith(" The source names Claude Code (Anthropic).")
    assert who_sentence(["OpenAI", "Anthropic"], sources=2) == (
        "The sources name OpenAI and Anthropic."
    )
    item = {"title": texts[0].title, "at_a_glance": summary.at_a_glance, "sections": []}
    item["actors"] = [{k: v for k, v in classification["actors"][0].items() if k != "matched"}]
    assert not [p for p in summary_problems(item) if p.startswith("glance_facts")]


def test_real_corpus_summaries_stay_verbatim_and_in_shape(shared_data: Path):
    feed = parse_feed(
        "mistral", (shared_data / "corpus/dev/feed_mistral_news.before-2026-03.xml").read_bytes()
    )
    fetched = datetime(2026, 3, 1, tzinfo=UTC)
    for entry in feed.entries[:8]:
        article = build_article(entry, None, fetched_at=fetched)
        texts = [ArticleText(article.title, article.text)]
        summary = summarise_story(texts)
        _assert_verbatim(summary, texts)  # without a publisher, no first person is reported
        assert len(summary.at_a_glance.split()) <= 60
        headed = [s for s in summary.sections if s.heading]
        assert 2 <= len(headed) <= 4 or summary.sections[-1].text == SHORT_NOTE, article.title


# --- stored summaries --------------------------------------------------------------------


def store_story(store, title: str = TITLE, text: str = TEXT) -> tuple[int, int]:
    """Store one article as one story; returns (story id, article id)."""
    when = datetime(2026, 5, 4, 9, tzinfo=UTC)
    article = Article(
        key="https://northwind.example/breeze-2",
        url="https://northwind.example/breeze-2",
        canonical_url="https://northwind.example/breeze-2",
        title=title,
        text=text,
        text_source="page",
        is_teaser=False,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        language="en",
        author=None,
        site_name="Northwind",
        published_feed=when,
        published_extracted=None,
        fetched_at=when + timedelta(hours=1),
    )
    entry = FeedEntry(
        "press",
        "url:breeze",
        None,
        article.url,
        article.canonical_url,
        title,
        "",
        "",
        None,
        when,
        None,
    )
    with store.session() as s:
        sync_feeds(s, [FeedSource("press", "https://northwind.example/feed", "Press", "en")])
    with store.session() as s:
        article_id, _, _ = insert_article(s, article, entry)
    [assignment] = assign_stories(store, [article_id])
    return assignment.story_id, article_id


def test_an_unchanged_story_is_summarised_once_and_a_reclassified_one_again(store):
    story_id, article_id = store_story(store)
    settings = load_settings(env={})
    first = summarise_stories(store, [story_id], settings)[story_id]
    again = summarise_stories(store, [story_id], settings)[story_id]
    assert again == first and first.created_at is not None
    assert first.fallback_reason is None and first.method == "extractive"
    with store.session() as s:
        assert count_rows(s, SummaryRow) == 1
    with store.session() as s:
        store_classification(
            s,
            article_id,
            "risk_themes",
            "v1",
            hashlib.sha256(TEXT.encode()).hexdigest(),
            CLASSIFICATION["risk_themes"],
        )
    guided = summarise_stories(store, [story_id], settings)[story_id]
    assert INJECTION in {s.heading: s.text for s in guided.sections}["Risk."]
    with store.session() as s:
        assert count_rows(s, SummaryRow) == 2


def test_summarise_missing_reports_the_stories_it_had_work_for(store):
    story_id, _ = store_story(store)
    settings = load_settings(env={})
    assert unsummarised(store, [story_id, 424242], settings) == [story_id]
    assert summarise_missing(store, [story_id, 424242], settings) == [story_id]
    assert unsummarised(store, [story_id], settings) == []
    assert summarise_missing(store, [story_id], settings) == []
    with store.session() as s:
        assert count_rows(s, SummaryRow) == 1


def test_unknown_story_ids_are_skipped(store):
    assert summarise_stories(store, [424242], load_settings(env={})) == {}
