"""Label and chrome text of the digest, as data: one table per language (``LUMI_LANGUAGE``).

Every table has the same keys (a test checks it). Placeholders use ``str.format`` names.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGUAGES", "SECTION_ORDER", "TEXT", "text"]

#: Digest sections, in the order they appear.
SECTION_ORDER = ("licensing", "risk", "models", "other")

TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "label_unreviewed": "AI-generated summary — not reviewed by an editor.",
        "label_reviewed": "AI-assisted, reviewed by {editor}.",
        "label_legal": "Disclosed pursuant to Article 50 EU AI Act.",
        "label_generator": "Summary and classification by {generator} {version}.",
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
        "digest_title": "Lumi digest — {date}",
        "digest_intro": (
            "AI-industry news fetched on {date} ({timezone}), selected, summarised and "
            "classified by software."
        ),
        "no_items": "No stories were fetched on this day.",
        "at_a_glance": "At a glance:",
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
        "feed_author": "Lumi",
    },
    "de": {
        "label_unreviewed": "KI-generierte Zusammenfassung — nicht redaktionell geprüft.",
        "label_reviewed": "KI-gestützt, redaktionell geprüft von {editor}.",
        "label_legal": "Offenlegung gemäß Artikel 50 der KI-Verordnung (EU).",
        "label_generator": "Zusammenfassung und Klassifizierung durch {generator} {version}.",
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
        "digest_title": "Lumi-Digest — {date}",
        "digest_intro": (
            "Nachrichten aus der KI-Branche, abgerufen am {date} ({timezone}), von Software "
            "ausgewählt, zusammengefasst und klassifiziert."
        ),
        "no_items": "An diesem Tag wurden keine Meldungen abgerufen.",
        "at_a_glance": "Auf einen Blick:",
        "source": "Quelle:",
        "published": "Veröffentlicht {date}",
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
        "feed_author": "Lumi",
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
