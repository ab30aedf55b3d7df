"""Summaries: "At a glance", an intro paragraph and headed sections per story.

The default summariser is **extractive and deterministic** and writes in the third person:
every sentence it outputs is a sentence of a source article, whitespace aside, except that

- a publisher's first-person statement is reported ("We are releasing X." -> "Mistral AI
  says it is releasing X.") or, when it cannot be rewritten safely, quoted whole with
  attribution ("Mistral AI writes: “...”"); without a known publisher it is left out;
- *At a glance* of a story with license events states them from the classifier results
  (:func:`facts_sentence`: who released or relicensed which model under which license, by
  the license's readable name), followed by the best lead sentence when it fits;
- *At a glance* of a story with a subject actor (and no license event) whose best lead
  names none follows the lead with the best source sentence that names one, or else with
  :func:`who_sentence` ("The source names Anthropic."), built from the actor results.

It picks

- *At a glance*: the facts sentence, or the best third-person lead sentence (one naming the
  story's subject actor when there is one) and the sentence after it or one naming the
  subject, never the title; one or two sentences, at most 60 words;
- an intro paragraph (the first section, with an empty heading): the next lead sentences;
- 2-4 sections among "What's new.", "Who.", "Licensing.", "Market structure.",
  "Regulation.", "Risk." and "Details.", filled first with the classifiers' evidence
  sentences, then with sentences whose wording marks them for a heading, then "What's
  new." with the best remaining lead sentences; a sentence goes under a heading only when
  it is about it (:func:`pipeline.publish.checks.heading_fits`), and no paragraph starts
  with a connective or pronoun whose antecedent is missing. Sources with too little text
  for two headed sections get the one line :data:`SHORT_NOTE` instead.

Sentences are ranked by position (news puts the facts first), overlap with the titles and
how central their words are to the story. What every summary must pass is
:func:`pipeline.publish.checks.summary_problems`.

This module also owns the shape every summary has, extractive or paraphrased
(:data:`HEADINGS`, :data:`MAX_GLANCE_WORDS`, :data:`MAX_SECTION_WORDS`) and the n-gram
faithfulness check (:func:`ngram_overlap`); the optional paraphraser
(:mod:`pipeline.publish.llm`) imports them from here. Storing summaries and asking the
paraphraser is the summary stage, :mod:`pipeline.publish.summaries`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from typing import Any
from urllib.parse import urlsplit

from classifiers.base import split_sentences
from classifiers.boilerplate import strip_boilerplate
from pipeline import GENERATOR_NAME, __version__
from pipeline.publish.checks import (
    SHORT_NOTE,
    THEME_HEADINGS,
    dangling_start,
    first_person,
    heading_fits,
    license_phrase,
    quotes_balanced,
    theme_evidence,
)
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
    "SHORT_NOTE",
    "SUMMARISER_VERSION",
    "facts_sentence",
    "hash_payload",
    "inputs_hash",
    "ngram_overlap",
    "source_keys",
    "story_classification",
    "summarise_story",
    "text_words",
    "third_person",
    "who_sentence",
]

#: Changes whenever the selection rules change (part of the stored summaries' key).
SUMMARISER_VERSION = "extractive.v4"
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
#: Fewest usable sentences from which a "Details." section may fill up a summary that has
#: fewer than two other headed sections (below it the summary says the text is short).
MIN_SENTENCES_FOR_DETAILS = 8

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


# --- third person ----------------------------------------------------------------------------


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that start a sentence in lower case when a sentence is reported ("Today, ..." ->
#: "says that today, ..."); any other capitalised first word is kept as written.
_PLAIN_STARTS = _wordlist(
    """
    a an the today now this that these those with in on at for as after before over since
    starting together last earlier next once when while by from to here there both each every
    all some many most more our its it new building following based beyond alongside across
    through under until unlike like just instead
    """
)
_MODALS = _wordlist("can could should would may might must will shall did")
_ADVERBS = _wordlist(
    "also now recently further then still already today first just currently finally soon "
    "previously initially additionally increasingly continuously always never often"
)
#: Verbs after "we" whose third-person form adds -s/-es; past forms (-ed) need nothing.
_BASE_VERBS = _wordlist(
    """
    release believe expect plan offer provide build use make see think want need hope continue
    support introduce launch share announce look work train design find recommend encourage know
    take keep aim partner invite welcome open publish ship add bring give develop focus deliver
    evaluate measure invest remain intend commit collaborate enable improve update test run
    describe show present propose explore study report consider apply adopt maintain
    """
)
_IRREGULAR = {"are": "is", "have": "has", "were": "was", "do": "does", "go": "goes", "was": "was"}
_PAST_IRREGULAR = _wordlist(
    "built made saw thought found took kept gave brought ran began wrote chose became got "
    "had did went led met sent spent put set told felt held knew"
)
_CONTRACTIONS = {"re": "is", "ve": "has", "ll": "will", "d": "would"}


def _third_person_verb(word: str) -> str | None:
    low = word.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if low in _MODALS or low.endswith("ed") or low in _PAST_IRREGULAR:
        return low
    if low in _BASE_VERBS:
        if low.endswith(("s", "sh", "ch", "x", "z", "o")):
            return low + "es"
        if low.endswith("y") and low[-2:-1] not in "aeiou":
            return low[:-1] + "ies"
        return low + "s"
    return None


_TOKEN = re.compile(r"[\w’'-]+|[^\w\s]|\s+")


def third_person(sentence: str, publisher: str, proper: frozenset[str] = frozenset()) -> str | None:
    """``sentence`` (a statement by ``publisher`` in the first person plural) reported in the
    third person: "We are releasing X." -> "Mistral AI says it is releasing X.".

    Returns None when the sentence cannot be rewritten safely (singular first person, "us",
    a question, a verb after "we" whose third-person form is not known); the caller then
    quotes it whole or leaves it out. ``proper`` holds words that stay capitalised when
    they no longer start the sentence.
    """
    if sentence.rstrip().endswith("?") or not quotes_balanced(sentence):
        return None
    tokens = _TOKEN.findall(sentence)
    out: list[str] = []
    i = 0
    changed = False
    while i < len(tokens):
        tok = tokens[i]
        low = tok.lower().replace("’", "'")
        if low in ("we", "we're", "we've", "we'll", "we'd"):
            subject = "it"
            if "'" in low:
                out.append(f"{subject} {_CONTRACTIONS[low.split(chr(39))[1]]}")
                i += 1
                changed = True
                continue
            # "we [adverb] verb" -> "it [adverb] verb-s"
            j = i + 1
            words: list[int] = []
            while j < len(tokens) and len(words) < 2:
                if tokens[j].isspace():
                    j += 1
                    continue
                words.append(j)
                if tokens[j].lower() not in _ADVERBS:
                    break
                j += 1
            if not words:
                return None
            verb_at = words[-1]
            verb = _third_person_verb(tokens[verb_at])
            if verb is None:
                return None
            out.append(subject)
            out.extend(tokens[i + 1 : verb_at])
            out.append(verb)
            i = verb_at + 1
            changed = True
            continue
        if low in ("our", "ours"):
            if low == "ours":
                return None
            out.append("its" if tok[0].islower() else "Its")
            i += 1
            changed = True
            continue
        if low in (
            "us",
            "i",
            "my",
            "me",
            "myself",
            "ourselves",
            "let's",
            "i'm",
            "i've",
            "i'll",
            "i'd",
        ) and (low != "us" or tok != "US"):
            if low == "i" and tok != "I":
                out.append(tok)
                i += 1
                continue
            return None
        out.append(tok)
        i += 1
    if not changed:
        return None
    text = "".join(out).strip()
    if first_person(text):
        return None
    first = re.match(r"[\w’'-]+", text)
    if first is None:
        return None
    word = first.group(0)
    if word.lower() in ("it", "its"):
        text = word.lower() + text[len(word) :]
        lead = f"{publisher} says "
    elif _plain_start(word, proper):
        text = word.lower() + text[len(word) :]
        lead = f"{publisher} says that "
    else:
        lead = f"{publisher} says "
    if text.endswith("!"):
        text = text[:-1] + "."
    return lead + text


#: A word inside a sentence: after a lower-case letter, comma or semicolon and a space.
_INSIDE_WORD = re.compile(r"(?<=[a-z,;]) ([A-Za-z][\w’'-]*)")


def _proper_words(texts: Sequence[ArticleText]) -> frozenset[str]:
    """Capitalised words the sources write capitalised inside sentences more often than in
    lower case (names, not sentence starts)."""
    seen: Counter[str] = Counter()
    for t in texts:
        seen.update(_INSIDE_WORD.findall(t.text))
    lower: Counter[str] = Counter()
    for word, n in seen.items():
        if not word[0].isupper():
            lower[word.capitalize()] += n
    return frozenset(w for w, n in seen.items() if w[0].isupper() and n > lower[w])


# --- the extractive summariser ---------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Sentence:
    text: str  # as in the source
    doc: int
    pos: int
    words: int
    tokens: frozenset[str]
    score: float = 0.0
    out: str = ""  # as published: the source sentence, reported or quoted in the third person

    def __post_init__(self) -> None:
        if not self.out:
            self.out = self.text

    @property
    def dangling(self) -> bool:
        """Starts (as written in the source) with a connective or pronoun that needs the
        sentence before it."""
        return dangling_start(self.text) or dangling_start(self.out)


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_SENTENCE_WORDS <= len(words) <= MAX_GLANCE_WORDS:
        return False
    if not (sentence[0].isupper() or sentence[0].isdigit() or sentence[0] in "\"'“‘("):
        return False
    if not re.search(r"[.!][\"'”’)]?$", sentence):
        return False  # headings, captions, cut-off text and questions
    if "http://" in sentence or "https://" in sentence or "www." in sentence:
        return False
    if _GLUED_HEADING.match(sentence) or strip_boilerplate(sentence).removed:
        return False
    if len(words) < 12 and sum(w[:1].isupper() for w in words) >= 0.7 * len(words):
        return False  # a Title Case heading that ended up before a sentence's full stop
    return not _BOILERPLATE.search(sentence) and quotes_balanced(sentence)


_GLUED_HEADING = re.compile(
    r"^(?:Introduction|Overview|Summary|Abstract|Background|TL;?DR|Key takeaways|Highlights|"
    r"Conclusion|Contents)\s+(?![:.,])"
)


def _units(text: str) -> list[str]:
    """The sentences of ``text``, a quotation the splitter cut apart joined again."""
    pieces = [_norm(text[a:b]) for a, b in split_sentences(text)]
    units: list[str] = []
    i = 0
    while i < len(pieces):
        unit = pieces[i]
        j = i + 1
        while not quotes_balanced(unit) and j < len(pieces) and j - i < 4:
            unit = f"{unit} {pieces[j]}"
            j += 1
        units.append(unit)
        i = j
    return units


def _published_form(sentence: str, publisher: str | None, proper: frozenset[str]) -> str | None:
    """How ``sentence`` may appear in a summary: as written, reported in the third person,
    quoted whole with attribution, or (None) not at all."""
    if not first_person(sentence):
        return sentence
    if publisher is None:
        return None
    reported = third_person(sentence, publisher, proper)
    if reported is not None:
        return reported
    if '"' in sentence or "“" in sentence or sentence.endswith("?"):
        return None
    return f"{publisher} writes: “{sentence}”"


def _candidates(
    texts: Sequence[ArticleText], publisher: str | None, proper: frozenset[str]
) -> list[_Sentence]:
    found: list[_Sentence] = []
    seen: set[str] = set()
    for doc, item in enumerate(texts):
        pos = 0
        for sentence in _units(item.text):
            if not _usable(sentence):
                continue
            key = sentence.casefold()
            if key in seen:  # the same sentence from a second source adds nothing
                pos += 1
                continue
            seen.add(key)
            out = _published_form(sentence, publisher, proper)
            if out is not None:
                found.append(
                    _Sentence(
                        sentence,
                        doc,
                        pos,
                        len(out.split()),
                        frozenset(_content_words(sentence)),
                        out=out,
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
        if s.out != s.text:
            s.score *= 0.9  # a reported statement reads less directly than a plain one


def _repeats_title(sentence: str, titles: Sequence[str]) -> bool:
    low = _norm(sentence).casefold().rstrip(".!")
    for title in titles:
        t = _norm(title).casefold().rstrip(".!")
        if t and (low == t or (len(t.split()) >= 4 and t in low)):
            return True
    return False


def _names_any(text: str, names: Sequence[str]) -> bool:
    low = text.casefold()
    return any(re.search(r"(?<!\w)" + re.escape(n.casefold()) + r"(?!\w)", low) for n in names)


def _lead(
    sentences: list[_Sentence],
    titles: Sequence[str],
    subjects: Sequence[str],
    publisher: str | None,
    proper: frozenset[str] = frozenset(),
    subject_evidence: Sequence[str] = (),
) -> _Sentence | None:
    """The best third-person lead sentence: early, central, not the title, not dangling;
    one naming the story's subject when there is one (or, in the subject's own post, the
    best lead attributed to it)."""
    fit = [s for s in sentences if not s.dangling and not _repeats_title(s.out, titles)]
    leads = [s for s in fit if s.pos <= 4] or fit
    if not leads:
        return None

    def rank(s: _Sentence) -> tuple[float, int, int]:
        return (-(s.score - 0.15 * max(0, s.pos - 2)), s.doc, s.pos)

    ranked = sorted(leads, key=rank)
    best = ranked[0]
    if not subjects or _names_any(best.out, subjects):
        return best
    naming = [s for s in ranked if _names_any(s.out, subjects)]
    if naming and naming[0].score >= 0.5 * best.score:
        return naming[0]
    if publisher is not None and publisher in subjects and not best.out.startswith(("“", '"')):
        reported = _attributed(best.out, publisher, proper)
        return dataclasses.replace(best, out=reported, words=len(reported.split()))
    later = sorted((s for s in fit if s.pos <= 10 and _names_any(s.out, subjects)), key=rank)
    if later and later[0].score >= 0.35 * best.score:
        return later[0]
    # the sentence the actor classifier found the subject in (it may name it by a model
    # family or product: "Gemma 2 is now available ...")
    evidence = {_norm(e).casefold() for e in subject_evidence if e}
    found = sorted((s for s in fit if s.text.casefold() in evidence), key=rank)
    if found and found[0].score >= 0.25 * best.score:
        return found[0]
    return best


def _attributed(sentence: str, publisher: str, proper: frozenset[str]) -> str:
    """A third-person sentence of the publisher's own post, attributed to it."""
    word = sentence.split()[0]
    if _plain_start(word, proper):
        sentence = word.lower() + sentence[len(word) :]
    return f"{publisher} says that {sentence}"


