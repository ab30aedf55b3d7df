"""Training for risk_themes.v1: reproducible, cross-validated, written as plain JSON.

``train_risk_themes`` materialises the labelled development set, fits one logistic
regression per theme over word/bigram TF-IDF plus rule features, calibrates each with a
sigmoid fitted on cross-validated decision values, picks each theme's threshold on those
out-of-fold scores, and writes the JSON model that :class:`RiskThemeClassifier` loads.

The figures it reports are nested: the whole procedure (features, calibration, threshold
choice) is re-run on the training part of each outer fold and scored on the held-out part,
so every reported prediction is on a passage the model did not see.

A theme with fewer than ``MIN_POSITIVES`` labelled passages cannot be learned or
calibrated; it falls back to its rules alone (fixed calibration on the rule feature).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import RISK_THEMES, theme_ids
from classifiers.dataset import CorpusLoader
from classifiers.risk_themes import (
    MAX_CHARS,
    MODEL_FORMAT,
    MODEL_PATH,
    N_RULE_FEATURES,
    THEMES_PATH,
    ThemeRules,
    analyze,
    feature_text,
    load_theme_rules,
    rule_features,
    rules_digest,
)

__all__ = [
    "DEFAULT_OUTPUT",
    "FittedRiskThemes",
    "ThemeMetrics",
    "TrainReport",
    "fit_risk_themes",
    "format_train_report",
    "output_path",
    "train_risk_themes",
]

MIN_POSITIVES = 3
FOLDS = 5
# Features and regularisation: fixed, small and documented in the model file.
FEATURES: dict[str, Any] = {
    "ngram_range": [1, 2],
    "min_df": 2,
    # 2,000 terms beat 1,500, 4,000 and 10,000 on the nested cross-validation of the 406
    # passages (seeds 0 and 1), and keeps the shipped model small.
    "max_features": 2000,
    "sublinear_tf": True,
    # Rule features are multiplied by this before the regression. Chosen on the nested
    # cross-validation of the development set (0.3 beat 1.0 and 3.0 for every seed tried).
    "rule_scale": 0.3,
}
C = 4.0
# A theme learned from too few passages falls back to its rules: the score is 0.5 where
# the summed rule weight reaches about 3.5 (log1p(3.5) = 1.5).
RULES_ONLY_CALIBRATION = {"a": -3.0, "b": 4.5}
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
    """What ``train_risk_themes`` did and how well the procedure generalises."""

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

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json`` output."""
        data = dataclasses.asdict(self)
        data["themes"] = [t.to_json() for t in self.themes]
        return data


@dataclasses.dataclass(slots=True)
class FittedRiskThemes:
    """A fitted model: the JSON dict to ship plus the scikit-learn objects behind it."""

    model: dict[str, Any]
    vectorizer: Any
    estimators: dict[str, Any]  # theme -> CalibratedClassifierCV, absent in rules mode
    rules: tuple[ThemeRules, ...]

    def predict_proba(self, texts: Sequence[str], titles: Sequence[str]) -> np.ndarray:
        """Calibrated scores from the scikit-learn objects (rows: texts, columns: themes)."""
        prepared = [feature_text(t, h) for t, h in zip(texts, titles, strict=True)]
        x = _design(self.vectorizer, prepared, self.rules, self.model["features"]["rule_scale"])
        out = np.zeros((len(prepared), len(RISK_THEMES)))
        for j, theme in enumerate(RISK_THEMES):
            est = self.estimators.get(theme)
            if est is not None:
                out[:, j] = est.predict_proba(x)[:, 1]
            else:
                cal = self.model["themes"][theme]["calibration"]
                scale = self.model["features"]["rule_scale"]
                dec = x[:, -N_RULE_FEATURES + j].toarray().ravel() / scale
                out[:, j] = 1.0 / (1.0 + np.exp(cal["a"] * dec + cal["b"]))
        return out


def _design(
    vectorizer: Any, prepared: Sequence[str], rules: Sequence[ThemeRules], scale: float
) -> Any:
    from scipy import sparse

    tfidf = vectorizer.transform(prepared)
    extra = np.vstack([rule_features(t, rules) * scale for t in prepared])
    return sparse.hstack([tfidf, sparse.csr_matrix(extra)], format="csr")


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


