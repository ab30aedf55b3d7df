"""The optional paraphraser: an OpenAI-compatible ``/v1/chat/completions`` endpoint.

Off unless ``LUMI_LLM_URL`` is set. Every call is bounded by a total deadline
(``LUMI_LLM_TIMEOUT``, connect to last byte) and by a daily token budget
(``LUMI_LLM_DAILY_TOKENS``, counted from the response's ``usage`` and stored per day in
``llm_usage``). The model must answer with the summary's structure as JSON; an answer is
accepted only when it has that shape, enough of its word 3-grams occur in the sources
(``LUMI_LLM_MIN_OVERLAP``), it passes the checks every summary passes
(:func:`pipeline.publish.checks.summary_problems`: third person, no sentence twice, balanced
quotation marks, no dangling paragraph start, headings that fit) and the fact check
(:func:`fact_check`: every number, name, model name and license id it writes is in the
sources). Any failure raises :class:`~pipeline.errors.LLMError` (a refused answer:
:class:`ParaphraseRejected`, with the unsupported terms) and the caller
(:func:`pipeline.publish.summaries.summarise_stories`) keeps the extractive summary.

The faithfulness checks reported with every summary are
:func:`~pipeline.publish.summarise.ngram_overlap` (the share of output 3-grams found in the
sources) and :func:`unsupported_terms` (the numbers and names the output has but the sources
do not). The summary's shape (headings, word limits) is the summariser's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from pipeline.errors import LLMError
from pipeline.publish.checks import SHORT_NOTE, summary_problems
from pipeline.publish.summarise import (
    HEADINGS,
    MAX_GLANCE_WORDS,
    MAX_SECTION_WORDS,
    MAX_SECTIONS,
    hash_payload,
    ngram_overlap,
    source_keys,
    text_words,
)
from pipeline.records import ArticleText, Summary, SummarySection
from pipeline.settings import Settings
from pipeline.store import Store, record_usage, tokens_used, utcnow

__all__ = [
    "PROMPT_VERSION",
    "ChatReply",
    "LLMConfig",
    "Paraphrase",
    "ParaphraseRejected",
    "build_messages",
    "chat",
    "endpoint",
    "fact_check",
    "paraphrase",
    "paraphrase_hash",
    "parse_paraphrase",
    "unsupported_terms",
]

#: Changes whenever the prompt or the accepted shape changes (part of the cache key).
PROMPT_VERSION = "paraphrase.v2"
#: Source text sent per story; long articles are cut (the lead carries the news).
MAX_SOURCE_CHARS = 12_000
MAX_RESPONSE_BYTES = 1_000_000


@dataclasses.dataclass(frozen=True, slots=True)
class LLMConfig:
    """How to reach the paraphraser and how much it may spend."""

    base_url: str
    model: str
    api_key: str
    timeout: float
    daily_tokens: int
    max_output_tokens: int = 800
    min_overlap: float = 0.1
    timezone: str = "UTC"

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig | None:
        """The configuration, or None when the paraphraser is off (no URL, or no budget)."""
        if not settings.llm_url or settings.llm_daily_tokens <= 0:
            return None
        return cls(
            base_url=settings.llm_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=float(settings.llm_timeout),
            daily_tokens=int(settings.llm_daily_tokens),
            max_output_tokens=int(settings.llm_max_output_tokens),
            min_overlap=float(settings.llm_min_overlap),
            timezone=settings.timezone,
        )

    def day(self, now: datetime | None = None) -> str:
        """The budget day (YYYY-MM-DD in ``LUMI_TIMEZONE``) of ``now``."""
        return (now or utcnow()).astimezone(ZoneInfo(self.timezone)).date().isoformat()


def endpoint(base_url: str) -> str:
    """The chat-completions URL for a base URL given with or without ``/v1``."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


def paraphrase_hash(texts: Sequence[ArticleText]) -> str:
    """The key under which a paraphrase of these texts is stored: texts and prompt only, so
    re-classifying the archive never pays for a paraphrase twice."""
    return hash_payload({"v": PROMPT_VERSION, "articles": source_keys(texts)})


# --- the unsupported-terms check ---------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"[A-Z][\w’'-]*")
_SENTENCE_START = ".!?:;\"'“”‘’([\n"


def _numbers(text: str) -> set[str]:
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}


def unsupported_terms(output: str, sources: Sequence[str]) -> tuple[str, ...]:
    """Numbers and capitalised names in ``output`` that no source contains (sorted).

    Sentence-initial words are not checked as names (any word is capitalised there).
    """
    joined = "\n".join(sources)
    numbers = _numbers(joined)
    vocabulary = set(text_words(joined))
    found = {n for n in _numbers(output) if n not in numbers}
    text = unicodedata.normalize("NFKC", output)
    for match in _NAME.finditer(text):
        start = match.start()
        if start and text[start - 1].isalnum():
            continue  # inside a word
        before = text[:start].rstrip()
        if not before or before[-1] in _SENTENCE_START:
            continue
        word = match.group(0).rstrip("'’-")
        if word and not any(c.isdigit() for c in word) and word.casefold() not in vocabulary:
            found.add(word)
    return tuple(sorted(found))


