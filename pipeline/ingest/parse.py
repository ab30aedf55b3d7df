"""Feed parsing: bytes in, :class:`~pipeline.records.ParsedFeed` out.

RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF go through feedparser; JSON Feed 1.0/1.1 is read
here (the feedparser release we depend on has no JSON Feed support). feedparser only ever
sees the bytes we hand it, wrapped in a stream, so it never opens a URL or a file, and
documents that declare entities are refused before it runs (:class:`HostileXML`).

Outcomes::

    parse_feed(...) -> ParsedFeed                 entries mapped to FeedEntry
                     -> ParsedFeed(degraded=True)  ill-formed, but entries were recovered
    raises HostileXML     "parse_error"  entity declarations (XML bomb, XXE)
    raises NotAFeed       "not_a_feed"   HTML page, plain JSON, anything without a feed root
    raises FeedParseError "parse_error"  broken beyond recovery

Every entry gets its dedupe key once, here: ``guid:<id>``, else ``url:<canonical url>``,
else ``hash:<sha256(title + "\\n" + summary)>``.

Control characters (C0 but tab and newlines, DEL, C1: the makings of terminal escape
sequences) are dropped from every text field, percent-encoded in links and written as
``\\xNN`` in problem messages, so nothing a feed says can drive a terminal.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import html
import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin

import charset_normalizer
import feedparser
import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

from pipeline.errors import FeedParseError, HostileXML, NotAFeed
from pipeline.ingest.urls import canonical_url, url_fragment, with_fragment
from pipeline.records import FeedEntry, ParsedFeed
from pipeline.text import BOMS as _BOMS

__all__ = ["dedupe_key", "guess_legacy_encoding", "parse_feed"]

# A DOCTYPE followed (anywhere later) by an entity declaration. Entities are the only way to
# build an XML bomb or an XXE; no real feed needs them, so they are refused outright.
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_XML_DECL = re.compile(rb"^(\s*)(<\?xml[^>]*?>)")
_XML_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_JSONFEED_VERSION = "https://jsonfeed.org/version/"
_FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# XML media types whose charset default we take from the document, not from RFC 3023's
# "us-ascii" rule that no publisher follows.
_TEXT_XML_TYPES = ("text/xml", "text/xml-external-parsed-entity")
# C0 controls other than tab, newline and carriage return, DEL, and the C1 range: what
# terminal escape sequences are made of (ESC, CSI U+009B, OSC U+009D), and nothing the text
# of a feed needs.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SNIFF_BYTES = 4096
_GUESS_BYTES = 64 * 1024
_LATIN_CODECS = frozenset(
    codecs.lookup(name).name
    for name in (
        "ascii",
        "latin-1",
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "cp437",
        "cp775",
        "cp850",
        "cp852",
        "cp857",
        "cp858",
        "cp860",
        "cp861",
        "cp863",
        "cp865",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-9",
        "iso8859-10",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "mac-roman",
        "mac-latin2",
        "mac-iceland",
        "mac-turkish",
    )
)

_html_cleaner = Cleaner(
    scripts=True,
    javascript=True,
    style=True,
    forms=True,
    frames=True,
    embedded=True,
    meta=True,
    page_structure=False,
    safe_attrs_only=True,
)


def _scrub(text: str) -> str:
    """``text`` without control characters (see ``_CONTROLS``)."""
    return _CONTROLS.sub("", text)


def _escaped(text: str) -> str:
    """``text`` with control characters written as ``\\xNN``, for messages."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def dedupe_key(guid: str | None, canonical: str | None, title: str, summary: str) -> str:
    """Return an entry's dedupe key: GUID, else canonical URL, else a content hash.

    Args:
        guid: the entry's GUID/id, if any (blank counts as absent).
        canonical: the entry's canonical URL, if any.
        title: the entry title (used only for the hash).
        summary: the entry summary (used only for the hash).

    Returns:
        ``guid:<guid>``, ``url:<canonical url>`` or ``hash:<sha256 hex of title\\nsummary>``.
    """
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    if canonical:
        return f"url:{canonical}"
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return f"hash:{digest}"


