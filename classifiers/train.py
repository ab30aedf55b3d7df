"""Training for risk_themes.v4 (and relevance.v4): reproducible, cross-validated, plain JSON.

``train_risk_themes`` materialises the labelled development set, fits one logistic
regression per theme over word/bigram TF-IDF of the article body plus rule features, and
writes the JSON model that :class:`RiskThemeClassifier` loads. Each theme's regularisation
strength and class weighting, its evidence gates, its sigmoid calibration and its threshold
are chosen on inner folds grouped by site (the simplest setting within
``SELECTION_TOLERANCE`` of the best inner F1); the final regression is then fitted on every
passage.

The figures it reports are nested and grouped by source: the outer folds never split one
site's passages between training and test, the whole procedure (vocabulary, hyper-parameter
choice, calibration, threshold) is re-run on the training part of each outer fold, and the
held-out part is classified by the JSON model exactly as in production (body evidence
required). Figures are given overall, on the passages labelled relevant in
``devset/relevance-corpus.jsonl``, and on the "test"-split sites.

A theme with fewer than ``MIN_POSITIVES`` labelled passages cannot be learned or
calibrated; it falls back to its rules alone (fixed calibration on the rule feature).

``train_relevance`` does the same for relevance.v4 (one logistic regression over word and
bigram TF-IDF of the title and body prefix), with every fold grouped by site.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import RISK_THEMES, Document, make_document, theme_ids
from classifiers.dataset import DEVSET_DIR, CorpusLoader
from classifiers.risk_themes import (
    _TOKEN,
    MAX_CHARS,
    MODEL_FORMAT,
    MODEL_PATH,
    N_RULE_FEATURES,
    THEMES_PATH,
    ThemeRules,
    _rule_vector,
    analyze,
    body_text,
    load_theme_rules,
    rules_digest,
    terms_text,
    theme_hits,
)

__all__ = [
    "DEFAULT_OUTPUT",
    "RELEVANCE_DEFAULT_OUTPUT",
    "FittedRelevance",
    "FittedRiskThemes",
    "RelevanceExample",
    "RelevanceScores",
    "RelevanceTrainReport",
    "ThemeMetrics",
    "TrainReport",
    "fit_relevance",
    "fit_risk_themes",
    "format_relevance_report",
    "format_train_report",
    "grouped_folds",
    "output_path",
    "passage_sites",
    "relevance_output_path",
    "relevance_weight",
    "site_group",
    "split_of_site",
    "train_relevance",
    "train_risk_themes",
]

MIN_POSITIVES = 3
FOLDS = 5
INNER_FOLDS = 4
# Features: fixed, small and documented in the model file.
FEATURES: dict[str, Any] = {
    "ngram_range": [1, 2],
    "min_df": 2,
    "max_features": 2000,
    "sublinear_tf": True,
    # Whether the term features read the title too (the rules and evidence never do).
    "title_terms": False,
    # Rule features are multiplied by this before the regression.
    "rule_scale": 0.3,
}
#: Per theme, the least summed weight of counted body rule hits a theme needs to be
#: reported, tried on the inner folds (0: any hit).
MIN_EVIDENCE_GRID = (0.0, 1.5, 2.5, 4.0)
#: Per theme, the least share of a passage's counted rule weight (all themes summed) the
#: theme needs to be reported, tried on the inner folds (0: any share): a safety report
#: that names security once need not be a security item.
MIN_SHARE_GRID = (0.0, 0.1, 0.2, 0.3)
#: Fewer passages than this to choose hyper-parameters on: choose on all passages.
MIN_SELECTION = 30
#: Per theme, the setting kept is the first, in grid order (strongest regularisation, then
#: no evidence gate, then no share gate first), whose inner F1 is within this much of the
#: best: on a few dozen positives a gap this small is one or two passages, and the best
#: setting alone moved from fold to fold (a share gate chosen on security advisories then
#: dropped the security of safety reports).
SELECTION_TOLERANCE = 0.02
#: Per theme, the (C, class_weight) pairs tried on the inner folds, strongest
#: regularisation first (ties keep the earlier pair).
HYPER_GRID: tuple[tuple[float, str | None], ...] = (
    (0.125, "balanced"),
    (0.125, None),
    (0.5, "balanced"),
    (0.5, None),
    (2.0, "balanced"),
    (2.0, None),
    (8.0, "balanced"),
    (8.0, None),
)
#: Per theme, the training weights of passages outside the selection (the items Lumi shows
#: no themes for: not relevant) tried on the inner folds; 0 trains on the selection only.
#: Only 1.0 is tried: with (1.0, 0.0) or (1.0, 0.3) the inner folds rarely chose a lower
#: weight and the nested figures on relevant passages did not improve, at twice the cost.
OTHER_WEIGHT_GRID: tuple[float, ...] = (1.0,)
# A theme learned from too few passages falls back to its rules: the score is 0.5 where
# the summed rule weight reaches about 3.5 (log1p(3.5) = 1.5).
RULES_ONLY_CALIBRATION = {"a": -3.0, "b": 4.5}
#: Relevance labels of corpus entries, joined to passages by file and entry.
RELEVANCE_LABELS = DEVSET_DIR / "relevance-corpus.jsonl"
_DIGITS = 10


@dataclasses.dataclass(frozen=True, slots=True)
class ThemeMetrics:
    """Cross-validated figures for one theme (held-out predictions only)."""

    theme: str
    support: int  # labelled positives in the whole set
    precision: float
    recall: float
    f1: float
    mode: str  # "model" or "rules" in the final model
    threshold: float  # threshold of the final model

    def to_json(self) -> dict[str, Any]:
        """A plain dict for JSON output."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class TrainReport:
    """What ``train_risk_themes`` did and how well the procedure generalises to new sites.

    ``themes`` are per-theme figures over every passage; ``relevant_themes`` the same over
    the passages whose corpus entry is labelled relevant, and ``relevant_*`` micro figures
    over those (``relevance_labelled`` passages have a relevance label at all);
    ``test_sites_*`` over the passages of "test"-split sites, which rule writing never
    looked at. ``title_only`` passages have no body text: their expected themes are none.
    """

    passages: int
    folds: int
    seed: int
    themes: tuple[ThemeMetrics, ...]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    model_path: str
    model_bytes: int
    training_digest: str
    sites: int = 0
    title_only: int = 0
    relevance_labelled: int = 0
    relevant_passages: int = 0
    relevant_micro_precision: float = 0.0
    relevant_micro_recall: float = 0.0
    relevant_micro_f1: float = 0.0
    test_sites_passages: int = 0
    test_sites_micro_f1: float = 0.0
    relevant_themes: tuple[ThemeMetrics, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json`` output."""
        data = dataclasses.asdict(self)
        data["themes"] = [t.to_json() for t in self.themes]
        data["relevant_themes"] = [t.to_json() for t in self.relevant_themes]
        return data


@dataclasses.dataclass(slots=True)
class FittedRiskThemes:
    """A fitted model: the JSON dict to ship plus the scikit-learn objects behind it."""

    model: dict[str, Any]
    vectorizer: Any
    estimators: dict[str, Any]  # theme -> LogisticRegression, absent in rules mode
    rules: tuple[ThemeRules, ...]

    def predict_proba(self, texts: Sequence[str], titles: Sequence[str]) -> np.ndarray:
        """Calibrated scores from the scikit-learn objects (rows: texts, columns: themes)."""
        from scipy.special import expit

        docs = [make_document(t, title=h) for t, h in zip(texts, titles, strict=True)]
        x = _design(self.vectorizer, docs, self.rules, self.model["features"]["rule_scale"])[0]
        out = np.zeros((len(docs), len(RISK_THEMES)))
        for j, theme in enumerate(RISK_THEMES):
            cal = self.model["themes"][theme]["calibration"]
            est = self.estimators.get(theme)
            if est is not None:
                dec = est.decision_function(x)
            else:
                scale = self.model["features"]["rule_scale"]
                dec = x[:, -N_RULE_FEATURES + j].toarray().ravel() / scale
            out[:, j] = expit(-(cal["a"] * dec + cal["b"]))
        return out


def _design(
    vectorizer: Any, docs: Sequence[Document], rules: Sequence[ThemeRules], scale: float
) -> tuple[Any, np.ndarray]:
    """The design matrix of ``docs`` and, per passage and theme, the summed weight of the
    rule hits that count in the body (the evidence a theme needs to be reported)."""
    from scipy import sparse

    bodies = [body_text(d) for d in docs]
    title_terms = bool(FEATURES["title_terms"])
    tfidf = vectorizer.transform(
        [terms_text(d, b, title_terms) for d, b in zip(docs, bodies, strict=True)]
    )
    extra, gate = [], []
    for doc, body in zip(docs, bodies, strict=True):
        hits = theme_hits(body, rules, doc.sentences)
        extra.append(_rule_vector(hits, len(_TOKEN.findall(body))) * scale)
        gate.append([sum(w for _, w in h) if h else -1.0 for h in hits])
    x = sparse.hstack([tfidf, sparse.csr_matrix(np.vstack(extra))], format="csr")
    return x, np.array(gate, dtype=np.float64).reshape(len(docs), len(RISK_THEMES))


def _rule_shares(gate: np.ndarray) -> np.ndarray:
    """Per passage and theme, the theme's share of the passage's counted rule weight (the
    ``gate`` of :func:`_design`, -1 where a theme has no hit)."""
    weights = np.clip(gate, 0.0, None)
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def _round(values: Iterable[float]) -> list[float]:
    return [float(f"{v:.{_DIGITS}g}") for v in values]


def _best_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The cut on out-of-fold scores that maximises F1 (midpoint below the best score)."""
    order = np.argsort(-probs, kind="stable")
    p_sorted, y_sorted = probs[order], y[order]
    tp = np.cumsum(y_sorted)
    k = np.arange(1, len(y_sorted) + 1)
    f1 = 2 * tp / (k + y.sum())
    # Only cut between distinct scores.
    valid = np.append(p_sorted[1:] < p_sorted[:-1], True)
    f1 = np.where(valid, f1, -1.0)
    i = int(np.argmax(f1))
    below = p_sorted[i + 1] if i + 1 < len(p_sorted) else 0.0
    return float(np.clip((p_sorted[i] + below) / 2, 0.05, 0.95))


def _best_cut(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(best F1, cut) over thresholds on ``scores``; ``-inf`` scores are never predicted
    positive. The cut is the midpoint below the lowest score kept."""
    positives = int(y.sum())
    order = np.argsort(-scores, kind="stable")
    s_sorted, y_sorted = scores[order], y[order]
    finite = np.isfinite(s_sorted)
    if not finite.any() or positives == 0:
        return 0.0, float("inf")
    s_sorted, y_sorted = s_sorted[finite], y_sorted[finite]
    tp = np.cumsum(y_sorted)
    k = np.arange(1, len(y_sorted) + 1)
    f1 = 2 * tp / (k + positives)
    valid = np.append(s_sorted[1:] < s_sorted[:-1], True)
    f1 = np.where(valid, f1, -1.0)
    i = int(np.argmax(f1))
    below = s_sorted[i + 1] if i + 1 < len(s_sorted) else s_sorted[i] - 1.0
    return float(f1[i]), float((s_sorted[i] + below) / 2)


def _theme_platt(decisions: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sigmoid calibration ``1 / (1 + exp(a * d + b))`` fitted on decision values."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=5000).fit(decisions.reshape(-1, 1), y)
    a, b = -float(lr.coef_[0, 0]), -float(lr.intercept_[0])
    # a score falling as the decision value rises would invert the model: keep it monotone
    return (a, b) if a < 0 else (-1.0, 0.0)


def _strata(labels: Sequence[set[str]]) -> list[str]:
    """One stratum per passage for multi-label folds: its rarest theme, else "none"."""
    freq = {t: sum(1 for s in labels if t in s) for t in RISK_THEMES}
    return [min(s, key=lambda t: (freq[t], t)) if s else "none" for s in labels]


def grouped_folds(
    labels: Sequence[set[str]], groups: Sequence[str], n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays of folds that never split a group (a site) and keep the
    themes spread over the folds (stratified on each passage's rarest theme).

    Fewer folds are made when there are fewer groups than ``n_splits``.

    Raises:
        ValueError: fewer than two groups.
    """
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    n = min(n_splits, len(set(groups)))
    if n < 2:
        raise ValueError("need passages from at least two sites to cross-validate")
    cv = StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # rare strata have fewer members than folds; grouping matters more
        warnings.simplefilter("ignore", UserWarning)
        return list(cv.split(np.zeros(len(labels)), _strata(labels), list(groups)))


def _host(link: str | None) -> str | None:
    host = urllib.parse.urlsplit(link or "").hostname
    return host.removeprefix("www.") if host else None


def passage_sites(refs: Sequence[tuple[str, str | None]]) -> list[str]:
    """The site of each passage, from its (feed file, entry link).

    A feed whose passages link to one host (an AI lab's own feed, a magazine) is one site,
    named by its host; a feed linking to many hosts (Hacker News, an aggregator) gives each
    passage its link's host. Passages without a link take their feed file. Sites sharing
    a host are one site, so one website never spans two folds.
    """
    hosts_by_file: dict[str, set[str]] = {}
    for file, link in refs:
        host = _host(link)
        if host:
            hosts_by_file.setdefault(file, set()).add(host)
    out = []
    for file, link in refs:
        hosts = hosts_by_file.get(file, set())
        if len(hosts) == 1:
            out.append(next(iter(hosts)))
        else:
            out.append(_host(link) or file)
    return out


def split_of_site(site: str) -> str:
    """The devset split a site belongs to (fixed by the site, never chosen)."""
    return "test" if hashlib.sha1(site.encode()).digest()[0] % 3 == 0 else "dev"


def _weighted_fit(x: Any, y: np.ndarray, weights: np.ndarray, c: float, cw: Any) -> Any | None:
    """A logistic regression on the rows of positive weight (``None``: one class only)."""
    from sklearn.linear_model import LogisticRegression

    keep = weights > 0
    if not keep.any() or y[keep].min() == y[keep].max():
        return None
    lr = LogisticRegression(C=c, class_weight=cw, max_iter=5000)
    w = weights[keep]
    return lr.fit(x[keep], y[keep], sample_weight=None if np.all(w == 1.0) else w)


def _oof_decisions(
    x: Any,
    y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    c: float,
    cw: Any,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    out = np.full(len(y), -np.inf)
    w = np.ones(len(y)) if weights is None else weights
    for train_idx, test_idx in folds:
        lr = _weighted_fit(x[train_idx], y[train_idx], w[train_idx], c, cw)
        if lr is None:
            continue  # one class only: nothing to learn, nothing predicted
        out[test_idx] = lr.decision_function(x[test_idx])
    return out


def fit_risk_themes(
    texts: Sequence[str],
    titles: Sequence[str],
    labels: Sequence[set[str]],
    *,
    seed: int = 0,
    rules: tuple[ThemeRules, ...] | None = None,
    groups: Sequence[str] | None = None,
    select_on: Sequence[bool] | None = None,
) -> FittedRiskThemes:
    """Fit the model on passages and their theme sets.

    Per theme, the (C, class weight) pair of :data:`HYPER_GRID`, the training weight of
    passages outside ``select_on`` of :data:`OTHER_WEIGHT_GRID` and the least evidence
    weight of :data:`MIN_EVIDENCE_GRID` and the least share of the passage's rule weight of
    :data:`MIN_SHARE_GRID` are chosen on inner folds: the first setting, in grid order,
    whose inner F1 is within :data:`SELECTION_TOLERANCE` of the best is kept; the sigmoid
    calibration and the threshold are fitted on those inner out-of-fold decision values,
    counting a passage as predicted only when its counted body rule hits reach the evidence
    weight and the share (as :meth:`RiskThemeClassifier.classify` does).

    Args:
        texts, titles: the passages (the title only blanks body sentences repeating it).
        labels: the set of theme ids of each passage.
        seed: seeds every fold split (same inputs and seed give the same model).
        rules: theme rules (default: ``data/themes.yaml``).
        groups: the site of each passage; inner folds never split a site (default, or
            fewer than two sites: every passage is its own group).
        select_on: the passages whose inner predictions choose the hyper-parameters and
            the threshold (default: all; fewer than ``MIN_SELECTION``: all). Training uses
            the relevant passages, the items Lumi reports themes for.
    """
    from scipy.special import expit
    from sklearn import __version__ as sklearn_version
    from sklearn.feature_extraction.text import TfidfVectorizer

    rules = rules or load_theme_rules()
    docs = [make_document(t, title=h) for t, h in zip(texts, titles, strict=True)]
    vectorizer = TfidfVectorizer(
        analyzer=analyze,
        min_df=FEATURES["min_df"] if len(docs) >= 20 else 1,
        max_features=FEATURES["max_features"],
        sublinear_tf=FEATURES["sublinear_tf"],
        norm="l2",
        dtype=np.float64,
    )
    vectorizer.fit([terms_text(d, body_text(d), FEATURES["title_terms"]) for d in docs])
    x, gate = _design(vectorizer, docs, rules, FEATURES["rule_scale"])
    share = _rule_shares(gate)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    n_terms = len(vocabulary)
    group_ids = list(groups) if groups is not None else []
    if len(set(group_ids)) < 2:
        group_ids = [str(i) for i in range(len(docs))]
    chosen_all = np.ones(len(docs), bool) if select_on is None else np.asarray(select_on, bool)
    if chosen_all.sum() < MIN_SELECTION:
        chosen_all = np.ones(len(docs), dtype=bool)
    folds = grouped_folds(labels, group_ids, INNER_FOLDS, seed)
    themes: dict[str, Any] = {}
    estimators: dict[str, Any] = {}
    for j, theme in enumerate(RISK_THEMES):
        y = np.array([theme in s for s in labels], dtype=int)
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        if min(n_pos, n_neg) < MIN_POSITIVES:
            coef = np.zeros(n_terms + N_RULE_FEATURES)
            # Undo the rule scaling: the fixed calibration is on the raw log1p(weight sum).
            coef[n_terms + j] = 1.0 / FEATURES["rule_scale"]
            themes[theme] = {
                "mode": "rules",
                "coef": _round(coef),
                "intercept": 0.0,
                "calibration": dict(RULES_ONLY_CALIBRATION),
                "threshold": 0.5,
                "min_evidence": 0.0,
                "min_share": 0.0,
                "positives": n_pos,
            }
            continue
        # A theme too rare among the selection passages is chosen on all of them.
        chosen = chosen_all if y[chosen_all].sum() >= MIN_POSITIVES else np.ones(len(y), bool)
        # Down-weighting the other passages only means something when some are left out.
        other_grid = OTHER_WEIGHT_GRID if not chosen.all() else (1.0,)
        tried: list[tuple[float, float, Any, float, float, float, np.ndarray]] = []
        for other in other_grid:
            weights = np.where(chosen, 1.0, other)
            for c, cw in HYPER_GRID:
                oof = _oof_decisions(x, y, folds, c, cw, weights)
                for least in MIN_EVIDENCE_GRID:
                    for min_share in MIN_SHARE_GRID:
                        shown = (gate[:, j] >= least) & (share[:, j] >= min_share)
                        f1, _ = _best_cut(np.where(shown, oof, -np.inf)[chosen], y[chosen])
                        tried.append((f1, c, cw, other, least, min_share, oof))
        top = max(t[0] for t in tried)
        inner_f1, c, cw, other, least, min_share, oof = next(
            t for t in tried if t[0] >= top - SELECTION_TOLERANCE - 1e-12
        )
        seen = np.isfinite(oof)
        a, b = _theme_platt(oof[seen], y[seen]) if len(set(y[seen])) == 2 else (-1.0, 0.0)
        shown = (gate[:, j] >= least) & (share[:, j] >= min_share) & seen
        probs = np.where(shown, expit(-(a * np.where(seen, oof, 0.0) + b)), -np.inf)
        _, cut = _best_cut(probs[chosen], y[chosen])
        threshold = float(np.clip(cut, 0.05, 0.95)) if np.isfinite(cut) else 0.95
        weights = np.where(chosen, 1.0, other)
        fitted_lr = _weighted_fit(x, y, weights, c, cw)
        # the selection alone may hold one class: then train on every passage
        lr = fitted_lr if fitted_lr is not None else _weighted_fit(x, y, np.ones(len(y)), c, cw)
        assert lr is not None  # both classes have MIN_POSITIVES passages here
        estimators[theme] = lr
        themes[theme] = {
            "mode": "model",
            "coef": _round(lr.coef_[0]),
            "intercept": _round(lr.intercept_)[0],
            "calibration": {"a": _round([a])[0], "b": _round([b])[0]},
            "threshold": _round([threshold])[0],
            "positives": n_pos,
            "min_evidence": least,
            "min_share": min_share,
            "C": c,
            "class_weight": cw,
            "other_weight": other,
            "inner_f1": round(inner_f1, 4),
        }
    model = {
        "format": MODEL_FORMAT,
        "name": "risk_themes",
        "version": "v4",
        "sklearn_version": sklearn_version,
        "features": {
            **FEATURES,
            "text": "rules read the body only, sentences repeating the title blanked",
            "token_pattern": r"\b\w\w+\b",
            "lowercase": True,
            "norm": "l2",
            "rule_features": (
                "after the terms: log1p(summed counted rule weight) per theme, then "
                "log1p(summed rule weight per 100 words, at least 50 words) per theme, then "
                "each theme's share of the summed rule weight of all themes"
            ),
            "max_chars": MAX_CHARS,
            "hyper_grid": [list(h) for h in HYPER_GRID],
            "min_evidence_grid": list(MIN_EVIDENCE_GRID),
            "min_share_grid": list(MIN_SHARE_GRID),
            "other_weight_grid": list(OTHER_WEIGHT_GRID),
            "selection_tolerance": SELECTION_TOLERANCE,
            "inner_folds": INNER_FOLDS,
            "calibration": "sigmoid on inner grouped out-of-fold decision values",
            "evidence": "a theme is reported only when one of its rules hits a body sentence",
        },
        "rules": {"path": THEMES_PATH.name, "digest": rules_digest(rules)},
        "vocabulary": vocabulary,
        "idf": _round(vectorizer.idf_),
        "themes": themes,
    }
    return FittedRiskThemes(model=model, vectorizer=vectorizer, estimators=estimators, rules=rules)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _micro(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, predicted, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, predicted, strict=True))
    return _prf(tp, fp, fn)


def _digest(labels: Sequence[dict[str, Any]]) -> str:
    canon = sorted(json.dumps(lab, sort_keys=True, ensure_ascii=False) for lab in labels)
    return hashlib.sha256("\n".join(canon).encode()).hexdigest()


#: The file ``lumi train`` writes, in the current directory, when no output is named.
DEFAULT_OUTPUT = Path("risk_themes.v4.trained.json")


def output_path(
    requested: Path | None,
    cwd: Path | None = None,
    *,
    default: Path = DEFAULT_OUTPUT,
    shipped: str = "classifiers/data/risk_themes.v4.json",
) -> Path:
    """Where ``lumi train`` writes the model.

    A named ``requested`` path is used as given and overwritten if it exists: replacing the
    shipped model (``shipped``) takes naming it. Without one the model goes to ``default``
    (:data:`DEFAULT_OUTPUT` for risk themes) in ``cwd`` (default: the current directory),
    which is never overwritten.

    Raises:
        FileExistsError: no path was named and the default file exists already.
    """
    if requested is not None:
        return requested
    target = (cwd or Path.cwd()) / default
    if target.exists():
        raise FileExistsError(
            f"{target} exists already: name it with --output to overwrite it "
            f"(--output {shipped} replaces the shipped model)"
        )
    return target


def _relevance_labels(path: Path = RELEVANCE_LABELS) -> dict[tuple[str, str], bool]:
    """(feed file, entry) -> relevant, from the corpus relevance labels (empty if absent)."""
    out: dict[tuple[str, str], bool] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        ref = row.get("ref") or {}
        if "relevant" in row and "file" in ref and "entry" in ref:
            out[(ref["file"], ref["entry"])] = bool(row["relevant"])
    return out


def train_risk_themes(
    labels: Sequence[dict[str, Any]],
    corpus: CorpusLoader,
    out: Path = MODEL_PATH,
    *,
    seed: int = 0,
    folds: int = FOLDS,
    relevance: Mapping[tuple[str, str], bool] | None = None,
) -> TrainReport:
    """Cross-validate (nested, grouped by site), then train on every passage and write the
    JSON model to ``out``.

    Args:
        labels: label lines as read by :func:`classifiers.dataset.load_labels`; lines
            without a corpus reference or without ``risk_themes`` are not risk-theme
            labels and are skipped.
        corpus: the corpus files the label references point into, by path
            (``pipeline.corpus.corpus_loader(shared)``).
        out: where to write the model (default: the shipped model path).
        seed: seeds all fold splits; same labels, data and seed give a byte-identical file.
        folds: outer cross-validation folds for the reported figures.
        relevance: (feed file, entry) -> relevant, for the figures on relevant passages
            (default: ``devset/relevance-corpus.jsonl``).

    Raises:
        KeyError: a label references an entry missing from the shared data.
        ValueError: fewer passages than folds, or passages from fewer than two sites.
    """
    from classifiers.dataset import materialise
    from classifiers.risk_themes import RiskThemeClassifier

    used = [lab for lab in labels if "ref" in lab and "risk_themes" in lab]
    items = list(materialise(used, corpus))
    if len(items) < folds:
        raise ValueError(f"need at least {folds} labelled passages, got {len(items)}")
    refs = []
    for lab in used:
        ref = lab["ref"]
        link = next((i.link for i in corpus(ref["file"]) if i.entry == ref["entry"]), None)
        refs.append((ref["file"], link))
    sites = passage_sites(refs)
    texts = [i["text"] for i in items]
    titles = [i["title"] for i in items]
    docs = [make_document(t, title=h) for t, h in zip(texts, titles, strict=True)]
    # An item whose body is empty once title repeats are blanked is title-only: by
    # definition it gets no theme, whatever its title says.
    title_only = [not body_text(d).strip() for d in docs]
    sets = [
        set() if empty else theme_ids(i["risk_themes"])
        for i, empty in zip(items, title_only, strict=True)
    ]
    rules = load_theme_rules()

    relevance = _relevance_labels() if relevance is None else relevance
    flags = [relevance.get((lab["ref"]["file"], lab["ref"]["entry"])) for lab in used]

    predicted: list[set[str]] = [set() for _ in items]
    for train_idx, test_idx in grouped_folds(sets, sites, folds, seed):
        fitted = fit_risk_themes(
            [texts[i] for i in train_idx],
            [titles[i] for i in train_idx],
            [sets[i] for i in train_idx],
            seed=seed,
            rules=rules,
            groups=[sites[i] for i in train_idx],
            select_on=[bool(flags[i]) for i in train_idx],
        )
        clf = RiskThemeClassifier(model=fitted.model, rules=rules)
        for i in test_idx:
            predicted[i] = {s.theme for s in clf.classify(docs[i])}

    final = fit_risk_themes(
        texts,
        titles,
        sets,
        seed=seed,
        rules=rules,
        groups=sites,
        select_on=[bool(f) for f in flags],
    )
    digest = _digest(used)
    final.model["training"] = {
        "passages": len(items),
        "sites": len(set(sites)),
        "digest": digest,
        "seed": seed,
    }
    payload = json.dumps(final.model, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(payload + "\n", encoding="utf-8")

    rel = [i for i, flag in enumerate(flags) if flag]

    def per_theme(idx: Sequence[int]) -> list[ThemeMetrics]:
        out = []
        for theme in RISK_THEMES:
            gold = [{theme} & sets[i] for i in idx]
            got = [{theme} & predicted[i] for i in idx]
            p, r, f = _micro(gold, got)
            spec = final.model["themes"][theme]
            out.append(
                ThemeMetrics(
                    theme,
                    sum(len(g) for g in gold),
                    round(p, 4),
                    round(r, 4),
                    round(f, 4),
                    spec["mode"],
                    spec["threshold"],
                )
            )
        return out

    metrics = per_theme(range(len(items)))
    f1s = [t.f1 for t in metrics]
    mp, mr, mf = _micro(sets, predicted)
    rp, rr, rf = _micro([sets[i] for i in rel], [predicted[i] for i in rel])
    test = [i for i, site in enumerate(sites) if split_of_site(site) == "test"]
    _, _, tf = _micro([sets[i] for i in test], [predicted[i] for i in test])
    return TrainReport(
        passages=len(items),
        folds=folds,
        seed=seed,
        themes=tuple(metrics),
        micro_precision=round(mp, 4),
        micro_recall=round(mr, 4),
        micro_f1=round(mf, 4),
        macro_f1=round(sum(f1s) / len(f1s), 4),
        model_path=str(out),
        model_bytes=len(payload) + 1,
        training_digest=digest,
        sites=len(set(sites)),
        title_only=sum(title_only),
        relevance_labelled=sum(1 for flag in flags if flag is not None),
        relevant_passages=len(rel),
        relevant_micro_precision=round(rp, 4),
        relevant_micro_recall=round(rr, 4),
        relevant_micro_f1=round(rf, 4),
        test_sites_passages=len(test),
        test_sites_micro_f1=round(tf, 4),
        relevant_themes=tuple(per_theme(rel)),
    )


def format_train_report(report: TrainReport) -> str:
    """A readable table of the cross-validated figures."""
    lines = [
        f"risk_themes.v4 trained on {report.passages} passages from {report.sites} sites "
        f"({report.folds}-fold nested cross-validation grouped by site, seed {report.seed}; "
        f"{report.title_only} title-only passages expect no theme)",
        f"{'theme':<18} {'support':>7} {'P':>6} {'R':>6} {'F1':>6}  mode   threshold"
        + ("   | relevant: support      P      R     F1" if report.relevant_themes else ""),
    ]
    relevant = {t.theme: t for t in report.relevant_themes}
    for t in report.themes:
        line = (
            f"{t.theme:<18} {t.support:>7} {t.precision:>6.3f} {t.recall:>6.3f} {t.f1:>6.3f}"
            f"  {t.mode:<6} {t.threshold:.3f}"
        )
        if t.theme in relevant:
            r = relevant[t.theme]
            line += (
                f"       |          {r.support:>7} {r.precision:>6.3f} {r.recall:>6.3f} "
                f"{r.f1:>6.3f}"
            )
        lines.append(line)
    lines.append(
        f"{'micro':<18} {'':>7} {report.micro_precision:>6.3f} {report.micro_recall:>6.3f} "
        f"{report.micro_f1:>6.3f}"
    )
    lines.append(f"{'macro F1':<18} {'':>7} {'':>6} {'':>6} {report.macro_f1:>6.3f}")
    lines.append(
        f"{'micro, relevant':<18} {report.relevant_passages:>7} "
        f"{report.relevant_micro_precision:>6.3f} {report.relevant_micro_recall:>6.3f} "
        f"{report.relevant_micro_f1:>6.3f}  ({report.relevance_labelled} passages have a "
        "relevance label)"
    )
    lines.append(
        f"{'micro F1, test sites':<18} {report.test_sites_passages:>5} {'':>6} {'':>6} "
        f"{report.test_sites_micro_f1:>6.3f}"
    )
    lines.append(f"model: {report.model_path} ({report.model_bytes} bytes)")
    return "\n".join(lines)


# -- relevance.v4 ------------------------------------------------------------------------
#
# ``train_relevance`` fits the relevance model on labelled items from three origins (corpus
# feed entries, saved web pages, short passages found on the web). Every reported figure is
# nested and grouped by source: the outer folds never split one site's items between
# training and test, and the regularisation strength, the calibration and the threshold are
# chosen on inner grouped folds of the training part only.

#: Fixed features of the relevance model (documented in the model file).
RELEVANCE_FEATURES: dict[str, Any] = {
    "ngram_range": [1, 2],
    "min_df": 2,
    "max_features": 20_000,
    "sublinear_tf": True,
}
#: Regularisation strengths tried on the inner folds.
RELEVANCE_C_GRID = (8.0, 32.0, 128.0)
#: Scales of the dense lexicon features next to the TF-IDF terms, tried on the inner folds
#: (a larger scale regularises their weights less).
RELEVANCE_DENSE_SCALES = (1.0, 4.0)
RELEVANCE_INNER_FOLDS = 3
#: Sample weights by kind of item: the AI labs' own feeds are hundreds of easy positives and
#: the page titles repeat their pages, so neither may dominate what the model learns.
RELEVANCE_WEIGHTS: dict[str, float] = {"lab_feed": 0.5, "page_title": 0.5}
#: Fewest items of each label a regime (:data:`classifiers.relevance.REGIMES`) needs for a
#: calibration and threshold of its own; with fewer it shares those fitted on every item.
RELEVANCE_MIN_REGIME = 5
#: A threshold is the middle of the cuts whose F1 is within this much of the best: the best
#: cut alone moves with one or two items and so from fold to fold.
RELEVANCE_F1_TOLERANCE = 0.01
#: An item's model input: its terms and its dense lexicon features.
RelevanceInput = tuple[list[str], np.ndarray]
#: The file ``lumi train relevance`` writes, in the current directory, when no output is named.
RELEVANCE_DEFAULT_OUTPUT = Path("relevance.v4.trained.json")


@dataclasses.dataclass(frozen=True, slots=True)
class RelevanceExample:
    """One labelled item for the relevance model, with its text already materialised."""

    text: str
    title: str
    relevant: bool
    site: str  # the publishing site; cross-validation never splits a site's items
    origin: str  # "feed" (a corpus entry), "page" (a saved web page) or "passage"
    lab_feed: bool = False  # from an AI lab's own feed
    publisher: str | None = None  # the canonical actor name of the feed's publisher


@dataclasses.dataclass(frozen=True, slots=True)
class RelevanceScores:
    """Precision, recall and F1 of "relevant" over a set of held-out predictions."""

    items: int
    positives: int  # labelled relevant
    predicted: int  # predicted relevant
    precision: float
    recall: float
    f1: float

    def to_json(self) -> dict[str, Any]:
        """A plain dict for JSON output."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class RelevanceTrainReport:
    """What ``train_relevance`` did and how well the procedure generalises to new sites."""

    examples: int
    sites: int
    folds: int
    seed: int
    overall: RelevanceScores  # outer grouped folds, every item
    beyond_lab_feeds: RelevanceScores  # outer grouped folds, items not from an AI lab's feed
    by_origin: dict[str, RelevanceScores]
    held_out: RelevanceScores | None  # the final model on the "test"-split passages
    fold_c: tuple[float, ...]
    fold_thresholds: tuple[float, ...]
    c: float
    threshold: float
    model_path: str
    model_bytes: int
    training_digest: str

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json`` output."""
        data = dataclasses.asdict(self)
        data["by_origin"] = {k: v.to_json() for k, v in self.by_origin.items()}
        return data


@dataclasses.dataclass(slots=True)
class FittedRelevance:
    """A fitted relevance model: the JSON dict to ship plus the scikit-learn objects."""

    model: dict[str, Any]
    vectorizer: Any
    estimator: Any

    def decision(self, items: Sequence[RelevanceInput]) -> tuple[np.ndarray, np.ndarray]:
        """(decision values, whether each item has a known term) of already analysed items
        (:func:`classifiers.relevance.relevance_features`)."""
        x = self.vectorizer.transform([t for t, _ in items])
        dense = np.vstack([d for _, d in items]) * self.model["dense"]["scale"]
        from scipy.sparse import csr_matrix, hstack

        dec = self.estimator.decision_function(hstack([x, csr_matrix(dense)]).tocsr())
        return dec, x.getnnz(axis=1) > 0

    def predict_proba(self, items: Sequence[RelevanceInput]) -> np.ndarray:
        """Calibrated scores of already analysed items (each regime has a calibration of
        its own; as in RelevanceClassifier, an item without one known term scores 0)."""
        dec, known = self.decision(items)
        return np.where(known, _regime_scores(self.model, dec, _regimes(items)), 0.0)

    def predict(self, items: Sequence[RelevanceInput]) -> np.ndarray:
        """Whether each item is relevant (its score against its regime's threshold)."""
        regimes = _regimes(items)
        cut = np.zeros(len(items))
        for name in set(regimes.tolist()):
            cut[regimes == name] = _regime_part(self.model, name)["threshold"]
        return self.predict_proba(items) >= cut


def _regimes(items: Sequence[RelevanceInput]) -> np.ndarray:
    """Each item's regime (:data:`classifiers.relevance.REGIMES`)."""
    from classifiers.relevance import regime_of

    return np.array([regime_of(d) for _, d in items], dtype=object)


def _regime_part(model: Mapping[str, Any], regime: str) -> Mapping[str, Any]:
    """The part of a model holding a regime's calibration and threshold."""
    return model if regime == "body" else model[regime]


def _regime_scores(model: Mapping[str, Any], dec: np.ndarray, regimes: np.ndarray) -> Any:
    from scipy.special import expit

    out = np.zeros(len(dec))
    for name in set(regimes.tolist()):
        mask = regimes == name
        cal = _regime_part(model, name)["calibration"]
        out[mask] = expit(-(cal["a"] * dec[mask] + cal["b"]))
    return out


def _plateau_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The middle of the cuts on out-of-fold scores whose F1 is within
    :data:`RELEVANCE_F1_TOLERANCE` of the best (each cut the midpoint below a score)."""
    order = np.argsort(-probs, kind="stable")
    p_sorted, y_sorted = probs[order], y[order]
    tp = np.cumsum(y_sorted)
    k = np.arange(1, len(y_sorted) + 1)
    f1 = 2 * tp / (k + max(int(y.sum()), 1))
    valid = np.append(p_sorted[1:] < p_sorted[:-1], True)
    f1 = np.where(valid, f1, -1.0)
    near = np.flatnonzero(f1 >= f1.max() - RELEVANCE_F1_TOLERANCE)
    i = int(near[len(near) // 2])
    below = p_sorted[i + 1] if i + 1 < len(p_sorted) else 0.0
    return float(np.clip((p_sorted[i] + below) / 2, 0.05, 0.95))


def _regime_calibration(
    dec: np.ndarray, y: np.ndarray, regimes: np.ndarray, select: np.ndarray | None = None
) -> dict[str, tuple[float, float, float]]:
    """Per regime (:data:`classifiers.relevance.REGIMES`): Platt (a, b) fitted on
    out-of-fold decision values of that regime's items and the threshold
    (:func:`_plateau_threshold`) on those of them in ``select`` (default: all). A regime
    with too few items of a label shares the calibration and threshold fitted on all."""
    from scipy.special import expit

    from classifiers.relevance import REGIMES

    chosen = np.ones(len(y), dtype=bool) if select is None else select

    def enough(mask: np.ndarray) -> bool:
        pos = int(y[mask].sum())
        return min(pos, int(mask.sum()) - pos) >= RELEVANCE_MIN_REGIME

    everything = np.ones(len(y), dtype=bool)
    out: dict[str, tuple[float, float, float]] = {}
    for name in REGIMES:
        mask = regimes == name
        use = mask if enough(mask) else everything
        a, b = _platt(dec[use], y[use])
        cut = use & chosen if enough(use & chosen) else use
        out[name] = (a, b, _plateau_threshold(expit(-(a * dec[cut] + b)), y[cut]))
    return out


def _regime_predict(
    dec: np.ndarray, regimes: np.ndarray, cal: Mapping[str, tuple[float, float, float]]
) -> np.ndarray:
    from scipy.special import expit

    pred = np.zeros(len(dec), dtype=bool)
    for name, (a, b, t) in cal.items():
        mask = regimes == name
        pred[mask] = expit(-(a * dec[mask] + b)) >= t
    return pred


def site_group(site: str) -> str:
    """The cross-validation group of a site: its first name label, so ``nytimes.com`` and
    ``nytimes`` or ``blog.example.org`` and ``example.org`` fall in one group."""
    host = site.lower().strip()
    for prefix in ("www.", "en.", "blog.", "m."):
        host = host.removeprefix(prefix)
    return host.replace("-", ".").split(".")[0] or site


def _identity(terms: list[str]) -> list[str]:
    return terms


def _relevance_vectorizer(n_items: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=_identity,
        min_df=RELEVANCE_FEATURES["min_df"] if n_items >= 20 else 1,
        max_features=RELEVANCE_FEATURES["max_features"],
        sublinear_tf=RELEVANCE_FEATURES["sublinear_tf"],
        norm="l2",
        dtype=np.float64,
    )


def _relevance_lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=5000, random_state=0
    )


def _group_folds(y: np.ndarray, groups: Sequence[str], n_splits: int, seed: int) -> list[Any]:
    """Stratified folds that keep every group in one fold (fewer folds for tiny sets)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n = min(n_splits, len(set(groups)), int(y.sum()), int(len(y) - y.sum()))
    if n < 2:
        raise ValueError("need at least two sites with relevant and not-relevant items")
    cv = StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(y)), y, list(groups)))


