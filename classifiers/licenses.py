"""license_events.v1: releases, relicensing and new license texts, per model version.

Knowledge lives in ``data/licenses.yaml``: every license's id (SPDX where SPDX has one, else
``LicenseRef-…``), surface forms, commercial-use and OSI flags and key restrictions, plus the
model-name rules. The classifier works sentence by sentence (the title counts as a sentence):

1. find license mentions; one "based on" / "derived from" another license becomes that base
   license's ``modified_id`` (a license based on Apache is not Apache); an unlisted
   ``<Capitalised Words> License`` becomes ``LicenseRef-<Words>``;
2. decide the kind: ``relicense`` when the sentence frames a change ("switches to", "now
   ships under", "relicensed", "moves from X to Y", "replacing the previous license"), else
   ``new_license`` when the license itself is introduced or versioned, else ``release`` when
   a model is stated to be under the license. "Open weights" with no named license is no event;
3. resolve the model (a family of the actor registry, size and version stripped, variant
   words kept) and its organisation, looking at the neighbouring sentences and the title when
   the sentence says only "it" or "the model".

Actor and model mentions come from ``actors.v1``'s analysis of the same document, so the text
is tokenized once for both classifiers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifiers.actors import ActorClassifier, Mention
from classifiers.base import (
    EVIDENCE_CHARS,
    LICENSE_EVENT_KINDS,
    ClassifierConfig,
    Document,
    LicenseEvent,
    read_knowledge,
)
from classifiers.errors import ClassifierNotConfigured
from classifiers.registry import register

__all__ = [
    "DATA_PATH",
    "LicenseEventClassifier",
    "LicenseInfo",
    "LicenseMatch",
    "LicenseTable",
    "license_stem",
    "load_license_table",
    "merge_events",
    "model_name",
]

DATA_PATH = Path(__file__).parent / "data" / "licenses.yaml"

# A license mention preceded by one of these is a description of another license's origin.
_BASED_ON = re.compile(
    r"\b(?:based\s+on|derived\s+from|adapted\s+from|modell?ed\s+(?:on|after)|built\s+on"
    r"|(?:a\s+)?(?:modified|custom|variant|tweaked)\s+(?:version\s+)?of|variant\s+of"
    r"|inspired\s+by)\s+(?:the\s+|an?\s+)?$",
    re.IGNORECASE,
)
_RELICENSE = re.compile(
    r"\b(?:re-?licen[cs]\w*"
    r"|switch(?:es|ed|ing)?\b[^.;:]{0,60}?\bto\b"
    r"|now\s+(?:\w+\s+){0,2}?(?:ships?|shipping|available|released|licen[cs]ed|distributed"
    r"|comes?|offered|published|covered|governed|uses?)\b[^.;:]{0,40}?\b(?:under|with)\b"
    r"|now\s+uses?\b"
    r"|mov(?:e|es|ed|ing)\b[^.;:]{0,60}?\b(?:from|to)\b"
    r"|transition(?:s|ed|ing)?\s+(?:\w+\s+){0,3}?to\b"
    r"|chang(?:e|es|ed|ing)\s+(?:\w+\s+){0,3}?licen[cs]\w*"
    r"|licen[cs](?:e|ing)\s+change"
    r"|replac(?:e|es|ed|ing)\s+(?:\w+\s+){0,4}?(?:licen[cs]e|terms)"
    r"|no\s+longer\s+(?:under|licen[cs]ed|released|available)"
    r"|previously\s+(?:\w+\s+){0,2}?(?:under|licen[cs]ed)"
    r"|adopt(?:s|ed|ing)?\b[^.;:]{0,40}?licen[cs]e)",
    re.IGNORECASE,
)
_FROM_MARK = re.compile(
    r"\b(?:from|replacing|replaces|replaced|instead\s+of|rather\s+than|previously(?:\s+\w+)?"
    r"\s+under|no\s+longer\s+under|away\s+from|dropping|drops|abandoning|was\s+under"
    r"|were\s+under|formerly\s+under|formerly)\s+(?:the\s+|its\s+|their\s+|an?\s+)?"
    r"(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
_NEW_LICENSE_PHRASE = re.compile(
    r"\bnew\s+(?:version\s+of\s+(?:the\s+|its\s+)?)?(?:[\w.-]+\s+){0,4}?licen[cs]e\b"
    r"|\blicen[cs]e\s+text\b|\bversion\s+\d[\d.]*\s+of\s+the\b",
    re.IGNORECASE,
)
_NEW_VERB_BEFORE = re.compile(
    r"\b(?:publish|introduc|unveil|launch|announc|releas|debut|draft|updat|revis|finali[sz]"
    r"|creat|propos|roll)\w*\s+(?:\w+\s+){0,4}?$",
    re.IGNORECASE,
)
_NEW_VERB_AFTER = re.compile(
    r"^[\s,]*(?:\([^)]*\)\s*)?(?:,\s*)?(?:which\s+)?(?:was\s+|is\s+|has\s+been\s+|were\s+)?"
    r"(?:just\s+|now\s+|officially\s+)?(?:published|introduced|unveiled|launched|announced"
    r"|released|drafted|updated|revised|finali[sz]ed|created|proposed)\b",
    re.IGNORECASE,
)
_UNDER_BEFORE = re.compile(
    r"\b(?:under|licen[cs]ed|uses?|using|adopts?|adopted|ships?\s+with|with)\s+"
    r"(?:the\s+|its\s+|an?\s+)?(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
# A release needs a verb that puts the model out under the license; "Under MIT, users may…"
# describes terms and is no event.
_RELEASE_CUE = re.compile(
    r"\b(?:releas\w*|open[- ]weights?|ship(?:s|ped|ping)?|publish\w*|launch\w*"
    r"|open[- ]?sourc\w*|availab\w*"
    r"|licen[cs]ed|distribut\w*|comes?\s+with|carr(?:y|ies)|upload\w*|introduc\w*|unveil\w*"
    r"|debut\w*|drop(?:s|ped)|put\s+out|(?:is|are|was|were|remains?)\s+(?:now\s+|still\s+)?"
    r"(?:under|covered)|weights\s+(?:are\s+)?under|uses?|adopt\w*|offer\w*|provid\w*)\b",
    re.IGNORECASE,
)
# How far (characters) a license may follow a change cue and still be what the cue changes.
_CUE_REACH = 60
_NAME_AFTER_VERB = re.compile(
    r"\b(?i:releas\w*|ships?|shipped|launch\w*|publish\w*|open[- ]?sourc\w*|unveil\w*"
    r"|introduc\w*|debut\w*|weights\s+of|moves?|switch\w*)\s+(?:its\s+|the\s+|a\s+new\s+"
    r"|new\s+|their\s+)?(?P<m>[A-Z][\w.]*(?:[- ][A-Z0-9][\w.]*){0,2})"
)
_NAME_BEFORE_NOUN = re.compile(
    r"(?P<m>[A-Z][\w.]*(?:[- ][A-Z0-9][\w.]*){0,2})\s+(?:models?|family|weights|checkpoints?)\b"
)
_NOT_A_MODEL = {
    "the",
    "its",
    "our",
    "a",
    "an",
    "both",
    "all",
    "new",
    "open",
    "weights",
    "model",
    "models",
    "it",
    "this",
    "these",
    "their",
    "his",
    "her",
    "under",
    "today",
    "friday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "saturday",
    "sunday",
    "version",
    "license",
}
_MODEL_NOUN = re.compile(
    r"\b(?:models?|weights|checkpoints?|LLMs?|SLMs?|open[- ]weights?)\b", re.IGNORECASE
)
_MODEL_NOUN_AFTER = re.compile(r"^[\s-]*(?:licen[cs]ed\s+)?(?:models?|weights|checkpoints?)\b")
# A family mentioned as a base model, a competitor or a policy name is not the licensed model.
_REFERENCE_BEFORE = re.compile(
    r"\b(?:powered\s+by|based\s+on|built\s+on|fine-?tuned\s+(?:from|on)|versions?\s+of"
    r"|post-trained\s+from|distilled\s+from|derived\s+from|compared\s+(?:to|with)|than"
    r"|outperform\w*|beat(?:s|ing)?|surpass\w*|rival\w*|vs\.?|versus|like)\s+"
    r"(?:our\s+|the\s+|its\s+|their\s+)?$",
    re.IGNORECASE,
)
_REFERENCE_AFTER = re.compile(
    r"^[\w.-]*\s*(?:usage\s+polic|polic|licen[cs]|terms|acceptable\s+use)", re.IGNORECASE
)
_PLATFORM_BEFORE = re.compile(r"\b(?:on|via|from|through|at|in|with)\s+(?:the\s+)?$", re.I)
_PRONOUN_START = re.compile(r"^\W*(?:It|They|Both|All|Each|These|Those)\b")
_UNLISTED = re.compile(
    r"\b((?:[A-Z][\w.+]*[\s-]+){1,4})Licen[cs]e(?:\s+Agreement)?\b(?!\s+(?:plan|key|fee)s?\b)"
)
_UNLISTED_STOP = {
    "the",
    "this",
    "that",
    "a",
    "an",
    "our",
    "its",
    "their",
    "new",
    "open",
    "source",
    "creative",
    "commons",
    "custom",
    "commercial",
    "proprietary",
    "permissive",
    "software",
    "contributor",
    "public",
    "end",
    "user",
    "general",
    "standard",
    "under",
    "with",
    "and",
    "same",
    "community",
    "enterprise",
    "free",
    "modified",
    "restrictive",
    "usage",
    "use",
    "model",
    "terms",
    "research",
}
_TOKEN = re.compile(r"[ \t]*[-_ ]?[ \t]*([A-Za-z]+\d*[A-Za-z]*|\d+(?:\.\d+)*[A-Za-z]{0,3})")
# Parameter sizes (8B, 1.5B, 120b, 270M, A3B, 8x7B, e4b) collapse; versions (3.1, V4.1, H2,
# 2505) are kept, because licenses change between versions of one family.
_SIZE = re.compile(
    r"^(?:\d+(?:\.\d+)?[BbMmKkTt]|[Aa]\d+(?:\.\d+)?[Bb]|\d+x\d+(?:\.\d+)?[Bb]|[Ee]\d+[Bb])$"
)
_VERSION = re.compile(r"^(?:[vV]?\d+(?:\.\d+)*[a-z]?|[A-Z]\d+(?:\.\d+)*[a-z]?)$")


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseInfo:
    """One row of the license table."""

    id: str
    name: str
    forms: tuple[str, ...]
    commercial_use: bool
    osi_approved: bool
    restrictions: tuple[str, ...]
    actor: str | None = None  # the organisation that publishes a vendor license
    modified_id: str | None = None
    scancode: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseMatch:
    """A license mentioned in a sentence (offsets relative to that sentence)."""

    id: str
    start: int
    end: int
    text: str
    listed: bool = True  # False for an unlisted "<Name> License" turned into LicenseRef-<Name>


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseTable:
    """The license table with its compiled surface-form patterns."""

    licenses: tuple[LicenseInfo, ...]
    keep_words: frozenset[str]
    drop_words: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    trigger: re.Pattern[str]

    def _versioned(self, sentence: str, match: LicenseMatch) -> LicenseMatch:
        """A versionless form followed by a version ("OpenMDW 1.2") names that version."""
        return _with_version(self, match, sentence)

    def get(self, license_id: str) -> LicenseInfo | None:
        """The table row for ``license_id``, or None."""
        for info in self.licenses:
            if info.id == license_id:
                return info
        return None

    def find(self, sentence: str) -> list[LicenseMatch]:
        """License mentions in ``sentence``: longest first on overlap, in text order.

        "Based on X" mentions are mapped to X's modified id, or dropped when the sentence
        names another license (the one that is based on X). Unlisted ``<Name> License``
        mentions become ``LicenseRef-<Name>``.
        """
        if not self.trigger.search(sentence):
            return []
        found: list[LicenseMatch] = []
        for license_id, pattern in self.patterns:
            for m in pattern.finditer(sentence):
                start = _license_start(m)
                found.append(LicenseMatch(license_id, start, m.end(), sentence[start : m.end()]))
        for m in _UNLISTED.finditer(sentence):
            words = re.split(r"[\s-]+", m.group(1).strip())
            while words and words[0].lower() in _UNLISTED_STOP:
                words.pop(0)
            while words and words[-1].lower() in ("and", "or", "the"):
                words.pop()
            if not words:
                continue
            ref = "LicenseRef-" + "-".join(re.sub(r"[^\w.]", "", w) for w in words)
            found.append(LicenseMatch(ref, m.start(1), m.end(), m.group(0), listed=False))
        # listed licenses first, then the longest match wins an overlap
        kept: list[LicenseMatch] = []
        for match in sorted(found, key=lambda x: (not x.listed, x.start - x.end, x.start)):
            if all(match.end <= k.start or match.start >= k.end for k in kept):
                kept.append(match)
        kept.sort(key=lambda x: x.start)
        kept = [self._versioned(sentence, k) for k in kept]
        based = [bool(_BASED_ON.search(sentence[max(0, k.start - 40) : k.start])) for k in kept]
        out: list[LicenseMatch] = []
        for match, is_based in zip(kept, based, strict=True):
            if not is_based:
                out.append(match)
                continue
            if not all(based):
                continue  # describes the origin of another license named in the sentence
            info = self.get(match.id)
            modified = (info.modified_id if info else None) or f"LicenseRef-Modified-{match.id}"
            out.append(dataclasses.replace(match, id=modified))
        return out


_VERSION_AFTER = re.compile(r"[\s-]*[vV]?(\d+(?:\.\d+)+)(?![\w.])")
_ID_VERSION = re.compile(r"-(\d+(?:\.\d+)*)$")


def license_stem(license_id: str) -> str:
    """A license id without ``LicenseRef-`` and without its version (``OpenMDW``)."""
    return _ID_VERSION.sub("", license_id.removeprefix("LicenseRef-"))


def _with_version(table: LicenseTable, match: LicenseMatch, sentence: str) -> LicenseMatch:
    if any(ch.isdigit() for ch in match.text) or not _ID_VERSION.search(match.id):
        return match
    m = _VERSION_AFTER.match(sentence, match.end)
    if m is None:
        return match
    stem, version = license_stem(match.id), m.group(1)
    known = table.get(f"{stem}-{version}") or table.get(f"LicenseRef-{stem}-{version}")
    new_id = known.id if known else f"LicenseRef-{stem}-{version}"
    return dataclasses.replace(match, id=new_id, end=m.end(), text=sentence[match.start : m.end()])


def _form_regex(form: str) -> str:
    chunks = [c for c in re.split(r"[\s\-_]+", form.strip()) if c]
    return r"[\s\-_]*".join(re.escape(c) for c in chunks)


def _compile(forms: Sequence[dict[str, Any]]) -> re.Pattern[str]:
    """One alternation for a license's forms; each ``lic<N>`` group marks the license proper
    (without a leading "under the")."""
    alternatives = []
    suffix = r"(?:[\s\-]*licen[cs](?:e|ed)\b)"
    for n, spec in enumerate(sorted(forms, key=lambda f: len(f["form"]), reverse=True)):
        core = _form_regex(spec["form"])
        if spec.get("case") == "exact" or len(spec["form"]) <= 4:
            core = f"(?-i:{core})"
        if spec.get("bare", True):
            alternatives.append(rf"(?P<lic{n}a>{core}){suffix}?")
        else:
            # only right after "under (the)" or right before "license(d)"
            alternatives.append(rf"(?<=\bunder\s)(?:the\s+|an?\s+)?(?P<lic{n}a>{core})(?!\w)")
            alternatives.append(rf"(?P<lic{n}b>{core}){suffix}")
    body = "|".join(alternatives)
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])(?!\.\d)", re.IGNORECASE)


def _license_start(m: re.Match[str]) -> int:
    for name, value in m.groupdict().items():
        if value is not None and name.startswith("lic"):
            return m.start(name)
    return m.start()


def load_license_table(path: Path = DATA_PATH) -> LicenseTable:
    """Read and validate the license table YAML.

    Raises:
        ClassifierNotConfigured: the file is missing or an entry lacks a required field.
    """
    data = read_knowledge(path, "licenses", "license table")
    licenses = []
    patterns = []
    triggers = {r"licen[cs]"}
    for index, entry in enumerate(data["licenses"]):
        where = f"{path.name} license #{index} ({entry.get('id', '?')})"
        for field in ("id", "name", "forms", "commercial_use", "osi_approved", "restrictions"):
            if field not in entry:
                raise ClassifierNotConfigured(f"{where}: field '{field}' is required")
        specs = [{"form": f} if isinstance(f, str) else dict(f) for f in entry["forms"]]
        for spec in specs:
            words = re.split(r"[\s\-_]+", spec["form"].strip())
            if not any(re.match(r"licen[cs]", w, re.I) for w in words):
                first = _form_regex(words[0])
                exact = spec.get("case") == "exact" or len(spec["form"]) <= 4
                triggers.add(f"(?-i:{first})" if exact else first)
        licenses.append(
            LicenseInfo(
                id=str(entry["id"]),
                name=str(entry["name"]),
                forms=tuple(s["form"] for s in specs),
                commercial_use=bool(entry["commercial_use"]),
                osi_approved=bool(entry["osi_approved"]),
                restrictions=tuple(str(r) for r in entry["restrictions"] or ()),
                actor=entry.get("actor"),
                modified_id=entry.get("modified_id"),
                scancode=entry.get("scancode"),
            )
        )
        patterns.append((str(entry["id"]), _compile(specs)))
    names = data.get("model_names") or {}
    trigger = re.compile(
        r"(?<![\w])(?:" + "|".join(sorted(triggers, key=len, reverse=True)) + ")", re.IGNORECASE
    )
    return LicenseTable(
        licenses=tuple(licenses),
        keep_words=frozenset(str(w).lower() for w in names.get("keep", [])),
        drop_words=frozenset(str(w).lower() for w in names.get("drop", [])),
        patterns=tuple(patterns),
        trigger=trigger,
    )


def model_name(family: str, following: str, table: LicenseTable) -> str:
    """The model name for a family mention followed by ``following`` text.

    Parameter sizes (``8B``, ``120b``, ``A3B``) and tuning suffixes (``Instruct``) are
    dropped; version numbers and the variant words of the table (``Small``, ``Realtime``)
    are kept, with the separators as written: ``("Devstral", " Small 2 is")`` ->
    ``"Devstral Small 2"``, ``("gpt-oss", "-120b")`` -> ``"gpt-oss"``,
    ``("Llama", "-3.1-8B-Instruct")`` -> ``"Llama-3.1"``.
    """
    out = family
    pos = 0
    for _ in range(8):
        m = _TOKEN.match(following, pos)
        if m is None:
            break
        word = m.group(1)
        separator = following[pos : m.start(1)]
        if _SIZE.match(word) or word.lower() in table.drop_words:
            pos = m.end()
            continue
        if _VERSION.match(word) or word.lower() in table.keep_words:
            if word.lower() in table.keep_words and word.islower():
                word = word[:1].upper() + word[1:]
            out += ("-" if "-" in separator else " " if separator else "") + word
            pos = m.end()
            continue
        break
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or the title) with the actor mentions inside it."""

    text: str
    start: int  # offset in the document text; -1 for the title
    models: tuple[tuple[Mention, int, int], ...]  # family mention, start, end (unit offsets)
    actors: tuple[tuple[Mention, int], ...]  # any mention, start (unit offsets)
    names_a_model: bool  # any family mention, including base models and competitors


