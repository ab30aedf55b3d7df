"""Typed, immutable records passed between stages.

Third-party objects (httpx responses, feedparser dicts, trafilatura documents) are mapped
into these at the edge and never passed around::

    FeedSource --poll--> FetchResult --parse--> ParsedFeed(FeedEntry...)
    FeedEntry --fetch page--> FetchResult --extract--> Article
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from typing import Literal

__all__ = [
    "Article",
    "ArticleText",
    "ExtractedPage",
    "FeedEntry",
    "FeedHealth",
    "FeedSource",
    "FeedState",
    "FetchResult",
    "ParsedFeed",
    "PendingPage",
    "RegistrySync",
    "StoreTotals",
    "StoredEntry",
    "Story",
    "StoryAssignment",
    "StoryMember",
    "StorySource",
    "Summary",
    "SummarySection",
]


@dataclasses.dataclass(frozen=True, slots=True)
class FeedSource:
    """One entry of the feed registry (``feeds.yaml``)."""

    id: str
    url: str
    title: str
    language: str
    tags: tuple[str, ...] = ()
    poll_minutes: int | None = None
    #: the organisation that publishes the feed (a canonical actor name when the actor
    #: registry knows it); first-person statements in its items belong to it
    publisher: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FetchResult:
    """What one guarded HTTP GET returned.

    ``status`` is 304 with an empty ``body`` when the server said "not modified".
    ``headers`` keys are lower-case. ``body`` is the *decoded* body (never above the cap).
    """

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    elapsed_ms: float = 0.0

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.status == 304

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ("" when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclasses.dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a parsed feed, with its dedupe key computed once at parse time.

    ``dedupe_key`` is ``guid:<guid>`` when the entry has a GUID, else ``url:<canonical url>``,
    else ``hash:<sha256 of title and summary>``.
    """

    feed_id: str
    dedupe_key: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    content: str  # the feed's own full content (HTML or text), "" when absent
    author: str | None
    published: datetime | None
    updated: datetime | None
    language: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def own_key(self) -> str:
        """``<feed_id>:<dedupe_key>``: the article key of an entry that has no canonical URL
        to share (or must not share it)."""
        return f"{self.feed_id}:{self.dedupe_key}"


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document.

    ``degraded`` is True when the document was ill-formed but entries were recovered;
    ``problem`` then says what was wrong. ``ttl_minutes`` is the RSS ``<ttl>`` if given.
    """

    feed_id: str
    title: str
    link: str | None
    language: str | None
    entries: tuple[FeedEntry, ...]
    degraded: bool = False
    problem: str | None = None
    ttl_minutes: int | None = None
    format: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What the extractor kept from one HTML page (``lumi extract`` prints this)."""

    url: str | None
    title: str | None
    author: str | None
    date: datetime | None
    site_name: str | None
    language: str | None
    text: str
    is_teaser: bool
    word_count: int
    description: str | None = None


TextSource = Literal["page", "feed", "feed_summary", "none"]


@dataclasses.dataclass(frozen=True, slots=True)
class Article:
    """One article ready to store and classify.

    ``text_source`` says where ``text`` came from: the extracted page, the feed's own full
    content (the page failed or was not fetched), or only the feed summary (a teaser).
    ``content_hash`` is the SHA-256 of the normalised text; classifications record it.
    ``pending_text`` marks an entry stored before any text arrived (``text_source`` is
    ``"none"``, ``text`` is empty): its title, link and dates are kept and its page is
    retried on later cycles until the text arrives.
    """

    key: str  # unique identity: canonical URL, else "<feed_id>:<dedupe_key>"
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    text_source: TextSource
    is_teaser: bool
    content_hash: str
    language: str | None
    author: str | None
    site_name: str | None
    published_feed: datetime | None
    published_extracted: datetime | None
    fetched_at: datetime
    summary: str = ""
    pending_text: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class PendingPage:
    """A stored ``pending_text`` article whose page is due for another try.

    ``entry`` is rebuilt from what was stored (the feed held no text for it), so the page,
    once it arrives, goes through the same :func:`~pipeline.ingest.extract.build_article`.
    """

    article_id: int
    attempts: int
    entry: FeedEntry