def _plain_start(word: str, proper: frozenset[str]) -> bool:
    """True when a sentence's first word is an ordinary word, lower case inside a sentence."""
    if word.lower() in _PLAIN_STARTS:
        return True
    return word not in proper and not any(c.isdigit() for c in word) and word[1:].islower()


def _glance(
    sentences: list[_Sentence],
    titles: Sequence[str],
    subjects: Sequence[str],
    publisher: str | None,
    facts: str | None,
    proper: frozenset[str] = frozenset(),
    subject_evidence: Sequence[str] = (),
    labels: Sequence[str] = (),
    sources: int = 1,
) -> tuple[str, list[_Sentence]]:
    """At a glance: the facts sentence (license events) or the best lead, and a follower;
    when the lead names no subject actor, the follower is a sentence that does
    (:func:`_who_glance`)."""
    chosen: list[_Sentence] = []
    best = _lead(sentences, titles, subjects, publisher, proper, subject_evidence)
    if facts:
        parts = [facts]
        if (
            best is not None
            and len(facts.split()) + best.words <= MAX_GLANCE_WORDS
            and _norm(best.out).casefold() != _norm(facts).casefold()
        ):
            parts.append(best.out)
            chosen.append(best)
        return " ".join(parts), chosen
    if best is None:
        return "", []
    chosen.append(best)
    follower = next(
        (s for s in sentences if s.doc == best.doc and s.pos == best.pos + 1),
        None,
    )
    fits = (
        follower is not None
        and best.words <= 30
        and best.words + follower.words <= MAX_GLANCE_WORDS
        and not _repeats_title(follower.out, titles)
        and not follower.out.startswith(f"{publisher} writes")
    )
    if subjects and not _names_subject(best.out, subjects, subject_evidence):
        if fits and follower is not None and _names_subject(follower.out, subjects, ()):
            chosen.append(follower)
            return " ".join(s.out for s in chosen), chosen
        return _who_glance(
            sentences, best, titles, subjects, subject_evidence, publisher, labels, sources
        )
    if fits and follower is not None:
        chosen.append(follower)
    return " ".join(s.out for s in chosen), chosen


