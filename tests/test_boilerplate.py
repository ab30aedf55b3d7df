"""Boilerplate removal: page and feed chrome never reaches the classifiers or the summaries.

The real examples come from the shared corpus, parsed with the serving parser
(``pipeline.corpus.load_corpus_file``), and from saved pages run through the serving
extractor. Where they are:

- ``corpus/dev/feed_hackernews.xml``: every item ends in "Comments on Hacker News"; the
  doubleword.ai item ends in "Cite this post" and a ``@misc{...}`` BibTeX block.
- ``corpus/dev/feed_hackernews_2025-12-26_3c192cf5.xml``: items whose description is only
  a "Comments" link; github.com/thu-ml/TurboDiffusion ("please cite:" and two BibTeX
  entries); gamingcouch.com (a "Select website language" menu); loreandordure.com and
  terriblesoftware.org ("Share this:" and "Click to share on X" bars); blog.google ("Share
  x.com Facebook LinkedIn Mail Copy link"); openculture.com (an author bio, "Sign up for
  Newsletter", "Getty Images"); cyata.ai (a "Written by" byline); hpcfactor.com (a cookie
  banner); wallpaper.com ("(Image credit: ...)" lines); spectrum.ieee.org ("Related
  Articles Around the Web").
- ``corpus/dev/feed_anthropic_research.xml``: research posts ending in "Citation" and an
  ``@online{...}`` block.
- ``extraction/trafilatura-eval/tests/cache/pcgamer.com.skyrim.html`` (newsletter
  sign-up), ``.../eval/statisticsglobe.com.ggplot2.html`` (YouTube cookie consent and a
  newsletter prompt), ``.../cache/salon.com.emissions.html`` (image credits),
  ``.../eval/bettycrocker.com.pineapple.html`` (an "All Rights Reserved" footer).

No third-party text is copied here: paragraphs are found in the data by short patterns and
compared with the data itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from classifiers.base import make_document, split_sentences
from classifiers.boilerplate import RULES_PATH, Stripped, load_rules, strip_boilerplate
from classifiers.errors import ClassifierNotConfigured

HN = "corpus/dev/feed_hackernews.xml"
HN_DEC = "corpus/dev/feed_hackernews_2025-12-26_3c192cf5.xml"
ANTHROPIC_RESEARCH = "corpus/dev/feed_anthropic_research.xml"
PAGES = "extraction/trafilatura-eval/tests"
HN_LINK = "Comments on Hacker News"


# --- helpers -----------------------------------------------------------------------------


def _items(shared: Path, rel: str) -> tuple[Any, ...]:
    from pipeline.corpus import load_corpus_file

    return load_corpus_file(shared, rel)


def _item(shared: Path, rel: str, entry_part: str) -> Any:
    found = [i for i in _items(shared, rel) if entry_part in i.entry]
    assert found, f"{rel}: no entry containing {entry_part!r}"
    return found[0]


def _text(item: Any) -> str:
    return "\n\n".join(item.paragraphs)


def _first_prose_sentence(paragraphs: tuple[str, ...] | list[str], min_words: int = 20) -> str:
    """The first sentence of the first paragraph that reads as prose (``min_words`` or more)."""
    para = next(p for p in paragraphs if len(p.split()) >= min_words)
    start, end = split_sentences(para)[0]
    return para[start:end].strip()


def _paragraphs(item: Any, pattern: str) -> list[str]:
    found = [p for p in item.paragraphs if re.search(pattern, p)]
    assert found, f"{item.entry}: no paragraph matches {pattern!r}"
    return found


def _removed_kinds(stripped: Stripped) -> set[str]:
    rules = {r.id: r.kind for r in load_rules().rules}
    return {rules[rule_id] for rule_id, _ in stripped.removed}


def _evidence(value: Any) -> list[str]:
    """Every ``evidence`` string in a classification report's JSON."""
    if isinstance(value, dict):
        out = [v for k, v in value.items() if k == "evidence" and isinstance(v, str)]
        for v in value.values():
            out.extend(_evidence(v))
        return out
    if isinstance(value, list):
        return [e for v in value for e in _evidence(v)]
    return []


# --- the real corpus ---------------------------------------------------------------------


