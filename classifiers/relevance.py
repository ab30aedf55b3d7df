"""relevance.v4: is an item AI-industry news for Lumi's readers?

Relevant means the item is about AI models, labs or products; AI policy and regulation; AI
safety or security; AI compute and chips; or the AI business. General tech news (a cloud
outage, a phone review, a crypto crash, non-AI chips) and items that mention AI only in
passing are not.

The model is a logistic regression over two kinds of features:

- word and bigram TF-IDF of the title and a bounded prefix of the body, plus the title's own
  terms (prefixed ``title:``) so a headline weighs separately from the body;
- a few dense, interpretable features (:data:`DENSE_FEATURES`) from an AI lexicon
  (``data/relevance_lexicon.yaml`` plus the names and model families of ``data/actors.yaml``):
  the share of body sentences, and of the opening sentences, that name AI, whether the title
  does, how densely the body names AI, how many AI organisations it names, whether the item
  has a body at all, and whether it comes from an AI lab's own feed. The shares tell an item
  *about* AI from one that mentions AI in a sentence.

Items fall in three regimes (:data:`REGIMES`) by the length of their body, each with its own
Platt calibration and threshold: an item whose body has fewer than :data:`TITLE_ONLY_WORDS`
words is decided from its title, so its score is only as confident as titles alone allow; a
body shorter than :data:`SHORT_WORDS` words (a feed summary, a quoted passage) has far fewer
terms than an article and its decision values spread differently; everything else is a
``body``. The calibrations and thresholds, the regularisation and the scale of the dense
features are chosen on inner grouped folds (see :func:`classifiers.train.train_relevance`).
The shipped model is plain JSON (``data/relevance.v4.json``); inference is numpy only,
nothing is unpickled.

v4 is v3's model trained again, on the same labels and seed, with the lexicon the
``actors.v4`` registry gives (its new organisations and forms count as AI names in the dense
features); v3's model read with that lexicon would have scored items differently from how
it was trained.

An item with not one term the model knows, or whose body is a few words repeated
(:func:`is_degenerate`), scores 0 and is not relevant. Evidence for a relevant item is the
body sentence whose terms carry the most positive weight (the title when the body is empty
or silent); for an item that is not relevant it is :data:`NO_TOPIC`.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import (
    Document,
    RelevanceScore,
    clip_evidence,
    read_knowledge,
    read_model,
    split_sentences,
)
from classifiers.errors import ClassifierNotConfigured
from classifiers.risk_themes import analyze

__all__ = [
    "BUILD_COMMAND",
    "CJK_PREFIX",
    "DENSE_FEATURES",
    "LEXICON_PATH",
    "MAX_CHARS",
    "MODEL_FORMAT",
    "MODEL_PATH",
    "NO_TOPIC",
    "REGIMES",
    "SHORT_WORDS",
    "TITLE_ONLY_WORDS",
    "TITLE_PREFIX",
    "Lexicon",
    "RelevanceClassifier",
    "default_lexicon",
    "dense_features",
    "is_degenerate",
    "load_lexicon",
    "names_ai",
    "regime_of",
    "relevance_features",
    "relevance_terms",
    "word_count",
]

DATA_DIR = Path(__file__).parent / "data"
MODEL_PATH = DATA_DIR / "relevance.v4.json"
BUILD_COMMAND = "lumi train relevance --shared SHARED_DATA_DIR"
MODEL_FORMAT = "lumi.relevance/3"
#: Only this many leading characters of the body are read: whether an item is AI news shows
#: in its opening, and the bound keeps a runaway page from costing more than an article.
MAX_CHARS = 10_000
#: Title terms are also counted under this prefix, so the headline has weights of its own.
TITLE_PREFIX = "title:"
#: The evidence of an item that is not relevant.
NO_TOPIC = "no AI-industry topic found"


#: Runs of Chinese, Japanese or Korean characters: written without spaces, so a "word" of
#: the term analyser is a whole clause there and never recurs.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
#: CJK character bigrams are counted under this prefix (they stand in for words).
CJK_PREFIX = "cjk:"


def _cjk_bigrams(text: str) -> list[str]:
    return [CJK_PREFIX + run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)]


def relevance_terms(text: str, title: str = "") -> list[str]:
    """The model's terms for an item: words and bigrams of the title and the body prefix,
    the character bigrams of their CJK runs (under :data:`CJK_PREFIX`), then the title's
    words and bigrams again under :data:`TITLE_PREFIX`."""
    body = text[:MAX_CHARS]
    joined = f"{title}\n\n{body}" if title else body
    terms = analyze(joined)
    terms.extend(_cjk_bigrams(joined))
    if title:
        terms.extend(TITLE_PREFIX + t for t in analyze(title))
    return terms


def word_count(text: str) -> int:
    """Words of ``text`` as the dense features count them: ``\\w+`` runs, plus one word per
    two CJK characters (a run of CJK characters is one ``\\w+`` run however long)."""
    return len(_WORD.findall(text)) + sum(len(run) for run in _CJK.findall(text)) // 2


# -- dense features ----------------------------------------------------------------------

#: The AI lexicon the dense features count (groups ``core``, ``compute``, ``weak``).
LEXICON_PATH = DATA_DIR / "relevance_lexicon.yaml"
#: The body of an item with fewer words than this is not read: the title decides alone.
TITLE_ONLY_WORDS = 12
#: A body with fewer words than this (and at least TITLE_ONLY_WORDS) is a short text.
SHORT_WORDS = 80
#: The regimes, each with a calibration and threshold of its own: a body of SHORT_WORDS
#: words or more, a short body, no body to speak of.
REGIMES = ("body", "short", "title_only")
#: Sentences of the body's opening for :data:`DENSE_FEATURES` ``lead_*``.
LEAD_SENTENCES = 5
#: A body of at least :data:`DEGENERATE_MIN_WORDS` words of which fewer than this share are
#: distinct is degenerate (one word repeated, keyword stuffing): not an article at all.
DEGENERATE_DISTINCT_SHARE = 0.15
DEGENERATE_MIN_WORDS = 30
#: Groups that name AI on their own (lexicon ``core`` and the registry's AI actors).
_STRONG = frozenset({"core", "actor"})
_GROUPS = ("core", "actor", "compute", "weak", "big_tech")
#: The dense, interpretable features, in the model's order (all in [0, 1]).
DENSE_FEATURES: tuple[str, ...] = (
    "title_strong",  # the title names AI (core term or AI actor)
    "title_compute",  # the title has AI-compute words (accelerators, chips, HBM)
    "title_other",  # the title has weak-AI or big-tech words
    "body_strong_share",  # share of body sentences that name AI
    "lead_strong_share",  # same, over the body's first LEAD_SENTENCES sentences
    "body_any_share",  # share of body sentences with any lexicon word
    "body_compute_share",  # share of body sentences on AI compute
    "body_weak_share",  # share of body sentences with weak-AI words only
    "strong_density",  # AI-naming hits per 100 words, / 3, capped at 1
    "actors",  # distinct AI actors named (title and body), / 5, capped at 1
    "title_only",  # the body is shorter than TITLE_ONLY_WORDS words
    "short_text",  # the body has TITLE_ONLY_WORDS words or more but fewer than SHORT_WORDS
    "ai_publisher",  # the item comes from the feed of an AI lab (a model maker) itself
)
_INDEX = {name: i for i, name in enumerate(DENSE_FEATURES)}
_WORD = re.compile(r"\w+")
#: Actor types whose own feeds count as an AI lab's (``ai_publisher``): organisations whose
#: main product is models. Big tech groups also publish engineering and product posts.
AI_LAB_TYPES = frozenset({"model_maker", "sovereign"})


#: (the whole term as a pattern anchored at its first word, or None for a one-word term;
#: its group; the actor it names, if any)
_Entry = tuple[re.Pattern[str] | None, str, str | None]


@dataclasses.dataclass(frozen=True, slots=True)
class Lexicon:
    """The compiled AI lexicon, matched word by word.

    Groups: ``core``, ``compute``, ``weak`` from the lexicon file; ``actor`` (the actor
    registry's AI organisations and every model family) and ``big_tech`` (names of diversified
    groups such as Google or Microsoft, which say little about AI on their own).
    """

    first: dict[str, tuple[_Entry, ...]]  # lower-cased first word -> entries
    first_exact: dict[str, tuple[_Entry, ...]]  # first word as written -> entries
    prefixes: tuple[tuple[str, str], ...]  # one-word "term*" entries: (prefix, group)
    prefix_words: tuple[str, ...] = dataclasses.field(init=False, default=())
    exact_lower: frozenset[str] = frozenset()
    cjk: tuple[tuple[str, str], ...] = ()  # (term, group) found anywhere in the text
    ai_labs: frozenset[str] = frozenset()  # canonical names of the model makers
    _word_cache: dict[str, tuple[str, ...] | None] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # the prefixes alone, so that most words are ruled out by one str.startswith call
        object.__setattr__(self, "prefix_words", tuple(p for p, _ in self.prefixes))

    def _groups(self, low: str) -> tuple[str, ...] | None:
        """The groups of the one-word prefix terms that the lower-cased word ``low`` starts
        with, or None when no term starts at ``low`` at all; cached per word."""
        if low in self._word_cache:
            return self._word_cache[low]
        groups: tuple[str, ...] | None = (
            tuple(g for p, g in self.prefixes if low.startswith(p))
            if low.startswith(self.prefix_words)
            else ()
        )
        if not groups and low not in self.first and low not in self.exact_lower:
            groups = None
        if len(self._word_cache) < 200_000:
            self._word_cache[low] = groups
        return groups

    def matches(self, text: str) -> list[tuple[int, str, str | None]]:
        """(offset, group, actor name or None) of every lexicon match in ``text``."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters lower-case to two
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        out: list[tuple[int, str, str | None]] = []
        for term, group in self.cjk:
            at = lowered.find(term)
            while at >= 0:
                out.append((at, group, None))
                at = lowered.find(term, at + len(term))
        cache = self._word_cache
        # every term starts at a whole word (a maximal run of word characters)
        for m in _WORD.finditer(lowered):
            low = m.group(0)
            groups = cache[low] if low in cache else self._groups(low)
            if groups is None:
                continue
            offset = m.start()
            for group in groups:
                out.append((offset, group, None))
            for pattern, group, actor in self.first.get(low, ()):
                if pattern is None or pattern.match(lowered, offset):
                    out.append((offset, group, actor))
            if low in self.exact_lower:
                for pattern, group, actor in self.first_exact.get(text[offset : m.end()], ()):
                    if pattern is None or pattern.match(text, offset):
                        out.append((offset, group, actor))
        return out


