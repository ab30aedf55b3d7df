"""Real pages of the shared data, parsed the way the extractor parses them."""

from __future__ import annotations

import gzip
from pathlib import Path

import lxml.html
from lxml import etree

from pipeline.ingest import extract as x


def page_tree(html: str | bytes) -> etree._Element:
    """``html`` decoded, parsed and stripped of never-text elements as ``extract_page`` does."""
    text = x.decode_html(html) if isinstance(html, bytes) else html
    if declaration := x._XML_DECLARATION.match(text):
        text = text[declaration.end() :]
    tree = lxml.html.document_fromstring(x._C0_CONTROLS.sub("", text), parser=x._HTML_PARSER)
    etree.strip_elements(tree, *x._NEVER_TEXT, with_tail=False)
    return tree


def shared_pages(shared_data: Path) -> list[bytes]:
    """The 181 scrapinghub pages, then the trafilatura evaluation pages."""
    extraction = shared_data / "extraction"
    scrapinghub = extraction / "scrapinghub-article-extraction-benchmark/html"
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(scrapinghub.glob("*.html.gz"))]
    pages += [p.read_bytes() for p in sorted(extraction.glob("trafilatura-eval/tests/*/*.html"))]
    return pages