def test_every_hacker_news_comments_link_is_removed_and_the_article_stays(shared_data):
    items = [i for i in _items(shared_data, HN) if i.paragraphs and i.paragraphs[-1] == HN_LINK]
    assert len(items) >= 40  # the feed's items all end in the link
    for item in items:
        stripped = strip_boilerplate(_text(item))
        assert HN_LINK not in stripped.text, item.entry
        assert ("hn_comments_link", HN_LINK) in stripped.removed
        prose = [p for p in item.paragraphs if len(p.split()) >= 20]
        if prose:
            assert _first_prose_sentence(item.paragraphs) in stripped.text, item.entry


def test_the_comments_link_also_goes_when_it_is_the_last_line_of_extracted_text(shared_data):
    item = _item(shared_data, HN, "doubleword.ai")
    line_per_paragraph = "\n".join(item.paragraphs)  # the shape extracted page text has
    stripped = strip_boilerplate(line_per_paragraph)
    assert HN_LINK not in stripped.text
    assert _first_prose_sentence(item.paragraphs) in stripped.text


def test_items_that_are_only_a_comments_link_become_empty(shared_data):
    only_link = [i for i in _items(shared_data, HN_DEC) if i.paragraphs == ("Comments",)]
    assert only_link
    for item in only_link:
        assert strip_boilerplate(_text(item)).text == ""


def test_cite_this_post_and_its_bibtex_block_are_removed(shared_data):
    item = _item(shared_data, HN, "doubleword.ai")
    bibtex = _paragraphs(item, r"^@misc\{")
    stripped = strip_boilerplate(_text(item))
    assert "Cite this post" not in stripped.text
    assert all(b not in stripped.text for b in bibtex)
    assert {rule for rule, _ in stripped.removed} >= {"cite_prompt", "bibtex_entry"}
    assert _first_prose_sentence(item.paragraphs) in stripped.text


def test_please_cite_prompt_and_bibtex_entries_of_a_readme_are_removed(shared_data):
    item = _item(shared_data, HN_DEC, "thu-ml/TurboDiffusion")
    prompt = _paragraphs(item, r"please cite:$")
    bibtex = _paragraphs(item, r"^@article\{")
    stripped = strip_boilerplate(_text(item))
    assert all(p not in stripped.text for p in prompt + bibtex)
    assert "@software{" not in stripped.text
    assert _first_prose_sentence(item.paragraphs) in stripped.text


@pytest.mark.parametrize("entry", ["how-canada-uses-claude", "claude-values-models-languages"])
def test_research_post_citation_blocks_are_removed(shared_data, entry):
    item = _item(shared_data, ANTHROPIC_RESEARCH, entry)
    bibtex = _paragraphs(item, r"^@online\{")
    stripped = strip_boilerplate(_text(item))
    assert all(b not in stripped.text for b in bibtex)
    assert "citation" in _removed_kinds(stripped)
    assert _first_prose_sentence(item.paragraphs) in stripped.text


def test_a_language_menu_is_removed(shared_data):
    item = _item(shared_data, HN_DEC, "gamingcouch.com")
    menus = _paragraphs(item, r"^Select website language")
    stripped = strip_boilerplate(_text(item))
    assert any(rule == "language_picker" for rule, _ in stripped.removed)
    # the menu that is nothing but language names goes; the one that runs into a button
    # label is kept, because rules only remove whole paragraphs or lines
    assert any(m not in stripped.text.split("\n\n") for m in menus)
    assert "Follow us on:" not in stripped.text
    kept = [p for p in item.paragraphs if p not in menus and p != "Follow us on:"]
    assert kept[0] in stripped.text


@pytest.mark.parametrize(
    "entry", ["loreandordure.com", "terriblesoftware.org", "blog.google", "catalinionescu.dev"]
)
def test_share_bars_are_removed(shared_data, entry):
    item = _item(shared_data, HN_DEC, entry)
    bars = _paragraphs(item, r"^(?:· )?(?:Share|Click to share on)\b")
    stripped = strip_boilerplate(_text(item))
    assert all(b not in stripped.text.split("\n\n") for b in bars)
    assert "share_bar" in _removed_kinds(stripped)
    assert _first_prose_sentence(item.paragraphs) in stripped.text


