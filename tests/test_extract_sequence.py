"""The extractor's passes on the page's own tree give trafilatura's own text."""

from __future__ import annotations

import copy

import pytest
import trafilatura
from lxml import etree
from pages import page_tree, shared_pages

from pipeline.ingest import extract as x


def _bare(tree: etree._Element, *, favor_precision: bool) -> str:
    # trafilatura's own bare_extraction, with Lumi's arguments (it works on a copy)
    document = trafilatura.bare_extraction(
        tree, favor_precision=favor_precision, **x._BARE_ARGUMENTS
    )
    return x._lines(getattr(document, "text", None) or "")


def test_the_tree_sequence_mirrors_the_installed_trafilatura():
    # Off (bare_extraction runs on a copy) when trafilatura changes either function.
    assert x._SEQUENCE.active


@pytest.mark.parametrize(
    "page",
    [
        b"<html><body><p>Too short.</p></body></html>",
        b"<html><body><div></div></body></html>",
        b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
    ],
)
def test_a_page_with_little_or_no_text_gives_what_trafilatura_gives(page):
    expected = _bare(page_tree(page), favor_precision=True)
    assert x._main_text(page_tree(page), None, favor_precision=True) == expected


@pytest.mark.parametrize("part", [0, 1, 2, 3])
def test_both_passes_on_the_pruned_page_give_trafilaturas_text(shared_data, part):
    for body in shared_pages(shared_data)[part::8]:
        tree = page_tree(body)
        fresh = copy.deepcopy(tree)
        assert x._main_text(tree, None, favor_precision=True) == _bare(fresh, favor_precision=True)
        # the balanced pass after the precision pass pruned the tree
        assert x._main_text(tree, None, favor_precision=False) == _bare(
            fresh, favor_precision=False
        )
