"""The Markdown digest: design.md section 1's item layout, label line before the AI text.

Feed-supplied text is escaped so it renders as the same literal text in CommonMark: every
Markdown punctuation character is backslash-escaped and ``<``/``>``/``&`` can never form raw
HTML or entities. Only ``http(s)`` URLs become links.
"""

from __future__ import annotations

import re
import urllib.parse

from pipeline.publish.render.i18n import text
from pipeline.publish.render.safety import clean_text, one_line, safe_url
from pipeline.records import Digest, DigestItem

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


def _item(item: DigestItem, language: str) -> list[str]:
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
        else f"**{escape_md(text(language, 'at_a_glance'))}** {escape_md(item.at_a_glance)}",
        "",
    ]
    for section in item.sections:
        lines += [f"**{escape_md(section.heading)}** {_escape_block(section.text)}", ""]
    sources = []
    for source in item.sources:
        part = _link(escape_md(source.site) or "?", source.url)
        if source.published:
            part += " · " + escape_md(
                text(language, "published", date=source.published.date().isoformat())
            )
        sources.append(part)
    lines += [f"{escape_md(text(language, 'source'))} " + "; ".join(sources), ""]
    if item.teaser_only:
        lines += [f"*{escape_md(text(language, 'teaser_only'))}*", ""]
    tags = []
    if item.actors:
        tags.append(
            escape_md(text(language, "actors"))
            + " "
            + ", ".join(
                f"{escape_md(str(a.get('name')))} ({escape_md(str(a.get('type')))})"
                for a in item.actors
            )
        )
    if item.license_events:
        tags.append(
            escape_md(text(language, "license_events"))
            + " "
            + "; ".join(
                escape_md(
                    " ".join(
                        str(e.get(k))
                        for k in ("kind", "model", "from_license", "to_license")
                        if e.get(k)
                    )
                )
                for e in item.license_events
            )
        )
    if item.risk_themes:
        tags.append(
            escape_md(text(language, "risk_themes"))
            + " "
            + ", ".join(escape_md(str(t.get("theme"))) for t in item.risk_themes)
        )
    for tag in tags:
        lines += [tag, ""]
    return lines


def render(digest: Digest) -> bytes:
    """The digest as CommonMark (UTF-8)."""
    lang = digest.language
    day = digest.day.isoformat()
    lines = [
        f"# {escape_md(text(lang, 'digest_title', date=day))}",
        "",
        escape_md(text(lang, "digest_intro", date=day, timezone=digest.timezone)),
        "",
    ]
    if not digest.items:
        lines += [escape_md(text(lang, "no_items")), ""]
    current = None
    for item in digest.items:
        if item.section != current:
            current = item.section
            lines += [f"## {escape_md(text(lang, f'section_{current}'))}", ""]
        lines += _item(item, lang)
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
