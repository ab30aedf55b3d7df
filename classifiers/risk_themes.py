"""risk_themes.v4: multi-label risk themes with calibrated scores and body evidence.

The model is a per-theme logistic regression over word and bigram TF-IDF features of the
article body plus the weighted hits of the evidence rules in ``data/themes.yaml``; each
theme's score is Platt-calibrated on cross-validated decision values and compared with a
threshold chosen on inner folds (see :mod:`classifiers.train`). The shipped model is plain
JSON (``data/risk_themes.v4.json``) and inference is reimplemented here with numpy, so
loading never unpickles anything and scikit-learn is only needed to train.

A theme is reported when its calibrated score reaches its threshold **and** one of its
rules hits a body sentence; its evidence is the body sentence with the most rule weight.
The title is read by no feature and is never evidence, so a title-only item (or one whose
body only repeats the title) gets no theme. Themes marked ``context`` in ``themes.yaml``
(export control, regulation, sovereignty) only count hits in sentences that are about
technology, so general politics and history do not raise them.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import (
    RISK_THEMES,
    Document,
    ThemeScore,
    clip_evidence,
    make_document,
    read_knowledge,
    read_model,
    split_sentences,
)
from classifiers.errors import ClassifierNotConfigured

__all__ = [
    "BUILD_COMMAND",
    "MODEL_PATH",
    "N_RULE_FEATURES",
    "THEMES_PATH",
    "RiskThemeClassifier",
    "ThemeRules",
    "analyze",
    "body_text",
    "feature_text",
    "literal_prefixes",
    "load_theme_rules",
    "rule_features",
    "terms_text",
    "theme_hits",
]

DATA_DIR = Path(__file__).parent / "data"
MODEL_PATH = DATA_DIR / "risk_themes.v4.json"
THEMES_PATH = DATA_DIR / "themes.yaml"
BUILD_COMMAND = "lumi train --shared SHARED_DATA_DIR"
MODEL_FORMAT = "lumi.risk_themes/2"

# Articles longer than this are classified on their first MAX_CHARS characters: it bounds
# the time a hostile or runaway page can take, and news articles are far shorter.
MAX_CHARS = 100_000
_TOKEN = re.compile(r"\b\w\w+\b")
# Rule features per theme (summed weight, weight density and share of the passage's rule
# weight), after the term features.
N_RULE_FEATURES = 3 * len(RISK_THEMES)


# (pattern number, compiled lower-case branch, the word starts one of which it needs)
_Branch = tuple[int, re.Pattern[str], tuple[tuple[str, bool], ...] | None]
# (whole word -> branches, (word start, branches), branches that always run): positions
# in ``ThemeRules.branches``
_BranchIndex = tuple[
    dict[str, tuple[int, ...]], tuple[tuple[str, tuple[int, ...]], ...], tuple[int, ...]
]


@dataclasses.dataclass(frozen=True, slots=True)
class ThemeRules:
    """One theme's definition and its weighted evidence patterns, compiled.

    ``regex`` is the alternation of every pattern (case-insensitive, word-bounded). For
    speed, ``branches`` also holds each pattern split into its top-level alternatives,
    lower-cased and compiled without the leading word-boundary check (so the regular
    expression engine can jump to its literal prefix), each with the lower-cased literal
    texts one of which every match starts with (``None``: it can start anywhere): a
    branch none of whose prefixes occurs in the text is not run. ``context`` is set for
    themes whose hits only count in a sentence that also matches the context patterns.
    """

    theme: str
    label: str
    definition: str
    patterns: tuple[str, ...]
    weights: tuple[float, ...]
    regex: re.Pattern[str]
    branches: tuple[_Branch, ...] = ()
    context: re.Pattern[str] | None = None
    _index: _BranchIndex = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # which branches a text's words call for, looked up by word instead of branch by
        # branch
        whole: dict[str, list[int]] = {}
        prefixed: dict[str, list[int]] = {}
        always: list[int] = []
        for k, (_, _, starts) in enumerate(self.branches):
            if starts is None:
                always.append(k)
                continue
            for word, is_whole in starts:
                (whole if is_whole else prefixed).setdefault(word, []).append(k)
        object.__setattr__(
            self,
            "_index",
            (
                {w: tuple(ks) for w, ks in whole.items()},
                tuple((w, tuple(ks)) for w, ks in prefixed.items()),
                tuple(always),
            ),
        )

    def hits(
        self, text: str, lowered: str | None = None, heads: _Words | None = None
    ) -> list[tuple[int, float]]:
        """(offset, weight) of every rule hit in ``text``, by offset, without overlaps.

        Matches are leftmost-first and, at one offset, the first listed pattern wins, as
        with ``regex``. ``lowered`` (``text.lower()``) and ``heads`` (:func:`text_words`
        of it) are passed when the caller has them already. Context is not checked here
        (see :func:`theme_hits`).
        """
        low = text.lower() if lowered is None else lowered
        if not self.branches or len(low) != len(text):
            # lower-casing moved offsets (rare scripts): match the original text
            return _alternation_hits(self, text)
        if heads is None:
            heads = text_words(low)
        whole, prefixed, always = self._index
        run = set(always)
        for w in whole.keys() & heads[0]:
            run.update(whole[w])
        ordered = heads[1]
        for w, ks in prefixed:
            k = bisect.bisect_left(ordered, w)
            if k < len(ordered) and ordered[k].startswith(w):
                run.update(ks)
        found: list[tuple[int, int, int]] = []
        word = _WORD_CHAR.match
        branches = self.branches
        for b in sorted(run):
            i, regex, _ = branches[b]
            for m in regex.finditer(low):
                start = m.start()
                if start and word(low, start - 1):
                    continue
                found.append((start, i, m.end()))
        if not found:
            return []
        found.sort()
        out, end = [], -1
        for start, i, stop in found:
            if start >= end:
                out.append((start, self.weights[i]))
                end = max(stop, start + 1)
        return out


_WORD_CHAR = re.compile(r"\w")
_WORDS = re.compile(r"\w+")
# The distinct words of a text, as a set and sorted (for prefix look-ups).
_Words = tuple[frozenset[str], list[str]]


def text_words(lowered: str) -> _Words:
    """The distinct words of ``lowered``, as a set and as a sorted list."""
    words = frozenset(_WORDS.findall(lowered))
    return words, sorted(words)


def _word_starts(prefixes: tuple[str, ...] | None) -> tuple[tuple[str, bool], ...] | None:
    """For a branch with these literal prefixes, the (first word, is whole) pairs one of
    which a text needs for the branch to match (``None``: it must always run)."""
    if prefixes is None:
        return None
    out = []
    for prefix in prefixes:
        first = _WORDS.match(prefix)
        if first is None:
            return None
        out.append((first.group(), first.end() < len(prefix)))
    return tuple(out)


def _alternation_hits(rules: ThemeRules, text: str) -> list[tuple[int, float]]:
    out = []
    for match in rules.regex.finditer(text):
        group = match.lastgroup
        if group is not None:
            out.append((match.start(), rules.weights[int(group[1:])]))
    return out


def _lower_pattern(pattern: str) -> str:
    """``pattern`` with its literal characters lower-cased (escapes such as ``\\S`` kept)."""
    out, escaped = [], False
    for ch in pattern:
        out.append(ch if escaped else ch.lower())
        escaped = ch == "\\" and not escaped
    return "".join(out)


def _top_level_branches(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (``a|b(c|d)`` -> ``a``, ``b(c|d)``)."""
    out: list[str] = []
    current: list[str] = []
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append("".join(current))
            current = []
            continue
        current.append(ch)
    out.append("".join(current))
    return out


