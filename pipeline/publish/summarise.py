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
how central their words are to the story. :func:`summarise_stories` stores summaries in
the ``summaries`` table keyed by a hash of their inputs, so an unchanged story is never
summarised twice, and uses the optional paraphraser (:mod:`pipeline.publish.llm`) when it is
configured, falling back to the extractive summary on any failure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.base import split_sentences
from pipeline import GENERATOR_NAME, __version__
from pipeline.errors import LLMError
from pipeline.publish.llm import HEADINGS, PROMPT_VERSION, LLMConfig, ngram_overlap, paraphrase
from pipeline.publish.stories import story_texts
from pipeline.records import ArticleText, Summary, SummarySection
from pipeline.settings import Settings
from pipeline.store import (
    ArticleRow,
    ClassificationRow,
    LLMFailureRow,
    Store,
    SummaryRow,
    utcnow,
)
from pipeline.store.engine import dialect_insert

__all__ = [
    "GENERATOR",
    "SECTION_ORDER",
    "SUMMARISER_VERSION",
    "inputs_hash",
    "load_summary",
    "story_classification",
    "summarise_stories",
    "summarise_story",
]

log = logging.getLogger("lumi.summarise")

#: Changes whenever the selection rules change (part of the stored summaries' key).
SUMMARISER_VERSION = "extractive.v1"
#: The ``generator`` every summary carries (and the disclosure names).
GENERATOR = f"{GENERATOR_NAME} {__version__}"
#: Headings in display order (shared with the paraphraser's prompt).
SECTION_ORDER = HEADINGS
MAX_GLANCE_WORDS = 60
MAX_SECTIONS = 4
MAX_SECTION_SENTENCES = 2
MAX_SECTION_WORDS = 90
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
_WORD = re.compile(r"\w+(?:[-.'’]\w+)*")
_STOP_TEXT = """
a an the of to in on for and or with by at from as is are was were be been its it this that
these those we our you your they their has have had will would can could not but so than then
there here which who what when how also more most into about over
"""
_STOP = frozenset(_STOP_TEXT.split())


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1]


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
        content_hash=inputs_hash(texts, classification, "extractive"),
    )


def inputs_hash(
    texts: Sequence[ArticleText], classification: Mapping[str, Any] | None, method: str
) -> str:
    """The key under which a summary of these inputs is stored.

    Extractive summaries depend on the texts, the classification and the selection rules;
    paraphrases (``method="llm"``) on the texts and the prompt only, so re-classifying the
    archive never pays for a paraphrase twice.
    """
    articles = [
        [t.content_hash or hashlib.sha256(t.text.encode()).hexdigest(), t.title] for t in texts
    ]
    if method == "llm":
        payload: dict[str, Any] = {"v": PROMPT_VERSION, "articles": articles}
    else:
        payload = {"v": SUMMARISER_VERSION, "articles": articles, "classes": classification}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


# --- classification of a story --------------------------------------------------------------

_KINDS = (("actor", "actors"), ("licen", "license_events"), ("risk", "risk_themes"))


def _kind(classifier: str) -> str | None:
    name = classifier.casefold()
    return next((kind for prefix, kind in _KINDS if name.startswith(prefix)), None)