# --- feeds and stored entries (what the store returns to the ingest side) -----------------


@dataclasses.dataclass(frozen=True, slots=True)
class FeedState:
    """A registry feed's polling state: what one ingest cycle reads before polling it.

    ``etag``, ``last_modified`` and ``body_hash`` are the validators of the last answer
    (None before the first); ``state`` is ``new``, ``ok``, ``degraded``, ``failing`` or
    ``disabled``; ``consecutive_failures`` counts failures since the last success (429 and
    503 excluded).
    """

    id: str
    url: str
    poll_minutes: int | None
    state: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    consecutive_failures: int


@dataclasses.dataclass(frozen=True, slots=True)
class FeedHealth:
    """A registry feed's health as ``lumi feeds check`` and ``/healthz`` report it.

    ``articles`` counts every article the feed carried, ``pending`` those still waiting for
    their text (stored title-only).
    """

    id: str
    url: str
    state: str
    http_status: int | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    error_class: str | None
    error_message: str | None
    error_at: datetime | None
    consecutive_failures: int
    degraded_reason: str | None
    disabled_reason: str | None
    articles: int = 0
    pending: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class RegistrySync:
    """What syncing the feeds table to the registry changed (feed ids, sorted).

    ``added``: new in the registry; ``moved``: URL changed (polling state reset);
    ``updated``: title, language, tags or interval changed, or back in the registry;
    ``removed``: no longer in the registry (their rows and articles are kept).
    """

    added: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the feeds table did not already mirror the registry."""
        return bool(self.added or self.moved or self.updated or self.removed)


@dataclasses.dataclass(frozen=True, slots=True)
class StoredEntry:
    """What storing one new feed entry did.

    ``created``: the article is new; ``linked``: the entry was newly linked as one of its
    sources; ``filled``: the article existed without text and received this entry's text.
    """

    article_id: int
    created: bool
    linked: bool
    filled: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class StoreTotals:
    """How many articles, feed entries (sources) and classifier results are stored."""

    articles: int
    sources: int
    classifications: int


# --- stories and summaries ---------------------------------------------------------------

MergeReason = Literal["new_story", "canonical_url", "near_duplicate_text", "similar_title"]


@dataclasses.dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Which story one article belongs to, and why.

    ``reason`` is ``new_story`` when the article founded the story, else what merged it:
    ``canonical_url`` (same canonical URL as ``matched_article_id``), ``near_duplicate_text``
    (``score`` is the estimated Jaccard similarity of the texts' word shingles) or
    ``similar_title`` (``score`` is the title similarity). ``assigned_now`` is False when the
    article already had its story before this call.
    """

    article_id: int
    story_id: int
    reason: MergeReason
    score: float
    matched_article_id: int | None
    assigned_now: bool


@dataclasses.dataclass(frozen=True, slots=True)
class StoryMember:
    """One article of a story, with the reason it joined."""

    article_id: int
    title: str
    reason: MergeReason
    score: float
    matched_article_id: int | None
    published: datetime
    merged_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class StorySource:
    """One feed entry that carried a story.

    The first source of each article has its article's merge reason; every further source
    of the same article (another feed linking the same canonical URL) has ``canonical_url``.
    """

    feed_id: str
    article_id: int
    url: str | None
    site: str | None
    published: datetime | None
    reason: MergeReason


@dataclasses.dataclass(frozen=True, slots=True)
class Story:
    """One news story: every article (and feed entry) that reports it."""

    id: int
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    members: tuple[StoryMember, ...]
    sources: tuple[StorySource, ...]

    @property
    def article_ids(self) -> tuple[int, ...]:
        """The member articles' ids, oldest first."""
        return tuple(m.article_id for m in self.members)


