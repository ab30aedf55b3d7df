"""Boilerplate removal: feed and page chrome that must never become evidence or summary text.

The rules are data (``classifiers/data/boilerplate.yaml``): each one matches a *whole*
paragraph or line ("Comments on Hacker News", "Share this article", a BibTeX block after
"Cite as", a language menu, a cookie banner), never a phrase inside prose. A paragraph is a
block of lines between blank lines; when a paragraph as a whole is not boilerplate, each of
its lines is tested on its own, because extracted page text has one paragraph per line.

:func:`strip_boilerplate` runs on every article (``classifiers.base.make_document`` and the
summariser call it), so the rules are compiled once into a few combined regular
expressions, one per length limit, and each line costs one ``fullmatch``.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from classifiers.errors import ClassifierNotConfigured

__all__ = ["RULES_PATH", "Rule", "Rules", "Stripped", "load_rules", "strip_boilerplate"]

RULES_PATH = Path(__file__).resolve().parent / "data" / "boilerplate.yaml"

_KEYS = {
    "id",
    "kind",
    "pattern",
    "forms",
    "max_chars",
    "min_run",
    "followed_by",
    "followed_by_max",
    "extent",
    "trailing",
    "languages",
    "comment",
}
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_FLAGS = re.IGNORECASE
#: invisible characters pages put inside words ("musi\xadcian"); removed before matching
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
#: how much of a line's end is searched for a trailing form (sentence end and form)
_TRAILING_WINDOW = 200
#: the longest block a braces extent may span, in lines
_MAX_EXTENT_LINES = 400


@dataclasses.dataclass(frozen=True, slots=True)
class Stripped:
    """A text without its boilerplate, and what was removed as (rule id, removed text)."""

    text: str
    removed: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    """One boilerplate rule, as read from the rules file (see the file's header)."""

    id: str
    kind: str
    pattern: str
    max_chars: int = 120
    min_run: int = 1
    followed_by: str | None = None
    followed_by_max: int = 2
    extent: str | None = None
    trailing: bool = False
    languages: tuple[str, ...] = ()
    comment: str = ""


@dataclasses.dataclass(frozen=True, eq=False)
class Rules:
    """A set of rules compiled for matching.

    A unit of length ``n`` may be removed only by a rule whose ``max_chars`` is at least
    ``n``. ``_any`` is one regular expression over every rule of the set this one was
    narrowed from (see :meth:`for_language`): most units match none of them and are ruled
    out by it alone. When its first matching rule is one this set may not apply to that
    unit, the unit is matched again against ``_source[i]``, the alternation of this set's
    rules whose ``max_chars`` is at least ``_limits[i]`` (the first limit ``>= n``),
    compiled on first use: the large alternations cost more to compile than most
    documents take to match.
    """

    rules: tuple[Rule, ...]
    _limits: tuple[int, ...] = dataclasses.field(repr=False, default=())
    _source: tuple[str, ...] = dataclasses.field(repr=False, default=())
    _any: re.Pattern[str] | None = dataclasses.field(repr=False, default=None)
    _trailing: re.Pattern[str] | None = dataclasses.field(repr=False, default=None)
    _followers: Mapping[str, re.Pattern[str]] = dataclasses.field(repr=False, default_factory=dict)
    _by_id: Mapping[str, Rule] = dataclasses.field(repr=False, default_factory=dict)
    _by_limit: dict[int, re.Pattern[str]] = dataclasses.field(repr=False, default_factory=dict)

    @classmethod
    def compile(cls, rules: Sequence[Rule], within: Rules | None = None) -> Rules:
        """Compile ``rules`` (in order: the first rule that matches a unit names it).

        ``within`` is a rule set that holds every one of ``rules`` in the same order; its
        screening expression is shared instead of compiling another.
        """
        # rules that need a run of units come last, so a unit that is boilerplate on its
        # own is reported under the rule that removes it alone
        ordered = tuple(sorted(rules, key=lambda r: r.min_run > 1))
        limits = tuple(sorted({r.max_chars for r in ordered}))
        source = tuple(
            "|".join(f"(?P<{r.id}>{r.pattern})" for r in ordered if r.max_chars >= limit)
            for limit in limits
        )
        screen = within._any if within is not None else None
        if screen is None and source:
            screen = re.compile(source[0], _FLAGS)
        trailing = [r for r in ordered if r.trailing]
        tail = None
        if trailing:
            forms = "|".join(f"(?P<{r.id}>{r.pattern})" for r in trailing)
            # the form after the last sentence of a line: "... in 2026. Comments on Hacker News"
            tail = re.compile(rf"(?P<_body>.*[.!?\"'”’)\]])[ \t]+(?:{forms})[ \t]*", _FLAGS)
        followers = {
            r.id: re.compile(r.followed_by, _FLAGS) for r in ordered if r.followed_by is not None
        }
        return cls(ordered, limits, source, screen, tail, followers, {r.id: r for r in ordered})

    def match(self, unit: str) -> Rule | None:
        """The rule that matches the whole of ``unit`` (whitespace-normalised), if any."""
        n = len(unit)
        if not n or self._any is None:
            return None
        i = bisect.bisect_left(self._limits, n)
        if i == len(self._limits):
            return None
        found = self._any.fullmatch(unit)
        if found is None or found.lastgroup is None:
            return None
        rule = self._by_id.get(found.lastgroup)
        if rule is not None and rule.max_chars >= n:
            # the first rule of the wider set that matches is one of this set's and
            # allowed at this length: no earlier rule of this set matches either
            return rule
        regex = self._by_limit.get(i)
        if regex is None:
            regex = self._by_limit[i] = re.compile(self._source[i], _FLAGS)
        found = regex.fullmatch(unit)
        if found is None or found.lastgroup is None:
            return None
        return self._by_id[found.lastgroup]

    def follower(self, rule: Rule, unit: str) -> bool:
        """Whether ``unit`` is the kind of text ``rule`` removes after its match."""
        pattern = self._followers.get(rule.id)
        return pattern is not None and pattern.fullmatch(unit) is not None

    def trailing(self, line: str) -> tuple[Rule, int] | None:
        """The trailing rule ending ``line`` after a sentence, and where the form starts."""
        if self._trailing is None:
            return None
        # the form is short: only the end of a long line can hold it
        offset = max(0, len(line) - _TRAILING_WINDOW)
        found = self._trailing.fullmatch(line, offset)
        if found is None or found.lastgroup is None or found.lastgroup == "_body":
            return None
        return self._by_id[found.lastgroup], found.end("_body")

    def for_language(self, language: str | None) -> Rules:
        """The rules that apply to a document in ``language`` (all rules when unknown)."""
        return _for_language(self, _primary(language))


def _primary(language: str | None) -> str | None:
    if not language:
        return None
    return language.replace("_", "-").split("-", 1)[0].casefold() or None


@functools.lru_cache(maxsize=64)
def _for_language(rules: Rules, language: str | None) -> Rules:
    if language is None or all(not r.languages for r in rules.rules):
        return rules
    kept = tuple(r for r in rules.rules if not r.languages or language in r.languages)
    if len(kept) == len(rules.rules):
        return rules
    return _compiled(rules, kept)


@functools.lru_cache(maxsize=64)
def _compiled(rules: Rules, kept: tuple[Rule, ...]) -> Rules:
    # every language without rules of its own keeps the same rules: compiled once for all
    return Rules.compile(kept, within=rules)


def _fail(path: Path, where: str, message: str) -> ClassifierNotConfigured:
    return ClassifierNotConfigured(f"boilerplate rules {path}: {where}: {message}")


def _positive_int(path: Path, where: str, raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(path, where, f"'{key}' must be a positive whole number, not {value!r}")
    return value


def _regex(path: Path, where: str, key: str, pattern: Any) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise _fail(path, where, f"'{key}' must be a non-empty string")
    if "(?P<" in pattern or "(?P=" in pattern or re.search(r"\\[1-9]", pattern):
        raise _fail(path, where, f"'{key}' must not use named groups or backreferences")
    try:
        re.compile(pattern, _FLAGS)
    except re.error as exc:
        raise _fail(path, where, f"'{key}' is not a valid regular expression: {exc}") from exc
    return pattern


def _rule(path: Path, index: int, raw: Any) -> Rule:
    where = f"rule {index + 1}"
    if not isinstance(raw, dict):
        raise _fail(path, where, "each rule must be a mapping")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise _fail(path, where, f"'id' must be lower-case snake case, not {rule_id!r}")
    where = f"rule {rule_id!r}"
    unknown = set(raw) - _KEYS
    if unknown:
        raise _fail(path, where, f"unknown keys {sorted(unknown)}")
    kind = raw.get("kind")
    if not isinstance(kind, str) or not _ID.match(kind):
        raise _fail(path, where, f"'kind' must be lower-case snake case, not {kind!r}")
    if ("pattern" in raw) == ("forms" in raw):
        raise _fail(path, where, "give exactly one of 'pattern' and 'forms'")
    if "forms" in raw:
        forms = raw["forms"]
        if (
            not isinstance(forms, list)
            or not forms
            or not all(isinstance(f, str) and f.strip() for f in forms)
        ):
            raise _fail(path, where, "'forms' must be a non-empty list of strings")
        # literal forms match with any whitespace between their words
        pattern = "|".join(
            r"\s+".join(map(re.escape, f.split())) for f in sorted(forms, key=len, reverse=True)
        )
    else:
        pattern = _regex(path, where, "pattern", raw["pattern"])
    followed_by = raw.get("followed_by")
    if followed_by is not None:
        followed_by = _regex(path, where, "followed_by", followed_by)
    extent = raw.get("extent")
    if extent not in (None, "braces"):
        raise _fail(path, where, f"'extent' must be 'braces', not {extent!r}")
    trailing = raw.get("trailing", False)
    if not isinstance(trailing, bool):
        raise _fail(path, where, "'trailing' must be true or false")
    languages = raw.get("languages", [])
    if not isinstance(languages, list) or not all(
        isinstance(lang, str) and lang for lang in languages
    ):
        raise _fail(path, where, "'languages' must be a list of language codes")
    comment = raw.get("comment", "")
    if not isinstance(comment, str):
        raise _fail(path, where, "'comment' must be a string")
    return Rule(
        id=rule_id,
        kind=kind,
        pattern=pattern,
        max_chars=_positive_int(path, where, raw, "max_chars", 120),
        min_run=_positive_int(path, where, raw, "min_run", 1),
        followed_by=followed_by,
        followed_by_max=_positive_int(path, where, raw, "followed_by_max", 2),
        extent=extent,
        trailing=trailing,
        languages=tuple(lang.casefold() for lang in languages),
        comment=comment.strip(),
    )


def load_rules(path: Path | str = RULES_PATH) -> Rules:
    """Read and compile the boilerplate rules file.

    Raises:
        ClassifierNotConfigured: the file is missing, not YAML, has no ``rules`` list, or a
            rule is malformed (the message names the rule and what is wrong with it).
    """
    from classifiers.base import read_knowledge

    path = Path(path)
    data = read_knowledge(path, "rules", "boilerplate rules")
    rules = [_rule(path, i, raw) for i, raw in enumerate(data["rules"])]
    if not rules:
        raise ClassifierNotConfigured(f"boilerplate rules {path}: the 'rules' list is empty")
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise _fail(path, f"rule {rule.id!r}", "the id is used twice")
        seen.add(rule.id)
    return Rules.compile(rules)


@functools.cache
def _default_rules() -> Rules:
    return load_rules(RULES_PATH)


def _norms(lines: list[str], invisible: bool) -> list[str]:
    if invisible:
        return [" ".join(_INVISIBLE.sub("", line).split()) for line in lines]
    return [" ".join(line.split()) for line in lines]


def _depth(text: str) -> int:
    return text.count("{") - text.count("}")


def strip_boilerplate(
    text: str, language: str | None = None, rules: Rules | None = None
) -> Stripped:
    """Remove boilerplate paragraphs and lines from ``text``.

    Args:
        text: the article text (paragraphs separated by blank lines, or one per line).
        language: the document's language (rules limited to other languages are skipped).
        rules: the compiled rules (default: ``classifiers/data/boilerplate.yaml``).

    Returns:
        The text without the removed units (``text`` itself when nothing is removed;
        otherwise paragraphs are rejoined by one blank line) and each removal as
        (rule id, removed paragraph or line).

    Raises:
        ClassifierNotConfigured: the default rules file is missing or malformed.
    """
    if not text or text.isspace():
        return Stripped(text)
    active = (rules or _default_rules()).for_language(language)
    lines = text.split("\n")
    norms = _norms(lines, _INVISIBLE.search(text) is not None)
    # units: (first line, end line, normalised text, matching rule); blank lines are not units
    units: list[tuple[int, int, str, Rule | None]] = []
    i = 0
    while i < len(lines):
        if not norms[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and norms[j]:
            j += 1
        whole = active.match(" ".join(norms[i:j])) if j - i > 1 else None
        if whole is not None and whole.min_run == 1:
            units.append((i, j, " ".join(norms[i:j]), whole))
        else:
            units.extend((k, k + 1, norms[k], active.match(norms[k])) for k in range(i, j))
        i = j

    drop: dict[int, Rule] = {}  # unit index -> the rule that removes it
    u = 0
    while u < len(units):
        rule = units[u][3]
        if rule is None:
            u += 1
            continue
        if rule.min_run > 1:
            end = u
            while end < len(units) and units[end][3] is rule:
                end += 1
            if end - u >= rule.min_run:
                drop.update(dict.fromkeys(range(u, end), rule))
            u = end
            continue
        drop[u] = rule
        nxt = u + 1
        if rule.extent == "braces":
            depth = _depth(units[u][2])
            while depth > 0 and nxt < len(units) and nxt - u <= _MAX_EXTENT_LINES:
                depth += _depth(units[nxt][2])
                drop[nxt] = rule
                nxt += 1
        if rule.followed_by is not None:
            taken = 0
            while (
                taken < rule.followed_by_max
                and nxt < len(units)
                and units[nxt][3] is None
                and active.follower(rule, units[nxt][2])
            ):
                drop[nxt] = rule
                nxt += 1
                taken += 1
        u = nxt

    removed: list[tuple[str, str]] = []
    gone: set[int] = set()
    for index, rule in sorted(drop.items()):
        first, end, _, _ = units[index]
        gone.update(range(first, end))
        removed.append((rule.id, "\n".join(lines[first:end]).strip()))

    kept_units = [unit for index, unit in enumerate(units) if index not in drop]
    tail_line: tuple[int, str] | None = None
    if kept_units:
        last = kept_units[-1][1] - 1
        found = active.trailing(lines[last].rstrip())
        if found is not None:
            rule, cut = found
            line = lines[last].rstrip()
            tail_line = (last, line[:cut])
            removed.append((rule.id, line[cut:].strip()))

    if not removed:
        return Stripped(text)
    if tail_line is not None:
        lines[tail_line[0]] = tail_line[1]
    paragraphs: list[str] = []
    block: list[str] = []
    for index, line in enumerate(lines):
        if not line.strip():
            if block:
                paragraphs.append("\n".join(block))
                block = []
            continue
        if index not in gone:
            block.append(line)
    if block:
        paragraphs.append("\n".join(block))
    return Stripped("\n\n".join(p for p in paragraphs if p.strip()), tuple(removed))
