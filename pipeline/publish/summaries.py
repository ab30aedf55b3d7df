"""The summary stage: each story's summary, stored once per version of its inputs.

:func:`summarise_stories` gives every story its extractive summary
(:func:`~pipeline.publish.summarise.summarise_story`), stored in the ``summaries`` table under
a hash of its inputs so an unchanged story is never summarised twice, and asks the optional
paraphraser (:mod:`pipeline.publish.llm`) when it is configured, falling back to the
extractive summary on any failure. :func:`stored_summaries` reads what the stage stored and
never writes (the digest's read path); :func:`unsummarised` says which stories the stage
still has work for, and :func:`summarise_missing` does that work and says for which.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from classifiers.boilerplate import strip_boilerplate
from pipeline.errors import LLMError
from pipeline.publish.llm import LLMConfig, ParaphraseRejected, paraphrase, paraphrase_hash
from pipeline.publish.summarise import (
    GENERATOR,
    inputs_hash,
    story_classification,
    summarise_story,
)
from pipeline.records import ArticleText, LLMFailure, Summary
from pipeline.settings import Settings
from pipeline.store import (
    Store,
    Transaction,
    llm_failure,
    record_llm_failure,
    store_summary,
    stored_summary,
    story_texts,
)
from pipeline.store.feeds import article_publishers

__all__ = ["stored_summaries", "summarise_missing", "summarise_stories", "unsummarised"]

log = logging.getLogger("lumi.summarise")

#: LLM failures that would repeat for the same inputs: recorded, not retried.
_STICKY = ("malformed", "shape", "overlap", "checks", "facts")
#: LLM failures that would repeat for every story of this run: stop asking for the rest.
_STOP_RUN = ("timeout", "connection", "budget")


@dataclasses.dataclass(frozen=True, slots=True)
class _Inputs:
    """A story's current inputs and what is stored for them."""

    texts: list[ArticleText]
    classification: Mapping[str, Any] | None
    #: the feed publisher of the story's first article that has one (first-person
    #: statements are its)
    publisher: str | None
    extractive: Summary | None
    #: the paraphrase key; None when the paraphraser is off or there is no text to paraphrase
    llm_hash: str | None
    paraphrase: Summary | None
    failure: LLMFailure | None

    @property
    def complete(self) -> bool:
        """True when the stage has nothing left to do for these inputs."""
        if self.extractive is None:
            return False
        return self.llm_hash is None or self.paraphrase is not None or self.failure is not None

    def summarise(self) -> Summary:
        """The extractive summary of these inputs."""
        return summarise_story(self.texts, self.classification, self.publisher)

    def published(self, extractive: Summary) -> Summary:
        """What to publish once ``extractive`` is known, without asking the model."""
        if self.paraphrase is not None:
            return self.paraphrase
        if self.failure is not None:
            reason = f"{self.failure.reason}: {self.failure.detail}"
            return dataclasses.replace(
                extractive, fallback_reason=reason, unsupported=_unsupported(self.failure)
            )
        return extractive


def _inputs(session: Transaction, story_id: int, config: LLMConfig | None) -> _Inputs | None:
    # boilerplate never reaches the paraphraser's prompt or the extractive summary
    texts = [
        dataclasses.replace(t, text=strip_boilerplate(t.text).text)
        for t in story_texts(session, story_id)
    ]
    if not texts:
        return None
    ids = [t.article_id for t in texts if t.article_id is not None]
    classification = story_classification(session, ids)
    publishers = article_publishers(session, ids)
    publisher = next((publishers[i] for i in ids if i in publishers), None)
    extractive = stored_summary(
        session, story_id, inputs_hash(texts, classification, publisher), "extractive"
    )
    # a story whose texts have not arrived (title-only entries) has nothing to paraphrase:
    # never spend tokens on a title
    if config is None or not any(t.text.strip() for t in texts):
        return _Inputs(texts, classification, publisher, extractive, None, None, None)
    llm_hash = paraphrase_hash(texts)
    return _Inputs(
        texts,
        classification,
        publisher,
        extractive,
        llm_hash,
        stored_summary(session, story_id, llm_hash, "llm", config.model),
        llm_failure(session, story_id, llm_hash, config.model),
    )


def summarise_stories(
    store: Store,
    story_ids: Sequence[int],
    settings: Settings,
    *,
    now: datetime | None = None,
) -> dict[int, Summary]:
    """Summarise stories, reusing every summary already stored for the same inputs.

    Each story gets its extractive summary (stored once per input hash). When the
    paraphraser is configured (``LUMI_LLM_URL``), a paraphrase is requested once per story
    text version and model and returned instead; on any failure the extractive summary is
    returned with ``fallback_reason`` set. A model answer that is malformed, of the wrong
    shape or too far from the sources is remembered and not requested again for the same
    inputs; after a timeout, connection failure or a spent budget the paraphraser is not
    asked again in this call.

    Args:
        store: the open database.
        story_ids: the stories to summarise (unknown or empty stories are skipped).
        settings: effective settings (``llm_*``).
        now: the clock for the token budget's day (tests).

    Returns:
        The summary to publish for each story id.
    """
    return _summarise(store, story_ids, settings, now=now)[0]