def _platt(decisions: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sigmoid calibration ``1 / (1 + exp(a * d + b))`` fitted on decision values."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=5000).fit(decisions.reshape(-1, 1), y)
    a, b = -float(lr.coef_[0, 0]), -float(lr.intercept_[0])
    # a score that falls as the decision value rises would invert the model: keep it monotone
    return (a, b) if a < 0 else (-1.0, 0.0)


def _with_dense(x: Any, dense: np.ndarray, scale: float) -> Any:
    from scipy.sparse import csr_matrix, hstack

    return hstack([x, csr_matrix(dense * scale)]).tocsr()


def fit_relevance(
    items: Sequence[RelevanceInput],
    y: Sequence[bool],
    groups: Sequence[str],
    *,
    weights: Sequence[float] | None = None,
    seed: int = 0,
    c_grid: Sequence[float] = RELEVANCE_C_GRID,
    scale_grid: Sequence[float] = RELEVANCE_DENSE_SCALES,
    inner_folds: int = RELEVANCE_INNER_FOLDS,
    select_on: Sequence[bool] | None = None,
) -> FittedRelevance:
    """Fit the relevance model; C, the dense-feature scale, the calibrations and thresholds
    come from inner grouped folds.

    Args:
        items: each item's terms and dense features
            (:func:`classifiers.relevance.relevance_features`).
        y: whether each item is relevant.
        groups: each item's site group (:func:`site_group`); folds never split a group.
        weights: each item's sample weight (default 1).
        seed: seeds every fold split (same inputs and seed give the same model).
        c_grid: regularisation strengths tried.
        scale_grid: scales of the dense features tried.
        inner_folds: folds of the inner cross-validation.
        select_on: the items whose inner predictions choose C, the dense scale and the
            thresholds (default: all; the calibrations use every item). Training passes the
            items beyond the AI labs' own feeds: those are nearly all easy positives.

    Raises:
        ValueError: fewer than two sites carry each label.
    """
    from sklearn import __version__ as sklearn_version

    from classifiers.relevance import (
        DENSE_FEATURES,
        MAX_CHARS,
        MODEL_FORMAT,
        SHORT_WORDS,
        TITLE_ONLY_WORDS,
        TITLE_PREFIX,
    )

    terms = [t for t, _ in items]
    dense = np.vstack([d for _, d in items])
    regimes = _regimes(items)
    labels = np.asarray(y, dtype=int)
    w = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    select = np.ones(len(labels), dtype=bool) if select_on is None else np.asarray(select_on, bool)
    if min(int(labels[select].sum()), int((labels[select] == 0).sum())) < RELEVANCE_MIN_REGIME:
        select = np.ones(len(labels), dtype=bool)
    grid = [(c, scale) for scale in scale_grid for c in c_grid]
    folds = _group_folds(labels, groups, inner_folds, seed)
    oof = {key: np.zeros(len(labels)) for key in grid}
    for train_idx, test_idx in folds:
        vec = _relevance_vectorizer(len(train_idx))
        x_train = vec.fit_transform([terms[i] for i in train_idx])
        x_test = vec.transform([terms[i] for i in test_idx])
        for c, scale in grid:
            lr = _relevance_lr(c).fit(
                _with_dense(x_train, dense[train_idx], scale),
                labels[train_idx],
                sample_weight=w[train_idx],
            )
            oof[c, scale][test_idx] = lr.decision_function(
                _with_dense(x_test, dense[test_idx], scale)
            )

    def quality(key: tuple[float, float]) -> tuple[float, float, float]:
        cal = _regime_calibration(oof[key], labels, regimes, select)
        pred = _regime_predict(oof[key], regimes, cal)[select]
        gold = labels[select] == 1
        tp = int((pred & gold).sum())
        f1 = _prf(tp, int((pred & ~gold).sum()), int((~pred & gold).sum()))[2]
        return f1, -key[0], -key[1]  # ties go to the stronger regularisation

    best_c, best_scale = max(grid, key=quality)
    cal = _regime_calibration(oof[best_c, best_scale], labels, regimes, select)

    vectorizer = _relevance_vectorizer(len(labels))
    x = vectorizer.fit_transform(terms)
    estimator = _relevance_lr(best_c).fit(
        _with_dense(x, dense, best_scale), labels, sample_weight=w
    )
    n_terms = len(vectorizer.vocabulary_)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    coef = estimator.coef_[0]
    model = {
        "format": MODEL_FORMAT,
        "name": "relevance",
        "version": "v4",
        "sklearn_version": sklearn_version,
        "features": {
            **RELEVANCE_FEATURES,
            "token_pattern": r"\b\w\w+\b",
            "lowercase": True,
            "norm": "l2",
            "max_chars": MAX_CHARS,
            "title_prefix": TITLE_PREFIX,
            "title_only_words": TITLE_ONLY_WORDS,
            "short_words": SHORT_WORDS,
            "C": best_c,
            "C_grid": list(c_grid),
            "dense_scale_grid": list(scale_grid),
            "sample_weights": dict(RELEVANCE_WEIGHTS),
            "calibration": "sigmoid on inner grouped out-of-fold decision values, per regime",
            "threshold": (
                "middle of the cuts within f1_tolerance of the best F1 on inner grouped "
                "out-of-fold calibrated scores of the items beyond the AI labs' own feeds, "
                "per regime"
            ),
            "f1_tolerance": RELEVANCE_F1_TOLERANCE,
        },
        "vocabulary": vocabulary,
        "idf": _round(vectorizer.idf_),
        "coef": _round(coef[:n_terms]),
        "dense": {
            "names": list(DENSE_FEATURES),
            "scale": best_scale,
            "coef": _round(coef[n_terms:]),
        },
        "intercept": _round(estimator.intercept_)[0],
        "calibration": {"a": _round([cal["body"][0]])[0], "b": _round([cal["body"][1]])[0]},
        "threshold": _round([cal["body"][2]])[0],
        **{
            regime: {
                "calibration": {"a": _round([cal[regime][0]])[0], "b": _round([cal[regime][1]])[0]},
                "threshold": _round([cal[regime][2]])[0],
            }
            for regime in ("short", "title_only")
        },
    }
    return FittedRelevance(model=model, vectorizer=vectorizer, estimator=estimator)


def relevance_weight(example: RelevanceExample) -> float:
    """The sample weight of a training item (:data:`RELEVANCE_WEIGHTS`)."""
    if example.lab_feed:
        return RELEVANCE_WEIGHTS["lab_feed"]
    if example.origin == "page_title":
        return RELEVANCE_WEIGHTS["page_title"]
    return 1.0


def _relevance_inputs(
    examples: Sequence[RelevanceExample],
) -> tuple[list[RelevanceInput], np.ndarray]:
    """The model inputs of items prepared as the classifier sees them (boilerplate removed,
    sentence spans), and whether each body is degenerate (never relevant)."""
    from classifiers.relevance import is_degenerate, relevance_features

    items, degenerate = [], []
    for e in examples:
        doc = make_document(e.text, title=e.title, publisher=e.publisher)
        items.append(relevance_features(doc.text, doc.title, doc.sentences, doc.publisher))
        degenerate.append(is_degenerate(doc.text))
    return items, np.array(degenerate, dtype=bool)


def _relevance_scores(y: Sequence[bool], predicted: Sequence[bool]) -> RelevanceScores:
    tp = sum(1 for g, p in zip(y, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(y, predicted, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(y, predicted, strict=True) if g and not p)
    p, r, f = _prf(tp, fp, fn)
    return RelevanceScores(len(y), tp + fn, tp + fp, round(p, 4), round(r, 4), round(f, 4))


def relevance_output_path(requested: Path | None, cwd: Path | None = None) -> Path:
    """Where ``lumi train relevance`` writes the model (see :func:`output_path`).

    Raises:
        FileExistsError: no path was named and the default file exists already.
    """
    return output_path(
        requested,
        cwd,
        default=RELEVANCE_DEFAULT_OUTPUT,
        shipped="classifiers/data/relevance.v4.json",
    )


def train_relevance(
    examples: Sequence[RelevanceExample],
    out: Path,
    *,
    held_out: Sequence[RelevanceExample] = (),
    seed: int = 0,
    folds: int = FOLDS,
) -> RelevanceTrainReport:
    """Cross-validate by site (nested), then train on every example and write the model.

    Args:
        examples: the labelled items to train on and cross-validate.
        out: where to write the JSON model.
        held_out: items never trained on (the "test"-split passages), scored with the final
            model only.
        seed: seeds all fold splits; same examples and seed give a byte-identical file.
        folds: outer cross-validation folds for the reported figures.

    Raises:
        ValueError: too few sites carry each label for the folds.
    """
    items, degenerate = _relevance_inputs(examples)
    y = np.array([e.relevant for e in examples], dtype=bool)
    groups = [site_group(e.site) for e in examples]
    weights = [relevance_weight(e) for e in examples]
    beyond_labs = [not e.lab_feed for e in examples]

    predicted = np.zeros(len(examples), dtype=bool)
    fold_c, fold_thresholds = [], []
    for train_idx, test_idx in _group_folds(y.astype(int), groups, folds, seed):
        fitted = fit_relevance(
            [items[i] for i in train_idx],
            y[train_idx].tolist(),
            [groups[i] for i in train_idx],
            weights=[weights[i] for i in train_idx],
            seed=seed,
            select_on=[beyond_labs[i] for i in train_idx],
        )
        predicted[test_idx] = fitted.predict([items[i] for i in test_idx])
        fold_c.append(float(fitted.model["features"]["C"]))
        fold_thresholds.append(float(fitted.model["threshold"]))
    predicted &= ~degenerate

    final = fit_relevance(
        items, y.tolist(), groups, weights=weights, seed=seed, select_on=beyond_labs
    )
    held_scores = None
    if held_out:
        held_items, held_degenerate = _relevance_inputs(held_out)
        held_pred = (final.predict(held_items) & ~held_degenerate).tolist()
        held_scores = _relevance_scores([e.relevant for e in held_out], held_pred)

    overall = _relevance_scores(y.tolist(), predicted.tolist())
    beyond = [i for i, e in enumerate(examples) if not e.lab_feed]
    beyond_scores = _relevance_scores(y[beyond].tolist(), predicted[beyond].tolist())
    by_origin = {}
    regimes = _regimes(items)
    for name, regime in (("title only", "title_only"), ("short text", "short"), ("body", "body")):
        mask = regimes == regime
        if mask.any():
            by_origin[name] = _relevance_scores(y[mask].tolist(), predicted[mask].tolist())
    for origin in sorted({e.origin for e in examples}):
        for lab in (True, False):
            idx = [i for i, e in enumerate(examples) if e.origin == origin and e.lab_feed == lab]
            if idx:
                name = f"{origin} (lab feeds)" if lab else origin
                if origin == "feed" and not lab:
                    name = "feed (other feeds)"
                by_origin[name] = _relevance_scores(y[idx].tolist(), predicted[idx].tolist())

    canon = [
        {
            "site": e.site,
            "origin": e.origin,
            "relevant": e.relevant,
            "title": e.title,
            "text": e.text,
            "publisher": e.publisher,
        }
        for e in examples
    ]
    digest = _digest(canon)
    final.model["training"] = {
        "examples": len(examples),
        "sites": len(set(groups)),
        "held_out": len(held_out),
        "digest": digest,
        "seed": seed,
        "folds": folds,
    }
    final.model["metrics"] = {
        "cross_validation": "nested; outer and inner folds grouped by site",
        "overall": overall.to_json(),
        "beyond_lab_feeds": beyond_scores.to_json(),
        "by_origin": {k: v.to_json() for k, v in by_origin.items()},
        "held_out_passages": held_scores.to_json() if held_scores else None,
        "fold_C": fold_c,
        "fold_thresholds": fold_thresholds,
    }
    payload = json.dumps(final.model, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(payload + "\n", encoding="utf-8")
    return RelevanceTrainReport(
        examples=len(examples),
        sites=len(set(groups)),
        folds=folds,
        seed=seed,
        overall=overall,
        beyond_lab_feeds=beyond_scores,
        by_origin=by_origin,
        held_out=held_scores,
        fold_c=tuple(fold_c),
        fold_thresholds=tuple(fold_thresholds),
        c=float(final.model["features"]["C"]),
        threshold=float(final.model["threshold"]),
        model_path=str(out),
        model_bytes=len(payload.encode()) + 1,
        training_digest=digest,
    )


def format_relevance_report(report: RelevanceTrainReport) -> str:
    """A readable table of the cross-validated relevance figures."""
    lines = [
        f"relevance.v4 trained on {report.examples} items from {report.sites} sites "
        f"({report.folds}-fold nested cross-validation grouped by site, seed {report.seed})",
        f"{'items':<24} {'n':>5} {'relevant':>8} {'predicted':>9} {'P':>6} {'R':>6} {'F1':>6}",
    ]

    def row(name: str, s: RelevanceScores) -> str:
        return (
            f"{name:<24} {s.items:>5} {s.positives:>8} {s.predicted:>9} {s.precision:>6.3f} "
            f"{s.recall:>6.3f} {s.f1:>6.3f}"
        )

    lines.append(row("all (cross-validated)", report.overall))
    lines.append(row("beyond the lab feeds", report.beyond_lab_feeds))
    for origin, scores in report.by_origin.items():
        lines.append(row(f"  {origin}", scores))
    if report.held_out is not None:
        lines.append(row("held-out passages", report.held_out))
    folds = ", ".join(
        f"C={c:g} t={t:.3f}" for c, t in zip(report.fold_c, report.fold_thresholds, strict=True)
    )
    lines.append(f"outer folds: {folds}")
    lines.append(f"final model: C={report.c:g}, threshold {report.threshold:.3f}")
    lines.append(f"model: {report.model_path} ({report.model_bytes} bytes)")
    return "\n".join(lines)