def _names_subject(text: str, subjects: Sequence[str], evidence: Sequence[str]) -> bool:
    """True when ``text`` names a subject actor, or holds a sentence the actor classifier
    found one in (it may name it by a model family or product)."""
    if _names_any(text, subjects):
        return True
    flat = _norm(text).casefold()
    return any(e and _norm(e).casefold() in flat for e in evidence)


def who_sentence(subjects: Sequence[str], sources: int = 1) -> str:
    """The sentence naming a story's subject actors when no source sentence fit for a
    summary does: "The source names Anthropic." or, when the sources name an actor only by a
    product or model family, "The source names Claude Code (Anthropic)." (``subjects`` as
    :func:`_subject_labels` gives them)."""
    names = _join(list(dict.fromkeys(subjects))[:3])
    return f"The source names {names}." if sources <= 1 else f"The sources name {names}."


def _subject_labels(
    classification: Mapping[str, Any] | None, texts: Sequence[ArticleText]
) -> list[str]:
    """Each subject actor as :func:`who_sentence` names it: by its name when a source writes
    it, else by the first form the actor classifier matched that a source writes, followed
    by the name in parentheses."""
    labels = []
    body = " ".join(f"{t.title} {t.text}" for t in texts)
    for actor in (classification or {}).get("actors") or ():
        if not isinstance(actor, Mapping) or not actor.get("name"):
            continue
        if actor.get("role", "subject") != "subject":
            continue
        name = str(actor["name"])
        forms = [str(m) for m in actor.get("matched") or () if m and str(m) != name]
        form = next(
            (f for f in forms if not _names_any(body, [name]) and _names_any(body, [f])), None
        )
        labels.append(f"{form} ({name})" if form else name)
    return labels