def _branches(patterns: Sequence[str]) -> tuple[_Branch, ...]:
    out = []
    for i, pattern in enumerate(patterns):
        for branch in _top_level_branches(pattern):
            low = _lower_pattern(branch)
            starts = _word_starts(literal_prefixes(low))
            out.append((i, re.compile(rf"(?:{low})(?!\w)"), starts))
    return tuple(out)


def _bounded(pattern: str) -> str:
    return rf"(?<!\w)(?:{pattern})(?!\w)"


def literal_prefixes(pattern: str) -> tuple[str, ...] | None:
    """Lower-cased literal texts one of which starts every match of ``pattern`` (compiled
    case-insensitively); ``None`` when a match can start with anything."""
    from re import _parser  # type: ignore[attr-defined]

    def walk(items: Any) -> list[str] | None:
        items = list(items)
        head: list[str] = []
        for k, (op, av) in enumerate(items):
            name = str(op)
            # anchors and look-arounds before the first literal consume nothing
            if name in ("AT", "ASSERT", "ASSERT_NOT") and not head:
                continue
            if name == "LITERAL":
                head.append(chr(av).lower())
                continue
            if name == "SUBPATTERN" and not head:
                return walk([*av[-1], *items[k + 1 :]])
            if name == "BRANCH" and not head:
                out: list[str] = []
                for branch in av[1]:
                    sub = walk([*branch, *items[k + 1 :]])
                    if sub is None:
                        return None
                    out.extend(sub)
                return out
            if name in ("MAX_REPEAT", "MIN_REPEAT") and not head and av[0] == 0:
                # an optional head ("(?:ai )?safety"): a match starts with it or with what
                # follows it
                present = walk([*av[2], *items[k + 1 :]]) if av[1] == 1 else None
                absent = walk(items[k + 1 :])
                if present is None or absent is None:
                    return None
                return present + absent
            break
        return ["".join(head)] if head else None

    try:
        found = walk(_parser.parse(pattern).data)
    except Exception:  # an unusual construct: always run the pattern
        return None
    if not found or any(not p for p in found):
        return None
    return tuple(sorted(set(found)))


