"""The HTML digest: one self-contained, accessible page that runs no script.

- no external requests: inline CSS only, no fonts, images or scripts; plain links only;
- a CSP meta tag forbids every script (``default-src 'none'``), so even a rendering bug
  could not run feed-supplied code;
- every feed-supplied string is HTML-escaped; only ``http(s)`` URLs become links;
- each item shows its visible disclosure label, with a link to the AI policy, *before* its
  AI-generated text, and carries the W3C ``ai-disclosure`` attribute; the page has the
  ``ai-disclosure`` meta and schema.org JSON-LD (``NewsArticle`` with ``digitalSourceType``,
  ``isBasedOn`` and ``publishingPrinciples``; its ``abstract`` starts with the item's label),
  escaped so no text can close the script block; its ``creditText`` is the item's closing
  disclosure line, which also ends each article;
- a table of contents (sections with their counts) comes first, the headline list (stories
  past ``LUMI_DIGEST_MAX_ITEMS``: title and links only) last;
- colours meet WCAG 2.1 AA contrast (:data:`PALETTE`, checked by the tests).
"""

from __future__ import annotations

import dataclasses
import json
from html import escape
from typing import Any

from pipeline.publish.label import labelled_summary
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

__all__ = ["CSP", "PALETTE", "json_ld", "page_disclosure_level", "render"]

#: The Content-Security-Policy of the page: nothing may load or run but inline styles.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

#: Every text colour and the background it sits on (WCAG AA needs a ratio >= 4.5).
PALETTE: dict[str, tuple[str, str]] = {
    "body": ("#1a1a1a", "#ffffff"),
    "muted": ("#4d4d4d", "#ffffff"),
    "link": ("#0b4f9c", "#ffffff"),
    "label": ("#4a3300", "#fff3cd"),
    "label_link": ("#003f87", "#fff3cd"),
    "heading": ("#102a43", "#ffffff"),
}


def _css() -> str:
    p = PALETTE
    return (
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5;"
        f"color:{p['body'][0]};background:{p['body'][1]};max-width:46rem;margin:0 auto;"
        "padding:1rem}"
        f"h1,h2,h3{{color:{p['heading'][0]};line-height:1.25}}"
        f"a{{color:{p['link'][0]}}}"
        f".muted,.sources{{color:{p['muted'][0]}}}"
        f".ai-label{{color:{p['label'][0]};background:{p['label'][1]};"
        "border-left:4px solid #8a6100;padding:.4rem .6rem;margin:.5rem 0;font-size:.95rem}"
        f".ai-label a{{color:{p['label_link'][0]}}}"
        "article{border-top:1px solid #d0d0d0;padding:.5rem 0 1rem}"
        ".tags{font-size:.9rem;margin:.25rem 0}"
        ".headlines li{margin:.2rem 0}"
    )


def page_disclosure_level(digest: Digest) -> str:
    """The page-level W3C disclosure: ``ai-assisted`` only when every item was reviewed."""
    if digest.items and all(i.disclosure.disclosure_level == "ai-assisted" for i in digest.items):
        return "ai-assisted"
    return "ai-autonomous"


def _json_ld_text(data: Any) -> str:
    # "<", ">" and "&" as JSON unicode escapes: "</script>" or "<!--" inside feed text can
    # then never end or confuse the script block, and the JSON still parses to the same text.
    raw = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_ld(digest: Digest) -> dict[str, Any]:
    """The schema.org graph of the page: one ``NewsArticle`` per item."""
    graph = []
    for item in digest.items:
        d = item.disclosure
        node: dict[str, Any] = {
            "@type": "NewsArticle",
            "@id": f"#{item.id}",
            "headline": item.title,
            # Search snippets and previews show the abstract alone, away from the label.
            "abstract": labelled_summary(d, item.at_a_glance, title_only=item.title_only),
            "inLanguage": digest.language,
            "digitalSourceType": d.schema_org_source_type,
            "isBasedOn": [u for u in (safe_url(s.url) for s in item.sources) if u],
            "publishingPrinciples": d.policy_url,
            "dateCreated": d.generated_at.isoformat(),
            "creator": {
                "@type": "SoftwareApplication",
                "name": d.generator_name,
                "softwareVersion": d.generator_version,
            },
            "creativeWorkStatus": d.disclosure_level,
            "publisher": {"@type": "Organization", "name": digest.publication_name},
        }
        if d.closing_text:
            node["creditText"] = d.closing_text
        if d.editorial_responsibility:
            node["editor"] = {"@type": "Person", "name": d.editorial_responsibility}
        graph.append(node)
    return {"@context": "https://schema.org", "@graph": graph}


def _label(item: DigestItem, language: str) -> str:
    d = item.disclosure
    policy = safe_url(d.policy_url)
    link = (
        f' <a href="{escape(policy)}">{escape(text(language, "policy_link"))}</a>' if policy else ""
    )
    return (
        f'<p class="ai-label" role="note" id="{item.id}-label">'
        f"{escape(clean_text(d.label_text))}{link}</p>"
    )


def _tags(item: DigestItem, language: str) -> list[str]:
    out = []
    if item.actors:
        names = ", ".join(
            f"{one_line(str(a.get('name', '')))} ({value_label(language, a.get('type', ''))})"
            for a in item.actors
        )
        out.append(
            f'<p class="tags"><strong>{escape(text(language, "actors"))}</strong> '
            f"{escape(names)}</p>"
        )
    if item.license_events:
        events = "; ".join(one_line(event_text(language, e)) for e in item.license_events)
        out.append(
            f'<p class="tags"><strong>{escape(text(language, "license_events"))}</strong> '
            f"{escape(events)}</p>"
        )
    if item.risk_themes:
        themes = ", ".join(value_label(language, t.get("theme", "")) for t in item.risk_themes)
        out.append(
            f'<p class="tags"><strong>{escape(text(language, "risk_themes"))}</strong> '
            f"{escape(themes)}</p>"
        )
    return out


