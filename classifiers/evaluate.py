"""Score classifiers against a labelled file (``lumi eval``).

Items follow design.md section 6: a ``text`` or ``html`` field plus the expected
``actors`` (``{"name", "type"}``), ``license_events`` and ``risk_themes`` (ids or
``{"theme": id}`` objects). :func:`evaluate` runs a ``classify`` callable on each item and
compares sets per item:

- ``actors.name``: organisations by canonical name; ``actors.name+type``: (name, type)
  pairs, per actor type; plus the type accuracy over names found in both.
- ``license_events``: (kind, actor, model, from_license, to_license), per kind;
  ``license_events.lenient``: (kind, to_license), per kind.
- ``risk_themes``: per theme.

Names go through the actor registry's ``canonical_name`` when ``classifiers.actors``
provides it, else they are compared case-insensitively. Macro averages are over labels
that occur in the expected or predicted sets.

Only labelled items are scored: a ``text`` or ``html`` field plus at least one of the
expected-label fields. Items from the labelled development set (``classifiers/data/devset``,
recognised by the ``id`` that ``lumi dataset build`` gives them) are
counted as in-sample: the rules and the shipped model were built from them, so their
scores overstate accuracy on new articles, and the report says so.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifiers.base import Classifier, Document

__all__ = [
    "LABEL_FIELDS",
    "Counts",
    "EvalReport",
    "NoLabelledItems",
    "PassageError",
    "PassageReport",
    "PassageScore",
    "ScoreTable",
    "batch_classify",
    "evaluate",
    "evaluate_license_passages",
    "format_passage_report",
    "format_report",
    "is_labelled",
    "is_passage_record",
    "passage_document",
    "read_items",
]

#: The expected-label fields; an item needs at least one of them to be scored.
LABEL_FIELDS = ("actors", "license_events", "risk_themes")


class NoLabelledItems(ValueError):
    """The input holds no item with text (or html) and expected labels."""


@dataclasses.dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives for one label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp), 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn), 0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_json(self) -> dict[str, Any]:
        """Counts plus rounded precision, recall and F1."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.tp + self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class ScoreTable:
    """Per-label counts of one scored view, with micro and macro averages."""

    name: str
    labels: tuple[tuple[str, Counts], ...]

    @property
    def micro(self) -> Counts:
        """Counts summed over labels."""
        total = Counts()
        for _, counts in self.labels:
            total = total + counts
        return total

    @property
    def macro(self) -> tuple[float, float, float]:
        """Unweighted mean (precision, recall, F1) over labels seen in gold or predictions."""
        seen = [c for _, c in self.labels if c.tp + c.fp + c.fn]
        if not seen:
            return (0.0, 0.0, 0.0)
        n = len(seen)
        return (
            sum(c.precision for c in seen) / n,
            sum(c.recall for c in seen) / n,
            sum(c.f1 for c in seen) / n,
        )

    def to_json(self) -> dict[str, Any]:
        """Per-label figures and both averages."""
        mp, mr, mf = self.macro
        return {
            "per_label": {label: c.to_json() for label, c in self.labels},
            "micro": self.micro.to_json(),
            "macro": {"precision": round(mp, 4), "recall": round(mr, 4), "f1": round(mf, 4)},
        }


