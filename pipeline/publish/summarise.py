"""Summaries: "At a glance" and headed sections per story.

The default summariser is **extractive and deterministic**: every sentence it outputs is a
sentence of a source article (title or text), whitespace aside; nothing is invented or
reworded. It picks

- *At a glance*: the best lead sentence of the sources (one or two sentences, at most 60
  words);
- 2-4 sections among "What's new.", "Who.", "Licensing.", "Market structure.",
  "Regulation." and "Risk.", filled first with the classifiers' evidence sentences (a
  license event's evidence goes to "Licensing.", a risk theme's evidence to its heading),
  then with sentences whose wording marks them for a heading, then "What's new." with the
  best remaining lead sentences ("Details." when nothing else fits).

Sentences are ranked by position (news puts the facts first), overlap with the titles and
how central their words are to the story.

This module also owns the shape every summary has, extractive or paraphrased
(:data:`HEADINGS`, :data:`MAX_GLANCE_WORDS`, :data:`MAX_SECTION_WORDS`) and the n-gram
faithfulness check (:func:`ngram_overlap`); the optional paraphraser
(:mod:`pipeline.publish.llm`) imports them from here. Storing summaries and asking the
paraphraser is the summary stage, :mod:`pipeline.publish.summaries`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from classifiers.base import split_sentences
from pipeline import GENERATOR_NAME, __version__
from pipeline.records import ArticleText, Summary, SummarySection
from pipeline.store import Transaction, current_classifications
from pipeline.text import WORD, words

__all__ = [
    "GENERATOR",
    "HEADINGS",
    "MAX_GLANCE_WORDS",
    "MAX_SECTIONS",
    "MAX_SECTION_WORDS",
    "SECTION_ORDER",
    "SUMMARISER_VERSION",
    "hash_payload",
    "inputs_hash",
    "ngram_overlap",
    "source_keys",
    "story_classification",
    "summarise_story",
    "text_words",
]

#: Changes whenever the selection rules change (part of the stored summaries' key).
SUMMARISER_VERSION = "extractive.v1"
#: The ``generator`` every summary carries (and the disclosure names).
GENERATOR = f"{GENERATOR_NAME} {__version__}"
#: Section headings in display order (the paraphraser's prompt offers the same).
HEADINGS = (
    "What's new.",
    "Who.",
    "Licensing.",
    "Market structure.",
    "Regulation.",
    "Risk.",
    "Details.",
)
SECTION_ORDER = HEADINGS
#: Longest "At a glance" of any summary, in words.
MAX_GLANCE_WORDS = 60
#: Most sections of any summary.
MAX_SECTIONS = 4
#: Longest section of any summary, in words: extractive sections are filled up to it and a
#: paraphrase with a longer section is refused.
MAX_SECTION_WORDS = 90
MAX_SECTION_SENTENCES = 2
MIN_SENTENCE_WORDS = 5

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

#: Wording that marks a sentence for a heading when no classifier evidence says so.
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Licensing.",
        re.compile(
            r"\blicen[cs](?:e|ed|es|ing)\b|\bApache[- ]2|\bMIT\b|\bopen[- ]weights?\b|"
            r"\bopen[- ]source[ds]?\b|\bcopyright|\bterms of use\b|\bCC[- ]BY",
            re.I,
        ),
    ),
    (
        "Regulation.",
        re.compile(
            r"\bregulat|\bAI Act\b|\bcomplian|\blegislat|\blawmakers?\b|\bexport controls?\b|"
            r"\bsanctions?\b|\bantitrust\b|\bEuropean Commission\b|\bcongress\b",
            re.I,
        ),
    ),
    (
        "Risk.",
        re.compile(
            r"\bsecurity\b|\bvulnerab|\battacks?\b|\bmisuse\b|\bjailbreak|\bexploit|\bsafety\b|"
            r"\bsafeguards?\b|\balignment\b|\bhallucinat|\bprivacy\b|\bpersonal data\b|\brisks?\b",
            re.I,
        ),
    ),
    (
        "Market structure.",
        re.compile(
            r"\bmarket\b|\bcompetit|\bpric(?:e|es|ing)\b|\bpartner(?:s|ship)?\b|\bacqui|"
            r"\binvest|\bfunding\b|\bvaluation\b|\brevenue\b|\bcustomers\b|\block-in\b|"
            r"\bsovereign",
            re.I,
        ),
    ),
)
_NEWS_CUE = re.compile(
    r"\b(?:releas|launch|announc|introduc|unveil|availab|today|now (?:support|offer)|ships?\b|"
    r"rolling out|rolled out|new\b)",
    re.I,
)
_BOILERPLATE = re.compile(
    r"\b(?:subscribe|newsletter|cookies?|sign up|log in|click here|read more|share this|"
    r"follow us|all rights reserved|back to blog|min read|privacy policy|terms of service|"
    r"table of contents|skip to)\b",
    re.I,
)
_STOP_TEXT = """
a an the of to in on for and or with by at from as is are was were be been its it this that
these those we our you your they their has have had will would can could not but so than then
there here which who what when how also more most into about over
"""
_STOP = frozenset(_STOP_TEXT.split())


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _content_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1]


# --- the faithfulness check ------------------------------------------------------------------


def text_words(text: str) -> list[str]:
    """The case-folded words of ``text`` (NFKC), as the faithfulness checks compare them."""
    return words(text)


def _grams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def ngram_overlap(output: str, sources: Sequence[str], n: int = 3) -> float:
    """Share (0-1) of the output's word ``n``-grams that occur in the sources.

    N-grams are taken within each sentence of the output, so joining selected sentences
    costs nothing; a sentence shorter than ``n`` words counts once, as found when all its
    words occur in the sources.
    """
    vocabulary: set[str] = set()
    known: set[tuple[str, ...]] = set()
    for source in sources:
        words = text_words(source)
        vocabulary.update(words)
        known.update(_grams(words, n))
    found = total = 0
    for start, end in split_sentences(output):
        words = text_words(output[start:end])
        if not words:
            continue
        if len(words) < n:
            total += 1
            found += all(w in vocabulary for w in words)
            continue
        grams = _grams(words, n)
        total += len(grams)
        found += sum(1 for g in grams if g in known)
    return found / total if total else 1.0


# --- the extractive summariser ---------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Sentence:
    text: str
    doc: int
    pos: int
    words: int
    tokens: frozenset[str]
    score: float = 0.0


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_SENTENCE_WORDS <= len(words) <= MAX_GLANCE_WORDS:
        return False
    if not (sentence[0].isupper() or sentence[0].isdigit() or sentence[0] in "\"'“‘("):
        return False
    if not re.search(r"[.!?][\"'”’)]?$", sentence):
        return False  # headings, captions and cut-off text
    if "http://" in sentence or "https://" in sentence or "www." in sentence:
        return False
    return not _BOILERPLATE.search(sentence)


def _candidates(texts: Sequence[ArticleText]) -> list[_Sentence]:
    found: list[_Sentence] = []
    seen: set[str] = set()
    for doc, item in enumerate(texts):
        pos = 0
        for start, end in split_sentences(item.text):
            sentence = _norm(item.text[start:end])
            if not _usable(sentence):
                continue
            key = sentence.casefold()
            if key in seen:  # the same sentence from a second source adds nothing
                pos += 1
                continue
            seen.add(key)
            found.append(
                _Sentence(
                    sentence, doc, pos, len(sentence.split()), frozenset(_content_words(sentence))
                )
            )
            pos += 1
    return found


def _score(sentences: list[_Sentence], texts: Sequence[ArticleText]) -> None:
    title_words = {w for t in texts for w in _content_words(t.title)}
    counts = Counter(w for t in texts for w in _content_words(t.text))
    top = math.log1p(max(counts.values())) if counts else 1.0
    for s in sentences:
        if not s.tokens:
            continue
        position = 1.0 / (1.0 + s.pos)
        title = len(s.tokens & title_words) / max(1, len(title_words))
        central = sum(math.log1p(counts[w]) for w in s.tokens) / (len(s.tokens) * top)
        s.score = position + 0.8 * title + 0.6 * central
        if s.words < 8:
            s.score *= 0.7
        if texts[s.doc].is_teaser:
            s.score *= 0.8


def _glance(sentences: list[_Sentence]) -> list[_Sentence]:
    leads = [s for s in sentences if s.pos <= 2] or sentences
    if not leads:
        return []
    best = max(leads, key=lambda s: (s.score, -s.doc, -s.pos))
    chosen = [best]
    follower = next(
        (s for s in sentences if s.doc == best.doc and s.pos == best.pos + 1),
        None,
    )
    if (
        follower is not None
        and best.words <= 30
        and best.words + follower.words <= MAX_GLANCE_WORDS
    ):
        chosen.append(follower)
    return chosen


def _evidence(classification: Mapping[str, Any] | None) -> list[tuple[str, str, float]]:
    """(heading, evidence sentence, weight) from a classification in the section 6 shape."""
    if not classification:
        return []
    found: list[tuple[str, str, float]] = []
    for event in classification.get("license_events") or ():
        if isinstance(event, Mapping) and event.get("evidence"):
            found.append(("Licensing.", str(event["evidence"]), 2.0 + float(event.get("score", 1))))
    for theme in classification.get("risk_themes") or ():
        if not isinstance(theme, Mapping) or not theme.get("evidence"):
            continue
        heading = THEME_HEADINGS.get(str(theme.get("theme")))
        if heading:
            found.append((heading, str(theme["evidence"]), 1.0 + float(theme.get("score", 0.5))))
    for actor in classification.get("actors") or ():
        if isinstance(actor, Mapping) and actor.get("evidence"):
            found.append(("Who.", str(actor["evidence"]), 0.5 * float(actor.get("score", 1))))
    return found


def _find_evidence(
    evidence: str, sentences: list[_Sentence], texts: Sequence[ArticleText]
) -> _Sentence | None:
    """The candidate sentence holding ``evidence``, else the evidence itself when it is a
    verbatim, usable span of a source (classifiers may split sentences differently)."""
    ev = _norm(evidence)
    if not ev:
        return None
    low = ev.casefold()
    for s in sentences:
        if s.text.casefold() == low or low in s.text.casefold():
            return s
    if not _usable(ev):
        return None
    for doc, item in enumerate(texts):
        if ev in _norm(item.text):
            return _Sentence(ev, doc, 1000, len(ev.split()), frozenset(_content_words(ev)))
    return None


def _fits(section: list[_Sentence], s: _Sentence) -> bool:
    return (
        len(section) < MAX_SECTION_SENTENCES
        and sum(x.words for x in section) + s.words <= MAX_SECTION_WORDS
    )


def _sections(
    sentences: list[_Sentence],
    used: set[str],
    texts: Sequence[ArticleText],
    classification: Mapping[str, Any] | None,
) -> list[SummarySection]:
    chosen: dict[str, list[_Sentence]] = {}
    weight: dict[str, float] = {}

    def take(heading: str, s: _Sentence, w: float) -> None:
        key = s.text.casefold()
        if key in used:
            return
        section = chosen.setdefault(heading, [])
        if _fits(section, s):
            section.append(s)
            used.add(key)
            weight[heading] = weight.get(heading, 0.0) + w

    for heading, evidence, w in sorted(_evidence(classification), key=lambda e: -e[2]):
        found = _find_evidence(evidence, sentences, texts)
        if found is not None:
            take(heading, found, 10.0 + w)  # classifier evidence outranks wording cues
    ranked = sorted(sentences, key=lambda s: (-s.score, s.doc, s.pos))
    news = [s for s in ranked if s.pos <= 3 or _NEWS_CUE.search(s.text)]
    for s in news:
        if len(chosen.get("What's new.", [])) >= MAX_SECTION_SENTENCES:
            break
        if _NEWS_CUE.search(s.text) or s.pos <= 1:
            take("What's new.", s, 100.0 + s.score)
    for s in ranked:
        for heading, cue in _CUES:
            if cue.search(s.text):
                take(heading, s, s.score)
                break
    picked = [h for h, items in chosen.items() if items]
    picked.sort(key=lambda h: -weight[h])
    picked = picked[:MAX_SECTIONS]
    if len(picked) < 2:
        for s in ranked:
            if len(chosen.get("Details.", [])) >= MAX_SECTION_SENTENCES:
                break
            take("Details.", s, 0.0)
        if chosen.get("Details."):
            picked.append("Details.")
    result = []
    for heading in SECTION_ORDER:
        if heading in picked:
            items = sorted(chosen[heading], key=lambda s: (s.doc, s.pos))
            result.append(SummarySection(heading, " ".join(s.text for s in items)))
    return result


def summarise_story(
    texts: Sequence[ArticleText], classification: Mapping[str, Any] | None = None
) -> Summary:
    """Summarise one story extractively: every sentence is taken verbatim from ``texts``.

    Pure and deterministic: the same inputs always give the same summary.

    Args:
        texts: the story's articles (the first is the oldest; order breaks ties).
        classification: the story's classification in the output-contract shape
            (``{"actors": [...], "license_events": [...], "risk_themes": [...]}``, each
            item with an ``evidence`` sentence), or None.

    Returns:
        A summary with ``method="extractive"``; when the sources hold no usable sentence,
        at a glance is the first title and there are no sections.
    """
    sentences = _candidates(texts)
    _score(sentences, texts)
    glance = _glance(sentences)
    used = {s.text.casefold() for s in glance}
    if glance:
        at_a_glance = " ".join(s.text for s in glance)
    else:
        at_a_glance = next((_norm(t.title) for t in texts if t.title.strip()), "")
    sections = _sections(sentences, used, texts, classification)
    output = " ".join([at_a_glance, *(s.text for s in sections)])
    sources = [f"{t.title}\n{t.text}" for t in texts]
    return Summary(
        at_a_glance=at_a_glance,
        sections=tuple(sections),
        method="extractive",
        model=None,
        generator=GENERATOR,
        ngram_overlap=round(ngram_overlap(output, sources), 4),
        content_hash=inputs_hash(texts, classification),
    )


def source_keys(texts: Sequence[ArticleText]) -> list[list[str]]:
    """What identifies each source text in a summary's input hash: content hash and title."""
    return [[t.content_hash or hashlib.sha256(t.text.encode()).hexdigest(), t.title] for t in texts]