def story_classification(session: Session, article_ids: Sequence[int]) -> dict[str, Any] | None:
    """Merge the stored classifier results of a story's articles (current texts only).

    Each stored result is either a list of items (``actors.v1`` -> actors, ``license_*`` ->
    license events, ``risk_*`` -> risk themes) or an object with those keys. Duplicates
    across articles are dropped (actors by name, events by kind/model/license, themes keep
    the highest score).

    Returns:
        ``{"actors": [...], "license_events": [...], "risk_themes": [...]}``, or None when
        no article of the story is classified.
    """
    if not article_ids:
        return None
    rows = session.execute(
        select(ClassificationRow)
        .join(ArticleRow, ArticleRow.id == ClassificationRow.article_id)
        .where(
            ClassificationRow.article_id.in_(list(article_ids)),
            ClassificationRow.content_hash == ArticleRow.content_hash,
        )
        .order_by(ClassificationRow.created_at, ClassificationRow.id)
    ).scalars()
    latest: dict[tuple[int, str], Any] = {}
    for row in rows:  # the newest version of each classifier wins
        latest[(row.article_id, row.classifier)] = row.result
    if not latest:
        return None
    merged: dict[str, list[Mapping[str, Any]]] = {
        "actors": [],
        "license_events": [],
        "risk_themes": [],
    }
    order = {aid: i for i, aid in enumerate(article_ids)}
    for (_article_id, classifier), result in sorted(
        latest.items(), key=lambda kv: (order.get(kv[0][0], 0), kv[0][1])
    ):
        if isinstance(result, Mapping):
            for key in merged:
                merged[key].extend(i for i in result.get(key) or () if isinstance(i, Mapping))
        elif isinstance(result, list):
            kind = _kind(classifier)
            if kind:
                merged[kind].extend(i for i in result if isinstance(i, Mapping))
    return {
        "actors": list({str(a.get("name")): a for a in reversed(merged["actors"])}.values())[::-1],
        "license_events": list(
            {
                (e.get("kind"), e.get("model"), e.get("to_license")): e
                for e in reversed(merged["license_events"])
            }.values()
        )[::-1],
        "risk_themes": sorted(
            {
                str(t.get("theme")): t
                for t in sorted(merged["risk_themes"], key=lambda t: float(t.get("score", 0)))
            }.values(),
            key=lambda t: -float(t.get("score", 0)),
        ),
    }


# --- stored summaries -----------------------------------------------------------------------


def _from_row(row: SummaryRow) -> Summary:
    return Summary(
        at_a_glance=row.at_a_glance,
        sections=tuple(SummarySection(s["heading"], s["text"]) for s in row.sections or ()),
        method=row.method,  # type: ignore[arg-type]
        model=row.model or None,
        generator=row.generator,
        ngram_overlap=row.ngram_overlap,
        unsupported=tuple(row.unsupported or ()),
        content_hash=row.content_hash,
        story_id=row.story_id,
        created_at=row.created_at,
    )


def _stored(
    session: Session, story_id: int, content_hash: str, method: str, model: str
) -> Summary | None:
    row = session.scalar(
        select(SummaryRow).where(
            SummaryRow.story_id == story_id,
            SummaryRow.content_hash == content_hash,
            SummaryRow.method == method,
            SummaryRow.model == model,
        )
    )
    return _from_row(row) if row is not None else None


def _store(session: Session, story_id: int, summary: Summary) -> Summary:
    session.execute(
        dialect_insert(session, SummaryRow)
        .values(
            story_id=story_id,
            method=summary.method,
            model=summary.model or "",
            content_hash=summary.content_hash,
            at_a_glance=summary.at_a_glance,
            sections=[{"heading": s.heading, "text": s.text} for s in summary.sections],
            ngram_overlap=summary.ngram_overlap,
            unsupported=list(summary.unsupported),
            generator=summary.generator,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["story_id", "content_hash", "method", "model"])
    )
    stored = _stored(session, story_id, summary.content_hash, summary.method, summary.model or "")
    assert stored is not None
    return stored


def load_summary(session: Session, story_id: int) -> Summary | None:
    """The most recently stored summary of a story (None when it has none).

    Prefer :func:`summarise_stories`, which also checks the story has not changed since.
    """
    row = session.scalar(
        select(SummaryRow)
        .where(SummaryRow.story_id == story_id)
        .order_by(SummaryRow.created_at.desc(), SummaryRow.id.desc())
        .limit(1)
    )
    return _from_row(row) if row is not None else None


