"""Checks every published summary must pass, on a digest item in its JSON shape.

:func:`summary_problems` takes one item of the JSON digest (``DigestItem.to_json()``: at
least ``title``, ``at_a_glance`` and ``sections``; ``actors`` and ``license_events`` when
the classifiers found any) and lists what is wrong with its summary, each problem as
``"<check>: <detail>"`` with ``<check>`` one of :data:`CHECKS`. The extractive summariser
and the paraphraser's acceptance test use the same vocabulary (:func:`heading_fits`,
:func:`first_person`, :func:`dangling_start`, :func:`quotes_balanced`,
:func:`license_phrase`), so what the summariser writes is what the checks accept.

=====================  =====================================================================
``first_person``       a first-person pronoun (we, our, us, I, my, ...) outside quotation marks
``glance_title``       "At a glance" repeats the title verbatim
``glance_facts``       an item with license events or a subject actor whose "At a glance"
                       does not state who released what under which license (readable name),
                       or names no subject actor (by name or in the actor's evidence)
``repeated``           the same sentence twice in one item
``quotes``             unbalanced quotation marks in a paragraph
``dangling``           a paragraph starting with a connective or pronoun ("However", "It")
``heading``            a heading its paragraph is not about, or an empty heading in the middle
``glued``              a page heading glued to the first sentence ("Introduction GPT-5 ...")
``boilerplate``        page or feed chrome as summary text
``shape``              "At a glance" missing or too long, or fewer than two headed sections
                       without saying the source has too little text
=====================  =====================================================================
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from classifiers.base import split_sentences
from classifiers.boilerplate import strip_boilerplate

__all__ = [
    "CHECKS",
    "SHORT_NOTE",
    "THEME_HEADINGS",
    "dangling_start",
    "first_person",
    "heading_fits",
    "license_phrase",
    "outside_quotes",
    "quotes_balanced",
    "summary_problems",
    "theme_evidence",
]

CHECKS = (
    "first_person",
    "glance_title",
    "glance_facts",
    "repeated",
    "quotes",
    "dangling",
    "heading",
    "glued",
    "boilerplate",
    "shape",
)

#: The one line an item whose sources have too little text carries instead of sections.
SHORT_NOTE = "The source has too little text for a longer summary."

MAX_GLANCE_WORDS = 60

_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"|«[^«»]*»|„[^„“”]*[“”]|(?<![\w’'])‘[^‘’]*’(?![\w])")
_FIRST_PERSON = re.compile(
    r"\b(?:[Ww]e|WE|[Oo]urs?|[Oo]urselves|us|Us|I|[Mm]y|me|[Mm]yself|[Ll]et[’']s)\b"
    r"(?:[’'](?:re|ve|ll|d|m))?"
)
_CONNECTIVES = (
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "it's",
    "it’s",
    "they",
    "their",
    "them",
    "he",
    "she",
    "his",
    "her",
    "however",
    "but",
    "and",
    "or",
    "also",
    "then",
    "until then",
    "meanwhile",
    "moreover",
    "furthermore",
    "additionally",
    "in addition",
    "instead",
    "still",
    "yet",
    "so",
    "thus",
    "therefore",
    "hence",
    "such",
    "both",
    "another",
    "similarly",
    "likewise",
    "otherwise",
    "nevertheless",
    "nonetheless",
    "conversely",
    "finally",
    "later",
    "afterwards",
    "as a result",
    "in contrast",
    "on the other hand",
    "that said",
    "even so",
    "here",
    "here's",
    "here’s",
    "the latter",
    "the former",
    "which",
    "second",
    "third",
    "lastly",
    "besides",
)
_DANGLING = re.compile(
    r"^[\"“‘(]?(?:"
    + "|".join(re.escape(w) for w in sorted(_CONNECTIVES, key=len, reverse=True))
    # "This week, ..." and "That year ..." are times, not references to a missing sentence
    + r")\b(?!\s+(?:week|month|year|morning|afternoon|evening|spring|summer|autumn|fall|"
    r"winter|quarter|weekend|time)\b)(?![-’'](?:[a-z]))",
    re.I,
)
_GLUED = re.compile(
    r"^(?:Introduction|Overview|Summary|Abstract|Background|TL;?DR|Key takeaways|Highlights|"
    r"Conclusion|Contents|Table of contents|Announcement|Press release)\s+(?=\S)(?![:.,])",
)

_LICENSE_CUE = re.compile(
    r"\blicen[cs]|\bApache\b|\bMIT\b|\bGPL|\bBSD\b|\bCC[- ]BY|\bCreative Commons\b|\bCC0\b|"
    r"\bopen[- ]weights?\b|\bopen[- ]sourc(?:ed|ing)\b|"
    r"\bopen[- ]source (?:licen|models?\b|weights\b|release)|\bterms of (?:use|service)\b|"
    r"\bcopyright|\bcommercial use\b|\bpermissive|\bproprietary\b|\bsource[- ]available\b|"
    r"\bredistribut|\broyalt|\bOpenRAIL|\bacceptable use polic|\bOpenMDW\b|\bweights are\b",
    re.I,
)
_REGULATION_CUE = re.compile(
    r"\bregulat|\blaws?\b|\blegal\b|\b[A-Z][A-Za-z]* Act\b|\bAI Act\b|\blegislat|\blawmakers?\b|"
    r"\bcomplian|\bGDPR\b|\bFTC\b|\bSEC\b|\bDOJ\b|\bCommission\b|\bParliament\b|\bCongress\b|"
    r"\bSenate\b|\bcourts?\b|\blawsuits?\b|\bsued\b|\bantitrust\b|\bexport controls?\b|"
    r"\bexport rules?\b|\bsanctions?\b|\bexecutive order\b|\bwatchdog\b|\bauthorit(?:y|ies)\b|"
    r"\bministry\b|\bdirective\b|\bobligations?\b|\bArticle \d+|\bbills?\b|\bgovernments?\b|"
    r"\bjudge\b|\bruling\b|\bpolicymakers?\b|\bCode of Practice\b|\bliabilit",
    re.I,
)
_RISK_CUE = re.compile(
    r"\bsecurity\b|\bsecure\b|\bvulnerab|\battacks?\b|\battackers?\b|\bmisuse|\bjailbreak|"
    r"\bexploit|\bsafety\b|\bsafe\b|\bsafeguards?\b|\balignment\b|\bmisaligned\b|\bhallucinat|"
    r"\bprivacy\b|\bpersonal data\b|\brisks?\b|\brisky\b|\bharms?\b|\bharmful\b|\bthreats?\b|"
    r"\bmalicious\b|\babuse\b|\bbreach|\bleak|\bbias|\bdanger|\bdecept|\bred[- ]team|\bCVE\b|"
    r"\binjection\b|\bmalware\b|\bfraud\b|\bsabotage\b|\bmonitor",
    re.I,
)
_MARKET_CUE = re.compile(
    r"\bmarkets?\b|\bcompetit|\bpric(?:e|es|ed|ing)\b|\bpartner(?:s|ed|ing|ship|ships)?\b|"
    r"\bacqui|\binvest|\bfunding\b|\bvaluation\b|\brevenue\b|\bcustomers?\b|\block-in\b|"
    r"\bsovereign|\bdeals?\b|\benterprises?\b|\brivals?\b|\bvendors?\b|\bsubscri|\bcosts?\b|"
    r"\bcommercial\b|\bbusiness(?:es)?\b|\bstart-?ups?\b|\bindustry\b|\bbillion\b|\bmillion\b|"
    r"\bsell(?:s|ing)?\b|\bsold\b|\bsales\b|\bpaid\b",
    re.I,
)
#: Heading -> the wording its paragraph must have (None: any paragraph fits).
HEADING_CUES: dict[str, re.Pattern[str] | None] = {
    "What's new.": None,
    "Details.": None,
    "Licensing.": _LICENSE_CUE,
    "Regulation.": _REGULATION_CUE,
    "Risk.": _RISK_CUE,
    "Market structure.": _MARKET_CUE,
}


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def outside_quotes(text: str) -> str:
    """``text`` with every balanced quotation (its marks included) blanked out."""
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), text)


def first_person(text: str) -> list[str]:
    """The first-person pronouns of ``text`` outside quotation marks, in order."""
    return [m.group(0) for m in _FIRST_PERSON.finditer(outside_quotes(text))]


def quotes_balanced(text: str) -> bool:
    """True when every opening quotation mark of ``text`` is closed (curly or straight)."""
    if text.count("\u201c") != text.count("\u201d") or text.count('"') % 2:
        return False
    return text.count("«") == text.count("»")


def dangling_start(text: str) -> bool:
    """True when ``text`` starts with a connective or pronoun whose antecedent would have to
    come before it ("However, ...", "It ...", "This ...", "Until then ...")."""
    return bool(_DANGLING.match(text.lstrip()))


#: Risk theme -> the heading its evidence goes under.
THEME_HEADINGS = {
    "licensing": "Licensing.",
    "regulation": "Regulation.",
    "export_control": "Regulation.",
    "vendor_dependence": "Market structure.",
    "sovereignty": "Market structure.",
    "security": "Risk.",
    "safety": "Risk.",
    "privacy": "Risk.",
}


def heading_fits(
    heading: str, text: str, names: Iterable[str] = (), evidence: Iterable[str] = ()
) -> bool:
    """True when ``text`` is about ``heading``: a "Licensing." paragraph names a license or
    license term, a "Regulation." one a law, regulator or compliance duty, a "Who." one an
    organisation of ``names`` (the story's actors), a "Risk." or "Market structure." one a
    risk or market term, or holds an ``evidence`` sentence a risk-theme classifier found for
    that heading. Other headings fit any paragraph."""
    if heading == "Who.":
        low = text.casefold()
        return any(n and _contains_name(low, n.casefold()) for n in names)
    cue = HEADING_CUES.get(heading)
    if cue is None or cue.search(text) is not None:
        return True
    if heading in ("Risk.", "Market structure."):
        flat = _norm(text).casefold()
        return any(e and _norm(e).casefold() in flat for e in evidence)
    return False


def theme_evidence(risk_themes: Iterable[Any], heading: str) -> list[str]:
    """The evidence sentences of the risk themes whose heading is ``heading``."""
    return [
        str(t.get("evidence"))
        for t in risk_themes
        if isinstance(t, Mapping)
        and t.get("evidence")
        and THEME_HEADINGS.get(str(t.get("theme"))) == heading
    ]


def _contains_name(low_text: str, low_name: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(low_name) + r"(?!\w)", low_text) is not None


@functools.cache
def _license_names() -> dict[str, str]:
    from classifiers.licenses import load_license_table

    names = {}
    for info in load_license_table().licenses:
        name = re.sub(r"\s*\([^)]*\)", "", info.name).strip()
        names[info.id] = name
    return names


def license_phrase(license_id: str) -> str:
    """The readable name of a license id for a sentence ("the Apache License 2.0", "a
    non-commercial license"); an id the license table lacks is given as written."""
    name = _license_names().get(license_id)
    if name is None:
        return license_id.removeprefix("LicenseRef-").replace("-", " ")
    if name.startswith(("A ", "An ")):
        return name[0].lower() + name[1:]
    if name.startswith("The "):
        return "t" + name[1:]
    return f"the {name}"


def _paragraphs(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(heading, text) of the item's at a glance (heading "At a glance") and sections."""
    out = [("At a glance", str(item.get("at_a_glance") or ""))]
    for section in item.get("sections") or ():
        out.append((str(section.get("heading") or ""), str(section.get("text") or "")))
    return out


def _names(item: Mapping[str, Any], *, subject_only: bool = False) -> list[str]:
    names: list[str] = []
    for actor in item.get("actors") or ():
        if subject_only and actor.get("role", "subject") != "subject":
            continue
        names.append(str(actor.get("name") or ""))
        names.extend(str(m) for m in actor.get("matched") or ())
    return [n for n in names if n]


def _glance_facts(item: Mapping[str, Any], glance: str) -> str | None:
    low = glance.casefold()
    events = [e for e in item.get("license_events") or () if e.get("model") or e.get("actor")]
    if events:
        named = [
            e
            for e in events
            if any(
                _contains_name(low, str(v).casefold())
                for v in (e.get("model"), e.get("actor"))
                if v
            )
        ]
        if not named:
            return "names no model or actor of its license events"
        licensed = [e for e in events if e.get("to_license")]
        if licensed and not any(
            license_phrase(str(e["to_license"])).casefold().removeprefix("the ") in low
            for e in licensed
        ):
            return "names no license of its license events by its readable name"
        return None
    subjects = _names(item, subject_only=True)
    if subjects and not any(_contains_name(low, n.casefold()) for n in subjects):
        # the sentence the actor classifier found a subject in names it (by a model family
        # or product name)
        evidence = [
            _norm(str(a.get("evidence") or "")).casefold()
            for a in item.get("actors") or ()
            if a.get("role", "subject") == "subject" and a.get("evidence")
        ]
        if not any(e in _norm(glance).casefold() for e in evidence):
            return "names no subject actor (" + ", ".join(sorted(set(subjects))[:3]) + ")"
    return None


def summary_problems(item: Mapping[str, Any]) -> list[str]:
    """What is wrong with one digest item's summary (empty when it passes every check).

    Args:
        item: a digest item in its JSON shape (``DigestItem.to_json()``).

    Returns:
        One ``"<check>: <detail>"`` string per problem, ``<check>`` from :data:`CHECKS`.
    """
    if item.get("title_only"):
        return []  # nothing but the title and the sources is shown
    problems: list[str] = []
    title = _norm(str(item.get("title") or ""))
    glance = _norm(str(item.get("at_a_glance") or ""))
    paragraphs = _paragraphs(item)
    if not glance:
        problems.append("shape: no at a glance")
    elif len(glance.split()) > MAX_GLANCE_WORDS:
        problems.append(f"shape: at a glance longer than {MAX_GLANCE_WORDS} words")
    sections = list(item.get("sections") or ())
    headed = [s for s in sections if s.get("heading")]
    short = glance == SHORT_NOTE or any(
        _norm(str(s.get("text") or "")) == SHORT_NOTE for s in sections
    )
    if not short and not 2 <= len(headed) <= 4:
        problems.append(f"shape: {len(headed)} headed sections and no short-text note")
    for i, section in enumerate(sections):
        if not section.get("heading") and i > 0 and _norm(str(section.get("text"))) != SHORT_NOTE:
            problems.append("heading: an empty heading after the first section")
    if (
        glance
        and title
        and (
            glance.casefold() == title.casefold()
            or (len(title.split()) >= 4 and title.casefold() in glance.casefold())
        )
    ):
        problems.append("glance_title: at a glance repeats the title")
    if glance == SHORT_NOTE and (item.get("license_events") or sections):
        problems.append("shape: the short-text note with license events or sections")
    elif glance and glance != SHORT_NOTE:
        facts = _glance_facts(item, glance)
        if facts:
            problems.append(f"glance_facts: {facts}")
    seen: set[str] = set()
    actor_names = _names(item)
    for heading, text in paragraphs:
        text = _norm(text)
        if not text:
            continue
        where = heading or "intro"
        pronouns = first_person(text)
        if pronouns:
            problems.append(f"first_person: {where}: {', '.join(dict.fromkeys(pronouns))}")
        if not quotes_balanced(text):
            problems.append(f"quotes: {where}: unbalanced quotation marks")
        if dangling_start(text):
            problems.append(f"dangling: {where}: starts with {text.split()[0]!r}")
        if _GLUED.match(text):
            problems.append(f"glued: {where}: starts with a page heading {text.split()[0]!r}")
        evidence = theme_evidence(item.get("risk_themes") or (), heading)
        if heading not in ("At a glance", "") and not heading_fits(
            heading, text, actor_names, evidence
        ):
            problems.append(f"heading: {heading!r} does not fit its paragraph")
        if "LicenseRef-" in text:
            problems.append(f"glance_facts: {where}: a raw license id")
        if strip_boilerplate(text).removed or any(
            strip_boilerplate(text[a:b]).removed for a, b in split_sentences(text)
        ):
            problems.append(f"boilerplate: {where}")
        for start, end in split_sentences(text):
            key = _norm(text[start:end]).casefold().rstrip(".!?")
            if len(key.split()) < 3:
                continue
            if key in seen:
                problems.append(f"repeated: {where}: {text[start:end][:60]!r}")
            seen.add(key)
    return problems


def problem_checks(problems: Sequence[str]) -> set[str]:
    """The check names of a list of problems."""
    return {p.split(":", 1)[0] for p in problems}
