"""Typed, immutable records passed between stages.

Third-party objects (httpx responses, feedparser dicts, trafilatura documents) are mapped
into these at the edge and never passed around::

    FeedSource --poll--> FetchResult --parse--> ParsedFeed(FeedEntry...)
    FeedEntry --fetch page--> FetchResult --extract--> Article
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Literal

__all__ = [
    "Article",
    "ExtractedPage",
    "FeedEntry",
    "FeedSource",
    "FetchResult",
    "ParsedFeed",
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


TextSource = Literal["page", "feed", "feed_summary"]


@dataclasses.dataclass(frozen=True, slots=True)
class Article:
    """One article ready to store and classify.

    ``text_source`` says where ``text`` came from: the extracted page, the feed's own full
    content (the page failed or was not fetched), or only the feed summary (a teaser).
    ``content_hash`` is the SHA-256 of the normalised text; classifications record it.
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
