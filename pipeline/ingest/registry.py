"""The feed registry: ``feeds.yaml`` loading and validation, OPML import and export.

Registry fields never hold control characters: ``feeds.yaml`` entries with them are
refused, and OPML labels are cleaned of them on import (an OPML URL with them is refused).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from pipeline.errors import FeedRegistryError
from pipeline.records import FeedSource

__all__ = [
    "append_to_registry",
    "dump_registry",
    "export_opml",
    "import_opml",
    "load_registry",
    "parse_registry",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_FIELDS = {"id", "url", "title", "language", "tags", "poll_minutes", "publisher"}
# C0 controls (tab, newline and carriage return included: none belongs in a one-line field),
# DEL and C1: the stuff of terminal escape sequences, which `lumi feeds` output would replay.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")

log = logging.getLogger("lumi.registry")


def _publisher(name: str, raw: Any) -> str | None:
    """The feed's publisher as a canonical actor name; an organisation the actor registry
    does not know is kept as written, with a warning."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise FeedRegistryError(
            "must be an organisation name (a name or alias of the actor registry)",
            entry=name,
            field="publisher",
        )
    publisher = " ".join(raw.split())
    from classifiers.actors import canonical_name

    canonical = canonical_name(publisher)
    if canonical is None:
        log.warning(
            "publisher %r is not in the actor registry; kept as an unknown organisation",
            publisher,
            extra={"stage": "registry", "feed_id": name},
        )
        return publisher
    return canonical