@register(
    "license_events",
    "v1",
    labels=LICENSE_EVENT_KINDS,
    output_key="license_events",
    result_type=LicenseEvent,
    defaults={"config": None},
    data_files=("licenses.yaml", "actors.yaml"),
)
class LicenseEventClassifier:
    """Find license events (``license_events.v1``) in a document.

    Args:
        table_path: the license table YAML (default: the shipped ``data/licenses.yaml``).
        actors: the actor classifier to resolve models and organisations with (default: the
            registry's shared ``actors`` instance for ``config``, so both share one
            tokenization).
        config: the caller's configuration (default :class:`ClassifierConfig`).

    Raises:
        ClassifierNotConfigured: the license table or the actor registry is missing.
    """

    name = "license_events"
    version = "v1"
    labels: tuple[str, ...] = LICENSE_EVENT_KINDS
    output_key = "license_events"

    def __init__(
        self,
        table_path: Path | None = None,
        actors: ActorClassifier | None = None,
        config: ClassifierConfig | None = None,
    ):
        self.table = load_license_table(table_path or DATA_PATH)
        if actors is None:
            from classifiers import registry

            actors = registry.get("actors", config)  # type: ignore[assignment]
        assert isinstance(actors, ActorClassifier)
        self.actors = actors

    def classify(self, doc: Document) -> tuple[LicenseEvent, ...]:
        """License events in ``doc``, one per (kind, actor, model, from, to), first evidence."""
        units: list[_Unit] | None = None
        events: dict[tuple[Any, ...], LicenseEvent] = {}
        candidates = [(-1, doc.title)] + [
            (i, doc.text[s:e]) for i, (s, e) in enumerate(doc.sentences)
        ]
        for index, text in candidates:
            if not text or not self.table.trigger.search(text):
                continue
            matches = self.table.find(text)
            if not matches:
                continue
            if units is None:
                units = self._units(doc)
            unit = units[index + 1]
            for event in self._events(unit, matches, units, index + 1):
                if event.model is None and event.kind != "new_license":
                    event = dataclasses.replace(
                        event, model=_name_near(event.actor or "", (text, doc.title), matches)
                    )
                key = (event.kind, event.actor, event.model, event.from_license, event.to_license)
                events.setdefault(key, event)
        return merge_events(list(events.values()))

    # -- internals ---------------------------------------------------------------------

    def _units(self, doc: Document) -> list[_Unit]:
        mentions = self.actors.analyze(doc)
        spans = [(-1, 0, len(doc.title))] + [(i, s, e) for i, (s, e) in enumerate(doc.sentences)]
        units = []
        text_mentions = sorted((m for m in mentions if not m.in_title), key=lambda m: m.start)
        pointer = 0
        for index, start, end in spans:
            if index == -1:
                inside = [m for m in mentions if m.in_title]
                base = 0
                text = doc.title
            else:
                inside = []
                while pointer < len(text_mentions) and text_mentions[pointer].start < start:
                    pointer += 1
                probe = pointer
                while probe < len(text_mentions) and text_mentions[probe].start < end:
                    inside.append(text_mentions[probe])
                    probe += 1
                base = start
                text = doc.text[start:end]
            models = tuple(
                (m, m.start - base, m.end - base)
                for m in inside
                if m.rule.kind == "family"
                and not _REFERENCE_BEFORE.search(text[max(0, m.start - base - 40) : m.start - base])
                and not _REFERENCE_AFTER.match(text[m.end - base : m.end - base + 30])
            )
            kept = {id(m) for m, _s, _e in models}
            actors = tuple(
                (m, m.start - base) for m in inside if m.rule.kind != "family" or id(m) in kept
            )
            names_a_model = any(m.rule.kind == "family" for m in inside)
            units.append(_Unit(text, -1 if index == -1 else start, models, actors, names_a_model))
        return units

    def _events(
        self, unit: _Unit, matches: list[LicenseMatch], units: list[_Unit], position: int
    ) -> list[LicenseEvent]:
        text = unit.text
        outside = [
            (m, s, e)
            for m, s, e in unit.models
            if all(e <= lic.start or s >= lic.end for lic in matches)
        ]
        evidence = _clip(text, matches[0].start)
        if _changes_license(text, matches):
            return self._relicense(unit, matches, outside, units, position, evidence)
        new = self._new_licenses(text, matches, outside)
        if new:
            events = []
            for match in new:
                info = self.table.get(match.id)
                actor = (info.actor if info else None) or self._actor_in(unit, matches)
                events.append(
                    LicenseEvent("new_license", actor, None, None, match.id, evidence, 0.8)
                )
            return events
        has_anchor = (
            unit.names_a_model
            or _MODEL_NOUN.search(text) is not None
            or _PRONOUN_START.match(text) is not None
            # "DeepSeek releases V4 under MIT": an AI organisation releasing something
            or bool(unit.actors)
        )
        if not has_anchor or not _RELEASE_CUE.search(_masked(text, matches)):
            return []
        matches = [m for m in matches if not _NOT_MODEL_AFTER.match(text, m.end)]
        if not matches:
            return []
        events = []
        for match, claimed in self._claims(matches, outside):
            score = (0.9 if claimed else 0.7) - (0.0 if match.listed else 0.2)
            score = round(score, 2)
            if claimed:
                for mention, _s, e in claimed:
                    named = model_name(mention.rule.form, text[e:], self.table)
                    events.append(
                        LicenseEvent(
                            "release", mention.actor.name, named, None, match.id, evidence, score
                        )
                    )
                continue
            model, actor = self._nearby(unit, units, position, matches)
            if actor is None:
                info = self.table.get(match.id)
                actor = info.actor if info else None
            events.append(LicenseEvent("release", actor, model, None, match.id, evidence, score))
        return events

    def _relicense(
        self,
        unit: _Unit,
        matches: list[LicenseMatch],
        outside: list[tuple[Mention, int, int]],
        units: list[_Unit],
        position: int,
        evidence: str,
    ) -> list[LicenseEvent]:
        text = unit.text
        from_ids = [
            m.id for m in matches if _FROM_MARK.search(text[max(0, m.start - 60) : m.start])
        ]
        to_ids = [m.id for m in matches if m.id not in from_ids]
        from_license = from_ids[0] if from_ids else None
        to_license = to_ids[0] if to_ids else None
        targets: list[tuple[str | None, str | None]]
        if outside:
            targets = [
                (m.actor.name, model_name(m.rule.form, text[e:], self.table))
                for m, _s, e in outside
            ]
        else:
            model, actor = self._nearby(unit, units, position, matches)
            targets = [(actor, model)]
        events = []
        for actor, model in dict.fromkeys(targets):
            events.append(
                LicenseEvent("relicense", actor, model, from_license, to_license, evidence, 0.8)
            )
        return events

    def _new_licenses(
        self, text: str, matches: list[LicenseMatch], outside: list[tuple[Mention, int, int]]
    ) -> list[LicenseMatch]:
        phrase = _NEW_LICENSE_PHRASE.search(text) is not None
        found = []
        for match in matches:
            before = text[max(0, match.start - 50) : match.start]
            after = text[match.end : match.end + 60]
            if _UNDER_BEFORE.search(before) or _MODEL_NOUN_AFTER.match(after):
                continue
            verb = _NEW_VERB_BEFORE.search(before) or _NEW_VERB_AFTER.match(after)
            anchored = bool(outside) or _MODEL_NOUN.search(text) is not None
            if (verb and not outside) or (phrase and not anchored):
                found.append(match)
        return found

    def _claims(
        self, matches: list[LicenseMatch], models: list[tuple[Mention, int, int]]
    ) -> list[tuple[LicenseMatch, list[tuple[Mention, int, int]]]]:
        """Pair each license with the models it covers: the models between the previous
        license and this one, else the first model after it."""
        out = []
        previous_end = -1
        used: set[int] = set()
        for match in matches:
            before = [m for m in models if previous_end <= m[1] < match.start and id(m) not in used]
            if not before:
                after = [m for m in models if m[1] >= match.end and id(m) not in used]
                before = after[:1]
            used.update(id(m) for m in before)
            out.append((match, before))
            previous_end = match.end
        return out

    def _nearby(
        self, unit: _Unit, units: list[_Unit], position: int, matches: list[LicenseMatch]
    ) -> tuple[str | None, str | None]:
        """(model, actor) from the sentence, the two before it, the title, then the next one."""
        order = [unit]
        order += [units[i] for i in (position - 1, position - 2) if i >= 1]
        if position != 0:
            order.append(units[0])
        if position + 1 < len(units):
            order.append(units[position + 1])
        for candidate in order:
            models = candidate.models
            if candidate is unit:
                models = tuple(
                    (m, s, e)
                    for m, s, e in models
                    if all(e <= lic.start or s >= lic.end for lic in matches)
                )
            if models:
                mention, _s, e = models[0]
                model = model_name(mention.rule.form, candidate.text[e:], self.table)
                return model, mention.actor.name
        for candidate in order:
            actor = self._actor_in(candidate, matches if candidate is unit else ())
            if actor is not None:
                return None, actor
        return None, None

    @staticmethod
    def _actor_in(unit: _Unit, matches: Sequence[LicenseMatch] = ()) -> str | None:
        """The first organisation in ``unit`` outside license names and not introduced as a
        distribution platform ("on Hugging Face", "via Azure")."""
        for mention, start in unit.actors:
            if not all(start < lic.start or start >= lic.end for lic in matches):
                continue
            if _PLATFORM_BEFORE.search(unit.text[max(0, start - 20) : start]):
                continue
            return mention.actor.name
        return None


