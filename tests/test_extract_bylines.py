"""The byline search reads the same elements as trafilatura's byline expressions."""

from __future__ import annotations

import pytest
from lxml import etree
from pages import page_tree, shared_pages
from trafilatura.metadata import extract_author
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from pipeline.ingest import extract as x

SYNTHETIC = """<html lang="en"><head><title>t</title></head><body>
<div class="comments-list"><span class="author">In comments</span></div>
<section id="comments-block"><a rel="author" href="/x">Comment Author</a></section>
<p id="author">Ada Lovelace</p><span class="author">Exact class</span>
<strong class="post-authorName">Camel name</strong><address class="AuthorName">Pascal</address>
<a itemprop="author name">Itemprop</a><div><rel>me</rel>Rel child</div>
<div><rel>you</rel>Other rel child</div>
<span data-testid="AuthorCard">Card</span><link data-testid="AuthorURL"/>
<h3 class="byline">Byline class</h3><h4 class="username">User</h4><p class="BBL">BBL</p>
<div id="post-zuozhe">Zuozhe</div><span class="x submitted-by y">Submitted</span>
<h2 class="journalist-name">Not a heading the second expression reads</h2>
<li data-component="TopByline">Any element</li><td id="leadAuthor">Lead</td>
<em class="writer">Writer</em><b class="Byline">B</b><i class="screenname">Screen</i>
<author>Author element</author>
<div class="sidebar"><span class="author-name">In sidebar</span></div>
<div class="Comments"><span class="author">Capital comments</span></div>
<span class="meta-date quote"><time>1 May</time></span>
<div class="byline"><time>2 May</time> Jane Doe <figure>photo</figure></div>
<a class="article-share" id="comments">Share</a><div data-component="Figure">Fig</div>
<div class="title" id="title"><p class="author-name">Titled</p></div>
<figure><span class="author">In a figure</span></figure>
</body></html>"""


def _assert_same_as_trafilatura(tree: etree._Element) -> None:
    for rank, expression in enumerate(AUTHOR_XPATHS):
        assert list(x._BYLINES.candidates(tree, rank)) == expression(tree), rank
    for element in tree.iter(etree.Element):
        assert x._BYLINES.discarded(element) == bool(x._DISCARDED(element))
        by_xpath = bool(AUTHOR_DISCARD_XPATHS[0](element)) or (
            next(element.iterdescendants("time", "figure"), None) is not None
        )
        assert x._BYLINES.holds_discarded(element) == by_xpath


def test_the_byline_tests_mirror_the_installed_trafilatura_expressions():
    # Off (trafilatura's own expressions are evaluated) when trafilatura changes them.
    assert x._BYLINES.active
    assert x._DISCARDED is not None


def test_every_byline_rule_selects_what_trafilatura_selects():
    tree = page_tree(SYNTHETIC)
    _assert_same_as_trafilatura(tree)
    found = [len(list(x._BYLINES.candidates(tree, rank))) for rank in range(3)]
    assert all(found), found


def test_the_byline_is_the_one_trafilatura_finds():
    tree = page_tree(SYNTHETIC)
    assert x._author(tree) == extract_author(tree) == "Ada Lovelace"
    # a byline holding a date and a photo is read without them
    tree = page_tree(
        '<html><body><div class="sidebar"><span class="byline">Side Bar</span></div>'
        '<div class="byline"><time>2 May</time> Jane Doe <figure>photo</figure></div>'
        "<p>text</p></body></html>"
    )
    assert x._author(tree) == extract_author(tree) == "Jane Doe"


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_the_byline_candidates_are_trafilaturas_on_real_pages(shared_data, rank):
    for body in shared_pages(shared_data)[rank::3]:
        tree = page_tree(body)
        _assert_same_as_trafilatura(tree)
        assert x._author(tree) == extract_author(tree)