def test_an_author_bio_newsletter_prompt_and_photo_credit_are_removed(shared_data):
    item = _item(shared_data, HN_DEC, "openculture.com/2017/12/the-first-photographs")
    bio = _paragraphs(item, r"^\w+ \w+ is a writer and")
    stripped = strip_boilerplate(_text(item))
    assert all(b not in stripped.text for b in bio)
    assert {"author_bio", "newsletter", "image_credit"} <= _removed_kinds(stripped)
    assert "Sign up for Newsletter" not in stripped.text.split("\n\n")


def test_a_byline_and_reading_time_are_removed(shared_data):
    item = _item(shared_data, HN_DEC, "cyata.ai")
    byline = _paragraphs(item, r"^Written by ")
    stripped = strip_boilerplate(_text(item))
    assert all(b not in stripped.text for b in byline)
    assert "min read" not in stripped.text
    assert _first_prose_sentence(item.paragraphs, min_words=10) in stripped.text


def test_a_cookie_banner_is_removed(shared_data):
    item = _item(shared_data, HN_DEC, "hpcfactor.com")
    banner = _paragraphs(item, r"using cookies")
    stripped = strip_boilerplate(_text(item))
    assert all(b not in stripped.text for b in banner)
    assert "cookie" in _removed_kinds(stripped)


def test_image_credits_and_related_links_are_removed(shared_data):
    wallpaper = _item(shared_data, HN_DEC, "wallpaper.com")
    credits = [p for p in wallpaper.paragraphs if re.fullmatch(r"\(Image credit: [^)]+\)", p)]
    assert len(credits) >= 5
    stripped = strip_boilerplate(_text(wallpaper))
    assert all(c not in stripped.text.split("\n\n") for c in credits)
    spectrum = _item(shared_data, HN_DEC, "spectrum.ieee.org/ultrasound")
    stripped = strip_boilerplate(_text(spectrum))
    assert "Related Articles Around the Web" not in stripped.text
    assert "navigation" in _removed_kinds(stripped)


@pytest.mark.parametrize(
    ("page", "kinds"),
    [
        ("cache/pcgamer.com.skyrim.html", {"newsletter"}),
        ("eval/statisticsglobe.com.ggplot2.html", {"newsletter", "cookie"}),
        ("cache/salon.com.emissions.html", {"image_credit"}),
        ("eval/bettycrocker.com.pineapple.html", {"footer"}),
    ],
)
def test_extracted_pages_lose_their_chrome_and_keep_their_lead(shared_data, page, kinds):
    from pipeline.ingest.extract import extract_page

    path = shared_data / PAGES / page
    extracted = extract_page(path.read_bytes(), url="https://example.org/")
    stripped = strip_boilerplate(extracted.text, extracted.language)
    assert kinds <= _removed_kinds(stripped)
    for _, removed in stripped.removed:
        assert removed not in stripped.text.splitlines()
    lead = extracted.text.splitlines()[0]
    assert stripped.text.startswith(lead)


def test_real_prose_about_newsletters_subscriptions_and_cookies_survives(shared_data):
    cases = [
        (_item(shared_data, "corpus/dev/feed_arenamag.xml", "the-dorsey-thesis"), r"newsletter"),
        (_item(shared_data, "corpus/dev/feed_ai_research.xml", "grok-warp"), r"To subscribe"),
        (_item(shared_data, HN_DEC, "miguelgrinberg.com"), r"cookies"),
    ]
    for item, pattern in cases:
        prose = _paragraphs(item, pattern)
        stripped = strip_boilerplate(_text(item))
        for para in prose:
            assert para in stripped.text, (item.entry, para[:60])


def test_no_long_prose_paragraph_of_the_corpus_is_removed(shared_data):
    long_ok = {"bibtex_entry", "language_picker", "rights_reserved", "cookie_consent"}
    for path in sorted((shared_data / "corpus/dev").glob("*.xml")):
        for item in _items(shared_data, f"corpus/dev/{path.name}"):
            for rule, removed in strip_boilerplate(_text(item)).removed:
                assert len(removed) <= 160 or rule in long_ok, (item.entry, rule)


def test_classify_text_on_a_hacker_news_item_gives_no_boilerplate_evidence(shared_data):
    from classifiers.api import classify_text

    items = [i for i in _items(shared_data, HN) if len(i.paragraphs) > 3]
    assert items
    for item in items[:8]:
        report = classify_text(_text(item), title=item.title).to_json()
        assert all(HN_LINK not in e for e in _evidence(report)), item.entry