_NOT_MODEL_AFTER = re.compile(
    r"[\s-]*(?:licen[cs]ed\s+)?(?:software|code|projects?|librar(?:y|ies)|tools?|packages?"
    r"|repositor(?:y|ies)|components?)\b",
    re.IGNORECASE,
)


def _masked(text: str, matches: Sequence[LicenseMatch]) -> str:
    """``text`` with license mentions blanked, so "Apache-licensed" is no release verb."""
    for m in matches:
        text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
    return text


def _changes_license(text: str, matches: Sequence[LicenseMatch]) -> bool:
    """True when a change cue ("switches to", "now ships under", "replacing …") governs one
    of the licenses of the sentence, not some other object ("moving training to …")."""
    for cue in _RELICENSE.finditer(text):
        for lic in matches:
            if cue.start() - 10 <= lic.start <= cue.end() + _CUE_REACH:
                return True
    return False


def _name_near(actor: str, texts: Sequence[str], matches: Sequence[LicenseMatch]) -> str | None:
    """A model name the registry does not know, read from the sentence or the title:
    "<Actor>-V4" / "<Actor> 4", "ships ZAYA2", "<Name> models"."""
    licenses = {m.text.lower() for m in matches}
    if actor:
        versioned = re.compile(
            re.escape(actor) + r"(?P<sep>[- ])(?P<v>[Vv]?\d[\w.]*|[A-Z]\d[\w.]*)(?![\w-])"
        )
        for text in texts:
            m = versioned.search(text)
            if m:
                return f"{actor}{m.group('sep')}{m.group('v').rstrip('.')}"
    for pattern in (_NAME_AFTER_VERB, _NAME_BEFORE_NOUN):
        for text in texts:
            for m in pattern.finditer(text):
                name = m.group("m").rstrip(".,")
                first = name.split()[0].split("-")[0].lower()
                if first in _NOT_A_MODEL or name.lower() in licenses or name == actor:
                    continue
                if actor and first == actor.split()[0].lower():
                    # "OpenAI Privacy Filter": the organisation's name is not the model's
                    name = name[len(actor) :].strip(" -") if name.startswith(actor) else ""
                    if not name or name.split()[0].lower() in _NOT_A_MODEL:
                        continue
                if _VERSION.match(name):
                    if not actor:
                        continue
                    return f"{actor} {name}"
                return name
    return None