def _who_glance(
    sentences: list[_Sentence],
    best: _Sentence,
    titles: Sequence[str],
    subjects: Sequence[str],
    subject_evidence: Sequence[str],
    publisher: str | None,
    labels: Sequence[str] = (),
    sources: int = 1,
) -> tuple[str, list[_Sentence]]:
    """At a glance of a story whose best lead names none of its subject actors: the lead and
    the best source sentence naming one (or the actor classifier's evidence sentence), else
    the lead and :func:`who_sentence`. The actor result is the story's "who": at a glance
    never leaves it out."""
    naming = sorted(
        (
            s
            for s in sentences
            if s is not best
            and not s.dangling
            and not _repeats_title(s.out, titles)
            and not s.out.startswith(f"{publisher} writes")
            and _names_subject(s.out, subjects, subject_evidence)
        ),
        key=lambda s: (-s.score, s.doc, s.pos),
    )
    second = next((s for s in naming if best.words + s.words <= MAX_GLANCE_WORDS), None)
    if second is not None:
        return f"{best.out} {second.out}", [best, second]
    who = who_sentence(labels or subjects, sources)
    if best.words + len(who.split()) <= MAX_GLANCE_WORDS:
        return f"{best.out} {who}", [best]
    if naming:
        return naming[0].out, [naming[0]]
    return who, []


