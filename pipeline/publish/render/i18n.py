"""Label and chrome text of the digest, as data: one table per language (``LUMI_LANGUAGE``).

Every table has the same keys (a test checks it). Placeholders use ``str.format`` names.
Dates are written from the month names here (:func:`format_date`), not from the C
library's locale, so the output does not depend on the locales a machine has installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipeline.publish.checks import SHORT_NOTE

if TYPE_CHECKING:
    from pipeline.records import Digest

__all__ = [
    "HEADINGS",
    "LANGUAGES",
    "MONTHS",
    "SECTION_ORDER",
    "TEXT",
    "VALUES",
    "contents_entries",
    "digest_intro",
    "digest_title",
    "empty_text",
    "event_text",
    "format_date",
    "format_period",
    "published_on",
    "summary_heading",
    "summary_text",
    "text",
    "value_label",
]

#: Digest sections, in the order they appear.
#: ``off_topic`` holds items outside AI-industry news and appears only in ``lumi digest --all``.
SECTION_ORDER = ("licensing", "risk", "models", "other", "off_topic")

TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "label_unreviewed": "AI-generated summary — not reviewed by an editor.",
        "label_reviewed": "AI-assisted, reviewed by {editor}.",
        "label_legal": "Disclosed pursuant to Article 50 EU AI Act.",
        "label_generator": "Summary and classification by {generator} {version}.",
        "closing_unreviewed": (
            "{publication} — AI-generated curation pursuant to Article 50 EU AI Act."
        ),
        "closing_reviewed": (
            "{publication} — AI-assisted curation pursuant to Article 50 EU AI Act."
        ),
        "closing_generator_llm": "Paraphrase and classification by {generator} {version}.",
        # the extractive default rewrites publisher statements in the third person: it
        # paraphrases too, so both methods carry the publisher's wording
        "closing_generator_extractive": "Paraphrase and classification by {generator} {version}.",
        "legal_basis_unreviewed": (
            "Regulation (EU) 2024/1689 (AI Act), Article 50(4): disclosure of AI-generated "
            "text published to inform the public; Article 50(2): machine-readable marking."
        ),
        "legal_basis_reviewed": (
            "Regulation (EU) 2024/1689 (AI Act), Article 50(4) second subparagraph: human "
            "review with editorial responsibility held by {editor}; disclosed voluntarily; "
            "Article 50(2): machine-readable marking."
        ),
        "policy_link": "AI policy",
        "digest_title": "{publication} — {date}",
        "date_range": "{start} – {end}",
        "digest_intro": (
            "AI-industry news first published on {date} ({timezone}), selected, summarised "
            "and classified by software."
        ),
        "digest_intro_range": (
            "AI-industry news first published from {start} to {end} ({timezone}), selected, "
            "summarised and classified by software."
        ),
        "no_items": "No stories were first published on this day.",
        "no_items_range": "No stories were first published in this period.",
        "contents": "Contents",
        "contents_entry": "{section} ({count})",
        "headlines": "More headlines",
        "headlines_intro": "{count} more stories, by title only (not summarised).",
        "at_a_glance": "At a glance:",
        "short_note": SHORT_NOTE,
        "source": "Source:",
        "published": "Published {date}",
        "teaser_only": (
            "Summarised from the feed's teaser only: the full article was not available."
        ),
        "title_only": (
            "Title only: neither the feed nor the page has supplied the article's text yet, "
            "so there is no summary."
        ),
        "actors": "Actors:",
        "license_events": "License events:",
        "risk_themes": "Risk themes:",
        "section_licensing": "Licensing",
        "section_risk": "Risk and regulation",
        "section_models": "Models and makers",
        "section_other": "Other news",
        "section_off_topic": "Outside AI-industry news",
        "left_out": (
            "{count} stories outside AI-industry news were left out "
            "(lumi digest --all includes them)."
        ),
    },
    "de": {
        "label_unreviewed": "KI-generierte Zusammenfassung — nicht redaktionell geprüft.",
        "label_reviewed": "KI-gestützt, redaktionell geprüft von {editor}.",
        "label_legal": "Offenlegung gemäß Artikel 50 der KI-Verordnung (EU).",
        "label_generator": "Zusammenfassung und Klassifizierung durch {generator} {version}.",
        "closing_unreviewed": (
            "{publication} — KI-generierte Kuratierung gemäß Artikel 50 der KI-Verordnung (EU)."
        ),
        "closing_reviewed": (
            "{publication} — KI-gestützte Kuratierung gemäß Artikel 50 der KI-Verordnung (EU)."
        ),
        "closing_generator_llm": "Paraphrase und Klassifizierung durch {generator} {version}.",
        "closing_generator_extractive": (
            "Paraphrase und Klassifizierung durch {generator} {version}."
        ),
        "legal_basis_unreviewed": (
            "Verordnung (EU) 2024/1689 (KI-Verordnung), Artikel 50 Absatz 4: Offenlegung "
            "KI-generierter Texte zur Information der Öffentlichkeit; Artikel 50 Absatz 2: "
            "maschinenlesbare Kennzeichnung."
        ),
        "legal_basis_reviewed": (
            "Verordnung (EU) 2024/1689 (KI-Verordnung), Artikel 50 Absatz 4 Unterabsatz 2: "
            "menschliche Prüfung, redaktionelle Verantwortung bei {editor}; freiwillige "
            "Offenlegung; Artikel 50 Absatz 2: maschinenlesbare Kennzeichnung."
        ),
        "policy_link": "KI-Richtlinie",
        "digest_title": "{publication} — {date}",
        "date_range": "{start} – {end}",
        "digest_intro": (
            "Nachrichten aus der KI-Branche, erstmals veröffentlicht am {date} ({timezone}), "
            "von Software ausgewählt, zusammengefasst und klassifiziert."
        ),
        "digest_intro_range": (
            "Nachrichten aus der KI-Branche, erstmals veröffentlicht vom {start} bis zum {end} "
            "({timezone}), von Software ausgewählt, zusammengefasst und klassifiziert."
        ),
        "no_items": "An diesem Tag wurden keine Meldungen erstmals veröffentlicht.",
        "no_items_range": "In diesem Zeitraum wurden keine Meldungen erstmals veröffentlicht.",
        "contents": "Inhalt",
        "contents_entry": "{section} ({count})",
        "headlines": "Weitere Schlagzeilen",
        "headlines_intro": "{count} weitere Meldungen, nur mit Titel (nicht zusammengefasst).",
        "at_a_glance": "Auf einen Blick:",
        "short_note": "Die Quelle ist für eine längere Zusammenfassung zu kurz.",
        "source": "Quelle:",
        "published": "Veröffentlicht am {date}",
        "teaser_only": (
            "Nur aus dem Anreißer des Feeds zusammengefasst: der vollständige Artikel war "
            "nicht verfügbar."
        ),
        "title_only": (
            "Nur der Titel: weder der Feed noch die Seite hat den Text des Artikels bisher "
            "geliefert, daher gibt es keine Zusammenfassung."
        ),
        "actors": "Akteure:",
        "license_events": "Lizenzereignisse:",
        "risk_themes": "Risikothemen:",
        "section_licensing": "Lizenzen",
        "section_risk": "Risiko und Regulierung",
        "section_models": "Modelle und Anbieter",
        "section_other": "Weitere Meldungen",
        "section_off_topic": "Außerhalb der KI-Branche",
        "left_out": (
            "{count} Meldungen außerhalb der KI-Branche wurden ausgelassen "
            "(lumi digest --all nimmt sie auf)."
        ),
    },
}

#: Month names, January first, per language of :data:`TEXT`.
MONTHS: Mapping[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}

_DATE_FORMATS = {"en": "{month} {day}, {year}", "de": "{day}. {month} {year}"}

#: Reader-facing names of the classifier vocabularies (actor types, license event kinds,
#: risk themes), per language; an id missing here is shown as it is.
VALUES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "model_maker": "model maker",
        "sovereign": "sovereign AI provider",
        "big_tech": "big tech",
        "product_company": "product company",
        "research": "research lab",
        "unknown": "unknown type",
        "relicense": "relicensed",
        "new_license": "new license",
        "release": "released",
        "security": "security",
        "export_control": "export control",
        "regulation": "regulation",
        "licensing": "licensing",
        "vendor_dependence": "vendor dependence",
        "sovereignty": "sovereignty",
        "safety": "safety",
        "privacy": "privacy",
    },
    "de": {
        "model_maker": "Modellanbieter",
        "sovereign": "souveräner KI-Anbieter",
        "big_tech": "Big Tech",
        "product_company": "Produktunternehmen",
        "research": "Forschungseinrichtung",
        "unknown": "Typ unbekannt",
        "relicense": "Lizenzwechsel",
        "new_license": "neue Lizenz",
        "release": "veröffentlicht",
        "security": "IT-Sicherheit",
        "export_control": "Exportkontrolle",
        "regulation": "Regulierung",
        "licensing": "Lizenzierung",
        "vendor_dependence": "Anbieterabhängigkeit",
        "sovereignty": "Souveränität",
        "safety": "KI-Sicherheit",
        "privacy": "Datenschutz",
    },
}

#: The summaries' section headings (the English ones are what summaries store and the JSON
#: digest's ``heading`` keeps), per language of :data:`TEXT`.
HEADINGS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "What's new.": "What's new.",
        "Who.": "Who.",
        "Licensing.": "Licensing.",
        "Market structure.": "Market structure.",
        "Regulation.": "Regulation.",
        "Risk.": "Risk.",
        "Details.": "Details.",
    },
    "de": {
        "What's new.": "Neu.",
        "Who.": "Wer.",
        "Licensing.": "Lizenzen.",
        "Market structure.": "Marktstruktur.",
        "Regulation.": "Regulierung.",
        "Risk.": "Risiko.",
        "Details.": "Einzelheiten.",
    },
}

LANGUAGES = tuple(TEXT)


def text(language: str, key: str, **values: object) -> str:
    """The ``key`` text in ``language`` (English when the language has no table).

    Args:
        language: ``en`` or ``de``.
        key: a key of :data:`TEXT`.
        values: placeholder values.

    Raises:
        KeyError: ``key`` is not a text key.
    """
    table = TEXT.get(language, TEXT["en"])
    template = table[key]
    return template.format(**values) if values else template


def _heading_key(heading: str) -> str:
    return " ".join(heading.split()).rstrip(".:").casefold()


_HEADING_KEYS = {_heading_key(h): h for h in HEADINGS["en"]}


def summary_heading(language: str, heading: str) -> str:
    """A summary section's heading as readers of ``language`` see it ("Risk." -> "Risiko.").

    A stored heading is one of the English :data:`HEADINGS` (a paraphrase's may differ in
    case or final stop); any other heading, and the intro paragraph's empty one, is shown as
    it is.
    """
    key = _HEADING_KEYS.get(_heading_key(heading))
    if key is None:
        return heading
    return HEADINGS.get(language, HEADINGS["en"])[key]


def summary_text(language: str, value: str) -> str:
    """A summary paragraph for readers of ``language``: the fixed note that a source is too
    short (:data:`~pipeline.publish.checks.SHORT_NOTE`) in that language, any other text as
    it is (summary text is the sources' wording, not translated)."""
    if " ".join(value.split()) == SHORT_NOTE:
        return text(language, "short_note")
    return value


def format_date(language: str, day: date) -> str:
    """``day`` as a reader writes it: "June 28, 2026" (en), "28. Juni 2026" (de)."""
    lang = language if language in MONTHS else "en"
    return _DATE_FORMATS[lang].format(month=MONTHS[lang][day.month - 1], day=day.day, year=day.year)


def format_period(language: str, first: date, last: date) -> str:
    """One day as :func:`format_date`, several as "<first> – <last>"."""
    if first == last:
        return format_date(language, last)
    return text(
        language, "date_range", start=format_date(language, first), end=format_date(language, last)
    )


def value_label(language: str, value: object) -> str:
    """The reader-facing name of a vocabulary id (:data:`VALUES`), else the id itself."""
    raw = str(value)
    return VALUES.get(language, VALUES["en"]).get(raw, raw)


def published_on(language: str, when: datetime, timezone: str) -> str:
    """ "Published June 28, 2026": the day of ``when`` in the digest's ``timezone``."""
    local = when.astimezone(ZoneInfo(timezone)).date() if when.tzinfo else when.date()
    return text(language, "published", date=format_date(language, local))


def digest_title(language: str, publication: str, first: date, last: date) -> str:
    """The digest's title: "<publication> — <day or period>"."""
    return text(
        language, "digest_title", publication=publication, date=format_period(language, first, last)
    )


def digest_intro(language: str, first: date, last: date, timezone: str) -> str:
    """The sentence under the title: what the digest holds and in which time zone."""
    if first == last:
        return text(language, "digest_intro", date=format_date(language, last), timezone=timezone)
    return text(
        language,
        "digest_intro_range",
        start=format_date(language, first),
        end=format_date(language, last),
        timezone=timezone,
    )


def empty_text(language: str, first: date, last: date) -> str:
    """What an empty digest says."""
    return text(language, "no_items" if first == last else "no_items_range")


def event_text(language: str, event: Mapping[str, object]) -> str:
    """A license event for readers: "relicensed: Devstral → Apache-2.0"."""
    parts = [str(event["model"])] if event.get("model") else []
    if event.get("to_license"):
        before = f"{event['from_license']} " if event.get("from_license") else ""
        parts.append(f"{before}→ {event['to_license']}")
    return f"{value_label(language, event.get('kind'))}: {' '.join(parts)}".rstrip(": ")


def contents_entries(digest: Digest) -> list[tuple[str, str]]:
    """The table of contents: ``(anchor name, label)`` for each section that holds items,
    then the headline list when there is one, labels in the digest's language."""
    lang = digest.language
    entries = [
        (name, text(lang, "contents_entry", section=text(lang, f"section_{name}"), count=items))
        for name, items, _ in digest.contents()
        if items
    ]
    if digest.headlines:
        label = text(
            lang, "contents_entry", section=text(lang, "headlines"), count=len(digest.headlines)
        )
        entries.append(("headlines", label))
    return entries