def test_an_item_that_is_only_a_comments_link_classifies_from_its_title(shared_data):
    from classifiers.api import classify_text
    from classifiers.relevance import NO_TOPIC

    item = next(i for i in _items(shared_data, HN_DEC) if i.paragraphs == ("Comments",))
    report = classify_text(_text(item), title=item.title).to_json()
    assert report["title"] == item.title
    # the relevance verdict on a title alone may cite no sentence at all
    assert all(e == item.title or e in item.title or e == NO_TOPIC for e in _evidence(report))


def test_document_sentences_never_hold_boilerplate(shared_data):
    for item in _items(shared_data, HN):
        doc = make_document(_text(item), title=item.title)
        assert HN_LINK not in doc.text
        for start, end in doc.sentences:
            assert HN_LINK not in doc.text[start:end]


def test_a_summary_of_hacker_news_items_holds_no_boilerplate(shared_data):
    from pipeline.publish.summarise import summarise_story
    from pipeline.records import ArticleText

    items = [i for i in _items(shared_data, HN) if len(i.paragraphs) > 3][:6]
    for item in items:
        summary = summarise_story([ArticleText(title=item.title, text="\n".join(item.paragraphs))])
        output = " ".join([summary.at_a_glance, *(s.text for s in summary.sections)])
        assert HN_LINK not in output
        assert output.strip()


# --- one unit test per rule kind, on text written here -----------------------------------

LEAD = (
    "Northwind AI released Breeze-2, an open-weight reasoning model, on Monday. The weights "
    "are published under the Apache 2.0 license."
)


@pytest.mark.parametrize(
    ("kind", "chrome"),
    [
        ("comments_link", "Comments on Hacker News"),
        ("comments_link", "12 Comments"),
        ("citation", "Please cite this work as"),
        ("citation", "Cite as:"),
        ("citation", "BibTeX citation"),
        ("language_picker", "English Español Français Deutsch 日本語"),
        ("language_picker", "Select language: English | Deutsch | Français | 中文"),
        ("newsletter", "Subscribe to our newsletter"),
        ("newsletter", "Sign up for the Breeze Weekly newsletter to get the news first."),
        ("newsletter", "Subscribe"),
        ("cookie", "We use cookies to improve your experience. Accept all to continue."),
        ("cookie", "Accept all cookies"),
        ("share_bar", "Share on X"),
        ("share_bar", "Copy link"),
        ("share_bar", "Share this article"),
        ("share_bar", "Share: Facebook | LinkedIn | Email"),
        ("author_bio", "About the author"),
        (
            "author_bio",
            "Jane Roe is a staff writer at Example Times, where she covers chips and AI.",
        ),
        ("author_bio", "Written by Jane Roe"),
        ("navigation", "Read more"),
        ("navigation", "Related posts"),
        ("navigation", "You may also like"),
        ("navigation", "Related: Northwind raises a new round"),
        ("footer", "© 2026 Example Media GmbH. All rights reserved."),
        ("footer", "Privacy Policy | Terms of Service | Contact"),
        ("image_credit", "(Image credit: Northwind AI)"),
        ("image_credit", "Photo: Jane Roe / Example Times"),
        ("image_credit", "Getty Images"),
    ],
)
def test_each_kind_of_boilerplate_paragraph_is_removed(kind, chrome):
    text = f"{LEAD}\n\n{chrome}\n\nThe company plans a larger model next year."
    stripped = strip_boilerplate(text)
    assert chrome not in stripped.text
    assert stripped.text == f"{LEAD}\n\nThe company plans a larger model next year."
    ((rule, removed),) = stripped.removed
    assert removed == chrome
    assert {r.id: r.kind for r in load_rules().rules}[rule] == kind


def test_the_reference_and_bibtex_block_after_please_cite_go_too():
    text = (
        f"{LEAD}\n\nPlease cite this work as\n\n"
        'Roe, J. and Doe, A., "Breeze-2: Open Reasoning", Northwind AI, 2026.\n\n'
        "BibTeX citation\n\n"
        "@article{roe2026breeze,\n  author = {Roe, Jane and Doe, Ann},\n"
        "  title = {Breeze-2: {Open} Reasoning},\n  year = {2026}\n}"
    )
    stripped = strip_boilerplate(text)
    assert stripped.text == LEAD
    assert [rule for rule, _ in stripped.removed] == [
        "cite_prompt",
        "cite_prompt",
        "citation_heading",
        "bibtex_entry",
    ]