# --- the facts sentence ----------------------------------------------------------------------

_SIZE = r"\s*\((\d+(?:\.\d+)?[BMT])\)"


def _size_of(model: str, evidence: Sequence[str]) -> str | None:
    """A parameter size written right after the model name ("Devstral 2 (123B)")."""
    pattern = re.compile(r"(?<![\w-])" + re.escape(model) + _SIZE)
    for text in evidence:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return None


def _subject_phrase(model: str, kind: str, size: str | None) -> str:
    name = f"{model} ({size})" if size else model
    if kind == "dataset":
        return f"the {name} dataset"
    if kind == "app":
        return f"the {name} app"
    return name


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def facts_sentence(
    classification: Mapping[str, Any] | None,
    texts: Sequence[ArticleText] = (),
    publisher: str | None = None,
) -> str | None:
    """The sentence stating a story's license events: who released or relicensed which
    model under which license ("Mistral AI released Devstral 2 (123B) under the Modified MIT
    License and Devstral Small 2 (24B) under the Apache License 2.0.").

    Every name, size and license comes from the events (their actor, model, subject kind
    and licenses, a size only when a source writes it right after the model's name); license
    ids are given by their readable names. None when the story has no event naming a model.
    """
    if not classification:
        return None
    events = [
        e
        for e in classification.get("license_events") or ()
        if isinstance(e, Mapping)
        and e.get("model")
        and e.get("kind") in ("release", "relicense", "new_license")
    ]
    if not events:
        return None
    sources = [str(e.get("evidence") or "") for e in events] + [t.text for t in texts]
    by_model: dict[str, Mapping[str, Any]] = {}
    for event in events:  # the first (best) event of a model speaks for it
        by_model.setdefault(str(event["model"]), event)
    # a family already named by one of its members adds nothing ("Voxtral" beside
    # "Voxtral Realtime" under the same license)
    models = [
        m
        for m in by_model
        if not any(
            o != m
            and o.startswith(m + " ")
            and by_model[o].get("to_license") == by_model[m].get("to_license")
            for o in by_model
        )
    ][:3]
    subjects = [
        str(a.get("name"))
        for a in classification.get("actors") or ()
        if isinstance(a, Mapping) and a.get("role", "subject") == "subject" and a.get("name")
    ]
    groups: dict[tuple[str, str | None], list[str]] = {}
    for model in models:
        event = by_model[model]
        actor = event.get("actor") or publisher or (subjects[0] if subjects else None)
        groups.setdefault((str(event["kind"]), actor), []).append(model)
    clauses = []
    for (kind, actor), names in groups.items():
        items = []
        licenses = {by_model[m].get("to_license") for m in names}
        for model in names:
            event = by_model[model]
            phrase = _subject_phrase(
                model, str(event.get("subject_kind") or "model"), _size_of(model, sources)
            )
            to = event.get("to_license")
            if len(licenses) > 1 and to:
                phrase += f" under {license_phrase(str(to))}"
            if kind == "relicense" and event.get("from_license") and len(names) == 1:
                phrase += f" from {license_phrase(str(event['from_license']))}"
            items.append(phrase)
        tail = ""
        to_all = next(iter(licenses)) if len(licenses) == 1 else None
        if kind == "release":
            verb = "released"
            if to_all:
                tail = f" under {license_phrase(str(to_all))}"
        elif kind == "relicense":
            verb = "moved" if to_all else "relicensed"
            if to_all:
                tail = f" to {license_phrase(str(to_all))}"
        else:
            verb = "published a new license for"
            if to_all:
                tail = f", {license_phrase(str(to_all))}"
        body = f"{verb} {_join(items)}{tail}"
        clauses.append(f"{actor} {body}" if actor else f"{_join(items)} was {body}")
    sentence = "; ".join(clauses)
    if not actor_first(sentence):
        sentence = sentence[0].upper() + sentence[1:]
    return sentence + "."