@dataclasses.dataclass(frozen=True, slots=True)
class EvalReport:
    """The result of :func:`evaluate`."""

    items: int
    tables: tuple[ScoreTable, ...]
    actor_type_accuracy: float | None  # over names found in both expected and predicted
    actor_type_matched: int
    failures: tuple[tuple[str, str], ...]  # (item id, error) for items classify raised on
    in_sample_items: int = 0  # scored items that are development-set passages
    skipped: int = 0  # items without text or without any expected-label field
    #: over names found in both whose expected actor carries a ``role``
    actor_role_accuracy: float | None = None
    actor_role_matched: int = 0

    @property
    def in_sample(self) -> bool:
        """True when some scored items are passages the rules and the model were built from."""
        return self.in_sample_items > 0

    @property
    def note(self) -> str | None:
        """What the reader must know to interpret the figures (None: nothing to say)."""
        if not self.in_sample:
            return None
        return (
            f"in-sample: {self.in_sample_items} of {self.items} items are passages of the "
            "labelled development set (classifiers/data/devset) that the rules were written "
            "from and the risk-theme model was trained on; these figures overstate accuracy "
            "on new articles"
        )

    def table(self, name: str) -> ScoreTable:
        """The table called ``name`` (e.g. ``"risk_themes"``)."""
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The ``lumi eval --json`` object."""
        return {
            "items": self.items,
            "classifiers": {t.name: t.to_json() for t in self.tables},
            "actor_type_accuracy": (
                None if self.actor_type_accuracy is None else round(self.actor_type_accuracy, 4)
            ),
            "actor_type_matched": self.actor_type_matched,
            "actor_role_accuracy": (
                None if self.actor_role_accuracy is None else round(self.actor_role_accuracy, 4)
            ),
            "actor_role_matched": self.actor_role_matched,
            "failures": [{"id": i, "error": e} for i, e in self.failures],
            "in_sample": self.in_sample,
            "in_sample_items": self.in_sample_items,
            "skipped": self.skipped,
            "note": self.note,
        }


@cache
def _canonicaliser() -> Callable[[str], str | None] | None:
    try:
        from classifiers import actors
    except Exception:  # the registry is optional here: fall back to case-insensitive names
        return None
    fn = getattr(actors, "canonical_name", None)
    return fn if callable(fn) else None


def _name(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    canon = _canonicaliser()
    if canon is not None:
        try:
            found = canon(value)
        except Exception:  # a failing registry must not stop an evaluation
            found = None
        if found:
            return found.casefold()
    return " ".join(value.split()).casefold()


def _plain(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split()).casefold()


def _model(value: Any) -> str | None:
    """A model name compared without case and separators: "DeepSeek-V4.1" = "deepseek v4.1"."""
    plain = _plain(value)
    return None if plain is None else re.sub(r"[\s_-]+", "", plain)


def _actors(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value or ():
        if isinstance(item, dict):
            name = _name(item.get("name"))
            if name is not None:
                out.setdefault(name, str(item.get("type") or "unknown"))
    return out


def _roles(value: Any) -> dict[str, str]:
    """Expected or predicted roles by actor name (actors without a ``role`` are left out)."""
    out: dict[str, str] = {}
    for item in value or ():
        if isinstance(item, dict) and isinstance(item.get("role"), str):
            name = _name(item.get("name"))
            if name is not None:
                out.setdefault(name, item["role"])
    return out


def _events(value: Any) -> set[tuple[str | None, ...]]:
    out: set[tuple[str | None, ...]] = set()
    for e in value or ():
        if isinstance(e, dict):
            out.add(
                (
                    _plain(e.get("kind")),
                    _name(e.get("actor")),
                    _model(e.get("model")),
                    _plain(e.get("from_license")),
                    _plain(e.get("to_license")),
                )
            )
    return out


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}

    def add(self, gold: Iterable[tuple[str, Any]], pred: Iterable[tuple[str, Any]]) -> None:
        """Add one item: ``gold``/``pred`` are (label, key) pairs compared by key."""
        gold_map = dict((k, lab) for lab, k in gold)
        pred_map = dict((k, lab) for lab, k in pred)
        for key, label in gold_map.items():
            slot = self.counts.setdefault(label, [0, 0, 0])
            slot[0 if key in pred_map else 2] += 1
        for key, label in pred_map.items():
            if key not in gold_map:
                self.counts.setdefault(label, [0, 0, 0])[1] += 1

    def table(self, name: str, labels: Iterable[str] = ()) -> ScoreTable:
        order = list(dict.fromkeys([*labels, *sorted(self.counts)]))
        return ScoreTable(
            name, tuple((lab, Counts(*self.counts.get(lab, [0, 0, 0]))) for lab in order)
        )


def _prediction(result: Any) -> dict[str, Any]:
    if hasattr(result, "to_json"):
        result = result.to_json()
    return result if isinstance(result, dict) else {}


def is_labelled(item: dict[str, Any]) -> bool:
    """True when ``item`` can be scored: ``text`` or ``html`` plus an expected-label field."""
    has_input = item.get("text") is not None or item.get("html") is not None
    return has_input and any(field in item for field in LABEL_FIELDS)


def _item_ids(item: dict[str, Any], index: int) -> set[str]:
    ids = {str(item.get("id", index))}
    ref = item.get("ref")
    if isinstance(ref, dict) and "file" in ref and "entry" in ref:
        from classifiers.dataset import passage_id

        ids.add(passage_id(ref))
    return ids


def batch_classify(
    classifiers: Iterable[Classifier], document: Callable[[dict[str, Any]], Document] | None = None
) -> Callable[[dict[str, Any]], Any]:
    """A ``classify`` callable for :func:`evaluate` that runs ``classifiers`` through
    :func:`classifiers.api.classify_batch`, the path every other caller takes.

    Args:
        classifiers: built classifiers (:func:`classifiers.registry.build_all`).
        document: turns an item into a document (default: its ``text`` and ``title``).
    """
    from classifiers.api import classify_batch, report
    from classifiers.base import make_document

    active = list(classifiers)

    def prepare(item: dict[str, Any]) -> Document:
        return make_document(str(item.get("text") or ""), title=str(item.get("title") or ""))

    to_document = document or prepare

    def classify(item: dict[str, Any]) -> Any:
        doc = to_document(item)
        (found,) = classify_batch([doc], active)
        return report(doc, found)

    return classify


def evaluate(
    items: Iterable[dict[str, Any]],
    classify: Callable[[dict[str, Any]], Any],
    *,
    in_sample_ids: Collection[str] | None = None,
) -> EvalReport:
    """Run ``classify`` on every labelled item and score it against the expected labels.

    Args:
        items: labelled items (design.md section 6 shape, with ``text`` or ``html``);
            items that are not labelled (:func:`is_labelled`) are skipped and counted.
        classify: maps an item to a classification in the output-contract shape (a dict,
            or an object with ``to_json()``). An item it raises on is scored as predicting
            nothing and listed in ``failures``.
        in_sample_ids: item ids the classifiers were built from (default: every passage of
            the labelled development set); scored items among them make the report
            in-sample.

    Raises:
        NoLabelledItems: not one item is labelled.
    """
    from classifiers.base import ACTOR_TYPES, LICENSE_EVENT_KINDS, RISK_THEMES, theme_ids

    if in_sample_ids is None:
        from classifiers.dataset import devset_ids

        in_sample_ids = devset_ids()
    names, pairs, events, lenient, themes = _Tally(), _Tally(), _Tally(), _Tally(), _Tally()
    type_matched = type_correct = role_matched = role_correct = 0
    failures: list[tuple[str, str]] = []
    count = skipped = in_sample = 0
    for n, item in enumerate(items):
        if not is_labelled(item):
            skipped += 1
            continue
        count += 1
        in_sample += any(i in in_sample_ids for i in _item_ids(item, n))
        try:
            pred = _prediction(classify(item))
        except Exception as exc:  # scored as an empty prediction and reported
            failures.append((str(item.get("id", n)), f"{type(exc).__name__}: {exc}"))
            pred = {}
        gold_actors, pred_actors = _actors(item.get("actors")), _actors(pred.get("actors"))
        if "actors" not in item:  # not labelled for actors: nothing to score
            pred_actors = {}
        names.add([("actor", k) for k in gold_actors], [("actor", k) for k in pred_actors])
        pairs.add(
            [(t, (k, t)) for k, t in gold_actors.items()],
            [(t, (k, t)) for k, t in pred_actors.items()],
        )
        for name in gold_actors.keys() & pred_actors.keys():
            type_matched += 1
            type_correct += gold_actors[name] == pred_actors[name]
        gold_roles, pred_roles = _roles(item.get("actors")), _roles(pred.get("actors"))
        for name in gold_roles.keys() & pred_actors.keys():
            role_matched += 1
            role_correct += gold_roles[name] == pred_roles.get(name, "subject")
        gold_events, pred_events = (
            _events(item.get("license_events")),
            _events(pred.get("license_events") if "license_events" in item else None),
        )
        events.add([(e[0] or "?", e) for e in gold_events], [(e[0] or "?", e) for e in pred_events])
        lenient.add(
            [(e[0] or "?", (e[0], e[4])) for e in gold_events],
            [(e[0] or "?", (e[0], e[4])) for e in pred_events],
        )
        themes.add(
            [(t, t) for t in theme_ids(item.get("risk_themes"))],
            [(t, t) for t in theme_ids(pred.get("risk_themes") if "risk_themes" in item else None)],
        )
    if count == 0:
        found = f"{skipped} items without text or labels" if skipped else "no items at all"
        raise NoLabelledItems(
            f"no labelled items ({found}): each line needs text or html plus at least one "
            f"of {', '.join(LABEL_FIELDS)}; the devset files hold references only, build "
            "the file with lumi dataset build"
        )
    return EvalReport(
        items=count,
        tables=(
            names.table("actors.name", ["actor"]),
            pairs.table("actors.name+type", ACTOR_TYPES),
            events.table("license_events", LICENSE_EVENT_KINDS),
            lenient.table("license_events.lenient", LICENSE_EVENT_KINDS),
            themes.table("risk_themes", RISK_THEMES),
        ),
        actor_type_accuracy=type_correct / type_matched if type_matched else None,
        actor_type_matched=type_matched,
        failures=tuple(failures),
        in_sample_items=in_sample,
        skipped=skipped,
        actor_role_accuracy=role_correct / role_matched if role_matched else None,
        actor_role_matched=role_matched,
    )


def read_items(path: Path) -> Iterator[dict[str, Any]]:
    """Read a labelled JSON Lines file, one item per non-blank line.

    Raises:
        ValueError: a line is not a JSON object (the message names the line).
    """
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} line {lineno}: {exc}") from exc
            if not isinstance(item, dict):
                raise ValueError(f"{path.name} line {lineno}: not a JSON object")
            yield item


def format_report(report: EvalReport) -> str:
    """A readable table: per-label P/R/F1 and support, micro and macro, per classifier.

    An in-sample report starts and ends with its note, so it is not quoted without it.
    """
    head = f"{report.items} items"
    if report.skipped:
        head += f" ({report.skipped} unlabelled items skipped)"
    lines = [head]
    if report.note:
        lines.append(f"note: {report.note}")
    for table in report.tables:
        lines.append("")
        lines.append(f"{table.name:<24} {'P':>6} {'R':>6} {'F1':>6} {'support':>8} {'pred':>6}")
        for label, c in table.labels:
            lines.append(
                f"  {label:<22} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f} "
                f"{c.tp + c.fn:>8} {c.tp + c.fp:>6}"
            )
        m = table.micro
        mp, mr, mf = table.macro
        lines.append(
            f"  {'micro':<22} {m.precision:>6.3f} {m.recall:>6.3f} {m.f1:>6.3f} "
            f"{m.tp + m.fn:>8} {m.tp + m.fp:>6}"
        )
        lines.append(f"  {'macro':<22} {mp:>6.3f} {mr:>6.3f} {mf:>6.3f}")
    if report.actor_type_accuracy is not None:
        lines.append("")
        lines.append(
            f"actor type accuracy over {report.actor_type_matched} matched names: "
            f"{report.actor_type_accuracy:.3f}"
        )
    if report.actor_role_accuracy is not None:
        lines.append(
            f"actor role accuracy over {report.actor_role_matched} matched names: "
            f"{report.actor_role_accuracy:.3f}"
        )
    if report.failures:
        lines.append("")
        lines.append(f"{len(report.failures)} items failed:")
        lines.extend(f"  {i}: {e}" for i, e in report.failures)
    if report.note:
        lines.append("")
        lines.append(f"note: {report.note}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- passages
#
# Labelled passages (``classifiers/data/devset/passages-<topic>.jsonl``) are short verbatim
# excerpts found on the web, each with its ``split`` (fixed by the site), ``language`` and,
# when labelled for it, the expected ``license_events``. License events are scored on
# (kind, to_license); the model and the actor are then checked on the matched pairs, so a
# right license with a wrong model shows up as a model error and not as two misses.


@dataclasses.dataclass(frozen=True, slots=True)
class PassageScore:
    """License-event figures over one group of passages (all, one split or one language)."""

    passages: int = 0
    counts: Counts = Counts()
    matched: int = 0  # gold/predicted pairs with equal (kind, to_license)
    model_correct: int = 0
    actor_correct: int = 0

    @property
    def model_accuracy(self) -> float | None:
        """Share of matched events whose model is right (None when nothing matched)."""
        return self.model_correct / self.matched if self.matched else None

    @property
    def actor_accuracy(self) -> float | None:
        """Share of matched events whose actor is right (None when nothing matched)."""
        return self.actor_correct / self.matched if self.matched else None

    def __add__(self, other: PassageScore) -> PassageScore:
        return PassageScore(
            self.passages + other.passages,
            self.counts + other.counts,
            self.matched + other.matched,
            self.model_correct + other.model_correct,
            self.actor_correct + other.actor_correct,
        )

    def to_json(self) -> dict[str, Any]:
        """Counts, P/R/F1 and the model and actor accuracies over matched events."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "passages": self.passages,
            **self.counts.to_json(),
            "matched": self.matched,
            "model_accuracy": rounded(self.model_accuracy),
            "actor_accuracy": rounded(self.actor_accuracy),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class PassageError:
    """One passage where the prediction differs from the label (for rule development)."""

    source: str
    split: str
    language: str
    passage: str
    expected: tuple[dict[str, Any], ...]
    predicted: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        """The passage with both event lists."""
        return {
            "source": self.source,
            "split": self.split,
            "language": self.language,
            "passage": self.passage,
            "expected": list(self.expected),
            "predicted": list(self.predicted),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class PassageReport:
    """The result of :func:`evaluate_license_passages`."""

    total: PassageScore
    by_split: tuple[tuple[str, PassageScore], ...]
    by_language: tuple[tuple[str, PassageScore], ...]
    skipped: int  # passages without a ``license_events`` label or outside the chosen splits
    failures: tuple[tuple[str, str], ...]
    errors: tuple[PassageError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``lumi eval --passages --json`` object."""
        return {
            "classifier": "license_events",
            "key": ["kind", "to_license"],
            "total": self.total.to_json(),
            "by_split": {name: score.to_json() for name, score in self.by_split},
            "by_language": {name: score.to_json() for name, score in self.by_language},
            "skipped": self.skipped,
            "failures": [{"source": s, "error": e} for s, e in self.failures],
            "errors": [e.to_json() for e in self.errors],
        }


def _event_dicts(value: Any) -> list[dict[str, Any]]:
    out = []
    for e in value or ():
        if hasattr(e, "to_json"):
            e = e.to_json()
        if isinstance(e, dict):
            out.append(e)
    return out


def _score_passage(
    gold: list[dict[str, Any]], pred: list[dict[str, Any]]
) -> tuple[Counts, int, int, int]:
    """Counts on (kind, to_license) plus (matched, model right, actor right); among events
    with one key, pairs that agree on the model are matched first."""

    def key(e: dict[str, Any]) -> tuple[str | None, str | None]:
        return (_plain(e.get("kind")), _plain(e.get("to_license")))

    left = list(pred)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    unmatched_gold = []
    for g in sorted(gold, key=lambda e: _model(e.get("model")) is None):
        same = [p for p in left if key(p) == key(g)]
        if not same:
            unmatched_gold.append(g)
            continue
        best = next((p for p in same if _model(p.get("model")) == _model(g.get("model"))), same[0])
        left.remove(best)
        pairs.append((g, best))
    models = sum(_model(g.get("model")) == _model(p.get("model")) for g, p in pairs)
    actors = sum(_name(g.get("actor")) == _name(p.get("actor")) for g, p in pairs)
    return Counts(len(pairs), len(left), len(unmatched_gold)), len(pairs), models, actors


def evaluate_license_passages(
    items: Iterable[dict[str, Any]],
    classify: Callable[[dict[str, Any]], Any],
    *,
    splits: Collection[str] | None = None,
    keep_errors: bool = False,
) -> PassageReport:
    """Score license events on labelled passages, overall, per split and per language.

    Args:
        items: passage records (``passage``, ``title``, ``language``, ``split``,
            ``license_events``); records without a ``license_events`` key are skipped and
            counted, ``"license_events": []`` is a labelled negative.
        classify: maps a passage record to its predicted license events (a list of
            :class:`~classifiers.base.LicenseEvent` or their JSON, or a classification
            in the output-contract shape with a ``license_events`` list). A passage it
            raises on is scored as predicting nothing and listed in ``failures``.
        splits: only score passages of these splits (default: every split).
        keep_errors: also return the passages whose prediction differs from the label.

    Raises:
        NoLabelledItems: not one passage is labelled for license events.
    """
    total = PassageScore()
    per_split: dict[str, PassageScore] = {}
    per_language: dict[str, PassageScore] = {}
    failures: list[tuple[str, str]] = []
    errors: list[PassageError] = []
    skipped = 0
    for n, item in enumerate(items):
        split = str(item.get("split") or "?")
        if "license_events" not in item or item.get("passage") is None:
            skipped += 1
            continue
        if splits is not None and split not in splits:
            skipped += 1
            continue
        source = str(item.get("source") or n)
        try:
            found = classify(item)
            if hasattr(found, "to_json") and not isinstance(found, (list, tuple)):
                found = found.to_json()
            if isinstance(found, dict):
                found = found.get("license_events")
            pred = _event_dicts(found)
        except Exception as exc:  # scored as an empty prediction and reported
            failures.append((source, f"{type(exc).__name__}: {exc}"))
            pred = []
        gold = _event_dicts(item.get("license_events"))
        counts, matched, models, actors = _score_passage(gold, pred)
        score = PassageScore(1, counts, matched, models, actors)
        language = str(item.get("language") or "?")
        total = total + score
        per_split[split] = per_split.get(split, PassageScore()) + score
        per_language[language] = per_language.get(language, PassageScore()) + score
        if keep_errors and (counts.fp or counts.fn or models < matched or actors < matched):
            fields = ("kind", "actor", "model", "subject_kind", "from_license", "to_license")
            errors.append(
                PassageError(
                    source,
                    split,
                    language,
                    str(item.get("passage")),
                    tuple({k: e.get(k) for k in fields if k in e} for e in gold),
                    tuple({k: e.get(k) for k in fields if k in e} for e in pred),
                )
            )
    if total.passages == 0:
        raise NoLabelledItems(
            f"no passage labelled for license events ({skipped} records skipped): each line "
            "needs a passage and a license_events list"
        )
    return PassageReport(
        total=total,
        by_split=tuple(sorted(per_split.items())),
        by_language=tuple(sorted(per_language.items())),
        skipped=skipped,
        failures=tuple(failures),
        errors=tuple(errors),
    )


def passage_document(item: dict[str, Any]) -> Document:
    """The document a passage record is classified as: its passage, page title, language
    and, when the record names one, its ``publisher``."""
    from classifiers.base import make_document

    publisher = item.get("publisher")
    return make_document(
        str(item.get("passage") or ""),
        title=str(item.get("title") or ""),
        language=item.get("language") if isinstance(item.get("language"), str) else None,
        publisher=publisher if isinstance(publisher, str) else None,
    )


def is_passage_record(item: dict[str, Any]) -> bool:
    """True for a labelled-passage record (``passage`` text rather than ``text``/``html``)."""
    return "passage" in item and item.get("text") is None and item.get("html") is None


def format_passage_report(report: PassageReport) -> str:
    """A readable table of :func:`evaluate_license_passages`: P/R/F1 on (kind, to_license)
    and the model and actor accuracies over matched events, overall, per split and per
    language."""

    def pct(value: float | None) -> str:
        return "   -  " if value is None else f"{value:>6.3f}"

    lines = [
        f"license_events on {report.total.passages} passages "
        f"({report.skipped} skipped); key (kind, to_license)",
        f"{'group':<14} {'n':>4} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4} "
        f"{'model':>6} {'actor':>6}",
    ]
    groups = [("all", report.total)]
    groups += [(f"split={k}", v) for k, v in report.by_split]
    groups += [(f"lang={k}", v) for k, v in report.by_language]
    for name, s in groups:
        c = s.counts
        lines.append(
            f"{name:<14} {s.passages:>4} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f} "
            f"{c.tp:>4} {c.fp:>4} {c.fn:>4} {pct(s.model_accuracy)} {pct(s.actor_accuracy)}"
        )
    if report.failures:
        lines.append(f"{len(report.failures)} passages failed:")
        lines.extend(f"  {s}: {e}" for s, e in report.failures)
    for e in report.errors:
        lines.append("")
        lines.append(f"[{e.split}/{e.language}] {e.source}")
        lines.append(f"  {e.passage}")
        lines.append(f"  expected:  {json.dumps(list(e.expected), ensure_ascii=False)}")
        lines.append(f"  predicted: {json.dumps(list(e.predicted), ensure_ascii=False)}")
    return "\n".join(lines)