def _entry_name(index: int, raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        return repr(raw["id"])
    return f"#{index + 1}"


def _refuse_controls(value: Any, name: str, field: str) -> None:
    if isinstance(value, str) and _CONTROLS.search(value.strip()):
        raise FeedRegistryError(
            f"{value.strip()!r} contains control characters (such as a terminal escape "
            "sequence); remove them",
            entry=name,
            field=field,
        )


def _clean(text: str | None) -> str | None:
    """Imported text with control characters removed and whitespace collapsed."""
    if text is None:
        return None
    return " ".join(_CONTROLS.sub(" ", text).split())


def _validate_entry(index: int, raw: Any) -> FeedSource:
    name = _entry_name(index, raw)
    if not isinstance(raw, dict):
        raise FeedRegistryError("must be a mapping with id, url, title, language", entry=name)
    unknown = set(raw) - _FIELDS
    if unknown:
        raise FeedRegistryError(
            f"unknown field (allowed: {', '.join(sorted(_FIELDS))})",
            entry=name,
            field=sorted(unknown)[0],
        )
    for field in ("id", "url", "title", "language"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            raise FeedRegistryError(
                "is required and must be a non-empty string", entry=name, field=field
            )
    for field in ("id", "url", "title", "language", "publisher"):
        _refuse_controls(raw.get(field), name, field)
    feed_id = raw["id"].strip()
    if not _ID.match(feed_id):
        raise FeedRegistryError(
            "must be lower-case letters, digits, '.', '_' or '-' (max 100)", entry=name, field="id"
        )
    url = raw["url"].strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise FeedRegistryError(f"{url!r} is not an http(s) URL", entry=name, field="url")
    language = raw["language"].strip()
    if not _LANG.match(language):
        raise FeedRegistryError(
            f"{language!r} is not an ISO 639 code such as 'en' or 'de'",
            entry=name,
            field="language",
        )
    tags = raw.get("tags", [])
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise FeedRegistryError("must be a list of non-empty strings", entry=name, field="tags")
    for tag in tags:
        _refuse_controls(tag, name, "tags")
    poll = raw.get("poll_minutes")
    if poll is not None and (isinstance(poll, bool) or not isinstance(poll, int) or poll <= 0):
        raise FeedRegistryError(
            "must be a positive whole number of minutes", entry=name, field="poll_minutes"
        )
    return FeedSource(
        id=feed_id,
        url=url,
        title=raw["title"].strip(),
        language=language,
        tags=tuple(t.strip() for t in tags),
        poll_minutes=poll,
        publisher=_publisher(name, raw.get("publisher")),
    )


def parse_registry(data: Any) -> tuple[FeedSource, ...]:
    """Validate a registry document (the parsed YAML) into feed sources.

    Raises:
        FeedRegistryError: names the offending entry and field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        raise FeedRegistryError("the registry must be a mapping with a 'feeds' list")
    sources: list[FeedSource] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["feeds"]):
        source = _validate_entry(index, raw)
        if source.id in seen:
            raise FeedRegistryError("duplicate id", entry=repr(source.id), field="id")
        seen.add(source.id)
        sources.append(source)
    return tuple(sources)


def load_registry(path: Path) -> tuple[FeedSource, ...]:
    """Read and validate ``feeds.yaml``.

    Raises:
        FeedRegistryError: the file is missing, not YAML, or an entry is invalid.
    """
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FeedRegistryError(
            f"cannot read feed registry {path}: {exc.strerror} (set LUMI_FEEDS to its path)"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FeedRegistryError(f"{path} is not valid YAML: {exc}") from exc
    try:
        return parse_registry(data)
    except FeedRegistryError as exc:
        raise FeedRegistryError(f"{path}: {exc.message}") from exc


def _entry(s: FeedSource) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": s.id,
        "url": s.url,
        "title": s.title,
        "language": s.language,
        "tags": list(s.tags),
    }
    if s.poll_minutes is not None:
        item["poll_minutes"] = s.poll_minutes
    if s.publisher is not None:
        item["publisher"] = s.publisher
    return item


def dump_registry(sources: Sequence[FeedSource]) -> str:
    """Render sources as ``feeds.yaml`` text (the inverse of :func:`load_registry`)."""
    import yaml

    feeds = [_entry(s) for s in sources]
    return yaml.safe_dump({"feeds": feeds}, sort_keys=False, allow_unicode=True)


def _content_end(node: Any) -> Any:
    """The mark right after the last character of ``node``'s own text.

    A block collection's end mark lies at the next token, past any trailing comments, so
    the last leaf is used instead.
    """
    import yaml

    while not getattr(node, "flow_style", True) and node.value:
        node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
    return node.end_mark


def append_to_registry(text: str, sources: Sequence[FeedSource]) -> str:
    """``feeds.yaml`` text with ``sources`` added at the end of its ``feeds`` list.

    Everything already in ``text`` (comments, order, layout) is kept byte for byte; the new
    entries are written at the list's indentation, after its last entry. A flow-style list
    (``feeds: []``) is rewritten in block style.

    Raises:
        FeedRegistryError: ``text`` is not a registry document, or the edited text would not
            read back as the old entries followed by ``sources``.
    """
    import yaml

    if not sources:
        return text
    try:
        root = yaml.compose(text)
        old = parse_registry(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise FeedRegistryError(f"not valid YAML: {exc}") from exc
    value = None
    if isinstance(root, yaml.MappingNode):
        value = next((v for k, v in root.value if k.value == "feeds"), None)
    if not isinstance(value, yaml.SequenceNode):
        raise FeedRegistryError("the registry must be a mapping with a 'feeds' list")
    if value.flow_style or not value.value:
        start, end = value.start_mark.index, value.end_mark.index
        body = yaml.safe_dump(
            [_entry(s) for s in (*old, *sources)],
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=None,
            width=1000,
        )
        block = "".join("  " + line for line in body.splitlines(keepends=True))
        new_text = text[:start].rstrip(" ") + "\n" + block + text[end:].lstrip(" \n")
    else:
        indent = " " * value.start_mark.column
        mark = _content_end(value)
        newline = text.find("\n", mark.index)
        at = mark.index if mark.column == 0 else len(text) if newline < 0 else newline + 1
        last = value.value[-1].start_mark
        before = text[: last.index - last.column]
        # Entries separated by blank lines get one before each new entry too.
        spaced = before.endswith("\n\n") or before.endswith("\n\r\n")
        parts = []
        for s in sources:
            body = yaml.safe_dump(
                [_entry(s)],
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=None,
                width=1000,
            )
            rendered = "".join(indent + x for x in body.splitlines(keepends=True))
            parts.append(("\n" if spaced else "") + rendered)
        head = text[:at]
        if head and not head.endswith("\n"):
            head += "\n"
        new_text = head + "".join(parts) + text[at:]
    try:
        again = parse_registry(yaml.safe_load(new_text))
    except (yaml.YAMLError, FeedRegistryError) as exc:
        raise FeedRegistryError(f"appending the feeds would break the registry: {exc}") from exc
    if again != (*old, *sources):
        raise FeedRegistryError("appending the feeds would change the existing entries")
    return new_text


def export_opml(sources: Sequence[FeedSource], title: str = "Lumi feeds") -> str:
    """Render sources as OPML 2.0; Lumi's own fields ride along as ``lumi:`` attributes."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0" xmlns:lumi="https://lumi.invalid/ns/opml">',
        f"  <head><title>{_text(title)}</title></head>",
        "  <body>",
    ]
    for s in sources:
        attrs = {
            "type": "rss",
            "text": s.title,
            "title": s.title,
            "xmlUrl": s.url,
            "language": s.language,
            "lumi:id": s.id,
            "category": ",".join(s.tags),
        }
        if s.poll_minutes is not None:
            attrs["lumi:pollMinutes"] = str(s.poll_minutes)
        if s.publisher is not None:
            attrs["lumi:publisher"] = s.publisher
        rendered = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "feed"


def import_opml(data: bytes, *, default_language: str = "en") -> tuple[FeedSource, ...]:
    """Read feed sources from OPML (nested outlines and categories become tags).

    Raises:
        FeedRegistryError: the document is not OPML, uses entities, or an outline is invalid.
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise FeedRegistryError(f"OPML refused: {exc}") from exc
    except Exception as exc:
        raise FeedRegistryError(f"not valid OPML/XML: {exc}") from exc
    if root.tag != "opml":
        raise FeedRegistryError(f"not an OPML document (root element <{root.tag}>)")
    lumi_ns = "{https://lumi.invalid/ns/opml}"
    sources: list[FeedSource] = []
    used: set[str] = set()

    def walk(node: Any, folders: tuple[str, ...]) -> None:
        for outline in node.findall("outline"):
            url = outline.get("xmlUrl")
            # OPML comes from elsewhere: its labels are cleaned, its URLs are validated.
            label = _clean(outline.get("title")) or _clean(outline.get("text")) or ""
            if not url:
                walk(outline, (*folders, _slug(label)) if label else folders)
                continue
            feed_id = outline.get(lumi_ns + "id") or _slug(label or url)
            base, n = feed_id, 2
            while feed_id in used:
                feed_id, n = f"{base}-{n}", n + 1
            used.add(feed_id)
            categories = _clean(outline.get("category")) or ""
            tags = [t.strip() for t in categories.split(",") if t.strip()]
            tags = [t.lstrip("/") for t in tags] + [f for f in folders if f not in tags]
            raw: dict[str, Any] = {
                "id": feed_id,
                "url": url,
                "title": label or url,
                "language": _clean(outline.get("language")) or default_language,
                "tags": tags,
            }
            poll = outline.get(lumi_ns + "pollMinutes")
            if poll:
                raw["poll_minutes"] = int(poll) if poll.isdigit() else poll
            publisher = _clean(outline.get(lumi_ns + "publisher"))
            if publisher:
                raw["publisher"] = publisher
            sources.append(_validate_entry(len(sources), raw))

    body = root.find("body")
    if body is None:
        raise FeedRegistryError("OPML document has no <body>")
    walk(body, ())
    return tuple(sources)