def parse_feed(
    feed_id: str,
    body: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """Parse one feed document (RSS, Atom, RDF, CDF or JSON Feed) from its bytes.

    Nothing is fetched: ``url`` is only the base for relative links. Character encoding
    follows the BOM, then a body that is valid UTF-8 (a wrong declaration is common and
    harmless to ignore), then the HTTP charset, then the XML declaration, then feedparser's
    own fallbacks.

    Args:
        feed_id: the registry id of the feed, copied into every entry.
        body: the raw (already content-decoded) response body.
        url: the feed's final URL, used to resolve relative links.
        content_type: the response ``Content-Type``; used when ``headers`` has none, or
            when it names a charset (then it overrides the header).
        headers: response headers (any case); ``content-type``, ``content-location`` and
            ``content-language`` are used.

    Returns:
        The parsed feed; ``degraded``/``problem`` tell when it was ill-formed but usable.

    Raises:
        HostileXML: the document declares entities (entity-expansion bomb or XXE).
        NotAFeed: the document is an HTML page, a JSON document that is not a JSON Feed, or
            anything else without a feed root.
        FeedParseError: the document is too broken to recover a feed.
    """
    header_map = {k.lower(): v for k, v in (headers or {}).items()}
    # FetchResult.content_type drops the parameters; never let it hide the header's charset.
    if content_type and (_charset(content_type) or "content-type" not in header_map):
        header_map["content-type"] = content_type
    _refuse_hostile(body, header_map, feed_id=feed_id, url=url)

    stripped = _strip_bom(body).lstrip()
    media_type = header_map.get("content-type", "").split(";")[0].strip().lower()
    if stripped.startswith((b"{", b"[")) or media_type.endswith(("/json", "+json")):
        return _parse_json_feed(feed_id, body, url=url, media_type=media_type)
    return _parse_xml_feed(feed_id, body, url=url, header_map=header_map)


# --- hostile XML -------------------------------------------------------------------------


def _strip_bom(body: bytes) -> bytes:
    for bom, _ in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :]
    return body


def _declared_encodings(body: bytes, header_map: Mapping[str, str]) -> list[str]:
    found = []
    charset = _charset(header_map.get("content-type", ""))
    if charset:
        found.append(charset)
    decl = _XML_DECL.match(body[:_SNIFF_BYTES].replace(b"\x00", b""))
    if decl:
        enc = _XML_DECL_ENCODING.search(decl.group(2))
        if enc:
            found.append(enc.group(1).decode("ascii"))
    return found


def _scan_views(body: bytes, header_map: Mapping[str, str]) -> Iterable[bytes]:
    """The body as bytes in which ASCII markup is visible, whatever its encoding."""
    yield body
    head = body[:_SNIFF_BYTES]
    if b"\x00" in head:  # UTF-16/32 without a BOM: the ASCII markup survives NUL removal
        yield body.replace(b"\x00", b"")
    for bom, name in _BOMS:
        if body.startswith(bom) and name != "utf-8":
            yield body.decode(name, "replace").encode("utf-8")
            break
    for name in _declared_encodings(body, header_map):
        try:
            ascii_compatible = "<!ENTITY".encode(name) == b"<!ENTITY"
        except (LookupError, UnicodeError):
            continue
        if not ascii_compatible:  # UTF-7, EBCDIC...: look at the text the parser will see
            yield body.decode(name, "replace").encode("utf-8")


def _refuse_hostile(
    body: bytes, header_map: Mapping[str, str], *, feed_id: str, url: str | None
) -> None:
    for view in _scan_views(body, header_map):
        doctype = _DOCTYPE.search(view)
        if doctype and _ENTITY.search(view, doctype.start()):
            raise HostileXML(
                "the document declares XML entities in its DOCTYPE (possible entity-expansion "
                "bomb or external-entity attack) and was refused; feeds never need entity "
                "declarations, so ask the publisher to remove them",
                url=url,
                feed_id=feed_id,
            )


# --- XML feeds through feedparser ------------------------------------------------------


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def _with_charset(content_type: str, charset: str) -> str:
    media = content_type.split(";")[0].strip() or "application/xml"
    return f"{media}; charset={charset}"