@dataclasses.dataclass(frozen=True, slots=True)
class ArticleText:
    """The part of an article the summariser reads."""

    title: str
    text: str
    article_id: int | None = None
    site: str | None = None
    url: str | None = None
    published: datetime | None = None
    content_hash: str | None = None
    is_teaser: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class SummarySection:
    """One headed section of a summary (``heading`` ends with a full stop: "Licensing.")."""

    heading: str
    text: str


SummaryMethod = Literal["extractive", "llm"]


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """A story's summary: "At a glance" plus sections.

    The first section may have an empty heading: the intro paragraph, shown as a plain
    paragraph (so is the one-line note of a story with too little text). ``method`` is
    ``extractive`` (source sentences, first-person ones reported in the third person or
    quoted with attribution, and a facts sentence from the license events; ``model`` None)
    or ``llm`` (a paraphrase by ``model``). ``ngram_overlap`` is the share of the output's
    word 3-grams found in the sources; ``unsupported`` lists numbers and names in the output
    that the sources do not contain (on a fallback: those of the refused paraphrase).
    ``fallback_reason`` says why a configured paraphraser was not used for this summary
    (None when it was used or is off).
    """

    at_a_glance: str
    sections: tuple[SummarySection, ...]
    method: SummaryMethod
    model: str | None
    generator: str
    ngram_overlap: float | None
    unsupported: tuple[str, ...] = ()
    content_hash: str = ""
    story_id: int | None = None
    created_at: datetime | None = None
    fallback_reason: str | None = None

    def to_json(self) -> dict[str, object]:
        """The output-contract shape (design.md section 6): at a glance and sections."""
        return {
            "at_a_glance": self.at_a_glance,
            "sections": [{"heading": s.heading, "text": s.text} for s in self.sections],
        }


# --- disclosure and digest ---------------------------------------------------------------

DisclosureLevel = Literal["ai-autonomous", "ai-assisted"]