def merge_events(events: Sequence[LicenseEvent]) -> tuple[LicenseEvent, ...]:
    """One event per model and license: a title and a body sentence about the same release
    become one event; change framing anywhere makes it a relicense; a named license wins
    over a bare "based on X" description of the same license."""
    merged: list[LicenseEvent] = []
    for event in events:
        for i, other in enumerate(merged):
            same_kind = (event.kind == "new_license") == (other.kind == "new_license")
            if (
                same_kind
                and event.to_license == other.to_license
                and (event.actor == other.actor or None in (event.actor, other.actor))
                and _same_model(event.model, other.model)
            ):
                merged[i] = _combine(other, event)
                break
        else:
            merged.append(event)
    if any(e.kind == "new_license" for e in merged):
        # In a story about a new license text, a "release" naming neither an organisation
        # nor a model is the license's own terms being described, not a model release.
        merged = [e for e in merged if e.kind != "release" or e.actor or e.model]
        # "OpenMDW 1.2 published" and "version 1.2 of … known as OpenMDW" are one event:
        # the first (the title, when it names it) keeps its version.
        seen: set[str] = set()
        kept: list[LicenseEvent] = []
        for e in merged:
            if e.kind == "new_license":
                stem = license_stem(e.to_license or "")
                if stem in seen:
                    continue
                seen.add(stem)
            kept.append(e)
        merged = kept
    named = {
        (e.actor, e.model)
        for e in merged
        # only a custom license can be the one "based on" another
        if (e.to_license or "").startswith("LicenseRef-")
        and not (e.to_license or "").startswith("LicenseRef-Modified-")
    }
    return tuple(
        e
        for e in merged
        if not (e.to_license or "").startswith("LicenseRef-Modified-")
        or (e.actor, e.model) not in named
    )


def _same_model(a: str | None, b: str | None) -> bool:
    """Unknown, equal, or one the family of the other ("Devstral" and "Devstral 2")."""
    if a is None or b is None or a == b:
        return True
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short)] in " -"


def _combine(first: LicenseEvent, second: LicenseEvent) -> LicenseEvent:
    kind = "relicense" if "relicense" in (first.kind, second.kind) else first.kind
    models = [m for m in (first.model, second.model) if m]
    richer = second if (second.from_license and not first.from_license) else first
    return LicenseEvent(
        kind,  # type: ignore[arg-type]
        first.actor or second.actor,
        max(models, key=len) if models else None,
        first.from_license or second.from_license,
        first.to_license,
        richer.evidence,
        max(first.score, second.score),
    )


def _clip(text: str, offset: int) -> str:
    """The sentence, cut to a window around ``offset`` when it is very long."""
    if len(text) > EVIDENCE_CHARS * 1.5:
        half = EVIDENCE_CHARS // 2
        text = text[max(0, offset - half) : offset + half]
    return " ".join(text.split())
