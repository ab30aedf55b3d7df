"""risk_themes.v1: multi-label risk themes with calibrated scores and evidence sentences.

The model is a per-theme logistic regression over word and bigram TF-IDF features plus the
weighted hits of the evidence rules in ``data/themes.yaml``; each theme's score is
Platt-calibrated on cross-validated decision values and compared with a threshold chosen
on held-out folds (see :mod:`classifiers.train`). The shipped model is plain JSON
(``data/risk_themes.v1.json``) and inference is reimplemented here with numpy, so loading
never unpickles anything and scikit-learn is only needed to train.

A theme is reported when its calibrated score reaches its threshold; its evidence is the
article sentence with the most rule weight for that theme, else the sentence whose words
carry the most positive model weight.
"""

from __future__ import annotations

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

from classifiers.base import EVIDENCE_CHARS, RISK_THEMES, Document, ThemeScore, read_knowledge
from classifiers.errors import ClassifierNotConfigured

__all__ = [
    "BUILD_COMMAND",
    "MODEL_PATH",
    "N_RULE_FEATURES",
    "THEMES_PATH",
    "RiskThemeClassifier",
    "ThemeRules",
    "analyze",
    "feature_text",
    "load_theme_rules",
    "rule_features",
]

DATA_DIR = Path(__file__).parent / "data"
MODEL_PATH = DATA_DIR / "risk_themes.v1.json"
THEMES_PATH = DATA_DIR / "themes.yaml"
BUILD_COMMAND = "lumi train --shared SHARED_DATA_DIR"
MODEL_FORMAT = "lumi.risk_themes/1"

# Articles longer than this are classified on their first MAX_CHARS characters: it bounds
# the time a hostile or runaway page can take, and news articles are far shorter.
MAX_CHARS = 100_000
_TOKEN = re.compile(r"\b\w\w+\b")
# Rule features per theme (summed weight and weight density), after the term features.
N_RULE_FEATURES = 2 * len(RISK_THEMES)


@dataclasses.dataclass(frozen=True, slots=True)
class ThemeRules:
    """One theme's definition and its weighted evidence patterns, compiled."""

    theme: str
    label: str
    definition: str
    patterns: tuple[str, ...]
    weights: tuple[float, ...]
    regex: re.Pattern[str]

    def hits(self, text: str) -> list[tuple[int, float]]:
        """(offset, weight) of every rule hit in ``text``."""
        out = []
        for match in self.regex.finditer(text):
            group = match.lastgroup
            if group is not None:
                out.append((match.start(), self.weights[int(group[1:])]))
        return out


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
    out = []
    for theme in RISK_THEMES:
        spec = by_id[theme]
        rules = spec.get("rules") or []
        patterns = tuple(str(r["pattern"]) for r in rules)
        weights = tuple(float(r["weight"]) for r in rules)
        alternation = "|".join(f"(?P<g{i}>{p})" for i, p in enumerate(patterns)) or "(?!)"
        try:
            regex = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
        except re.error as exc:
            raise ClassifierNotConfigured(f"{path}: bad pattern for {theme}: {exc}") from exc
        out.append(
            ThemeRules(
                theme=theme,
                label=str(spec.get("label", theme)),
                definition=" ".join(str(spec.get("definition", "")).split()),
                patterns=patterns,
                weights=weights,
                regex=regex,
            )
        )
    return tuple(out)


def rules_digest(rules: Sequence[ThemeRules]) -> str:
    """A digest of the rule set, stored in the model so a stale model can be detected."""
    payload = [[r.theme, list(r.patterns), list(r.weights)] for r in rules]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def feature_text(text: str, title: str = "") -> str:
    """The text the features are computed on: title, blank line, body, capped in length."""
    body = text[:MAX_CHARS]
    return f"{title}\n\n{body}" if title else body