def load_theme_rules(path: Path = THEMES_PATH) -> tuple[ThemeRules, ...]:
    """Read the theme definitions and compile their rules, in ``RISK_THEMES`` order.

    Raises:
        ClassifierNotConfigured: the file is missing, malformed or does not define exactly
            the themes of ``RISK_THEMES``.
    """
    data = read_knowledge(path, "themes", "theme definitions")
    try:
        by_id = {t["id"]: t for t in data["themes"]}
    except (KeyError, TypeError) as exc:
        raise ClassifierNotConfigured(f"theme definitions {path}: entry without id: {exc}") from exc
    if set(by_id) != set(RISK_THEMES):
        raise ClassifierNotConfigured(
            f"{path} must define exactly the themes {', '.join(RISK_THEMES)}; "
            f"it defines {', '.join(sorted(by_id))}"
        )
    context_patterns = [str(p) for p in data.get("context") or []]
    try:
        context = (
            re.compile(_bounded("|".join(context_patterns)), re.IGNORECASE)
            if context_patterns
            else None
        )
    except re.error as exc:
        raise ClassifierNotConfigured(f"{path}: bad context pattern: {exc}") from exc
    out = []
    for theme in RISK_THEMES:
        spec = by_id[theme]
        rules = spec.get("rules") or []
        patterns = tuple(str(r["pattern"]) for r in rules)
        weights = tuple(float(r["weight"]) for r in rules)
        alternation = "|".join(f"(?P<g{i}>{p})" for i, p in enumerate(patterns)) or "(?!)"
        try:
            regex = re.compile(_bounded(alternation), re.IGNORECASE)
            branches = _branches(patterns)
        except re.error as exc:
            raise ClassifierNotConfigured(f"{path}: bad pattern for {theme}: {exc}") from exc
        if spec.get("context") and context is None:
            raise ClassifierNotConfigured(f"{path}: {theme} needs context but none is defined")
        out.append(
            ThemeRules(
                theme=theme,
                label=str(spec.get("label", theme)),
                definition=" ".join(str(spec.get("definition", "")).split()),
                patterns=patterns,
                weights=weights,
                regex=regex,
                branches=branches,
                context=context if spec.get("context") else None,
            )
        )
    return tuple(out)