def test_a_multi_line_bibtex_block_in_line_per_paragraph_text_is_removed_to_its_last_brace():
    text = f"{LEAD}\nCite as\n@misc{{x,\ntitle = {{A {{B}} c}},\nyear = {{2026}}\n}}\nAfter."
    stripped = strip_boilerplate(text)
    assert stripped.text == f"{LEAD}\nAfter."


def test_a_one_name_per_line_language_menu_is_removed_but_one_language_name_is_not():
    menu = "English\nDeutsch\nFrançais\n日本語"
    assert strip_boilerplate(f"{LEAD}\n{menu}").text == LEAD
    assert strip_boilerplate(f"{LEAD}\nDeutsch").text == f"{LEAD}\nDeutsch"


def test_a_comments_link_after_the_last_sentence_on_the_same_line_is_removed():
    stripped = strip_boilerplate(f"{LEAD} Comments on Hacker News")
    assert stripped.text == LEAD
    assert stripped.removed == (("hn_comments_link", "Comments on Hacker News"),)


def test_boilerplate_lines_inside_a_paragraph_are_removed_line_by_line():
    text = f"{LEAD}\nShare this article\nThe company plans a larger model next year."
    assert strip_boilerplate(text).text == f"{LEAD}\nThe company plans a larger model next year."


@pytest.mark.parametrize(
    "prose",
    [
        "Subscribe to the idea that open weights matter: Northwind says its newsletter "
        "readers asked for the release, and subscriptions to its API doubled in a month.",
        "The browser stores a session cookie, and the attacker can read it through the "
        "flaw. We use cookies in this demo only to show the attack.",
        "Share prices of chip makers rose after the release, and analysts said the model "
        "could copy the link between open weights and cheaper inference.",
        "Jane Roe is a staff writer at Example Times. She said the model had flaws, and "
        "Northwind said a fix is coming; the company declined further comment on Monday.",
        "English, Deutsch and Français are the three languages the model was tuned on.",
        "Credit Suisse analysts expect the release to lower inference prices.",
        "Comments on the proposed rules are due by March, the regulator said.",
        "Read more than a thousand pages of the filing and one thing is clear.",
    ],
)
def test_prose_that_mentions_boilerplate_words_survives(prose):
    text = f"{LEAD}\n\n{prose}"
    stripped = strip_boilerplate(text)
    assert stripped.text == text
    assert stripped.removed == ()


def test_a_text_without_boilerplate_is_returned_unchanged():
    text = f"  {LEAD}\n\n\n\nSecond paragraph.\r\n"
    assert strip_boilerplate(text) == Stripped(text, ())
    assert strip_boilerplate("") == Stripped("", ())


def test_rules_limited_to_a_language_apply_only_to_it():
    text = f"{LEAD}\n\nWeiterlesen"
    assert strip_boilerplate(text, "de").text == LEAD
    assert strip_boilerplate(text, "de-AT").text == LEAD
    assert strip_boilerplate(text, "en").text == text
    # an unknown language gets every rule
    assert strip_boilerplate(text).text == LEAD


def test_a_unit_a_language_rule_matches_first_is_still_removed_by_a_later_rule_for_all(tmp_path):
    path = tmp_path / "boilerplate.yaml"
    path.write_text(
        "rules:\n"
        "  - {id: de_share, kind: share, languages: [de], forms: [Teilen, Share this]}\n"
        "  - {id: share, kind: share, forms: [Share this]}\n",
        "utf-8",
    )
    rules = load_rules(path)
    text = f"{LEAD}\n\nShare this"
    assert strip_boilerplate(text, "de", rules).removed == (("de_share", "Share this"),)
    assert strip_boilerplate(text, "en", rules).removed == (("share", "Share this"),)
    assert strip_boilerplate(f"{LEAD}\n\nTeilen", "en", rules).removed == ()


