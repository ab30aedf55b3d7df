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
    "ScoreTable",
    "batch_classify",
    "evaluate",
    "format_report",
    "is_labelled",
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
    type_matched = type_correct = 0
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
        names.add([("actor", k) for k in gold_actors], [("actor", k) for k in pred_actors])
        pairs.add(
            [(t, (k, t)) for k, t in gold_actors.items()],
            [(t, (k, t)) for k, t in pred_actors.items()],
        )
        for name in gold_actors.keys() & pred_actors.keys():
            type_matched += 1
            type_correct += gold_actors[name] == pred_actors[name]
        gold_events, pred_events = (
            _events(item.get("license_events")),
            _events(pred.get("license_events")),
        )
        events.add([(e[0] or "?", e) for e in gold_events], [(e[0] or "?", e) for e in pred_events])
        lenient.add(
            [(e[0] or "?", (e[0], e[4])) for e in gold_events],
            [(e[0] or "?", (e[0], e[4])) for e in pred_events],
        )
        themes.add(
            [(t, t) for t in theme_ids(item.get("risk_themes"))],
            [(t, t) for t in theme_ids(pred.get("risk_themes"))],
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
    if report.failures:
        lines.append("")
        lines.append(f"{len(report.failures)} items failed:")
        lines.extend(f"  {i}: {e}" for i, e in report.failures)
    if report.note:
        lines.append("")
        lines.append(f"note: {report.note}")
    return "\n".join(lines)