def _source_list(sources: tuple[DigestSource, ...], language: str, timezone: str) -> str:
    parts = []
    for source in sources:
        site = escape(one_line(source.site) or "?")
        url = safe_url(source.url)
        name = f'<a href="{escape(url)}">{site}</a>' if url else site
        if source.published:
            name += f" · {escape(published_on(language, source.published, timezone))}"
        parts.append(name)
    return "; ".join(parts)


def _item(item: DigestItem, language: str, timezone: str) -> list[str]:
    d = item.disclosure
    lines = [
        f'<article id="{item.id}" ai-disclosure="{d.disclosure_level}" '
        f'aria-labelledby="{item.id}-title" data-digital-source-type="'
        f'{escape(d.digital_source_type)}"'
        + (f' ai-model="{escape(one_line(d.model))}"' if d.model else "")
        + ">",
        f'<h3 id="{item.id}-title">{escape(one_line(item.title))}</h3>',
        _label(item, language),
        f'<p class="title-only-note">{escape(text(language, "title_only"))}</p>'
        if item.title_only
        else f"<p><strong>{escape(text(language, 'at_a_glance'))}</strong> "
        f"{escape(clean_text(summary_text(language, item.at_a_glance)))}</p>",
    ]
    for section in item.sections:
        heading = one_line(summary_heading(language, section.heading))
        # a section without a heading is the summary's intro paragraph
        lead = f"<strong>{escape(heading)}</strong> " if heading else ""
        lines.append(f"<p>{lead}{escape(clean_text(summary_text(language, section.text)))}</p>")
    lines.extend(_tags(item, language))
    if item.teaser_only:
        lines.append(f'<p class="teaser-note">{escape(text(language, "teaser_only"))}</p>')
    lines.append(
        f'<p class="sources">{escape(text(language, "source"))} '
        f"{_source_list(item.sources, language, timezone)}</p>"
    )
    if d.closing_text:
        lines.append(f'<p class="ai-closing muted">{escape(clean_text(d.closing_text))}</p>')
    lines.append("</article>")
    return lines


def _contents(digest: Digest) -> list[str]:
    lang = digest.language
    entries = [
        f'<li><a href="#section-{name}">{escape(label)}</a></li>'
        for name, label in contents_entries(digest)
    ]
    return [
        '<nav aria-labelledby="contents">',
        f'<h2 id="contents">{escape(text(lang, "contents"))}</h2>',
        "<ul>",
        *entries,
        "</ul>",
        "</nav>",
    ]


def _headline(headline: DigestHeadline, language: str, timezone: str) -> str:
    first = safe_url(headline.sources[0].url) if headline.sources else None
    title = escape(one_line(headline.title) or "?")
    link = f'<a href="{escape(first)}">{title}</a>' if first else title
    # the title links the first source already: its site is named, not linked again
    unlinked = tuple(
        dataclasses.replace(s, url=None) if i == 0 else s for i, s in enumerate(headline.sources)
    )
    sources = _source_list(unlinked, language, timezone)
    return f'<li id="{headline.id}">{link}' + (f" — {sources}" if sources else "") + "</li>"


def _headlines(digest: Digest) -> list[str]:
    lang = digest.language
    lines = [
        '<section aria-labelledby="section-headlines" class="headlines">',
        f'<h2 id="section-headlines">{escape(text(lang, "headlines"))}</h2>',
        f'<p class="muted">'
        f"{escape(text(lang, 'headlines_intro', count=len(digest.headlines)))}</p>",
    ]
    current = None
    for headline in digest.headlines:
        if headline.section != current:
            if current is not None:
                lines.append("</ul>")
            current = headline.section
            lines.append(
                f'<h3 id="headlines-{current}">{escape(text(lang, f"section_{current}"))}</h3>'
            )
            lines.append("<ul>")
        lines.append(_headline(headline, lang, digest.timezone))
    lines += ["</ul>", "</section>"]
    return lines


def render(digest: Digest) -> bytes:
    """The digest as one self-contained HTML5 page (UTF-8)."""
    lang = digest.language
    title = digest_title(lang, digest.publication_name, digest.first, digest.day)
    level = page_disclosure_level(digest)
    lines = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="ai-disclosure" content="{level}">',
        f'<meta name="generator" content="{escape(digest.generator_name)} '
        f'{escape(digest.generator_version)}">',
        f"<title>{escape(title)}</title>",
        f"<style>{_css()}</style>",
        f'<script type="application/ld+json">{_json_ld_text(json_ld(digest))}</script>',
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">'
        f"{escape(digest_intro(lang, digest.first, digest.day, digest.timezone))}</p>",
    ]
    if digest.left_out:
        lines.append(
            f'<p class="muted">{escape(text(lang, "left_out", count=digest.left_out))}</p>'
        )
    if not digest.items and not digest.headlines:
        lines.append(f"<p>{escape(empty_text(lang, digest.first, digest.day))}</p>")
    else:
        lines.extend(_contents(digest))
    current = None
    for item in digest.items:
        if item.section != current:
            if current is not None:
                lines.append("</section>")
            current = item.section
            lines.append(f'<section aria-labelledby="section-{current}">')
            heading = escape(text(lang, f"section_{current}"))
            lines.append(f'<h2 id="section-{current}">{heading}</h2>')
        lines.extend(_item(item, lang, digest.timezone))
    if current is not None:
        lines.append("</section>")
    if digest.headlines:
        lines.extend(_headlines(digest))
    lines += ["</main>", "</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")