def analyze(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams of ``text`` (the model's term analyser)."""
    tokens = _TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def rule_features(text: str, rules: Sequence[ThemeRules]) -> np.ndarray:
    """Two features per theme from its rule hits in ``text`` (see :data:`N_RULE_FEATURES`).

    The first block is ``log1p`` of each theme's summed hit weights; the second is
    ``log1p`` of that sum per 100 words (texts under 50 words count as 50), so a passage
    about the theme and a long article mentioning it once look different.
    """
    return _rule_vector([r.hits(text) for r in rules], len(_TOKEN.findall(text.lower())))


def _rule_vector(hits: Sequence[list[tuple[int, float]]], n_words: int) -> np.ndarray:
    sums = np.array([sum(w for _, w in h) for h in hits], dtype=np.float64)
    return np.log1p(np.concatenate([sums, 100.0 * sums / max(n_words, 50)]))


class RiskThemeClassifier:
    """Multi-label risk-theme classifier (``risk_themes.v1``), loaded from JSON.

    Args:
        model_path: the JSON model (default: the shipped ``data/risk_themes.v1.json``).
        themes_path: the theme definitions (default: ``data/themes.yaml``).
        model: an already-parsed model dict (used instead of ``model_path``).

    Raises:
        ClassifierNotConfigured: the model or theme file is missing or unusable; the message
            gives the command that builds the model.
    """

    name = "risk_themes"
    version = "v1"
    labels: tuple[str, ...] = RISK_THEMES
    output_key = "risk_themes"

    def __init__(
        self,
        model_path: Path | None = None,
        themes_path: Path | None = None,
        *,
        model: dict[str, Any] | None = None,
    ) -> None:
        path = model_path or MODEL_PATH
        if model is None:
            model = _read_model(path)
        self.rules = load_theme_rules(themes_path or THEMES_PATH)
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
        self.rule_scale = float(features["rule_scale"])
        vocabulary = model["vocabulary"]
        self.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(model["idf"], dtype=np.float64)
        themes = model["themes"]
        if list(themes) != list(RISK_THEMES) and set(themes) != set(RISK_THEMES):
            raise ValueError("model themes differ from RISK_THEMES")
        n_terms, n_rules = len(vocabulary), N_RULE_FEATURES
        self.coef = np.zeros((n_terms + n_rules, len(RISK_THEMES)), dtype=np.float64)
        self.intercept = np.zeros(len(RISK_THEMES))
        self.cal_a = np.zeros(len(RISK_THEMES))
        self.cal_b = np.zeros(len(RISK_THEMES))
        self.thresholds = np.zeros(len(RISK_THEMES))
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
        if self.idf.shape != (n_terms,):
            raise ValueError("idf length differs from the vocabulary")
        self.n_terms = n_terms
        self.model_info = {k: model.get(k) for k in ("training", "sklearn_version", "rules")}

    # -- scoring -------------------------------------------------------------------------

    def features(
        self, text: str, hits: Sequence[list[tuple[int, float]]] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term indices, TF-IDF values, rule features) of an already prepared text.

        ``hits`` are the per-theme rule hits in ``text`` when the caller has them already.
        """
        terms = analyze(text)
        # analyze() yields n unigrams then n - 1 bigrams.
        n_words = (len(terms) + 1) // 2
        counts = Counter(t for t in terms if t in self.vocabulary)
        if counts:
            idx = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64)
            tf = np.fromiter(counts.values(), dtype=np.float64)
            if self.sublinear_tf:
                tf = np.log(tf) + 1.0
            values = tf * self.idf[idx]
            norm = math.sqrt(float(values @ values))
            if norm > 0:
                values = values / norm
        else:
            idx, values = np.zeros(0, dtype=np.int64), np.zeros(0)
        if hits is None:
            hits = [r.hits(text) for r in self.rules]
        return idx, values, _rule_vector(hits, n_words) * self.rule_scale

    def decision(
        self, text: str, hits: Sequence[list[tuple[int, float]]] | None = None
    ) -> np.ndarray:
        """Uncalibrated per-theme decision values for a prepared text (``feature_text``)."""
        idx, values, rules = self.features(text, hits)
        return values @ self.coef[idx] + rules @ self.coef[self.n_terms :] + self.intercept

    def _probabilities(
        self, text: str, hits: Sequence[list[tuple[int, float]]] | None = None
    ) -> np.ndarray:
        dec = self.decision(text, hits)
        return 1.0 / (1.0 + np.exp(self.cal_a * dec + self.cal_b))

    def score_text(self, text: str, title: str = "") -> dict[str, float]:
        """Calibrated score of every theme for ``text`` (probability-like, 0..1)."""
        probs = self._probabilities(feature_text(text, title))
        return dict(zip(RISK_THEMES, probs.tolist(), strict=True))

    def classify(self, doc: Document) -> tuple[ThemeScore, ...]:
        """Themes whose calibrated score reaches their threshold, each with evidence."""
        prepared = feature_text(doc.text, doc.title)
        hits = [r.hits(prepared) for r in self.rules]
        probs = self._probabilities(prepared, hits)
        # Rule hits in the body, as offsets into doc.text, for the evidence search.
        shift = len(prepared) - len(doc.text[:MAX_CHARS])
        out = []
        for j, theme in enumerate(RISK_THEMES):
            if probs[j] >= self.thresholds[j]:
                body_hits = [(o - shift, w) for o, w in hits[j] if o >= shift]
                title_hit = any(o < shift for o, _ in hits[j])
                evidence = self.evidence(doc, j, body_hits, title_hit)
                out.append(ThemeScore(theme, float(probs[j]), evidence))
        out.sort(key=lambda s: -s.score)
        return tuple(out)

    # -- evidence ------------------------------------------------------------------------

    def evidence(
        self,
        doc: Document,
        j: int,
        hits: list[tuple[int, float]] | None = None,
        title_hit: bool | None = None,
    ) -> str:
        """The sentence of ``doc`` that best supports theme number ``j``.

        ``hits`` (rule hits as offsets into ``doc.text``) and ``title_hit`` are computed
        here when not given.
        """
        text = doc.text[:MAX_CHARS]
        spans = [s for s in doc.sentences if s[0] < MAX_CHARS]
        rule = self.rules[j]
        if hits is None:
            hits = rule.hits(text)
        if title_hit is None:
            title_hit = bool(doc.title and rule.hits(doc.title))
        weight_by_span: dict[tuple[int, int], float] = {}
        for offset, weight in hits:
            for span in spans:
                if span[0] <= offset < span[1]:
                    weight_by_span[span] = weight_by_span.get(span, 0.0) + weight
                    break
        if weight_by_span:
            best = max(spans, key=lambda s: (weight_by_span.get(s, 0.0), -s[0]))
            return _clip(text[best[0] : best[1]])
        if title_hit:
            return _clip(doc.title)
        best_score, best_span = 0.0, None
        for span in spans:
            terms = {t for t in analyze(text[span[0] : span[1]]) if t in self.vocabulary}
            if not terms:
                continue
            weights = self.coef[[self.vocabulary[t] for t in terms], j]
            score = float(weights[weights > 0].sum())
            if score > best_score:
                best_score, best_span = score, span
        if best_span is not None:
            return _clip(text[best_span[0] : best_span[1]])
        return _clip(doc.title or (text[spans[0][0] : spans[0][1]] if spans else ""))


def _clip(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    if len(sentence) <= EVIDENCE_CHARS:
        return sentence
    cut = sentence[:EVIDENCE_CHARS].rsplit(" ", 1)[0]
    return cut or sentence[:EVIDENCE_CHARS]


def _read_model(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ClassifierNotConfigured(
            f"risk-theme model {path} is missing; build it with `{BUILD_COMMAND}`"
        ) from exc
    except OSError as exc:
        raise ClassifierNotConfigured(f"cannot read risk-theme model {path}: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ClassifierNotConfigured(
            f"risk-theme model {path} is not valid JSON ({exc}); rebuild it with `{BUILD_COMMAND}`"
        ) from exc
    if not isinstance(data, dict):
        raise ClassifierNotConfigured(f"risk-theme model {path} is not a JSON object")
    return data