def actor_first(sentence: str) -> bool:
    """True when ``sentence`` starts with a letter that must keep its case ("gpt-oss")."""
    return bool(sentence) and sentence[0].islower() and "-" in sentence.split()[0]


# --- sections --------------------------------------------------------------------------------


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


def _actor_names(classification: Mapping[str, Any] | None, *, subject: bool = False) -> list[str]:
    if not classification:
        return []
    names: list[str] = []
    for actor in classification.get("actors") or ():
        if not isinstance(actor, Mapping) or not actor.get("name"):
            continue
        if subject and actor.get("role", "subject") != "subject":
            continue
        names.append(str(actor["name"]))
    return names


def _find_evidence(
    evidence: str, sentences: list[_Sentence], texts: Sequence[ArticleText]
) -> _Sentence | None:
    """The candidate sentence holding ``evidence`` (classifiers may split sentences
    differently, so a candidate containing it, or contained in it, counts)."""
    ev = _norm(evidence)
    if not ev:
        return None
    low = ev.casefold()
    for s in sentences:
        if s.text.casefold() == low or low in s.text.casefold():
            return s
    for s in sentences:
        if len(s.text) > 40 and s.text.casefold() in low:
            return s
    return None


def _fits(section: list[_Sentence], s: _Sentence) -> bool:
    return (
        len(section) < MAX_SECTION_SENTENCES
        and sum(x.words for x in section) + s.words <= MAX_SECTION_WORDS
    )


def _paragraph_ok(section: list[_Sentence], s: _Sentence) -> bool:
    """A paragraph never starts with a connective; a second sentence may, when it directly
    follows the first in its source."""
    if not section:
        return not s.dangling
    if not s.dangling:
        return True
    last = section[-1]
    return last.doc == s.doc and last.pos + 1 == s.pos


