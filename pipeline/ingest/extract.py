"""Article extraction: HTML page -> :class:`ExtractedPage`; feed entry + page -> :class:`Article`.

trafilatura finds the main text and metadata (tuned for precision, no network, no signal
based timeouts); py3langid names the language; :func:`is_teaser` flags truncated text; and
:func:`build_article` chooses the best available text for an entry::

    page text (real, not a teaser, not shorter than the feed's own content)   "page"
    else the feed's full content (content:encoded / atom:content)            "feed"
    else the longest teaser we have, usually the feed summary                "feed_summary"
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import functools
import hashlib
import importlib
import inspect
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lxml.html
import trafilatura
import trafilatura.core
from htmldate import find_date
from lxml import etree
from lxml.etree import strip_tags
from trafilatura.core import trafilatura_sequence
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
    normalize_authors,
)
from trafilatura.settings import Document, Extractor, use_config
from trafilatura.utils import trim
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from pipeline.errors import ExtractionError, NoExtractableText
from pipeline.ingest.parse import guess_legacy_encoding
from pipeline.ingest.urls import canonical_url
from pipeline.records import Article, ExtractedPage, FeedEntry, TextSource
from pipeline.text import BOMS as _BOMS
from pipeline.text import looks_binary

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = [
    "TEASER_MAX_WORDS",
    "build_article",
    "content_hash",
    "decode_html",
    "detect_language",
    "extract_page",
    "extract_target",
    "html_to_text",
    "is_teaser",
    "pending_article",
]

#: Texts shorter than this many words are teasers, not articles.
TEASER_MAX_WORDS = 120
#: A page whose text has fewer words than this is "nothing extracted".
MIN_PAGE_WORDS = 3
#: Language identification looks at this many characters at most.
LANGUAGE_PREFIX_CHARS = 1500
#: Fewer letters than this and the language is not guessed.
LANGUAGE_MIN_LETTERS = 20
#: Below this probability the guess counts as uncertain.
LANGUAGE_MIN_CONFIDENCE = 0.6
#: The page text may be this much shorter than the feed's full content and still win,
#: because extraction rightly drops captions and bylines that feeds keep.
PAGE_VS_FEED_RATIO = 0.9

_READ_MORE = re.compile(
    r"(?:read\s+more|continue\s+reading|keep\s+reading|read\s+the\s+(?:full|rest)[^.\n]{0,40}"
    r"|weiterlesen|mehr\s+lesen|lire\s+la\s+suite|leer\s+m[aá]s|continua\s+a\s+leggere"
    r"|\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*[\]\)»›>→.:!]*\s*$",
    re.IGNORECASE,
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_SNIFF_BYTES = 64 * 1024
_SITE_FROM_URL = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "head",
    "title",
    "meta",
    "link",
    "button",
    "select",
    "textarea",
)
# Elements whose content is never article text, removed before the extractor runs.
# (Not <noscript>: some pages put their article there for readers without scripts.)
_NEVER_TEXT = ("script", "style", "template", "svg", "iframe", "link", "meta")
_BLOCK_TAGS = frozenset(
    (
        *("address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl"),
        *("dt", "figcaption", "figure", "footer", "form", "header", "hr", "li", "main", "nav"),
        *("ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
    )
)

_config = use_config()
# trafilatura's own timeout uses signals (CLI only, but never in worker threads) and its
# downloads are never used: extraction works on bytes we fetched through the guarded path.
_config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
_config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "100")

# Comments and processing instructions are dropped while parsing, as trafilatura's own
# loader does: they are never text, and its extractor scores a comment-free tree better
# (measured on the scrapinghub benchmark, see docs/benchmarks.md).
_HTML_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)


def _html_class_lookup() -> etree.ElementNamespaceClassLookup:
    """lxml.html's element classes, chosen inside lxml rather than by its Python ``lookup``.

    ``lxml.html.HtmlElementClassLookup`` calls back into Python for every element the
    extractor touches (half a million calls on the scrapinghub pages, about 6% of Lumi's
    extraction time); a name-keyed namespace lookup over a default-class lookup gives every
    element, comment and entity the very same class without the callback.
    """
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    classes = lookup.get_namespace(None)
    for tag, cls in lxml.html.HtmlElementClassLookup._default_element_classes.items():
        classes[tag] = cls
    return lookup


_HTML_PARSER.set_element_class_lookup(_html_class_lookup())

_identifier: Any = None
_identifier_lock = threading.Lock()


# --- decoding ------------------------------------------------------------------------------


def _charset_param(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


# C0 control characters other than tab, newline and carriage return.
_C0_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_C0_BYTES = tuple(bytes((b,)) for b in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode an HTML page's bytes to text.

    Order: byte-order mark; UTF-8 when the bytes are valid UTF-8 (wrong declarations of
    ISO-8859-1 on UTF-8 pages are common); the HTTP ``charset``; a ``<meta charset>`` or
    ``http-equiv`` declaration anywhere in the first 64 KiB; a statistical guess
    (charset-normalizer, with Latin guesses read as windows-1252); windows-1252.

    Args:
        data: the raw body.
        content_type: the response ``Content-Type`` header, if known.

    Returns:
        The decoded text (undecodable bytes become U+FFFD).
    """
    return _decoded(data, content_type)[0]