_MODEL_TOKEN = re.compile(
    r"(?<![\w-])[A-Za-z][\w.]*(?:-[\w.]+)*\d[\w.-]*|(?<![\w-])[A-Za-z]+-[\w.-]+"
)


def _model_tokens(text: str) -> set[str]:
    """Model-like names: words with a digit or a hyphen ("gpt-oss-120b", "Qwen3")."""
    return {m.group(0).rstrip(".-").casefold() for m in _MODEL_TOKEN.finditer(text)}


@functools.cache
def _license_table() -> Any:
    from classifiers.licenses import load_license_table

    return load_license_table()


def _license_ids(text: str) -> set[str]:
    return {m.id for m in _license_table().find(text)}


def fact_check(output: str, sources: Sequence[str]) -> tuple[str, ...]:
    """What ``output`` states that the sources do not: numbers and capitalised names
    (:func:`unsupported_terms`), model-like names ("gpt-oss-120b") and license ids (by the
    license table's surface forms: "Apache 2.0" -> ``Apache-2.0``). Sorted; empty when every
    such term is in the sources."""
    joined = "\n".join(sources)
    found = set(unsupported_terms(output, sources))
    source_text = unicodedata.normalize("NFKC", joined).casefold()
    for token in _model_tokens(unicodedata.normalize("NFKC", output)):
        if token not in source_text:
            found.add(token)
    known = _license_ids(joined)
    found.update(i for i in _license_ids(output) if i not in known)
    return tuple(sorted(found))


class ParaphraseRejected(LLMError):
    """A paraphrase that failed the summary checks or the fact check (``unsupported``: the
    terms the sources lack)."""

    def __init__(self, message: str, *, reason: str, unsupported: tuple[str, ...] = ()):
        super().__init__(message, reason=reason)
        self.unsupported = unsupported


# --- the request -----------------------------------------------------------------------------