def load_lexicon(path: Path = LEXICON_PATH, actors_path: Path | None = None) -> Lexicon:
    """Read the lexicon YAML and add the actor registry's names and model families.

    Raises:
        ClassifierNotConfigured: a file is missing or malformed.
    """
    from classifiers.actors import DATA_PATH as ACTORS_PATH
    from classifiers.actors import load_actor_registry

    data = read_knowledge(path, "lexicon", "relevance lexicon")
    first: dict[str, list[_Entry]] = {}
    first_exact: dict[str, list[_Entry]] = {}
    prefixes: list[tuple[str, str]] = []

    cjk: list[tuple[str, str]] = []

    def add(term: str, group: str, exact: bool, actor: str | None) -> None:
        prefix = term.endswith("*")
        words = _WORD.findall(term if exact else term.lower())
        if not words:
            return
        if len(words) == 1 and prefix:
            prefixes.append((words[0], group))
            return
        pattern = None
        if len(words) > 1:
            body = r"\W+".join(re.escape(w) for w in words) + (r"\w*" if prefix else r"(?!\w)")
            pattern = re.compile(body)
        table = first_exact if exact else first
        table.setdefault(words[0], []).append((pattern, group, actor))

    for index, entry in enumerate(data["lexicon"]):
        group, terms = entry.get("group"), entry.get("terms")
        if group not in ("core", "compute", "weak") or not isinstance(terms, list):
            raise ClassifierNotConfigured(
                f"{path.name} entry #{index}: needs a group (core, compute, weak) and terms"
            )
        for term in terms:
            if entry.get("script") == "cjk":
                cjk.append((str(term).lower(), group))
            else:
                add(str(term), group, entry.get("case") == "exact", None)
    registry = load_actor_registry(actors_path or ACTORS_PATH)
    for rule in registry.forms:
        # forms that count only with context words nearby are left to the actor classifier
        if rule.context is not None or len(rule.form) < 2:
            continue
        group = "big_tech" if rule.actor.type == "big_tech" and rule.kind != "family" else "actor"
        add(rule.form.replace("*", ""), group, rule.exact, rule.actor.name)
    return Lexicon(
        first={k: tuple(v) for k, v in first.items()},
        first_exact={k: tuple(v) for k, v in first_exact.items()},
        prefixes=tuple(prefixes),
        exact_lower=frozenset(k.lower() for k in first_exact),
        cjk=tuple(cjk),
        ai_labs=frozenset(a.name for a in registry.actors if a.type in AI_LAB_TYPES),
    )


