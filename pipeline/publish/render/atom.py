"""The Atom 1.0 digest: one entry per item, each marked as AI-generated.

There is no standard Atom extension for AI disclosure (compliance.md), so each entry has

- ``atom:category`` with the IPTC digital source type scheme and the type as term;
- a ``lumi:disclosure`` element (namespace :data:`NAMESPACE`) with the machine-readable
  details;
- the visible label at the top of the entry content (HTML, escaped as Atom requires) and at
  the start of the entry summary, which some readers show instead of the content;
- the closing disclosure line at the end of the entry content (and as the ``closing``
  attribute of ``lumi:disclosure``).

The entries are the digest's full items; its headlines (title and links only) are not
entries: a feed entry stands alone in a reader, and a headline has no summary to show.
"""

from __future__ import annotations

from html import escape

from lxml import etree

from pipeline.publish.label import IPTC_SCHEME, labelled_summary
from pipeline.publish.render.i18n import (
    digest_intro,
    digest_title,
    event_text,
    published_on,
    summary_heading,
    summary_text,
    text,
    value_label,
)
from pipeline.publish.render.safety import clean_text, one_line, safe_url
from pipeline.records import Digest, DigestItem

__all__ = ["NAMESPACE", "render"]

ATOM = "http://www.w3.org/2005/Atom"
#: Namespace of Lumi's disclosure element in Atom.
NAMESPACE = "urn:lumi:ns:ai-disclosure:1"
_NSMAP = {None: ATOM, "lumi": NAMESPACE}


def _sub(
    parent: etree._Element, tag: str, value: str | None = None, **attrs: str
) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if value is not None:
        node.text = clean_text(value)
    return node


def _content_html(item: DigestItem, language: str, timezone: str) -> str:
    d = item.disclosure
    policy = safe_url(d.policy_url)
    link = (
        f' <a href="{escape(policy)}">{escape(text(language, "policy_link"))}</a>' if policy else ""
    )
    parts = [
        f'<p class="ai-label" ai-disclosure="{d.disclosure_level}"><strong>'
        f"{escape(clean_text(d.label_text))}</strong>{link}</p>",
        f"<p><em>{escape(text(language, 'title_only'))}</em></p>"
        if item.title_only
        else f"<p><strong>{escape(text(language, 'at_a_glance'))}</strong> "
        f"{escape(clean_text(summary_text(language, item.at_a_glance)))}</p>",
    ]
    for section in item.sections:
        heading = one_line(summary_heading(language, section.heading))
        # a section without a heading is the summary's intro paragraph
        lead = f"<strong>{escape(heading)}</strong> " if heading else ""
        parts.append(f"<p>{lead}{escape(clean_text(summary_text(language, section.text)))}</p>")
    tags = []
    if item.actors:
        actors = ", ".join(
            f"{one_line(str(a.get('name', '')))} ({value_label(language, a.get('type', ''))})"
            for a in item.actors
        )
        tags.append(("actors", actors))
    if item.license_events:
        events = "; ".join(one_line(event_text(language, e)) for e in item.license_events)
        tags.append(("license_events", events))
    if item.risk_themes:
        themes = ", ".join(value_label(language, t.get("theme", "")) for t in item.risk_themes)
        tags.append(("risk_themes", themes))
    for key, value in tags:
        parts.append(f"<p><strong>{escape(text(language, key))}</strong> {escape(value)}</p>")
    if item.teaser_only:
        parts.append(f"<p><em>{escape(text(language, 'teaser_only'))}</em></p>")
    sources = []
    for source in item.sources:
        site = escape(one_line(source.site) or "?")
        url = safe_url(source.url)
        entry = f'<a href="{escape(url)}">{site}</a>' if url else site
        if source.published:
            entry += " · " + escape(published_on(language, source.published, timezone))
        sources.append(entry)
    parts.append(f"<p>{escape(text(language, 'source'))} {'; '.join(sources)}</p>")
    if d.closing_text:
        parts.append(f"<p><em>{escape(clean_text(d.closing_text))}</em></p>")
    return "\n".join(parts)


def render(digest: Digest) -> bytes:
    """The digest as an Atom 1.0 feed (UTF-8)."""
    lang = digest.language
    day = digest.day.isoformat()
    if digest.first != digest.day:
        day = f"{digest.first.isoformat()}--{day}"
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=_NSMAP)  # type: ignore[arg-type]
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    _sub(feed, "id", f"urn:lumi:digest:{day}")
    _sub(feed, "title", digest_title(lang, digest.publication_name, digest.first, digest.day))
    _sub(feed, "subtitle", digest_intro(lang, digest.first, digest.day, digest.timezone))
    _sub(feed, "updated", digest.updated.isoformat())
    author = _sub(feed, "author")
    _sub(author, "name", digest.publication_name)
    _sub(feed, "generator", digest.generator_name, version=digest.generator_version)
    policy = safe_url(digest.policy_url)
    if policy:
        _sub(feed, "link", rel="related", href=policy, title=text(lang, "policy_link"))
    for item in digest.items:
        d = item.disclosure
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:lumi:digest:{day}:{item.id}")
        _sub(entry, "title", one_line(item.title) or item.id)
        updated = d.generated_at
        if d.human_review is not None:
            updated = max(updated, d.human_review.reviewed_at)
        _sub(entry, "updated", updated.isoformat())
        for source in item.sources:
            url = safe_url(source.url)
            if url:
                _sub(entry, "link", rel="related", href=url, title=one_line(source.site))
        _sub(entry, "category", term=item.section, label=text(lang, f"section_{item.section}"))
        _sub(
            entry,
            "category",
            term=d.digital_source_type.removeprefix(IPTC_SCHEME),
            scheme=IPTC_SCHEME,
        )
        # Readers that show only the summary must still show the label (Article 50(5)).
        _sub(entry, "summary", labelled_summary(d, item.at_a_glance, title_only=item.title_only))
        _sub(entry, "content", _content_html(item, lang, digest.timezone), type="html")
        marker = etree.SubElement(
            entry,
            f"{{{NAMESPACE}}}disclosure",
            {
                "level": d.disclosure_level,
                "digitalSourceType": d.digital_source_type,
                "aiGenerated": "true" if d.ai_generated else "false",
                "exemptionApplied": "true" if d.exemption_applied else "false",
                "policy": d.policy_url,
                "generator": f"{d.generator_name} {d.generator_version}",
                "generatedAt": d.generated_at.isoformat(),
            },
        )
        if d.editorial_responsibility:
            marker.set("editorialResponsibility", clean_text(d.editorial_responsibility))
        if d.closing_text:
            marker.set("closing", clean_text(d.closing_text))
        marker.text = clean_text(d.label_text)
    data: bytes = etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return data