#: LLM failures that would repeat for the same inputs: recorded, not retried.
_STICKY = ("malformed", "shape", "overlap")
#: LLM failures that would repeat for every story of this run: stop asking for the rest.
_STOP_RUN = ("timeout", "connection", "budget")


def summarise_stories(
    store: Store,
    story_ids: Sequence[int],
    settings: Settings,
    *,
    now: datetime | None = None,
) -> dict[int, Summary]:
    """Summarise stories, reusing every summary already stored for the same inputs.

    Each story gets its extractive summary (stored once per input hash). When the
    paraphraser is configured (``LUMI_LLM_URL``), a paraphrase is requested once per story
    text version and model and returned instead; on any failure the extractive summary is
    returned with ``fallback_reason`` set. A model answer that is malformed, of the wrong
    shape or too far from the sources is remembered and not requested again for the same
    inputs; after a timeout, connection failure or a spent budget the paraphraser is not
    asked again in this call.

    Args:
        store: the open database.
        story_ids: the stories to summarise (unknown or empty stories are skipped).
        settings: effective settings (``llm_*``).
        now: the clock for the token budget's day (tests).

    Returns:
        The summary to publish for each story id.
    """
    config = LLMConfig.from_settings(settings)
    results: dict[int, Summary] = {}
    stop_reason: str | None = None
    for story_id in dict.fromkeys(story_ids):
        with store.session() as session:
            texts = story_texts(session, story_id)
            if not texts:
                continue
            classification = story_classification(
                session, [t.article_id for t in texts if t.article_id is not None]
            )
            ext_hash = inputs_hash(texts, classification, "extractive")
            extractive = _stored(session, story_id, ext_hash, "extractive", "")
            if extractive is None:
                extractive = _store(session, story_id, summarise_story(texts, classification))
            # a story whose texts have not arrived (title-only entries) has nothing to
            # paraphrase: never spend tokens on a title
            if config is None or not any(t.text.strip() for t in texts):
                results[story_id] = extractive
                continue
            llm_hash = inputs_hash(texts, None, "llm")
            cached = _stored(session, story_id, llm_hash, "llm", config.model)
            failure = session.scalar(
                select(LLMFailureRow).where(
                    LLMFailureRow.story_id == story_id,
                    LLMFailureRow.content_hash == llm_hash,
                    LLMFailureRow.model == config.model,
                )
            )
            failed = f"{failure.reason}: {failure.detail}" if failure is not None else None
        if cached is not None:
            results[story_id] = cached
            continue
        reason = failed or stop_reason
        if reason is None:
            try:
                para = paraphrase(store, config, texts, extractive, now=now)
            except LLMError as exc:
                reason = f"{exc.reason}: {exc.message}"
                log.warning(
                    "paraphrase not used",
                    extra={"stage": "summarise", "story_id": story_id, "error_class": exc.reason},
                )
                if exc.reason in _STICKY:
                    _remember_failure(store, story_id, llm_hash, config.model, exc)
                elif exc.reason in _STOP_RUN:
                    stop_reason = reason
            else:
                summary = Summary(
                    at_a_glance=para.at_a_glance,
                    sections=para.sections,
                    method="llm",
                    model=config.model,
                    generator=GENERATOR,
                    ngram_overlap=para.ngram_overlap,
                    unsupported=para.unsupported,
                    content_hash=llm_hash,
                )
                with store.session() as session:
                    results[story_id] = _store(session, story_id, summary)
                continue
        results[story_id] = dataclasses.replace(extractive, fallback_reason=reason)
    return results


def _remember_failure(
    store: Store, story_id: int, content_hash: str, model: str, exc: LLMError
) -> None:
    with store.session() as session:
        session.execute(
            dialect_insert(session, LLMFailureRow)
            .values(
                story_id=story_id,
                content_hash=content_hash,
                model=model,
                reason=exc.reason,
                detail=exc.message[:500],
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["story_id", "content_hash", "model"])
        )