def rules_digest(rules: Sequence[ThemeRules]) -> str:
    """A digest of the rule set, stored in the model so a stale model can be detected."""
    payload = [
        [r.theme, list(r.patterns), list(r.weights), r.context.pattern if r.context else None]
        for r in rules
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _normal(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def body_text(doc: Document) -> str:
    """The text the model reads: the body only, capped in length, with every sentence that
    only repeats the title blanked out (offsets are kept, so they still index ``doc.text``).

    Feeds that carry no text often repeat the title as the body; such an item is
    title-only and must not get a theme from it.
    """
    body = doc.text[:MAX_CHARS]
    title = _normal(doc.title) if doc.title else ""
    if not title:
        return body
    parts, last = [], 0
    # Normalising only changes spacing and punctuation: a much longer or shorter sentence
    # cannot equal the title, so most sentences are never normalised.
    low, high = len(title) // 2, 2 * len(doc.title) + 16
    for start, end in doc.sentences:
        if start >= MAX_CHARS:
            break
        if low <= end - start <= high and _normal(body[start:end]) == title:
            parts.append(body[last:start])
            parts.append(" " * (min(end, MAX_CHARS) - start))
            last = min(end, MAX_CHARS)
    if not parts:
        return body
    parts.append(body[last:])
    return "".join(parts)


def feature_text(text: str, title: str = "") -> str:
    """The body text the model reads for a raw ``text`` and ``title`` (see
    :func:`body_text`)."""
    return body_text(make_document(text, title=title))


def terms_text(doc: Document, body: str, title_terms: bool) -> str:
    """The text the term features read: ``body`` (:func:`body_text`), after the title when
    ``title_terms`` (the model's ``features.title_terms``). Rules never read the title."""
    return f"{doc.title}\n\n{body}" if title_terms and doc.title else body


def analyze(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams of ``text`` (the model's term analyser)."""
    tokens = _TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def theme_hits(
    text: str,
    rules: Sequence[ThemeRules],
    sentences: Sequence[tuple[int, int]] | None = None,
) -> list[list[tuple[int, float]]]:
    """Per theme, the (offset, weight) rule hits in ``text`` that count as evidence.

    A theme with context only keeps hits whose sentence (from ``sentences``, default
    :func:`~classifiers.base.split_sentences`) also matches a context pattern.
    """
    lowered = text.lower()
    heads = text_words(lowered)
    out = [r.hits(text, lowered, heads) for r in rules]
    gated = [j for j, r in enumerate(rules) if r.context is not None and out[j]]
    if not gated:
        return out
    spans = list(sentences) if sentences is not None else list(split_sentences(text))
    starts = [s for s, _ in spans]
    context = rules[gated[0]].context
    assert context is not None
    ok: dict[int, bool] = {}
    for j in gated:
        kept = []
        for offset, weight in out[j]:
            k = bisect.bisect_right(starts, offset) - 1
            if k < 0 or offset >= spans[k][1]:
                continue
            if k not in ok:
                ok[k] = context.search(text, spans[k][0], spans[k][1]) is not None
            if ok[k]:
                kept.append((offset, weight))
        out[j] = kept
    return out


def rule_features(
    text: str,
    rules: Sequence[ThemeRules],
    sentences: Sequence[tuple[int, int]] | None = None,
) -> np.ndarray:
    """Three features per theme from its counted rule hits in ``text`` (see
    :data:`N_RULE_FEATURES` and :func:`theme_hits`).

    The first block is ``log1p`` of each theme's summed hit weights; the second is
    ``log1p`` of that sum per 100 words (texts under 50 words count as 50), so a passage
    about the theme and a long article mentioning it once look different; the third is
    the theme's share of the summed weight of every theme, so a safety report that names
    security twice looks different from a security advisory.
    """
    hits = theme_hits(text, rules, sentences)
    return _rule_vector(hits, len(_TOKEN.findall(text)))


def _rule_vector(hits: Sequence[list[tuple[int, float]]], n_words: int) -> np.ndarray:
    sums = np.array([sum(w for _, w in h) for h in hits], dtype=np.float64)
    total = float(sums.sum())
    shares = sums / total if total > 0 else sums
    logs = np.log1p(np.concatenate([sums, 100.0 * sums / max(n_words, 50)]))
    return np.concatenate([logs, shares])


class RiskThemeClassifier:
    """Multi-label risk-theme classifier (``risk_themes.v4``), loaded from JSON.

    Args:
        model_path: the JSON model (default: the shipped ``data/risk_themes.v4.json``).
        themes_path: the theme definitions (default: ``data/themes.yaml``).
        model: an already-parsed model dict (used instead of ``model_path``).
        rules: already loaded theme rules (used instead of ``themes_path``).

    Raises:
        ClassifierNotConfigured: the model or theme file is missing or unusable; the message
            gives the command that builds the model.
    """

    name = "risk_themes"
    version = "v4"
    labels: tuple[str, ...] = RISK_THEMES
    output_key = "risk_themes"

    def __init__(
        self,
        model_path: Path | None = None,
        themes_path: Path | None = None,
        *,
        model: dict[str, Any] | None = None,
        rules: tuple[ThemeRules, ...] | None = None,
    ) -> None:
        path = model_path or MODEL_PATH
        if model is None:
            model = read_model(path, "risk-theme model", BUILD_COMMAND)
        self.rules = rules or load_theme_rules(themes_path or THEMES_PATH)
        try:
            self._load(model)
        except (KeyError, TypeError, ValueError) as exc:
            raise ClassifierNotConfigured(
                f"risk-theme model {path} is unusable ({exc!r}); rebuild it with `{BUILD_COMMAND}`"
            ) from exc

    def _load(self, model: dict[str, Any]) -> None:
        if model.get("format") != MODEL_FORMAT:
            raise ValueError(f"unknown model format {model.get('format')!r}")
        features = model["features"]
        self.sublinear_tf = bool(features["sublinear_tf"])
        self.title_terms = bool(features.get("title_terms", False))
        self.rule_scale = float(features["rule_scale"])
        vocabulary = model["vocabulary"]
        self.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        self._unigrams = {t: i for t, i in self.vocabulary.items() if " " not in t}
        self._bigrams = {
            tuple(t.split(" ")): i for t, i in self.vocabulary.items() if t.count(" ") == 1
        }
        self.idf = np.asarray(model["idf"], dtype=np.float64)
        themes = model["themes"]
        if set(themes) != set(RISK_THEMES):
            raise ValueError("model themes differ from RISK_THEMES")
        n_terms, n_rules = len(vocabulary), N_RULE_FEATURES
        self.coef = np.zeros((n_terms + n_rules, len(RISK_THEMES)), dtype=np.float64)
        self.intercept = np.zeros(len(RISK_THEMES))
        self.cal_a = np.zeros(len(RISK_THEMES))
        self.cal_b = np.zeros(len(RISK_THEMES))
        self.thresholds = np.zeros(len(RISK_THEMES))
        self.min_evidence = np.zeros(len(RISK_THEMES))
        self.min_share = np.zeros(len(RISK_THEMES))
        for j, theme in enumerate(RISK_THEMES):
            spec = themes[theme]
            coef = np.asarray(spec["coef"], dtype=np.float64)
            if coef.shape != (n_terms + n_rules,):
                raise ValueError(f"{theme}: expected {n_terms + n_rules} coefficients")
            self.coef[:, j] = coef
            self.intercept[j] = float(spec["intercept"])
            self.cal_a[j] = float(spec["calibration"]["a"])
            self.cal_b[j] = float(spec["calibration"]["b"])
            self.thresholds[j] = float(spec["threshold"])
            self.min_evidence[j] = float(spec.get("min_evidence", 0.0))
            self.min_share[j] = float(spec.get("min_share", 0.0))
        if self.idf.shape != (n_terms,):
            raise ValueError("idf length differs from the vocabulary")
        self.n_terms = n_terms
        # Per term: its column and idf, so scoring a text is one dict lookup per term.
        self._term_coef = self.coef[:n_terms]
        self._rule_coef = self.coef[n_terms:]
        self.model_info = {k: model.get(k) for k in ("training", "sklearn_version", "rules")}

    # -- scoring -------------------------------------------------------------------------

    def features(
        self,
        text: str,
        hits: Sequence[list[tuple[int, float]]] | None = None,
        body: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term indices, TF-IDF values, rule features) of a prepared text.

        ``text`` is what the terms read (:func:`terms_text`); ``body`` what the rules read
        (:func:`body_text`, default ``text``); ``hits`` the per-theme counted rule hits in
        ``body`` (:func:`theme_hits`) when the caller has them already.
        """
        tokens = _TOKEN.findall(text.lower())
        body = text if body is None else body
        n_words = len(tokens) if body is text else len(_TOKEN.findall(body))
        # Count every distinct term once in C, then look up only those in the vocabulary.
        unigrams = Counter(tokens)
        bigrams = Counter(itertools.pairwise(tokens))
        counts: dict[int, int] = {}
        for term in unigrams.keys() & self._unigrams.keys():
            counts[self._unigrams[term]] = unigrams[term]
        for pair in bigrams.keys() & self._bigrams.keys():
            counts[self._bigrams[pair]] = bigrams[pair]
        if counts:
            # in index order: the set intersections above iterate in an order that changes
            # with the process's string hashing, and so would the last bits of the sums
            order = sorted(counts)
            idx = np.fromiter(order, dtype=np.int64, count=len(order))
            tf = np.fromiter(map(counts.__getitem__, order), dtype=np.float64, count=len(order))
            if self.sublinear_tf:
                tf = np.log(tf) + 1.0
            values = tf * self.idf[idx]
            norm = math.sqrt(float(values @ values))
            if norm > 0:
                values = values / norm
        else:
            idx, values = np.zeros(0, dtype=np.int64), np.zeros(0)
        if hits is None:
            hits = theme_hits(body, self.rules)
        return idx, values, _rule_vector(hits, n_words) * self.rule_scale

    def decision(
        self,
        text: str,
        hits: Sequence[list[tuple[int, float]]] | None = None,
        body: str | None = None,
    ) -> np.ndarray:
        """Uncalibrated per-theme decision values (arguments as for :meth:`features`)."""
        idx, values, rules = self.features(text, hits, body)
        return values @ self._term_coef[idx] + rules @ self._rule_coef + self.intercept

    def _probabilities(
        self,
        text: str,
        hits: Sequence[list[tuple[int, float]]] | None = None,
        body: str | None = None,
    ) -> np.ndarray:
        dec = self.decision(text, hits, body)
        return 1.0 / (1.0 + np.exp(self.cal_a * dec + self.cal_b))

    def _doc_probabilities(
        self, doc: Document, body: str, hits: Sequence[list[tuple[int, float]]]
    ) -> np.ndarray:
        return self._probabilities(terms_text(doc, body, self.title_terms), hits, body)

    def score_text(self, text: str, title: str = "") -> dict[str, float]:
        """Calibrated score of every theme for ``text`` (probability-like, 0..1).

        Rules read the body only (sentences repeating ``title`` blanked); the terms read the
        title too when the model says so. A score above its threshold is reported only with
        body evidence (:meth:`classify`).
        """
        doc = make_document(text, title=title)
        body = body_text(doc)
        probs = self._doc_probabilities(doc, body, theme_hits(body, self.rules, doc.sentences))
        return dict(zip(RISK_THEMES, probs.tolist(), strict=True))

    def classify(self, doc: Document) -> tuple[ThemeScore, ...]:
        """Themes whose calibrated score reaches their threshold and whose counted rule hits
        in the body reach the theme's evidence weight and its share of the body's rule weight
        (``min_share``), each with the body sentence carrying the most rule weight as
        evidence.

        The title is never evidence: a theme only the title (or boilerplate that no rule
        reads) supports is not reported.
        """
        body = body_text(doc)
        hits = theme_hits(body, self.rules, doc.sentences)
        if not any(hits):
            return ()
        probs = self._doc_probabilities(doc, body, hits)
        weights = [sum(w for _, w in h) for h in hits]
        total = sum(weights)
        out = []
        for j, theme in enumerate(RISK_THEMES):
            if (
                hits[j]
                and probs[j] >= self.thresholds[j]
                and weights[j] >= self.min_evidence[j]
                and weights[j] / total >= self.min_share[j]
            ):
                out.append(ThemeScore(theme, float(probs[j]), self._best_sentence(doc, hits[j])))
        out.sort(key=lambda s: -s.score)
        return tuple(out)

    # -- evidence ------------------------------------------------------------------------

    def _best_sentence(self, doc: Document, hits: list[tuple[int, float]]) -> str:
        spans = doc.sentences
        starts = [s for s, _ in spans]
        weight_by_span: dict[int, float] = {}
        for offset, weight in hits:
            k = bisect.bisect_right(starts, offset) - 1
            if k >= 0 and offset < spans[k][1]:
                weight_by_span[k] = weight_by_span.get(k, 0.0) + weight
        if not weight_by_span:
            return ""
        best = max(weight_by_span, key=lambda k: (weight_by_span[k], -k))
        return clip_evidence(doc.text[spans[best][0] : spans[best][1]])

    def evidence(
        self,
        doc: Document,
        j: int,
        hits: list[tuple[int, float]] | None = None,
        title_hit: bool | None = None,
    ) -> str:
        """The body sentence of ``doc`` that best supports theme number ``j``: the one with
        the most counted rule weight, else the one whose words carry the most positive
        model weight; ``""`` when no body sentence supports it. Never the title.

        ``hits`` (counted rule hits as offsets into ``doc.text``) are computed here when
        not given; ``title_hit`` is accepted for compatibility and ignored.
        """
        body = body_text(doc)
        if hits is None:
            hits = theme_hits(body, self.rules, doc.sentences)[j]
        if hits:
            found = self._best_sentence(doc, hits)
            if found:
                return found
        best_score, best_span = 0.0, None
        for start, end in doc.sentences:
            if start >= MAX_CHARS:
                break
            terms = {t for t in analyze(body[start:end]) if t in self.vocabulary}
            if not terms:
                continue
            weights = self._term_coef[[self.vocabulary[t] for t in terms], j]
            score = float(weights[weights > 0].sum())
            if score > best_score:
                best_score, best_span = score, (start, end)
        if best_span is not None:
            return clip_evidence(doc.text[best_span[0] : best_span[1]])
        return ""