def summarise_missing(
    store: Store,
    story_ids: Sequence[int],
    settings: Settings,
    *,
    now: datetime | None = None,
) -> list[int]:
    """:func:`summarise_stories` for ``story_ids``, reading each story's inputs once;
    returns the stories it had work for, as :func:`unsummarised` would have listed them
    before the call."""
    return _summarise(store, story_ids, settings, now=now)[1]


def _summarise(
    store: Store, story_ids: Sequence[int], settings: Settings, *, now: datetime | None
) -> tuple[dict[int, Summary], list[int]]:
    config = LLMConfig.from_settings(settings)
    results: dict[int, Summary] = {}
    worked: list[int] = []
    stop_reason: str | None = None
    for story_id in dict.fromkeys(story_ids):
        with store.session() as session:
            inputs = _inputs(session, story_id, config)
            if inputs is None:
                continue
            if not inputs.complete:
                worked.append(story_id)
            extractive = inputs.extractive
            if extractive is None:
                extractive = store_summary(session, story_id, inputs.summarise())
        if config is None or inputs.llm_hash is None or inputs.complete:
            results[story_id] = inputs.published(extractive)
            continue
        reason = stop_reason
        unsupported: tuple[str, ...] = ()
        if reason is None:
            try:
                para = paraphrase(
                    store,
                    config,
                    inputs.texts,
                    extractive,
                    now=now,
                    classification=inputs.classification,
                )
            except LLMError as exc:
                reason = f"{exc.reason}: {exc.message}"
                if isinstance(exc, ParaphraseRejected):
                    unsupported = exc.unsupported
                log.warning(
                    "paraphrase not used",
                    extra={"stage": "summarise", "story_id": story_id, "error_class": exc.reason},
                )
                if exc.reason in _STICKY:
                    failure = LLMFailure(
                        story_id, inputs.llm_hash, config.model, exc.reason, exc.message
                    )
                    with store.session() as session:
                        record_llm_failure(session, failure)
                elif exc.reason in _STOP_RUN:
                    stop_reason = reason
            else:
                summary = Summary(
                    at_a_glance=para.at_a_glance,
                    sections=para.sections,
                    method="llm",
                    model=config.model,
                    generator=GENERATOR,
                    ngram_overlap=para.ngram_overlap,
                    unsupported=para.unsupported,
                    content_hash=inputs.llm_hash,
                )
                with store.session() as session:
                    results[story_id] = store_summary(session, story_id, summary)
                continue
        results[story_id] = dataclasses.replace(
            extractive, fallback_reason=reason, unsupported=unsupported
        )
    return results, worked


def _unsupported(failure: LLMFailure) -> tuple[str, ...]:
    """The unsupported terms a remembered fact-check failure named."""
    if failure.reason != "facts" or ": " not in failure.detail:
        return ()
    return tuple(t.strip() for t in failure.detail.split(": ", 1)[1].split(",") if t.strip())


def stored_summaries(
    store: Store, story_ids: Sequence[int], settings: Settings
) -> dict[int, Summary]:
    """The summary :func:`summarise_stories` would publish for each story, read only.

    Nothing is written and the paraphraser is never asked: a stored paraphrase of the
    current texts is returned when the paraphraser is configured, else the stored extractive
    summary. A story the stage has not summarised for its current inputs gets its extractive
    summary computed on the spot (deterministic, not stored, ``created_at`` None).

    Args:
        store: the open database.
        story_ids: the stories (unknown or empty stories are skipped).
        settings: effective settings (``llm_*``: which model's paraphrases count).
    """
    config = LLMConfig.from_settings(settings)
    results: dict[int, Summary] = {}
    with store.session() as session:
        for story_id in dict.fromkeys(story_ids):
            inputs = _inputs(session, story_id, config)
            if inputs is None:
                continue
            extractive = inputs.extractive or inputs.summarise()
            results[story_id] = inputs.published(extractive)
    return results


def unsummarised(store: Store, story_ids: Sequence[int], settings: Settings) -> list[int]:
    """The stories :func:`summarise_stories` still has work for (in the given order).

    That is, those without a stored extractive summary of their current inputs, or, when the
    paraphraser is configured, without a paraphrase of their current texts by its model and
    without a failure remembered for them (transient failures are retried).
    """
    config = LLMConfig.from_settings(settings)
    missing = []
    with store.session() as session:
        for story_id in dict.fromkeys(story_ids):
            inputs = _inputs(session, story_id, config)
            if inputs is not None and not inputs.complete:
                missing.append(story_id)
    return missing