@functools.cache
def default_lexicon() -> Lexicon:
    """The shipped lexicon (``data/relevance_lexicon.yaml`` plus ``data/actors.yaml``)."""
    return load_lexicon()


def dense_features(
    text: str,
    title: str = "",
    sentences: Sequence[tuple[int, int]] | None = None,
    lexicon: Lexicon | None = None,
    publisher: str | None = None,
) -> np.ndarray:
    """The :data:`DENSE_FEATURES` of an item (its body read up to :data:`MAX_CHARS`);
    ``publisher`` is the canonical actor name of the item's feed publisher, if known."""
    return _dense(text, title, sentences, lexicon, publisher)[0]


def _dense(
    text: str,
    title: str,
    sentences: Sequence[tuple[int, int]] | None,
    lexicon: Lexicon | None,
    publisher: str | None,
) -> tuple[np.ndarray, list[str]]:
    """The dense features and the body's lower-cased words."""
    lex = lexicon or default_lexicon()
    body = text[:MAX_CHARS]
    words = _WORD.findall(body.lower())
    n_words = len(words) + sum(len(run) for run in _CJK.findall(body)) // 2
    out = np.zeros(len(DENSE_FEATURES))
    title_hits = lex.matches(title) if title else []
    title_groups = {g for _, g, _ in title_hits}
    f = _INDEX
    out[f["title_strong"]] = float(bool(title_groups & _STRONG))
    out[f["title_compute"]] = float("compute" in title_groups)
    out[f["title_other"]] = float(bool(title_groups - _STRONG - {"compute"}))
    actors = {a for _, g, a in title_hits if g == "actor"}
    if n_words < TITLE_ONLY_WORDS:
        out[f["title_only"]] = 1.0
    else:
        out[f["short_text"]] = float(n_words < SHORT_WORDS)
        spans = list(sentences) if sentences is not None else list(split_sentences(body))
        starts = [a for a, _ in spans if a < MAX_CHARS] or [0]
        marks: dict[str, set[int]] = {g: set() for g in _GROUPS}
        strong_hits = 0
        for offset, group, actor in lex.matches(body):
            marks[group].add(max(0, bisect.bisect_right(starts, offset) - 1))
            if group in _STRONG:
                strong_hits += 1
            if group == "actor":
                actors.add(actor)
        n = len(starts)
        strong = marks["core"] | marks["actor"]
        lead = min(n, LEAD_SENTENCES)
        out[f["body_strong_share"]] = len(strong) / n
        out[f["lead_strong_share"]] = sum(1 for i in strong if i < lead) / lead
        out[f["body_any_share"]] = len(strong | marks["compute"] | marks["weak"]) / n
        out[f["body_compute_share"]] = len(marks["compute"]) / n
        out[f["body_weak_share"]] = len(marks["weak"] - strong) / n
        out[f["strong_density"]] = min(1.0, strong_hits * 100 / n_words / 3)
    out[f["actors"]] = min(1.0, len(actors) / 5)
    out[f["ai_publisher"]] = float(publisher in lex.ai_labs)
    return out, words