def _sections(
    sentences: list[_Sentence],
    used: set[str],
    texts: Sequence[ArticleText],
    classification: Mapping[str, Any] | None,
) -> list[SummarySection]:
    chosen: dict[str, list[_Sentence]] = {}
    weight: dict[str, float] = {}
    names = _actor_names(classification)
    themes = (classification or {}).get("risk_themes") or ()
    theme_ev = {h: theme_evidence(themes, h) for h in ("Risk.", "Market structure.")}

    def take(heading: str, s: _Sentence, w: float) -> None:
        key = s.text.casefold()
        if key in used or not heading_fits(heading, s.out, names, theme_ev.get(heading, ())):
            return
        section = chosen.setdefault(heading, [])
        if _fits(section, s) and _paragraph_ok(section, s):
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
    if len(picked) < 2 and len(sentences) >= MIN_SENTENCES_FOR_DETAILS:
        for s in ranked:
            if len(chosen.get("Details.", [])) >= MAX_SECTION_SENTENCES:
                break
            take("Details.", s, 0.0)
        if chosen.get("Details."):
            picked.append("Details.")
    result = []
    for heading in SECTION_ORDER:
        if heading in picked:
            items = chosen[heading]
            if not items[0].dangling:
                items = sorted(items, key=lambda s: (s.doc, s.pos))
            if items[0].dangling:
                items = [s for s in items if not s.dangling]
            if items:
                result.append(SummarySection(heading, " ".join(s.out for s in items)))
    return result


def _intro(
    sentences: list[_Sentence],
    used: set[str],
    titles: Sequence[str],
    reserved: Set[str] = frozenset(),
) -> str:
    """The paragraph after at a glance: the next best lead sentences, in source order
    (classifier evidence, ``reserved``, is kept for its headed section)."""
    leads = [
        s
        for s in sorted(sentences, key=lambda s: (-s.score, s.doc, s.pos))
        if s.pos <= 5
        and s.text.casefold() not in used
        and s.text.casefold() not in reserved
        and not _repeats_title(s.out, titles)
    ]
    picked: list[_Sentence] = []
    for s in leads:
        if len(picked) >= 2:
            break
        if sum(x.words for x in picked) + s.words > MAX_SECTION_WORDS:
            continue
        trial = sorted([*picked, s], key=lambda x: (x.doc, x.pos))
        if trial[0].dangling or any(
            b.dangling and not (a.doc == b.doc and a.pos + 1 == b.pos)
            for a, b in itertools.pairwise(trial)
        ):
            continue
        picked = trial
    for s in picked:
        used.add(s.text.casefold())
    return " ".join(s.out for s in picked)


def _source_publisher(
    texts: Sequence[ArticleText], classification: Mapping[str, Any] | None
) -> str | None:
    """The subject actor whose own site the sources are (``mistral.ai`` for Mistral AI)."""
    hosts = []
    for t in texts:
        host = urlsplit(t.url or "").hostname or ""
        hosts.append(
            re.sub(
                r"\W",
                "",
                host.removeprefix("www.").rsplit(".", 1)[0].lower()
                if host.count(".") > 1
                else host.lower(),
            )
        )
    if not hosts or not all(hosts):
        return None
    for name in _actor_names(classification, subject=True):
        key = re.sub(r"\W", "", name.lower())
        if key and all(key in h or h in key for h in hosts if h):
            return name
    return None