def test_a_unit_too_long_for_the_first_matching_rule_goes_to_a_later_rule_that_allows_it(
    tmp_path,
):
    path = tmp_path / "boilerplate.yaml"
    path.write_text(
        "rules:\n"
        "  - {id: short_promo, kind: promo, pattern: 'buy now.*', max_chars: 12}\n"
        "  - {id: long_promo, kind: promo, pattern: 'buy now.*', max_chars: 60}\n",
        "utf-8",
    )
    rules = load_rules(path)
    short, long = "Buy now!", "Buy now and save on every plan this week"
    assert strip_boilerplate(f"{LEAD}\n\n{short}", rules=rules).removed == (("short_promo", short),)
    assert strip_boilerplate(f"{LEAD}\n\n{long}", rules=rules).removed == (("long_promo", long),)


def test_languages_without_rules_of_their_own_share_one_compiled_rule_set():
    rules = load_rules()
    assert rules.for_language("en") is rules.for_language("es") is rules.for_language("ja")
    assert rules.for_language("de") is not rules.for_language("en")


def test_make_document_offsets_are_those_of_the_stripped_text():
    doc = make_document(f"{LEAD}\n\nShare on X\n\nThe company plans a larger model next year.")
    assert "Share on X" not in doc.text
    sentences = [doc.text[s:e].strip() for s, e in doc.sentences]
    assert sentences[-1] == "The company plans a larger model next year."
    assert all("Share on X" not in s for s in sentences)


def test_a_summary_never_uses_a_bio_sentence():
    from pipeline.publish.summarise import summarise_story
    from pipeline.records import ArticleText

    bio = "Jane Roe is a staff writer at Example Times, where she covers chips and AI."
    text = f"{LEAD}\n\nThe company plans a larger model next year.\n\n{bio}"
    summary = summarise_story([ArticleText(title="Northwind releases Breeze-2", text=text)])
    output = " ".join([summary.at_a_glance, *(s.text for s in summary.sections)])
    assert "staff writer" not in output
    assert "Breeze-2" in output


# --- the rules file ----------------------------------------------------------------------


def test_the_shipped_rules_cover_every_required_kind():
    kinds = {r.kind for r in load_rules(RULES_PATH).rules}
    assert kinds >= {
        "comments_link",
        "citation",
        "language_picker",
        "newsletter",
        "cookie",
        "share_bar",
        "author_bio",
        "navigation",
        "footer",
        "image_credit",
    }
    assert all(r.comment for r in load_rules().rules)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rules: [", "not valid YAML"),
        ("other: []", "must have a 'rules' list"),
        ("rules: []", "is empty"),
        ("rules:\n  - kind: navigation\n    forms: [Home]\n", "'id'"),
        ("rules:\n  - id: x\n    kind: navigation\n", "exactly one of 'pattern' and 'forms'"),
        (
            "rules:\n  - id: x\n    kind: navigation\n    pattern: '(unclosed'\n",
            "rule 'x': 'pattern' is not a valid regular expression",
        ),
        ("rules:\n  - id: x\n    kind: navigation\n    pattern: '(?P<g>a)'\n", "named groups"),
        ("rules:\n  - id: x\n    kind: nav\n    forms: [A]\n    colour: red\n", "unknown keys"),
        ("rules:\n  - id: x\n    kind: nav\n    forms: [A]\n    max_chars: 0\n", "max_chars"),
        (
            "rules:\n  - {id: x, kind: nav, forms: [A]}\n  - {id: x, kind: nav, forms: [B]}\n",
            "used twice",
        ),
    ],
)
def test_a_malformed_rules_file_is_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "boilerplate.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ClassifierNotConfigured, match=re.escape(message)):
        load_rules(path)


def test_a_missing_rules_file_is_named(tmp_path):
    with pytest.raises(ClassifierNotConfigured, match="cannot be read"):
        load_rules(tmp_path / "missing.yaml")


def test_custom_rules_can_be_passed_in(tmp_path):
    path = tmp_path / "boilerplate.yaml"
    path.write_text("rules:\n  - {id: promo, kind: promo, forms: [Buy now]}\n", "utf-8")
    stripped = strip_boilerplate(f"{LEAD}\n\nBuy now", rules=load_rules(path))
    assert stripped == Stripped(LEAD, (("promo", "Buy now"),))