def is_degenerate(text: str) -> bool:
    """Whether a body of at least three words is not prose but a few words repeated ("word
    word word", keyword stuffing)."""
    return _degenerate(_WORD.findall(text[:MAX_CHARS].lower()))


def _degenerate(words: list[str]) -> bool:
    if len(words) < 3:
        return False
    share = DEGENERATE_DISTINCT_SHARE if len(words) >= DEGENERATE_MIN_WORDS else 0.5
    return len(set(words)) < share * len(words)


def names_ai(text: str, title: str = "", lexicon: Lexicon | None = None) -> bool:
    """Whether the title or body has one word of the AI lexicon or the actor registry."""
    lex = lexicon or default_lexicon()
    return any(g != "big_tech" for _, g, _ in lex.matches(f"{title}\n{text[:MAX_CHARS]}"))


def relevance_features(
    text: str,
    title: str = "",
    sentences: Sequence[tuple[int, int]] | None = None,
    publisher: str | None = None,
) -> tuple[list[str], np.ndarray]:
    """An item's model input: its terms (:func:`relevance_terms`) and its
    :data:`DENSE_FEATURES` (:func:`dense_features`)."""
    return relevance_terms(text, title), dense_features(text, title, sentences, None, publisher)


def regime_of(dense: np.ndarray) -> str:
    """The regime (:data:`REGIMES`) of an item from its :data:`DENSE_FEATURES`."""
    if dense[_INDEX["title_only"]]:
        return "title_only"
    return "short" if dense[_INDEX["short_text"]] else "body"