def summarise_story(
    texts: Sequence[ArticleText],
    classification: Mapping[str, Any] | None = None,
    publisher: str | None = None,
) -> Summary:
    """Summarise one story extractively, in the third person.

    Pure and deterministic: the same inputs always give the same summary. Every sentence is
    a source sentence, a first-person one reported in the third person ("Mistral AI says
    it is releasing ...") or quoted whole with attribution, or, at a glance, the facts
    sentence built from the license events (:func:`facts_sentence`). A first-person
    sentence without a known publisher is left out.

    Args:
        texts: the story's articles (the first is the oldest; order breaks ties).
        classification: the story's classification in the output-contract shape
            (``{"actors": [...], "license_events": [...], "risk_themes": [...]}``, each
            item with an ``evidence`` sentence), or None.
        publisher: the organisation publishing the sources (the feed's ``publisher``), to
            whom first-person statements belong; when None, the subject actor whose own
            site the sources are, if any.

    Returns:
        A summary with ``method="extractive"``: at a glance, an intro paragraph (the first
        section, with an empty heading) and two to four headed sections; when the sources
        have too little text, the sections end with :data:`SHORT_NOTE` instead; when they
        hold no usable sentence at all, at a glance is the first title and that note.
    """
    content_hash = inputs_hash(texts, classification, publisher)
    # page and feed chrome ("Comments on Hacker News", share bars) is never summary text
    texts = [dataclasses.replace(t, text=strip_boilerplate(t.text).text) for t in texts]
    publisher = publisher or _source_publisher(texts, classification)
    titles = [t.title for t in texts if t.title.strip()]
    proper = _proper_words(texts)
    sentences = _candidates(texts, publisher, proper)
    _score(sentences, texts)
    subjects = _actor_names(classification, subject=True)
    facts = facts_sentence(classification, texts, publisher)
    subject_evidence = [
        str(a.get("evidence") or "")
        for a in (classification or {}).get("actors") or ()
        if isinstance(a, Mapping) and a.get("role", "subject") == "subject"
    ]
    at_a_glance, glance = _glance(
        sentences,
        titles,
        subjects,
        publisher,
        facts,
        proper,
        subject_evidence,
        _subject_labels(classification, texts),
        len(texts),
    )
    used = {s.text.casefold() for s in glance}
    sections: list[SummarySection] = []
    if not at_a_glance:
        at_a_glance = SHORT_NOTE  # nothing but the title: the title is shown anyway
    else:
        reserved = {
            found.text.casefold()
            for heading, evidence, _ in _evidence(classification)
            if heading != "Who."
            and (found := _find_evidence(evidence, sentences, texts)) is not None
        }
        intro = _intro(sentences, used, titles, reserved)
        headed = _sections(sentences, used, texts, classification)
        sections = [SummarySection("", intro)] if intro else []
        if len(headed) >= 2:
            sections += headed
        else:
            sections += [*headed, SummarySection("", SHORT_NOTE)]
    output = " ".join(p for p in [at_a_glance, *(s.text for s in sections)] if p != SHORT_NOTE)
    sources = [f"{t.title}\n{t.text}" for t in texts]
    return Summary(
        at_a_glance=at_a_glance,
        sections=tuple(sections),
        method="extractive",
        model=None,
        generator=GENERATOR,
        ngram_overlap=round(ngram_overlap(output, sources), 4),
        content_hash=content_hash,
    )


def source_keys(texts: Sequence[ArticleText]) -> list[list[str]]:
    """What identifies each source text in a summary's input hash: content hash and title."""
    return [[t.content_hash or hashlib.sha256(t.text.encode()).hexdigest(), t.title] for t in texts]


def hash_payload(payload: Mapping[str, Any]) -> str:
    """The SHA-256 of a JSON payload in canonical form (the stored summaries' key)."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def inputs_hash(
    texts: Sequence[ArticleText],
    classification: Mapping[str, Any] | None,
    publisher: str | None = None,
) -> str:
    """The key under which the extractive summary of these inputs is stored.

    It depends on the texts, the classification, the publisher and the selection rules
    (paraphrases are keyed by :func:`pipeline.publish.llm.paraphrase_hash`: texts and prompt
    only).
    """
    payload: dict[str, Any] = {
        "v": SUMMARISER_VERSION,
        "articles": source_keys(texts),
        "classes": classification,
    }
    if publisher is not None:
        payload["publisher"] = publisher
    return hash_payload(payload)


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
    per_article = [found[aid] for aid in dict.fromkeys(article_ids) if aid in found]
    merged = merge(per_article)
    out: dict[str, Any] = {key: [] for key in output_keys()}
    out.update({key: [r.to_json() for r in results] for key, results in merged.items()})
    # an organisation that is the subject of one article is a subject of the story, as the
    # digest lists it (the merge keeps the best-scored mention, whatever its role)
    subjects = {
        r.name
        for classifications in per_article
        for c in classifications
        if c.output_key == "actors"
        for r in c.results
        if getattr(r, "role", "subject") == "subject"
    }
    for actor in out.get("actors") or ():
        if isinstance(actor, dict) and actor.get("name") in subjects:
            actor["role"] = "subject"
    return out