def fit_risk_themes(
    texts: Sequence[str],
    titles: Sequence[str],
    labels: Sequence[set[str]],
    *,
    seed: int = 0,
    rules: tuple[ThemeRules, ...] | None = None,
) -> FittedRiskThemes:
    """Fit the model on passages and their theme sets; thresholds from out-of-fold scores.

    Args:
        texts, titles: the passages.
        labels: the set of theme ids of each passage.
        seed: seeds every fold split (same inputs and seed give the same model).
        rules: theme rules (default: ``data/themes.yaml``).
    """
    from scipy.special import expit
    from sklearn import __version__ as sklearn_version
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rules = rules or load_theme_rules()
    prepared = [feature_text(t, h) for t, h in zip(texts, titles, strict=True)]
    vectorizer = TfidfVectorizer(
        analyzer=analyze,
        min_df=FEATURES["min_df"] if len(prepared) >= 20 else 1,
        max_features=FEATURES["max_features"],
        sublinear_tf=FEATURES["sublinear_tf"],
        norm="l2",
        dtype=np.float64,
    )
    vectorizer.fit(prepared)
    x = _design(vectorizer, prepared, rules, FEATURES["rule_scale"])
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    n_terms = len(vocabulary)
    base = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
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
                "positives": n_pos,
            }
            continue
        cv = StratifiedKFold(n_splits=min(FOLDS, n_pos, n_neg), shuffle=True, random_state=seed)
        est = CalibratedClassifierCV(clone(base), method="sigmoid", cv=cv, ensemble=False)
        est.fit(x, y)
        inner = est.calibrated_classifiers_[0]
        lr, calibrator = inner.estimator, inner.calibrators[0]
        oof = cross_val_predict(clone(base), x, y, cv=cv, method="decision_function")
        oof_probs = expit(-(calibrator.a_ * oof + calibrator.b_))
        estimators[theme] = est
        themes[theme] = {
            "mode": "model",
            "coef": _round(lr.coef_[0]),
            "intercept": _round(lr.intercept_)[0],
            "calibration": {"a": _round([calibrator.a_])[0], "b": _round([calibrator.b_])[0]},
            "threshold": _round([_best_threshold(oof_probs, y)])[0],
            "positives": n_pos,
        }
    model = {
        "format": MODEL_FORMAT,
        "name": "risk_themes",
        "version": "v1",
        "sklearn_version": sklearn_version,
        "features": {
            **FEATURES,
            "token_pattern": r"\b\w\w+\b",
            "lowercase": True,
            "norm": "l2",
            "rule_features": (
                "after the terms: log1p(summed rule weight) per theme, then log1p(summed "
                "rule weight per 100 words, at least 50 words) per theme"
            ),
            "max_chars": MAX_CHARS,
            "C": C,
            "calibration": "sigmoid on cross-validated decision values",
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


def _digest(labels: Sequence[dict[str, Any]]) -> str:
    canon = sorted(json.dumps(lab, sort_keys=True, ensure_ascii=False) for lab in labels)
    return hashlib.sha256("\n".join(canon).encode()).hexdigest()


#: The file ``lumi train`` writes, in the current directory, when no output is named.
DEFAULT_OUTPUT = Path("risk_themes.v1.trained.json")


def output_path(requested: Path | None, cwd: Path | None = None) -> Path:
    """Where ``lumi train`` writes the model.

    A named ``requested`` path is used as given and overwritten if it exists: replacing the
    shipped model (``classifiers/data/risk_themes.v1.json``) takes naming it. Without one the
    model goes to :data:`DEFAULT_OUTPUT` in ``cwd`` (default: the current directory), which
    is never overwritten.

    Raises:
        FileExistsError: no path was named and the default file exists already.
    """
    if requested is not None:
        return requested
    target = (cwd or Path.cwd()) / DEFAULT_OUTPUT
    if target.exists():
        raise FileExistsError(
            f"{target} exists already: name it with --output to overwrite it "
            "(--output classifiers/data/risk_themes.v1.json replaces the shipped model)"
        )
    return target


def train_risk_themes(
    labels: Sequence[dict[str, Any]],
    corpus: CorpusLoader,
    out: Path = MODEL_PATH,
    *,
    seed: int = 0,
    folds: int = FOLDS,
) -> TrainReport:
    """Cross-validate, then train on every passage and write the JSON model to ``out``.

    Args:
        labels: label lines as read by :func:`classifiers.dataset.load_labels`.
        corpus: the corpus files the label references point into, by path
            (``pipeline.corpus.corpus_loader(shared)``).
        out: where to write the model (default: the shipped model path).
        seed: seeds all fold splits; same labels, data and seed give a byte-identical file.
        folds: outer cross-validation folds for the reported figures.

    Raises:
        KeyError: a label references an entry missing from the shared data.
        ValueError: fewer passages than folds.
    """
    from sklearn.model_selection import KFold

    from classifiers.dataset import materialise

    items = list(materialise(list(labels), corpus))
    if len(items) < folds:
        raise ValueError(f"need at least {folds} labelled passages, got {len(items)}")
    texts = [i["text"] for i in items]
    titles = [i["title"] for i in items]
    sets = [theme_ids(i["risk_themes"]) for i in items]
    rules = load_theme_rules()

    predicted: list[set[str]] = [set() for _ in items]
    outer = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in outer.split(texts):
        fitted = fit_risk_themes(
            [texts[i] for i in train_idx],
            [titles[i] for i in train_idx],
            [sets[i] for i in train_idx],
            seed=seed,
            rules=rules,
        )
        probs = fitted.predict_proba([texts[i] for i in test_idx], [titles[i] for i in test_idx])
        for row, i in enumerate(test_idx):
            for j, theme in enumerate(RISK_THEMES):
                if probs[row, j] >= fitted.model["themes"][theme]["threshold"]:
                    predicted[i].add(theme)

    final = fit_risk_themes(texts, titles, sets, seed=seed, rules=rules)
    digest = _digest(labels)
    final.model["training"] = {"passages": len(items), "digest": digest, "seed": seed}
    payload = json.dumps(final.model, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(payload + "\n", encoding="utf-8")

    metrics, totals, f1s = [], [0, 0, 0], []
    for theme in RISK_THEMES:
        tp = sum(1 for g, p in zip(sets, predicted, strict=True) if theme in g and theme in p)
        fp = sum(1 for g, p in zip(sets, predicted, strict=True) if theme not in g and theme in p)
        fn = sum(1 for g, p in zip(sets, predicted, strict=True) if theme in g and theme not in p)
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        p, r, f = _prf(tp, fp, fn)
        f1s.append(f)
        spec = final.model["themes"][theme]
        metrics.append(
            ThemeMetrics(
                theme,
                tp + fn,
                round(p, 4),
                round(r, 4),
                round(f, 4),
                spec["mode"],
                spec["threshold"],
            )
        )
    mp, mr, mf = _prf(*totals)
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
    )


def format_train_report(report: TrainReport) -> str:
    """A readable table of the cross-validated figures."""
    lines = [
        f"risk_themes.v1 trained on {report.passages} passages "
        f"({report.folds}-fold nested cross-validation, seed {report.seed})",
        f"{'theme':<18} {'support':>7} {'P':>6} {'R':>6} {'F1':>6}  mode   threshold",
    ]
    for t in report.themes:
        lines.append(
            f"{t.theme:<18} {t.support:>7} {t.precision:>6.3f} {t.recall:>6.3f} {t.f1:>6.3f}"
            f"  {t.mode:<6} {t.threshold:.3f}"
        )
    lines.append(
        f"{'micro':<18} {'':>7} {report.micro_precision:>6.3f} {report.micro_recall:>6.3f} "
        f"{report.micro_f1:>6.3f}"
    )
    lines.append(f"{'macro F1':<18} {'':>7} {'':>6} {'':>6} {report.macro_f1:>6.3f}")
    lines.append(f"model: {report.model_path} ({report.model_bytes} bytes)")
    return "\n".join(lines)