def _source_block(texts: Sequence[ArticleText]) -> str:
    per_source = max(1000, MAX_SOURCE_CHARS // max(1, len(texts)))
    parts = []
    for i, t in enumerate(texts, 1):
        head = f"[Source {i}] {t.site or ''} {t.title}".strip()
        parts.append(f"{head}\n{t.text[:per_source]}")
    return "\n\n".join(parts)


def build_messages(texts: Sequence[ArticleText], draft: Summary) -> list[dict[str, str]]:
    """The chat messages asking for a paraphrase of ``texts`` in the summary's structure.

    ``draft`` (the extractive summary) tells the model which sentences and headings matter.
    """
    headings = ", ".join(f'"{h}"' for h in HEADINGS)
    system = (
        "You summarise AI-industry news for compliance, data and procurement leads. "
        "Use only facts stated in the sources: no outside knowledge, no new numbers, names "
        "or dates, no opinions. Write in the third person: never 'we', 'our', 'us', 'I' or "
        "'my' outside quotation marks; attribute a publisher's statements to it by name "
        "('Mistral AI says it is releasing ...'). At a glance states who released what under "
        "which license and what changed; it never repeats the title. No sentence twice; no "
        "paragraph starting with 'This', 'It', 'However' or another word that needs the "
        "sentence before it; a heading only over a paragraph about it (a Licensing section "
        "names a license, a Regulation section a law, regulator or compliance duty). Reply "
        "with one JSON object and nothing else, of the form "
        '{"at_a_glance": "<one or two sentences, at most 60 words>", '
        '"intro": "<one or two sentences, optional>", '
        '"sections": [{"heading": "<heading>", "text": "<one to three sentences>"}]} '
        f"with 2 to 4 sections whose headings are taken from: {headings}."
    )
    draft_lines = [f"At a glance: {draft.at_a_glance}"]
    draft_lines += [
        f"{s.heading or 'Intro:'} {s.text}" for s in draft.sections if s.text != SHORT_NOTE
    ]
    user = (
        "Sources:\n\n"
        + _source_block(texts)
        + "\n\nSentences selected from the sources (paraphrase these, keep their headings "
        "where they fit):\n" + "\n".join(draft_lines)
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@dataclasses.dataclass(frozen=True, slots=True)
class ChatReply:
    """The model's answer text and the tokens the call cost."""

    content: str
    tokens: int
    model: str


def _estimate_tokens(messages: Sequence[dict[str, str]], max_output: int) -> int:
    # About four characters per token for English; a deliberate over-estimate is fine here.
    return sum(len(m["content"]) for m in messages) // 4 + max_output


async def _post(config: LLMConfig, payload: dict[str, Any]) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    timeout = httpx.Timeout(config.timeout)
    async with (
        asyncio.timeout(config.timeout),
        httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client,
        client.stream("POST", endpoint(config.base_url), json=payload, headers=headers) as resp,
    ):
        body = bytearray()
        async for chunk in resp.aiter_bytes():
            body += chunk
            if len(body) > MAX_RESPONSE_BYTES:
                raise LLMError(
                    f"paraphraser answer above {MAX_RESPONSE_BYTES} bytes",
                    reason="malformed",
                    url=config.base_url,
                )
        return resp.status_code, bytes(body)


def _run(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside an event loop (the service): run on a worker thread's own loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def chat(config: LLMConfig, messages: Sequence[dict[str, str]]) -> ChatReply:
    """Send one chat-completions request and return the answer text and its token cost.

    Raises:
        LLMError: ``timeout`` (total deadline passed), ``connection``, ``http_error``
            (status >= 300) or ``malformed`` (not an OpenAI-style JSON answer).
    """
    payload = {
        "model": config.model,
        "messages": list(messages),
        "temperature": 0,
        "max_tokens": config.max_output_tokens,
    }
    url = config.base_url
    try:
        status, body = _run(_post(config, payload))
    except LLMError:
        raise
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise LLMError(
            f"no answer within {config.timeout:g} s (LUMI_LLM_TIMEOUT)", reason="timeout", url=url
        ) from exc
    except httpx.HTTPError as exc:
        raise LLMError(
            f"cannot reach the paraphraser: {exc.__class__.__name__}: {exc}",
            reason="connection",
            url=url,
        ) from exc
    if status >= 300:
        snippet = body[:200].decode("utf-8", "replace")
        raise LLMError(
            f"paraphraser answered HTTP {status}: {snippet}", reason="http_error", url=url
        )
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(
            "paraphraser answer is not an OpenAI-style chat completion", reason="malformed", url=url
        ) from exc
    if not isinstance(content, str):
        raise LLMError("paraphraser answer has no text content", reason="malformed", url=url)
    usage = data.get("usage") if isinstance(data, dict) else None
    tokens = _usage_tokens(usage) or _estimate_tokens(messages, config.max_output_tokens)
    return ChatReply(content=content, tokens=tokens, model=str(data.get("model") or config.model))


def _usage_tokens(usage: Any) -> int:
    if not isinstance(usage, dict):
        return 0
    total = usage.get("total_tokens")
    if isinstance(total, int) and total > 0:
        return total
    parts = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
    return sum(p for p in parts if isinstance(p, int) and p > 0)


# --- the answer ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Paraphrase:
    """An accepted paraphrase with its faithfulness checks."""

    at_a_glance: str
    sections: tuple[SummarySection, ...]
    ngram_overlap: float
    unsupported: tuple[str, ...]
    tokens: int = 0


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.I)


def _count_words(text: str) -> int:
    return len(text.split())


def _heading(value: str) -> str:
    heading = " ".join(value.split()).rstrip(":")
    return heading if heading.endswith(".") else heading + "."


def parse_paraphrase(
    content: str,
    texts: Sequence[ArticleText],
    *,
    min_sections: int = 2,
    min_overlap: float = 0.0,
    classification: Mapping[str, Any] | None = None,
) -> Paraphrase:
    """Check the model's answer and turn it into a paraphrase.

    Args:
        content: the answer text (a JSON object, optionally in a code fence).
        texts: the sources, for the overlap, summary and fact checks.
        min_sections: fewest headed sections accepted (at most ``MAX_SECTIONS`` are); with
            fewer than two, the paraphrase ends with the short-text note.
        min_overlap: least share of output 3-grams found in the sources.
        classification: the story's classification (its actors and license events are
            what the summary checks compare at a glance with).

    Raises:
        LLMError: ``malformed`` (not JSON), ``shape`` (fields missing, empty or too long),
            ``overlap`` (too little of the answer is found in the sources);
            :class:`ParaphraseRejected`: ``checks`` (a summary check fails) or ``facts``
            (a number, name, model or license id the sources lack).
    """
    raw = _FENCE.sub("", content.strip())
    start, end = raw.find("{"), raw.rfind("}")
    try:
        data = json.loads(raw[start : end + 1] if 0 <= start < end else raw)
    except ValueError as exc:
        raise LLMError("paraphraser answer is not JSON", reason="malformed") from exc
    if not isinstance(data, dict):
        raise LLMError("paraphraser answer is not a JSON object", reason="shape")
    glance = data.get("at_a_glance")
    sections = data.get("sections")
    if not isinstance(glance, str) or not glance.strip():
        raise LLMError("paraphraser answer has no at_a_glance text", reason="shape")
    glance = " ".join(glance.split())
    if _count_words(glance) > MAX_GLANCE_WORDS:
        raise LLMError(f"at_a_glance longer than {MAX_GLANCE_WORDS} words", reason="shape")
    if not isinstance(sections, list) or not min_sections <= len(sections) <= MAX_SECTIONS:
        raise LLMError(f"answer needs {min_sections} to {MAX_SECTIONS} sections", reason="shape")
    parsed = []
    for item in sections:
        if not isinstance(item, dict):
            raise LLMError("a section is not an object", reason="shape")
        heading, text = item.get("heading"), item.get("text")
        if not isinstance(heading, str) or not isinstance(text, str):
            raise LLMError("a section lacks heading or text", reason="shape")
        heading, text = _heading(heading), " ".join(text.split())
        if not text or heading == "." or _count_words(heading) > 5:
            raise LLMError("a section has an empty text or a bad heading", reason="shape")
        if _count_words(text) > MAX_SECTION_WORDS:
            raise LLMError(f"a section is longer than {MAX_SECTION_WORDS} words", reason="shape")
        parsed.append(SummarySection(heading, text))
    intro = data.get("intro")
    if isinstance(intro, str) and intro.strip():
        intro = " ".join(intro.split())
        if _count_words(intro) > MAX_SECTION_WORDS:
            raise LLMError(f"the intro is longer than {MAX_SECTION_WORDS} words", reason="shape")
        parsed.insert(0, SummarySection("", intro))
    output = " ".join([glance, *(s.text for s in parsed)])
    if sum(1 for s in parsed if s.heading) < 2:
        parsed.append(SummarySection("", SHORT_NOTE))
    sources = [f"{t.title}\n{t.text}" for t in texts]
    overlap = ngram_overlap(output, sources)
    if overlap < min_overlap:
        raise LLMError(
            f"only {overlap:.0%} of the answer's 3-grams are in the sources "
            f"(LUMI_LLM_MIN_OVERLAP={min_overlap:g})",
            reason="overlap",
        )
    unsupported = fact_check(output, sources)
    if unsupported:
        raise ParaphraseRejected(
            "the answer states what the sources do not: " + ", ".join(unsupported),
            reason="facts",
            unsupported=unsupported,
        )
    item = {
        "title": texts[0].title if texts else "",
        "at_a_glance": glance,
        "sections": [{"heading": s.heading, "text": s.text} for s in parsed],
        **{key: list((classification or {}).get(key) or ()) for key in _ITEM_KEYS},
    }
    problems = summary_problems(item)
    if problems:
        raise ParaphraseRejected(
            "the answer fails the summary checks: " + "; ".join(problems), reason="checks"
        )
    return Paraphrase(glance, tuple(parsed), round(overlap, 4), unsupported)


#: The classification results the summary checks read.
_ITEM_KEYS = ("actors", "license_events", "risk_themes")


# --- the daily budget ------------------------------------------------------------------------


def paraphrase(
    store: Store,
    config: LLMConfig,
    texts: Sequence[ArticleText],
    draft: Summary,
    *,
    now: datetime | None = None,
    classification: Mapping[str, Any] | None = None,
) -> Paraphrase:
    """Ask the model for a paraphrase of a story within the day's token budget.

    The budget is checked before the call with an estimate (prompt size / 4 + the output
    cap) and charged afterwards with the ``usage`` the endpoint reports.

    Args:
        store: the open database (token usage lives there).
        config: the paraphraser configuration.
        texts: the story's article texts.
        draft: the story's extractive summary (guides the model; fixes the section count).
        now: the clock (tests).
        classification: the story's classification, for the summary checks.

    Raises:
        LLMError: any failure (see :func:`chat` and :func:`parse_paraphrase`), or
            ``budget`` when the call could exceed ``LUMI_LLM_DAILY_TOKENS``.
    """
    messages = build_messages(texts, draft)
    day = config.day(now)
    estimate = _estimate_tokens(messages, config.max_output_tokens)
    with store.session() as session:
        used = tokens_used(session, day)
    if used + estimate > config.daily_tokens:
        raise LLMError(
            f"daily token budget spent: {used} of {config.daily_tokens} used on {day}, this "
            f"call may need {estimate} (LUMI_LLM_DAILY_TOKENS)",
            reason="budget",
        )
    reply = chat(config, messages)
    with store.session() as session:
        record_usage(session, day, reply.tokens)
    result = parse_paraphrase(
        reply.content,
        texts,
        min_sections=min(2, sum(1 for s in draft.sections if s.heading)),
        min_overlap=config.min_overlap,
        classification=classification,
    )
    return dataclasses.replace(result, tokens=reply.tokens)