class RelevanceClassifier:
    """Relevance classifier (``relevance.v4``), loaded from its JSON model.

    Args:
        model_path: the JSON model (default: the shipped ``data/relevance.v4.json``).
        model: an already-parsed model dict (used instead of ``model_path``).

    Raises:
        ClassifierNotConfigured: the model file is missing, not JSON, or not a usable
            relevance model; the message gives the command that builds it.
    """

    name = "relevance"
    version = "v4"
    labels: tuple[str, ...] = ("relevant",)
    output_key = "relevance"

    def __init__(self, model_path: Path | None = None, *, model: dict[str, Any] | None = None):
        path = model_path or MODEL_PATH
        if model is None:
            model = read_model(path, "relevance model", BUILD_COMMAND)
        try:
            self._load(model)
        except (KeyError, TypeError, ValueError) as exc:
            raise ClassifierNotConfigured(
                f"relevance model {path} is unusable ({exc!r}); rebuild it with `{BUILD_COMMAND}`"
            ) from exc

    def _load(self, model: dict[str, Any]) -> None:
        if model.get("format") != MODEL_FORMAT:
            raise ValueError(f"unknown model format {model.get('format')!r}")
        vocabulary = model["vocabulary"]
        if not isinstance(vocabulary, list):
            raise TypeError("vocabulary is not a list")
        self.vocabulary = {str(term): i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(model["idf"], dtype=np.float64)
        self.coef = np.asarray(model["coef"], dtype=np.float64)
        if self.idf.shape != (len(vocabulary),) or self.coef.shape != (len(vocabulary),):
            raise ValueError("idf and coef must have one value per vocabulary term")
        dense = model["dense"]
        if tuple(dense["names"]) != DENSE_FEATURES:
            raise ValueError("the model's dense features are not this version's")
        self.dense_coef = np.asarray(dense["coef"], dtype=np.float64) * float(dense["scale"])
        if self.dense_coef.shape != (len(DENSE_FEATURES),):
            raise ValueError("dense coef must have one value per dense feature")
        self.sublinear_tf = bool(model["features"]["sublinear_tf"])
        self.intercept = float(model["intercept"])
        #: regime -> (calibration a, calibration b, threshold)
        self.regimes: dict[str, tuple[float, float, float]] = {}
        for regime in REGIMES:
            part = model if regime == "body" else model[regime]
            a, b = float(part["calibration"]["a"]), float(part["calibration"]["b"])
            t = float(part["threshold"])
            if not (a < 0 and 0.0 < t < 1.0):
                raise ValueError("calibration must increase with the decision value")
            self.regimes[regime] = (a, b, t)
        self.threshold = self.regimes["body"][2]
        self.short_threshold = self.regimes["short"][2]
        self.title_threshold = self.regimes["title_only"][2]
        self.model_info = {k: model.get(k) for k in ("training", "metrics", "sklearn_version")}

    # -- scoring -------------------------------------------------------------------------

    def _vector(self, terms: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(known terms, their vocabulary indices, their TF-IDF values) of an item."""
        vocabulary = self.vocabulary
        known, idx_list, tf_list = [], [], []
        for term, count in Counter(terms).items():
            i = vocabulary.get(term)
            if i is not None:
                known.append(term)
                idx_list.append(i)
                tf_list.append(count)
        if not known:
            return known, np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.asarray(idx_list, dtype=np.int64)
        tf = np.asarray(tf_list, dtype=np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[idx]
        norm = math.sqrt(float(values @ values))
        return known, idx, (values / norm if norm > 0 else values)

    def _decide(
        self,
        text: str,
        title: str,
        sentences: Sequence[tuple[int, int]] | None,
        publisher: str | None = None,
    ) -> tuple[float, float, float, list[str], np.ndarray] | None:
        """(decision value, calibrated score, the threshold of the item's regime, known terms,
        their contributions), or None when the item has not one known term or is degenerate
        (nothing speaks for relevance)."""
        dense, words = _dense(text, title, sentences, None, publisher)
        known, idx, values = self._vector(relevance_terms(text, title))
        if not len(idx) or _degenerate(words):
            return None
        contributions = values * self.coef[idx]
        decision = float(contributions.sum()) + float(dense @ self.dense_coef) + self.intercept
        regime = regime_of(dense)
        threshold = self.regimes[regime][2]
        return decision, self._calibrate(decision, regime), threshold, known, contributions

    def decision(self, text: str, title: str = "") -> float:
        """The uncalibrated decision value of an item (positive leans relevant)."""
        terms, dense = relevance_features(text, title)
        _, idx, values = self._vector(terms)
        return float(values @ self.coef[idx]) + float(dense @ self.dense_coef) + self.intercept

    def calibrate(self, decision: float, regime: str = "body") -> float:
        """The calibrated score (probability of "relevant") of a decision value in a regime
        (:data:`REGIMES`): short bodies and items without a body have calibrations of their
        own."""
        return self._calibrate(decision, regime)

    def _calibrate(self, decision: float, regime: str) -> float:
        a, b, _ = self.regimes[regime]
        z = a * decision + b
        # exp overflows past ~709; the score is 0 there anyway
        return 0.0 if z > 700 else 1.0 / (1.0 + math.exp(z))

    def threshold_for(self, text: str) -> float:
        """The decision threshold that applies to an item with body ``text``."""
        words = word_count(text[:MAX_CHARS])
        if words < TITLE_ONLY_WORDS:
            return self.title_threshold
        return self.short_threshold if words < SHORT_WORDS else self.threshold

    def score_text(self, text: str, title: str = "") -> float:
        """The calibrated score of an item given as plain text and title (0 when it has not
        one term the model knows or its body is degenerate)."""
        decided = self._decide(text, title, None)
        return 0.0 if decided is None else decided[1]

    def classify(self, doc: Document) -> tuple[RelevanceScore, ...]:
        """One :class:`RelevanceScore` for ``doc``: decision, calibrated score, evidence."""
        decided = self._decide(doc.text, doc.title, doc.sentences, doc.publisher)
        if decided is None:
            # not one known term (an empty item, a script the model never saw) or no prose:
            # nothing speaks for relevance, whatever the intercept says
            return (RelevanceScore(relevant=False, score=0.0, evidence=NO_TOPIC),)
        _, score, threshold, known, contributions = decided
        relevant = score >= threshold
        evidence = self._evidence(doc, known, contributions) if relevant else NO_TOPIC
        return (RelevanceScore(relevant=relevant, score=score, evidence=evidence),)

    # -- evidence ------------------------------------------------------------------------

    def _evidence(self, doc: Document, known: list[str], contributions: np.ndarray) -> str:
        """The body sentence whose terms add the most to the decision, else the title."""
        weight = dict(zip(known, contributions.tolist(), strict=True))
        text = doc.text
        best, best_span = 0.0, None
        for start, end in doc.sentences:
            if start >= MAX_CHARS:
                break
            end = min(end, MAX_CHARS)
            contribution = sum(weight.get(t, 0.0) for t in set(analyze(text[start:end])))
            if contribution > best:
                best, best_span = contribution, (start, end)
        if best_span is not None:
            return clip_evidence(text[best_span[0] : best_span[1]])
        return clip_evidence(doc.title or text[:MAX_CHARS])