def _is_valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _prepare_xml(body: bytes, header_map: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Normalise what feedparser sees: encoding hints, stray whitespace, headers."""
    data = body
    bom = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    content_type = header_map.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    is_text_xml = media in _TEXT_XML_TYPES or (media.startswith("text/") and media.endswith("+xml"))
    if is_text_xml and not _charset(content_type):
        content_type = "application/xml"
    if not content_type:
        # Same decoding rules as feedparser with no headers at all, and no "missing
        # Content-Type" complaint for callers that pass only a base URL.
        content_type = "application/xml"

    utf16_like = bom not in (None, "utf-8") or b"\x00" in data[:4]
    if not utf16_like:
        # Whitespace before the XML declaration makes the strict parser give up.
        raw = _strip_bom(data).lstrip()
        if not raw.isascii() and _is_valid_utf8(raw):
            # A body that decodes as UTF-8 is UTF-8: a legacy-encoded document with
            # non-ASCII bytes practically never is valid UTF-8, while feeds that are UTF-8
            # but declare ISO-8859-1 (in the prolog or the header) are common.
            content_type = _with_charset(content_type, "utf-8")
            data = _XML_DECL.sub(_utf8_declaration, raw, count=1)
        else:
            if bom is None and not _declared_encodings(raw, {"content-type": content_type}):
                guess = guess_legacy_encoding(raw)
                if guess:
                    content_type = _with_charset(content_type, guess)
            data = codecs.BOM_UTF8 + raw if bom == "utf-8" else raw
    prepared = {"content-type": content_type}
    for key in ("content-location", "content-language"):
        if header_map.get(key):
            prepared[key] = header_map[key]
    return data, prepared


def guess_legacy_encoding(raw: bytes) -> str | None:
    """Guess the encoding of a non-UTF-8 document that declares none (CJK, Cyrillic, ...).

    Args:
        raw: the document bytes (only the first 64 KiB are examined).

    Returns:
        A Python codec name, or None for pure ASCII or when nothing fits.

    Detectors confuse the Latin code pages with each other on short texts, while undeclared
    Western documents are overwhelmingly windows-1252, so any Latin guess becomes that.
    """
    if raw.isascii():
        return None
    best = charset_normalizer.from_bytes(raw[:_GUESS_BYTES]).best()
    if best is None:
        return None
    name = codecs.lookup(best.encoding).name
    return "windows-1252" if name in _LATIN_CODECS else name


def _utf8_declaration(match: re.Match[bytes]) -> bytes:
    return _XML_DECL_ENCODING.sub(b'encoding="utf-8"', match.group(2))


def _parse_xml_feed(
    feed_id: str, body: bytes, *, url: str | None, header_map: dict[str, str]
) -> ParsedFeed:
    data, response_headers = _prepare_xml(body, header_map)
    if url and "content-location" not in response_headers:
        response_headers["content-location"] = url
    elif url:
        response_headers["content-location"] = (
            canonical_url(response_headers["content-location"], url)
            or response_headers["content-location"]
        )
    # A stream, never a string: feedparser treats a string as a URL or a file name.
    result = feedparser.parse(
        io.BytesIO(data),
        response_headers=response_headers,
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    feed = result.get("feed", {})
    raw_entries = result.get("entries", [])
    version = result.get("version", "") or ""
    bozo = bool(result.get("bozo"))
    problem = _bozo_message(result.get("bozo_exception")) if bozo else None
    title = _plain(feed.get("title", ""), feed.get("title_detail"))

    if not raw_entries and not version:
        if _looks_like_html(body, header_map):
            raise NotAFeed(_html_message(body, url), url=url, feed_id=feed_id)
        if not _starts_like_markup(body):
            raise NotAFeed(
                "the document is neither XML nor JSON (it does not start with '<'), so it is "
                "not an RSS, Atom or JSON feed",
                url=url,
                feed_id=feed_id,
            )
        if bozo and not title and not _encoding_complaint(result.get("bozo_exception")):
            raise FeedParseError(
                f"the feed could not be parsed: {problem}", url=url, feed_id=feed_id
            )
        raise NotAFeed(
            "the document is not an RSS, Atom or JSON feed (no feed root element found)",
            url=url,
            feed_id=feed_id,
        )

    feed_language = _language(feed.get("language"))
    base = response_headers.get("content-location") or url
    entries = _distinguish_fragments(
        [
            _map_entry(feed_id, entry, base=base, feed_language=feed_language)
            for entry in raw_entries
        ]
    )
    return ParsedFeed(
        feed_id=feed_id,
        title=title,
        link=_absolute(feed.get("link"), base),
        language=feed_language,
        entries=entries,
        degraded=bozo,
        problem=problem,
        ttl_minutes=_ttl(feed.get("ttl")),
        format=version or "unknown",
    )


def _encoding_complaint(exc: object) -> bool:
    """True for feedparser's encoding/media-type notes, which say nothing about syntax."""
    return isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType)