def _decoded(data: bytes, content_type: str | None) -> tuple[str, str]:
    """:func:`decode_html`'s text and the codec that decoded it."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace"), name
    if not data.isascii():
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    meta = _META_CHARSET.search(data[:_SNIFF_BYTES])
    declared = _codec(_charset_param(content_type)) or _codec(
        meta.group(1).decode("ascii") if meta else None
    )
    # A page that declares UTF-8 but is not valid UTF-8 is mislabelled legacy text.
    if declared and declared != "utf-8":
        return data.decode(declared, "replace"), declared
    guess = guess_legacy_encoding(data) or "windows-1252"
    return data.decode(guess, "replace"), guess


@functools.cache
def _keeps_controls(codec: str) -> bool:
    """True when ``codec`` decodes bytes without C0 controls to text without them too:
    UTF-8, ASCII, Latin-1 and the byte-for-character tables (windows-1252, ISO 8859, KOI8,
    ...) that map no byte above 0x1F to a control (EBCDIC tables do)."""
    with contextlib.suppress(LookupError):
        codec = codecs.lookup(codec).name
    if codec in ("utf-8", "ascii", "iso8859-1"):
        return True
    try:
        module = importlib.import_module(f"encodings.{codec.replace('-', '_')}")
    except ImportError:
        return False
    table = getattr(module, "decoding_table", None)
    return isinstance(table, str) and len(table) == 256 and not _C0_CONTROLS.search(table[0x20:])


# --- language --------------------------------------------------------------------------


def _language_identifier() -> Any:
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def _primary(tag: str | None) -> str | None:
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """Identify the language of ``text`` (ISO 639-1 code such as ``en`` or ``de``).

    Looks at the first :data:`LANGUAGE_PREFIX_CHARS` characters with py3langid. A page's
    declared language (``hint``, e.g. ``<html lang>``) is used only when the text alone is
    not conclusive and the hint is the best or second-best candidate.

    Args:
        text: plain text.
        hint: a declared language tag (``de-DE`` counts as ``de``), or None.

    Returns:
        The language code, or None when the text is too short or the result uncertain.
    """
    prefix = text[:LANGUAGE_PREFIX_CHARS]
    if sum(map(str.isalpha, prefix)) < LANGUAGE_MIN_LETTERS:
        return None
    ranking = _language_identifier().rank(prefix)
    best, confidence = ranking[0]
    hinted = _primary(hint)
    if confidence >= LANGUAGE_MIN_CONFIDENCE and best not in ("und", "zxx"):
        return str(best)
    if hinted and hinted in (lang for lang, _ in ranking[:2]):
        return hinted
    return None


# --- teasers -----------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def _normalised(text: str) -> str:
    text = _READ_MORE.sub("", text.strip())
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def is_teaser(text: str, *, feed_summary: str | None = None) -> bool:
    """Return True when ``text`` is a teaser rather than a full article.

    The rule (a heuristic, on purpose simple and predictable): the text is a teaser when

    1. it has fewer than :data:`TEASER_MAX_WORDS` (120) words; or
    2. it ends with a "read more" marker: "Read more", "Continue reading", "Keep reading",
       "Read the full story", "Weiterlesen", "Lire la suite", "[...]", "[…]", "..." or "…"; or
    3. ``feed_summary`` is given and the text is essentially that summary: one contains
       the other after normalising case, punctuation and whitespace, and the text is at most
       25% (plus 15 words) longer than the summary.

    Args:
        text: plain text (not HTML).
        feed_summary: the entry's summary as plain text, when the caller has one that is
            distinct from the full content.
    """
    words = _words(text)
    if len(words) < TEASER_MAX_WORDS:
        return True
    if _READ_MORE.search(text.rstrip()[-80:]):
        return True
    if feed_summary:
        body, summary = _normalised(text), _normalised(feed_summary)
        if summary and (summary in body or body in summary):
            return len(body.split()) <= 1.25 * len(summary.split()) + 15
    return False


# --- HTML to text ----------------------------------------------------------------------


def html_to_text(html: str) -> str:
    """Convert an HTML fragment or document to plain text with lxml.

    Scripts, styles, templates, embedded objects and form controls are removed; block
    elements become line breaks; whitespace is collapsed within lines; empty lines go.
    Nothing is fetched and no entity is resolved from outside the text.

    Args:
        html: HTML (a fragment such as a feed's ``content:encoded``, or a whole page).

    Returns:
        The text, one paragraph per line ("" for empty or unparseable input).
    """
    if not html or not html.strip():
        return ""
    if "<" not in html and "&" not in html:
        return "\n".join(" ".join(line.split()) for line in html.splitlines() if line.strip())
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(root, *_DROP_TAGS, etree.Comment, etree.PI, with_tail=False)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n" + (element.text or "")
    text = root.text_content()
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def content_hash(text: str) -> str:
    """SHA-256 hex digest of ``text`` with all whitespace runs collapsed to one space."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


# --- page extraction -------------------------------------------------------------------


def _page_language_hint(tree: Any) -> str | None:
    if tree is None:
        return None
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for meta in tree.iter("meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                lang = meta.get("content")
                break
    return lang


def _page_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _head_metadata(tree: Any, url: str | None) -> Document:
    """What the page declares about itself: meta tags, JSON-LD, canonical link and date.

    The same sources and order as trafilatura's own metadata step, without the categories,
    tags and licence Lumi never uses (those searches cost as much as the rest together).
    """
    document = examine_meta(tree)
    if document.author and " " not in document.author:
        document.author = None  # a bare handle, not a name
    # malformed JSON-LD is the page's problem; the meta tags still count
    with contextlib.suppress(Exception):
        document = extract_meta_json(tree, document)
    document.url = document.url or extract_url(tree, url)
    document.date = find_date(tree, url=document.url, extensive_search=True, original_date=True)
    return document


def _local_discard_xpath() -> etree.XPath | None:
    """trafilatura's byline discard test (``AUTHOR_DISCARD_XPATHS``) as a test of one
    element, or None when its expressions are not of the two shapes rewritten here."""
    if len(AUTHOR_DISCARD_XPATHS) != 2:
        return None
    first, second = (" ".join(x.path.split()) for x in AUTHOR_DISCARD_XPATHS)
    if not first.startswith(".//*[") or second != "//time|//figure":
        return None
    return etree.XPath(
        f"self::*[{first[len('.//*[') :]}|self::time|self::figure",
        namespaces={"re": "http://exslt.org/regular-expressions"},
    )


_DISCARDED = _local_discard_xpath()


class _Bylines:
    """trafilatura's byline expressions (``AUTHOR_XPATHS``, ``AUTHOR_DISCARD_XPATHS``) as
    Python tests of one element.

    libxml2 evaluates each expression's predicate for every element of the page, and each
    of its ``re:test`` calls goes back into Python's ``re`` anyway; a walk over the
    elements that reads the same attributes and runs the same regular expressions finds
    the same elements, in the same (document) order, in about a third of the time. Used
    only while trafilatura's expressions are the ones these tests were written from (a
    digest of their text); otherwise :func:`_author` evaluates trafilatura's own.
    """

    DIGEST = "2af94d4a6e04e948df241a9e68388d224ac8a86fb3169fc4e07dad1dbf4e0ce7"

    def __init__(self) -> None:
        expressions = (*AUTHOR_XPATHS, *AUTHOR_DISCARD_XPATHS)
        source = "\n".join(" ".join(x.path.split()) for x in expressions)
        self.active = hashlib.sha256(source.encode()).hexdigest() == self.DIGEST
        if not self.active:
            return
        # the expressions' regular expressions, in the order they appear in the source
        found = re.findall(r"re:test\(@(?:id|class), '([^']*)'\)", source)
        patterns = [re.compile(p) for p in found]
        (
            self.class_0,
            self.id_1,
            self.class_1,
            self.id_2,
            self.class_2,
            self.discard_id,
            self.discard_class,
        ) = patterns

    #: The element names each of ``AUTHOR_XPATHS`` can select (None: any element).
    TAGS = (
        ("a", "address", "div", "link", "p", "span", "strong", "author"),
        ("a", "div", "h3", "h4", "p", "span"),
        None,
    )

    def candidates(self, tree: Any, rank: int) -> Any:
        """The elements ``AUTHOR_XPATHS[rank]`` selects on ``tree``, in document order."""
        test = (self._first, self._second, self._last)[rank]
        tags = self.TAGS[rank] or (etree.Element,)
        return (element for element in tree.iter(*tags) if test(element))

    def _first(self, element: Any) -> bool:
        if element.tag == "author":
            return True
        get = element.get
        return (
            get("rel") == "author"
            or get("id") == "author"
            or get("class") == "author"
            or get("itemprop") == "author name"
            or any(child.tag == "rel" and _string_value(child) == "me" for child in element)
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or self.class_0.search(get("class") or "") is not None
        )

    def _second(self, element: Any) -> bool:
        get = element.get
        css = get("class") or ""
        return (
            css in ("byline", "username", "byl", "BBL")
            or "author" in (get("itemprop") or "")
            or self.id_1.search(get("id") or "") is not None
            or self.class_1.search(css) is not None
        )

    def _last(self, element: Any) -> bool:
        get = element.get
        return (
            "Byline" in (get("data-component") or "")
            or "author" in (get("itemprop") or "")
            or self.id_2.search(get("id") or "") is not None
            or self.class_2.search(get("class") or "") is not None
        )

    def discarded(self, element: Any) -> bool:
        """True when ``element`` is one ``AUTHOR_DISCARD_XPATHS`` deletes."""
        tag = element.tag
        if tag in ("time", "figure"):
            return True
        if tag not in ("a", "div", "section", "span"):
            return False
        get = element.get
        ident, css = get("id") or "", get("class") or ""
        return (
            ident == "comments"
            or css in ("comments", "title", "date")
            or self.discard_id.search(ident) is not None
            or self.discard_class.search(css) is not None
            or "Figure" in (get("data-component") or "")
        )

    def holds_discarded(self, element: Any) -> bool:
        """True when a descendant of ``element`` is one ``AUTHOR_DISCARD_XPATHS`` deletes."""
        return any(self.discarded(d) for d in element.iterdescendants(etree.Element))


def _string_value(element: Any) -> str:
    return "".join(element.itertext())


_BYLINES = _Bylines()


def _author(tree: Any) -> str | None:
    """The byline trafilatura's ``extract_author`` finds, without its copy of the page.

    trafilatura deep-copies the whole tree, deletes comment blocks, dates, figures and the
    like from the copy (``AUTHOR_DISCARD_XPATHS``), then takes the first byline candidate
    (``AUTHOR_XPATHS``) with 3 to 119 characters of text. The same answer costs about a
    quarter less read off the page itself: a candidate counts unless it or an ancestor is
    one of the discarded elements, and only a candidate that holds discarded elements is
    copied (just that element) to delete them before its text is read. The expressions
    are evaluated as Python tests of each element (:class:`_Bylines`) while they are the
    ones those tests mirror.
    """
    if _DISCARDED is None:
        return extract_author(tree)
    if _BYLINES.active:
        groups = (_BYLINES.candidates(tree, rank) for rank in range(len(AUTHOR_XPATHS)))
        discarded, holds_discarded = _BYLINES.discarded, _BYLINES.holds_discarded
    else:
        groups = (expression(tree) for expression in AUTHOR_XPATHS)
        discarded = _DISCARDED
        holds_discarded = _holds_discarded_by_xpath
    for group in groups:
        for element in group:
            if any(discarded(a) for a in _ancestors_or_self(element, tree)):
                continue
            if holds_discarded(element):
                element = copy.deepcopy(element)
                element.tail = None
                prune_unwanted_nodes(element, AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(element.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def _holds_discarded_by_xpath(element: Any) -> bool:
    return bool(
        AUTHOR_DISCARD_XPATHS[0](element)
        or next(element.iterdescendants("time", "figure"), None) is not None
    )


def _ancestors_or_self(element: Any, root: Any) -> list[Any]:
    # The root never counts: trafilatura's discard expressions start below it.
    found = [] if element is root else [element]
    found.extend(a for a in element.iterancestors() if a is not root)
    return found


def _body_metadata(tree: Any, document: Document) -> Document:
    """Title, author and site name the page's declarations left open, from its headings,
    bylines and ``<title>``; then trafilatura's clean-up of every field."""
    document.title = document.title or extract_title(tree)
    document.author = document.author or _author(tree)
    document.sitename = document.sitename or extract_sitename(tree)
    if document.sitename:
        document.sitename = document.sitename.lstrip("@")
        if "." not in document.sitename and not document.sitename[:1].isupper():
            document.sitename = document.sitename.title()
    elif document.url and (match := _SITE_FROM_URL.match(document.url)):
        document.sitename = match[1]
    document.clean_and_trim()
    return document


class _Sequence:
    """trafilatura's extraction of a page's main text from a tree, without its copy of the
    tree.

    ``bare_extraction`` deep-copies a tree it is given before pruning it, so that the
    caller's tree stays whole. The passes here work on the page's own tree instead (the copy
    costs about 2% of the extraction): it runs the same sequence with the same options
    and the same size checks, and serialises the result the same way. Used only while a
    digest of the source of ``bare_extraction`` and of the sequence it runs is the one this
    was written from; otherwise ``bare_extraction`` runs as it is.
    """

    DIGEST = "7177072f6851564721a4243134cb4eb51d9e293c9be05822372f39273f75f003"

    def __init__(self) -> None:
        try:
            source = inspect.getsource(trafilatura.core.bare_extraction) + inspect.getsource(
                trafilatura_sequence
            )
        except (OSError, TypeError):
            source = ""
        self.active = hashlib.sha256(source.encode()).hexdigest() == self.DIGEST

    @staticmethod
    def options(url: str | None, *, favor_precision: bool) -> Extractor:
        """The options ``bare_extraction`` builds from ``_BARE_ARGUMENTS`` and these."""
        return Extractor(
            config=_config,
            output_format="python",
            fast=False,
            precision=favor_precision,
            recall=False,
            comments=False,
            formatting=None,
            links=False,
            images=False,
            tables=True,
            dedup=False,
            lang=None,
            url=url,
            with_metadata=False,
            only_with_metadata=False,
            author_blacklist=None,
            url_blacklist=None,
            date_params=None,
        )

    def text(self, tree: Any, url: str | None, *, favor_precision: bool) -> str | None:
        """The main text of ``tree`` (which it prunes), or None when there is too little."""
        options = self.options(url, favor_precision=favor_precision)
        postbody, temp_text, _, temp_comments = trafilatura_sequence(tree, options, url)
        if options.max_tree_size and len(postbody) > options.max_tree_size:
            strip_tags(postbody, "hi")
            if len(postbody) > options.max_tree_size:
                return None
        if (
            len(temp_text) < options.min_output_size
            and len(temp_comments) < options.min_output_comm_size
        ):
            return None
        return str(xmltotxt(postbody, options.formatting))


_SEQUENCE = _Sequence()


# The arguments Lumi gives ``bare_extraction`` (beside the tree, URL and precision flag).
_BARE_ARGUMENTS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "with_metadata": False,
    "config": _config,
}


def _lines(text: str) -> str:
    """``text`` without blank lines, each line's whitespace normalised."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _main_text(tree: Any, url: str | None, *, favor_precision: bool) -> str:
    """The page's main text, lines whitespace-normalised.

    The extractor works on ``tree`` itself and leaves it pruned of what trafilatura removes
    before extracting (comment blocks and the like); a pruned tree gives the same text to a
    later pass, since every pass begins with the same prunes. While the installed
    trafilatura is not the one :class:`_Sequence` mirrors, ``bare_extraction`` runs on a
    copy of the tree instead.
    """
    if _SEQUENCE.active:
        text = _SEQUENCE.text(tree, url, favor_precision=favor_precision) or ""
    else:
        document = trafilatura.bare_extraction(
            tree, url=url, favor_precision=favor_precision, **_BARE_ARGUMENTS
        )
        text = getattr(document, "text", None) or ""
    return _lines(text)


def extract_page(
    html: bytes | str, url: str | None = None, *, content_type: str | None = None
) -> ExtractedPage:
    """Extract the main text and metadata of one HTML page (no network access).

    Args:
        html: the page, as raw bytes (decoded with :func:`decode_html`) or text.
        url: the page's final URL (helps metadata and is copied into the result).
        content_type: the response ``Content-Type`` header, for its ``charset``.

    Returns:
        The extracted page; ``is_teaser`` follows :func:`is_teaser` (without a summary).

    Raises:
        NoExtractableText: the input is empty or binary, or no article text was found.
    """
    if isinstance(html, bytes):
        if not html.strip():
            raise NoExtractableText("the page is empty", url=url)
        if looks_binary(html):
            raise NoExtractableText("the page is binary data, not HTML", url=url)
        text_html, codec = _decoded(html, content_type)
        # The control-character scan below reads the whole text; bytes without any decode
        # to text without any, which a scan of the bytes shows for a fraction of the cost
        # (one ``memchr`` per control byte: cheaper than a copy without them).
        controls = not (_keeps_controls(codec) and not any(c in html for c in _C0_BYTES))
    else:
        text_html = html
        controls = True
    if not text_html.strip():
        raise NoExtractableText("the page is empty", url=url)
    if text_html.count("\ufffd") > max(20, len(text_html) // 20):
        raise NoExtractableText("the page does not decode to text", url=url)
    # lxml refuses text that still carries an XML encoding declaration (XHTML pages).
    if declaration := _XML_DECLARATION.match(text_html):
        text_html = text_html[declaration.end() :]
    # C0 controls (ESC, BEL, ...) are not allowed in an lxml tree: one such character made
    # the extractor discard the whole page. They are never text, so they go before parsing.
    if controls:
        text_html = _C0_CONTROLS.sub("", text_html)
    try:
        # The one parse of the page: metadata and both extraction passes read this tree.
        tree = lxml.html.document_fromstring(text_html, parser=_HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise NoExtractableText(f"the page could not be parsed as HTML: {exc}", url=url) from exc

    # The declared metadata first: it reads the meta tags, links and JSON-LD scripts that
    # no text comes from; dropping those then spares the byline search and every pass of
    # the extractor the walk over them (roughly a tenth of its time, the same text).
    document = _head_metadata(tree, url)
    hint = _page_language_hint(tree) or document.language
    etree.strip_elements(tree, *_NEVER_TEXT, with_tail=False)
    document = _body_metadata(tree, document)
    text = _main_text(tree, url, favor_precision=True)
    if len(_words(text)) < TEASER_MAX_WORDS:
        # Precision mode sometimes keeps only a dateline of a page whose body it doubts;
        # the balanced mode then recovers the article. Keep whichever found more.
        fallback_text = _main_text(tree, url, favor_precision=False)
        if len(_words(fallback_text)) > len(_words(text)):
            text = fallback_text
    word_count = len(_words(text))
    if word_count < MIN_PAGE_WORDS:
        raise NoExtractableText(
            "no article text found on the page (try `lumi extract` to see what is kept)",
            url=url,
        )
    return ExtractedPage(
        url=url or _clean(getattr(document, "url", None)),
        title=_clean(getattr(document, "title", None)),
        author=_clean(getattr(document, "author", None)),
        date=_page_date(getattr(document, "date", None)),
        site_name=_clean(getattr(document, "sitename", None)),
        language=detect_language(text, hint=hint),
        text=text,
        is_teaser=is_teaser(text),
        word_count=word_count,
        description=_clean(getattr(document, "description", None)),
    )


def extract_target(target: str, settings: Settings) -> ExtractedPage:
    """Extract a page given as a local file path or an http(s) URL (``lumi extract``).

    URLs are fetched through the guarded fetcher (:func:`pipeline.ingest.fetch.fetch_url`), with
    the same address guard, deadline and size cap as ingestion.

    Args:
        target: a file path or an ``http://``/``https://`` URL.
        settings: the effective settings (used only for fetching).

    Raises:
        FetchError: the URL could not be fetched.
        ExtractionError: the file does not exist or cannot be read.
        NoExtractableText: nothing was extracted.
    """
    if re.match(r"https?://", target, re.IGNORECASE):
        from pipeline.ingest.fetch import fetch_url

        result = fetch_url(target, settings)
        return extract_page(
            result.body, result.final_url, content_type=result.headers.get("content-type")
        )
    path = Path(target)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(f"cannot read {target}: {exc.strerror or exc}") from exc
    return extract_page(data, None)


# --- article assembly ------------------------------------------------------------------


def build_article(entry: FeedEntry, page: ExtractedPage | None, *, fetched_at: datetime) -> Article:
    """Build the article for a feed entry, choosing the best text available.

    Precedence:

    1. ``"page"``: the extracted page text, when it is real: not a teaser (see
       :func:`is_teaser`, also against the feed summary) and at least
       :data:`PAGE_VS_FEED_RATIO` as long as the feed's own full content;
    2. ``"feed"``: the feed's full content (``content:encoded``/``atom:content``,
       converted to text) when it is not a teaser itself;
    3. ``"feed_summary"``: a feed without content whose summary is itself full text
       (many feeds carry the whole article in ``<description>``);
    4. otherwise the longest teaser available, flagged ``is_teaser=True``: normally the
       feed summary (``"feed_summary"``), else a short feed content (``"feed"``) or a
       teaser page (``"page"``).

    ``published_feed`` is the entry's published (else updated) time; ``published_extracted``
    the page's date. ``key`` is the canonical URL, else ``"<feed_id>:<dedupe_key>"``.

    Args:
        entry: the feed entry.
        page: the extracted page, or None when it was not fetched or failed.
        fetched_at: when the page (or the feed) was fetched.

    Raises:
        NoExtractableText: neither the page nor the feed holds any text.
    """
    feed_text = html_to_text(entry.content) if entry.content else ""
    summary_text = html_to_text(entry.summary) if entry.summary else ""
    # feedparser copies content into summary when a feed has no description; a summary
    # that *is* the content says nothing about teasers.
    distinct_summary = summary_text if summary_text and summary_text != feed_text else None

    text: str
    source: TextSource
    teaser = False
    feed_words = len(_words(feed_text))
    if (
        page is not None
        and not page.is_teaser
        and not is_teaser(page.text, feed_summary=distinct_summary)
        and len(_words(page.text)) >= PAGE_VS_FEED_RATIO * feed_words
    ):
        text, source = page.text, "page"
    elif feed_text and not is_teaser(feed_text, feed_summary=distinct_summary):
        text, source = feed_text, "feed"
    elif not feed_text and summary_text and not is_teaser(summary_text):
        # Many feeds carry the full article in <description>: full text, not a teaser.
        text, source = summary_text, "feed_summary"
    else:
        candidates: list[tuple[str, TextSource]] = [
            (summary_text, "feed_summary"),
            (feed_text, "feed"),
            (page.text if page is not None else "", "page"),
        ]
        text, source = max(candidates, key=lambda c: len(_words(c[0])))
        teaser = True
        if not text.strip():
            raise NoExtractableText(
                "neither the page nor the feed entry holds any text",
                url=entry.url,
                feed_id=entry.feed_id,
            )

    canonical = entry.canonical_url or (canonical_url(page.url) if page and page.url else None)
    hint = entry.language or (page.language if page else None)
    language: str | None
    if source == "page" and page is not None and page.language:
        language = page.language
    else:
        language = detect_language(text, hint=hint) or hint
    return Article(
        key=canonical or entry.own_key,
        url=entry.url or (page.url if page else None),
        canonical_url=canonical,
        title=entry.title or (page.title if page and page.title else ""),
        text=text,
        text_source=source,
        is_teaser=teaser,
        content_hash=content_hash(text),
        language=language,
        author=entry.author or (page.author if page else None),
        site_name=page.site_name if page else None,
        published_feed=entry.published or entry.updated,
        published_extracted=page.date if page else None,
        fetched_at=fetched_at,
        summary=summary_text,
    )


def pending_article(entry: FeedEntry, *, fetched_at: datetime) -> Article | None:
    """The placeholder article for an entry whose text has not arrived yet.

    Used when neither the feed entry nor its page holds any text (the page failed, or is
    not fetched): the entry is kept with its title, link and dates, marked
    ``pending_text``, and its page is retried later. The content hash is that of the empty
    text, so the article reads as changed once the text arrives.

    Returns:
        The article, or None when the entry has neither a title nor a link (nothing a
        reader could be shown or a later cycle could retry).
    """
    title = entry.title.strip()
    if not title and not entry.url:
        return None
    return Article(
        key=entry.canonical_url or entry.own_key,
        url=entry.url,
        canonical_url=entry.canonical_url,
        title=title,
        text="",
        text_source="none",
        is_teaser=False,
        content_hash=content_hash(""),
        language=entry.language,
        author=entry.author,
        site_name=None,
        published_feed=entry.published or entry.updated,
        published_extracted=None,
        fetched_at=fetched_at,
        pending_text=True,
    )