@dataclasses.dataclass(frozen=True, slots=True)
class HumanReview:
    """A recorded human review of one digest item (who, when, and an optional note)."""

    reviewer: str
    reviewed_at: datetime
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        """The ``human_review`` object of the JSON digest."""
        return {
            "reviewer": self.reviewer,
            "reviewed_at": self.reviewed_at.isoformat(),
            "note": self.note,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Disclosure:
    """The Article 50 disclosure of one item (design.md section 7).

    ``exemption_applied`` is True only with a recorded human review *and* a named person or
    organisation holding editorial responsibility; ``label_text`` is the visible label.
    """

    ai_generated: bool
    digital_source_type: str  # IPTC digital source type URI
    disclosure_level: DisclosureLevel
    operations: tuple[str, ...]
    human_review: HumanReview | None
    editorial_responsibility: str | None
    exemption_applied: bool
    label_text: str
    policy_url: str
    generator_name: str
    generator_version: str
    generated_at: datetime
    legal_basis: str
    language: str = "en"
    model: str | None = None
    #: the closing line that ends the item: publication, curation form and generator
    closing_text: str = ""

    @property
    def schema_org_source_type(self) -> str:
        """The schema.org ``IPTCDigitalSourceEnumeration`` member for this source type."""
        term = self.digital_source_type.rsplit("/", 1)[-1]
        return "https://schema.org/" + term[:1].upper() + term[1:] + "DigitalSource"

    def to_json(self) -> dict[str, object]:
        """The ``ai_disclosure`` object of the JSON digest (design.md section 7)."""
        return {
            "ai_generated": self.ai_generated,
            "digital_source_type": self.digital_source_type,
            "disclosure_level": self.disclosure_level,
            "operations": list(self.operations),
            "human_review": self.human_review.to_json() if self.human_review else None,
            "editorial_responsibility": self.editorial_responsibility,
            "exemption_applied": self.exemption_applied,
            "label_text": self.label_text,
            "policy_url": self.policy_url,
            "generator": {"name": self.generator_name, "version": self.generator_version},
            "generated_at": self.generated_at.isoformat(),
            "legal_basis": self.legal_basis,
            "closing_text": self.closing_text,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class DigestSource:
    """One source of a digest item: the site, the article URL and its publication time."""

    site: str
    url: str | None
    published: datetime | None

    def to_json(self) -> dict[str, object]:
        """The ``sources[]`` object of the JSON digest."""
        return {
            "site": self.site,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class DigestItem:
    """One item of a digest: a story with its summary, classification and disclosure.

    ``id`` is stable (``s-<story id>``) and is what ``lumi review`` takes. ``actors``,
    ``license_events`` and ``risk_themes`` hold the output-contract objects (design.md
    section 6) merged over the story's articles.
    """

    id: str
    section: str
    title: str
    at_a_glance: str
    sections: tuple[SummarySection, ...]
    sources: tuple[DigestSource, ...]
    actors: tuple[dict[str, object], ...]
    license_events: tuple[dict[str, object], ...]
    risk_themes: tuple[dict[str, object], ...]
    disclosure: Disclosure
    language: str | None = None
    #: how the summary was made and, for paraphrases, its n-gram overlap with the sources
    summary_check: dict[str, object] | None = None
    #: every source is a feed teaser (the full article could not be had)
    teaser_only: bool = False
    #: no source's text has arrived yet: the item is its title and sources only
    title_only: bool = False
    #: the relevance classifier's verdict on the story (``relevant``, ``score``,
    #: ``evidence``); None when its articles were classified before relevance existed
    relevance: dict[str, object] | None = None

    def to_json(self) -> dict[str, object]:
        """The item object of the JSON digest (design.md section 7)."""
        out: dict[str, object] = {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "at_a_glance": self.at_a_glance,
            "sections": [{"heading": s.heading, "text": s.text} for s in self.sections],
            "sources": [s.to_json() for s in self.sources],
            "actors": [dict(a) for a in self.actors],
            "license_events": [dict(e) for e in self.license_events],
            "risk_themes": [dict(t) for t in self.risk_themes],
            "ai_disclosure": self.disclosure.to_json(),
        }
        if self.summary_check is not None:
            out["summary_check"] = dict(self.summary_check)
        if self.teaser_only:
            out["teaser_only"] = True
        if self.title_only:
            out["title_only"] = True
        if self.relevance is not None:
            out["relevance"] = dict(self.relevance)
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class DigestHeadline:
    """A story past the digest's full items (``LUMI_DIGEST_MAX_ITEMS``): its title and sources
    only, with no summary and no AI-written text."""

    id: str
    section: str
    title: str
    sources: tuple[DigestSource, ...]

    def to_json(self) -> dict[str, object]:
        """The ``headlines[]`` object of the JSON digest."""
        return {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "sources": [s.to_json() for s in self.sources],
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Digest:
    """The digest of a day, or of the days ``first_day`` to ``day`` (in ``LUMI_TIMEZONE``):
    the stories first published then, the best-ranked as full items grouped by section, the
    rest as headlines."""

    day: date
    generator_name: str
    generator_version: str
    language: str
    timezone: str
    policy_url: str
    items: tuple[DigestItem, ...]
    updated: datetime  # derived from stored data, never the wall clock
    #: stories of the day the relevance classifier found outside AI-industry news and that
    #: were left out (0 with ``lumi digest --all``, which lists them in ``off_topic``)
    left_out: int = 0
    #: the first day of a digest over several days (None: the digest of ``day`` alone)
    first_day: date | None = None
    #: the stories past the full items, ranked and grouped by section like them
    headlines: tuple[DigestHeadline, ...] = ()
    #: the publication the digest appears under (``LUMI_PUBLICATION_NAME``)
    publication_name: str = "Lumi AI News"

    @property
    def first(self) -> date:
        """The first day the digest covers (``day`` for a one-day digest)."""
        return self.first_day or self.day

    def contents(self) -> list[tuple[str, int, int]]:
        """``(section, full items, headlines)`` per section present, in display order."""
        counts: dict[str, list[int]] = {}
        for item in self.items:
            counts.setdefault(item.section, [0, 0])[0] += 1
        for headline in self.headlines:
            counts.setdefault(headline.section, [0, 0])[1] += 1
        order = [i.section for i in self.items] + [h.section for h in self.headlines]
        ranked = sorted(counts, key=order.index)
        return [(name, counts[name][0], counts[name][1]) for name in ranked]

    def to_json(self) -> dict[str, object]:
        """The JSON digest object (design.md section 7)."""
        return {
            "date": self.day.isoformat(),
            "first_date": self.first.isoformat(),
            "publication": self.publication_name,
            "generator": {"name": self.generator_name, "version": self.generator_version},
            "contents": [
                {"section": name, "items": items, "headlines": headlines}
                for name, items, headlines in self.contents()
            ],
            "items": [item.to_json() for item in self.items],
            "headlines": [headline.to_json() for headline in self.headlines],
            "left_out": {"not_relevant": self.left_out},
        }


__all__ += [
    "Digest",
    "DigestHeadline",
    "DigestItem",
    "DigestSource",
    "Disclosure",
    "HumanReview",
]


# --- what the store returns to the publish side ------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class StoredArticle:
    """A stored article as story assignment and the digest read it (its database id).

    The dates are those of :class:`Article`: the feed's and the page's published dates, and
    when we fetched it (the digest day is that of ``fetched_at``).
    """

    id: int
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    content_hash: str
    is_teaser: bool
    pending_text: bool
    language: str | None
    site_name: str | None
    published_feed: datetime | None
    published_extracted: datetime | None
    fetched_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class StoryMembership:
    """An article's stored membership of its one story, as story assignment keeps it.

    ``signature`` is the MinHash of the article's text (hex, None for teasers and empty
    texts) as of ``text_hash``, with its number of distinct ``shingles``; ``published_at``
    is the date the article is compared by.
    """

    article_id: int
    story_id: int
    reason: MergeReason
    score: float
    matched_article_id: int | None
    published_at: datetime
    text_hash: str
    signature: str | None
    shingles: int
    merged_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class LLMFailure:
    """A paraphrase the model got wrong for one story version (``content_hash``) and model.

    ``reason`` is the :class:`~pipeline.errors.LLMError` reason (``malformed``, ``shape``,
    ``overlap``); such inputs are not sent to that model again.
    """

    story_id: int
    content_hash: str
    model: str
    reason: str
    detail: str = ""


def summary_fingerprint(summary: Summary) -> str:
    """A hash of what a reviewer reads: method, model, at-a-glance and sections."""
    data = {"method": summary.method, "model": summary.model or "", **summary.to_json()}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One recorded human review of a digest item (``item_id`` is ``s-<story id>``).

    ``summary_hash`` is the :func:`summary_fingerprint` of the summary the reviewer saw
    (None for reviews recorded before summaries were tracked).
    """

    id: int
    item_id: str
    approve: bool
    editor: str
    note: str | None
    reviewed_at: datetime
    summary_hash: str | None = None

    def to_json(self) -> dict[str, object]:
        """The ``lumi review --json`` shape."""
        return {
            "id": self.id,
            "item_id": self.item_id,
            "approve": self.approve,
            "editor": self.editor,
            "note": self.note,
            "reviewed_at": self.reviewed_at.isoformat(),
            "summary_hash": self.summary_hash,
        }

    def covers(self, summary: Summary) -> bool:
        """True when this review was given on ``summary``'s exact text (or predates
        summary tracking); a review never carries over to a changed summary."""
        return self.summary_hash is None or self.summary_hash == summary_fingerprint(summary)


__all__ += [
    "LLMFailure",
    "ReviewRecord",
    "StoredArticle",
    "StoryMembership",
    "summary_fingerprint",
]