def _bozo_message(exc: object) -> str:
    if exc is None:
        return "the document is ill-formed"
    # The text may quote the document or its headers (a declared charset, a media type).
    text = _escaped(str(exc).replace("<unknown>:", "line "))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _looks_like_html(body: bytes, header_map: Mapping[str, str]) -> bool:
    media = header_map.get("content-type", "").split(";")[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return True
    head = _strip_bom(body[:_SNIFF_BYTES]).replace(b"\x00", b"")
    return _HTML_SNIFF.search(head) is not None


def _starts_like_markup(body: bytes) -> bool:
    """True for an empty body or one whose first character is ``<`` (in any encoding)."""
    head = _strip_bom(body[:_SNIFF_BYTES]).replace(b"\x00", b"").lstrip()
    return not head or head.startswith(b"<")


def _html_message(body: bytes, url: str | None) -> str:
    message = "the document looks like an HTML page, not an RSS, Atom or JSON feed"
    links = _advertised_feeds(body, url)
    if links:
        message += "; the page advertises a feed at " + ", ".join(links[:3])
    return message + "; point the registry at the feed URL instead"


def _advertised_feeds(body: bytes, url: str | None) -> list[str]:
    """Feed URLs an HTML page announces with ``<link rel="alternate" type=...>``."""
    try:
        root = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        href = link.get("href")
        if "alternate" in rel and kind in _FEED_LINK_TYPES and href:
            absolute = canonical_url(href, url) if url else href.strip()
            if absolute and absolute not in found:
                found.append(absolute)
    return found


def _map_entry(
    feed_id: str, entry: dict[str, Any], *, base: str | None, feed_language: str | None
) -> FeedEntry:
    guid = _scrub(entry.get("id") or "").strip() or None
    link = _absolute(entry.get("link"), base)
    canonical = canonical_url(link) if link else None
    title = _plain(entry.get("title", ""), entry.get("title_detail"))
    summary = _scrub(entry.get("summary", "") or "")
    contents = [c for c in entry.get("content", []) if c.get("value")]
    # Several <content> elements (rare): the longest is the full text.
    content = _scrub(max((c["value"] for c in contents), key=len, default=""))
    details = [*contents, entry.get("summary_detail") or {}, entry.get("title_detail") or {}]
    language = next(
        (lang for d in details if (lang := _language(d.get("language")))), feed_language
    )
    return FeedEntry(
        feed_id=feed_id,
        dedupe_key=dedupe_key(guid, canonical, title, summary),
        guid=guid,
        url=link,
        canonical_url=canonical,
        title=title,
        summary=summary,
        content=content,
        author=_author(entry),
        # Plain dict access: feedparser's own lookup maps a missing "updated" to
        # "published" with a DeprecationWarning; we keep the two apart.
        published=_struct_time(dict.get(entry, "published_parsed")),
        updated=_struct_time(dict.get(entry, "updated_parsed")),
        language=language,
        tags=_tags(t.get("term") or t.get("label") for t in entry.get("tags", []) or []),
    )


def _distinguish_fragments(entries: list[FeedEntry]) -> tuple[FeedEntry, ...]:
    """Keep the fragment in the canonical URL of entries it tells apart.

    A changelog or a one-page newsletter links each entry to an anchor of one shared page
    (``CHANGELOG.md#0221``, ``CHANGELOG.md#0226``). Canonical URLs drop fragments, which
    would make such entries one article; when entries of one feed with different GUIDs
    share a canonical URL and their links differ only by fragment, the fragment stays.
    """
    groups: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        if entry.canonical_url and entry.guid:
            groups.setdefault(entry.canonical_url, []).append(index)
    result = list(entries)
    for canonical, members in groups.items():
        if len(members) < 2 or len({entries[i].guid for i in members}) < 2:
            continue
        for i in members:
            fragment = url_fragment(entries[i].url)
            if fragment and len({url_fragment(entries[j].url) for j in members}) > 1:
                result[i] = dataclasses.replace(
                    entries[i], canonical_url=with_fragment(canonical, fragment)
                )
    return tuple(result)


def _absolute(link: str | None, base: str | None) -> str | None:
    """The link resolved against ``base``; kept as is when it is not http(s).

    Control characters are percent-encoded: they are not valid in a URL, and a link is
    printed as often as it is fetched.
    """
    if not link or not link.strip():
        return None
    link = _CONTROLS.sub(lambda m: quote(m.group(), safe=""), link.strip())
    if base:
        try:
            return urljoin(base, link)
        except ValueError:
            return link
    return link


def _plain(value: str, detail: Mapping[str, Any] | None) -> str:
    value = _scrub(value or "")
    kind = (detail or {}).get("type", "text/plain")
    if kind in ("text/html", "application/xhtml+xml") and "<" in value:
        return _scrub(_html_text(value))  # character references decode to controls too
    return " ".join(value.split())


def _html_text(fragment: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(fragment.split())
    return " ".join(root.text_content().split())


def _author(entry: Mapping[str, Any]) -> str | None:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author") or ""
    if not name:
        authors = entry.get("authors") or []
        name = next((a.get("name") for a in authors if a.get("name")), "")
    name = " ".join(_scrub(str(name)).split())
    return name or None


def _struct_time(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _language(value: object) -> str | None:
    """The primary language subtag, lower-case (``en-US`` -> ``en``), or None."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _tags(values: Iterable[object]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and _scrub(value).strip():
            seen.setdefault(" ".join(_scrub(value).split()), None)
    return tuple(seen)


def _ttl(value: object) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if minutes > 0 else None


# --- JSON Feed --------------------------------------------------------------------------


def _parse_json_feed(feed_id: str, body: bytes, *, url: str | None, media_type: str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        if media_type.endswith(("/json", "+json")):
            raise FeedParseError(
                f"the JSON feed is not valid JSON: {exc}", url=url, feed_id=feed_id
            ) from exc
        raise NotAFeed(
            "the document is neither XML nor valid JSON", url=url, feed_id=feed_id
        ) from exc
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version.startswith(_JSONFEED_VERSION):
        raise NotAFeed(
            "the document is JSON but not a JSON Feed (no https://jsonfeed.org/version/ "
            "'version' member)",
            url=url,
            feed_id=feed_id,
        )
    base = _json_str(doc.get("feed_url")) or url
    feed_language = _language(doc.get("language"))
    items = doc.get("items")
    entries = _distinguish_fragments(
        [
            _map_json_item(feed_id, item, doc, base=base, feed_language=feed_language)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]
    )
    number = version.removeprefix(_JSONFEED_VERSION).replace(".", "")
    return ParsedFeed(
        feed_id=feed_id,
        title=" ".join(_scrub(html.unescape(_json_str(doc.get("title")))).split()),
        link=_absolute(_json_str(doc.get("home_page_url")) or None, base),
        language=feed_language,
        entries=entries,
        degraded=not isinstance(items, list),
        problem=None if isinstance(items, list) else "the JSON Feed has no 'items' list",
        format=f"json{number}",
    )


def _json_str(value: object) -> str:
    return _scrub(value).strip() if isinstance(value, str) else ""


def _json_author(item: Mapping[str, Any], doc: Mapping[str, Any]) -> str | None:
    for holder in (item, doc):
        authors = holder.get("authors")
        candidates = authors if isinstance(authors, list) else [holder.get("author")]
        for author in candidates:
            if isinstance(author, dict) and _json_str(author.get("name")):
                return " ".join(_json_str(author.get("name")).split())
    return None


def _json_date(value: object) -> datetime | None:
    text = _json_str(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _map_json_item(
    feed_id: str,
    item: Mapping[str, Any],
    doc: Mapping[str, Any],
    *,
    base: str | None,
    feed_language: str | None,
) -> FeedEntry:
    raw_id = item.get("id")
    # The spec says string, but numbers are common; normalise them to their text.
    raw_guid = _scrub(str(raw_id)).strip() if isinstance(raw_id, str | int) else ""
    guid = raw_guid or None
    link = _absolute(_json_str(item.get("url")) or _json_str(item.get("external_url")), base)
    canonical = canonical_url(link) if link else None
    title = " ".join(_scrub(html.unescape(_json_str(item.get("title")))).split())
    summary = _json_str(item.get("summary"))
    content_html = _json_str(item.get("content_html"))
    content = _clean_html(content_html) if content_html else _json_str(item.get("content_text"))
    tags = item.get("tags")
    return FeedEntry(
        feed_id=feed_id,
        dedupe_key=dedupe_key(guid, canonical, title, summary),
        guid=guid,
        url=link,
        canonical_url=canonical,
        title=title,
        summary=summary,
        content=content,
        author=_json_author(item, doc),
        published=_json_date(item.get("date_published")),
        updated=_json_date(item.get("date_modified")),
        language=_language(item.get("language")) or feed_language,
        tags=_tags(tags if isinstance(tags, list) else []),
    )


def _clean_html(fragment: str) -> str:
    """JSON Feed HTML is not sanitised by feedparser; strip scripts, handlers and frames."""
    try:
        return str(_html_cleaner.clean_html(fragment))
    except (etree.ParserError, ValueError):
        return ""