def hash_payload(payload: Mapping[str, Any]) -> str:
    """The SHA-256 of a JSON payload in canonical form (the stored summaries' key)."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def inputs_hash(texts: Sequence[ArticleText], classification: Mapping[str, Any] | None) -> str:
    """The key under which the extractive summary of these inputs is stored.

    It depends on the texts, the classification and the selection rules (paraphrases are
    keyed by :func:`pipeline.publish.llm.paraphrase_hash`: texts and prompt only).
    """
    return hash_payload(
        {"v": SUMMARISER_VERSION, "articles": source_keys(texts), "classes": classification}
    )


# --- classification of a story --------------------------------------------------------------


def story_classification(session: Transaction, article_ids: Sequence[int]) -> dict[str, Any] | None:
    """The merged classification of a story's articles (current texts only), in the
    output-contract shape.

    Reads each article's current classifications
    (:func:`pipeline.store.current_classifications`) and merges them with
    :func:`classifiers.api.merge`, the same merge the digest uses.

    Args:
        session: an open session.
        article_ids: the story's articles, oldest first.

    Returns:
        ``{"actors": [...], "license_events": [...], "risk_themes": [...], ...}`` (every
        registered output key), or None when no article of the story is classified.
    """
    from classifiers.api import merge, output_keys

    if not article_ids:
        return None
    found = current_classifications(session, article_ids)
    if not found:
        return None
    merged = merge(found[aid] for aid in dict.fromkeys(article_ids) if aid in found)
    out: dict[str, Any] = {key: [] for key in output_keys()}
    out.update({key: [r.to_json() for r in results] for key, results in merged.items()})
    return out
