"""Sentence spans shared by the classifiers (evidence) and the summariser."""

from __future__ import annotations

from classifiers.base import make_document


def _sentences(text: str) -> list[str]:
    doc = make_document(text)
    return [text[a:b] for a, b in doc.sentences]


def test_abbreviations_do_not_end_a_sentence():
    assert _sentences("The U.S. firm, e.g. Acme Inc. in Ohio, agreed. Next one.") == [
        "The U.S. firm, e.g. Acme Inc. in Ohio, agreed.",
        "Next one.",
    ]


def test_a_heading_line_is_its_own_sentence():
    text = "Poolside expands its Paris team\nPoolside is hiring researchers. More follows."
    assert _sentences(text) == [
        "Poolside expands its Paris team",
        "Poolside is hiring researchers.",
        "More follows.",
    ]


def test_a_wrapped_line_continuing_in_lower_case_stays_one_sentence():
    assert _sentences("The model was released\nunder the MIT license today.") == [
        "The model was released\nunder the MIT license today."
    ]


def test_blank_lines_and_list_items_are_boundaries():
    assert _sentences("Intro\n\nSecond para\n- item one\n- item two") == [
        "Intro",
        "Second para",
        "- item one",
        "- item two",
    ]
