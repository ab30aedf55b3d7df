"""The Markdown digest: design.md section 1's item layout, label line before the AI text,
the closing disclosure line last; a table of contents first and the headline list at the end.

Feed-supplied text is escaped so it renders as the same literal text in CommonMark: every
Markdown punctuation character is backslash-escaped and ``<``/``>``/``&`` can never form raw
HTML or entities. Only ``http(s)`` URLs become links.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from pipeline.publish.render.i18n import (
    contents_entries,
    digest_intro,
    digest_title,
    empty_text,
    event_text,
    published_on,
    summary_heading,
    summary_text,
    text,
    value_label,
)
from pipeline.publish.render.safety import clean_text, one_line, safe_url
from pipeline.records import Digest, DigestHeadline, DigestItem, DigestSource

__all__ = ["escape_md", "render"]

# Every ASCII punctuation character CommonMark lets a backslash escape and that can start
# markup, a link, an entity or raw HTML.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")


def escape_md(value: str | None) -> str:
    """``value`` as literal Markdown text on one line."""
    return _SPECIAL.sub(r"\\\1", one_line(value))


def _escape_block(value: str | None) -> str:
    """Like :func:`escape_md`, but keeps paragraph breaks (blank lines)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", clean_text(value)) if p.strip()]
    return "\n\n".join(escape_md(p) for p in paragraphs)


def _link(label: str, url: str | None) -> str:
    safe = safe_url(url)
    if not safe:
        return label
    # Inside <...> a link destination may hold anything but line breaks, "<" and ">".
    target = urllib.parse.quote(safe, safe="/:?#[]@!$&'()*+,;=%~-._")
    return f"[{label}](<{target}>)"


def _sources(sources: tuple[DigestSource, ...], language: str, timezone: str) -> str:
    parts = []
    for source in sources:
        part = _link(escape_md(source.site) or "?", source.url)
        if source.published:
            part += " · " + escape_md(published_on(language, source.published, timezone))
        parts.append(part)
    return "; ".join(parts)


def _item(item: DigestItem, language: str, timezone: str) -> list[str]:
    d = item.disclosure
    label = (
        escape_md(d.label_text)
        + " "
        + _link(escape_md(text(language, "policy_link")), d.policy_url)
    )
    lines = [
        f"### {escape_md(item.title)}",
        "",
        f"<!-- ai-disclosure: {d.disclosure_level}; "
        f"digital-source-type: {d.digital_source_type}; id: {item.id} -->",
        f"> {label}",
        "",
        f"*{escape_md(text(language, 'title_only'))}*"
        if item.title_only
        else f"**{escape_md(text(language, 'at_a_glance'))}** "
        f"{escape_md(summary_text(language, item.at_a_glance))}",
        "",
    ]
    for section in item.sections:
        heading = escape_md(summary_heading(language, section.heading))
        body = _escape_block(summary_text(language, section.text))
        # a section without a heading is the summary's intro paragraph
        lines += [f"**{heading}** {body}" if heading else body, ""]
    tags = []
    if item.actors:
        tags.append(
            escape_md(text(language, "actors"))
            + " "
            + ", ".join(
                f"{escape_md(str(a.get('name')))} "
                f"({escape_md(value_label(language, a.get('type')))})"
                for a in item.actors
            )
        )
    if item.license_events:
        tags.append(
            escape_md(text(language, "license_events"))
            + " "
            + "; ".join(escape_md(event_text(language, e)) for e in item.license_events)
        )
    if item.risk_themes:
        tags.append(
            escape_md(text(language, "risk_themes"))
            + " "
            + ", ".join(escape_md(value_label(language, t.get("theme"))) for t in item.risk_themes)
        )
    for tag in tags:
        lines += [tag, ""]
    if item.teaser_only:
        lines += [f"*{escape_md(text(language, 'teaser_only'))}*", ""]
    lines += [
        f"{escape_md(text(language, 'source'))} {_sources(item.sources, language, timezone)}",
        "",
    ]
    if d.closing_text:
        lines += [f"*{escape_md(d.closing_text)}*", ""]
    return lines


def _headline(headline: DigestHeadline, language: str, timezone: str) -> str:
    first = headline.sources[0] if headline.sources else None
    line = "- " + _link(escape_md(headline.title) or "?", first.url if first else None)
    if first is not None:
        # the title links the first source already: its site is named, not linked again
        unlinked = (dataclasses.replace(first, url=None), *headline.sources[1:])
        line += " — " + _sources(unlinked, language, timezone)
    return line


def _contents(digest: Digest) -> list[str]:
    lines = [f"## {escape_md(text(digest.language, 'contents'))}", ""]
    lines += [f"- {escape_md(label)}" for _, label in contents_entries(digest)]
    return [*lines, ""]


def render(digest: Digest) -> bytes:
    """The digest as CommonMark (UTF-8)."""
    lang = digest.language
    zone = digest.timezone
    lines = [
        f"# {escape_md(digest_title(lang, digest.publication_name, digest.first, digest.day))}",
        "",
        escape_md(digest_intro(lang, digest.first, digest.day, zone)),
        "",
    ]
    if digest.left_out:
        lines += [escape_md(text(lang, "left_out", count=digest.left_out)), ""]
    if not digest.items and not digest.headlines:
        lines += [escape_md(empty_text(lang, digest.first, digest.day)), ""]
    else:
        lines += _contents(digest)
    current = None
    for item in digest.items:
        if item.section != current:
            current = item.section
            lines += [f"## {escape_md(text(lang, f'section_{current}'))}", ""]
        lines += _item(item, lang, zone)
    if digest.headlines:
        lines += [
            f"## {escape_md(text(lang, 'headlines'))}",
            "",
            escape_md(text(lang, "headlines_intro", count=len(digest.headlines))),
            "",
        ]
        current = None
        for headline in digest.headlines:
            if headline.section != current:
                if current is not None:
                    lines.append("")
                current = headline.section
                lines += [f"### {escape_md(text(lang, f'section_{current}'))}", ""]
            lines.append(_headline(headline, lang, zone))
        lines.append("")
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
