"""One ingest cycle: poll due feeds, fetch new pages, extract, store, classify.

The scheduler (``lumi run``), ``lumi fetch`` and ``lumi demo`` all call :func:`run_cycle`.
A bad feed is data: its error class and message are stored on the feed, it backs off, and
the cycle goes on with the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from pipeline.errors import DatabaseFault, FetchError, LumiError, NoExtractableText, ParseError
from pipeline.faults import kill_point
from pipeline.ingest.extract import build_article, extract_page, pending_article
from pipeline.ingest.fetch import Fetcher
from pipeline.ingest.parse import parse_feed
from pipeline.ingest.polltiming import backoff_until, next_poll_at
from pipeline.ingest.urls import is_anchor
from pipeline.records import (
    Article,
    ExtractedPage,
    FeedEntry,
    FeedSource,
    FeedState,
    FetchResult,
    ParsedFeed,
    StoredEntry,
)
from pipeline.settings import Settings
from pipeline.store import (
    Store,
    claim_feeds,
    entry_fingerprint,
    instance_id,
    known_article_keys,
    known_entries,
    pending_by_feed,
    pending_pages_due,
    record_polls,
    release_feeds,
    renew_leases,
    settle_pending_page,
    store_entry,
    store_entry_update,
    stranded_articles,
    sync_registry,
    utcnow,
)

__all__ = ["CycleReport", "FeedOutcome", "run_cycle"]

log = logging.getLogger("lumi.ingest")


#: Statuses whose Retry-After we honour and which never count toward disabling a feed.
_SLOW_DOWN = {429, 503}

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What one feed's poll did in a cycle."""

    feed_id: str
    http_status: int | None
    new: int
    error_class: str | None = None
    error_message: str | None = None
    degraded: bool = False
    pages_failed: int = 0
    updated: int = 0  # known entries the feed changed (title or text)
    pending: int = 0  # entries of this feed stored without text, waiting for their page
    #: the database fault that kept this feed's entries from being stored (not the feed's)
    fault: DatabaseFault | None = dataclasses.field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The ``lumi fetch --json`` shape of one feed."""
        error = None
        if self.error_class:
            error = {"class": self.error_class, "message": self.error_message}
        return {
            "id": self.feed_id,
            "http_status": self.http_status,
            "new": self.new,
            "error": error,
            "degraded": self.degraded,
            "pages_failed": self.pages_failed,
            "updated": self.updated,
            "pending": self.pending,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class CycleReport:
    """What a whole cycle did."""

    feeds: tuple[FeedOutcome, ...]
    new_article_ids: tuple[int, ...]
    started_at: datetime
    duration_s: float
    updated_article_ids: tuple[int, ...] = ()
    pages_retried: int = 0  # pending entries whose page was tried again this cycle
    pending_filled: int = 0  # pending entries whose text arrived this cycle
    leased_elsewhere: tuple[str, ...] = ()  # due feeds another instance was polling
    leases_taken_over: tuple[str, ...] = ()  # polled feeds whose earlier lease had run out
    leases_lost: tuple[str, ...] = ()  # polled feeds another instance took over mid-cycle

    @property
    def new(self) -> int:
        """New article sources linked in this cycle."""
        return sum(f.new for f in self.feeds)

    @property
    def failed(self) -> int:
        """Feeds whose poll failed."""
        return sum(1 for f in self.feeds if f.error_class)

    def to_json(self) -> dict[str, Any]:
        """The ``lumi fetch --json`` object."""
        return {
            "feeds": [f.to_json() for f in self.feeds],
            "new": self.new,
            "updated": sum(f.updated for f in self.feeds),
            "failed": self.failed,
            "pending": sum(f.pending for f in self.feeds),
            "pages_retried": self.pages_retried,
            "pending_filled": self.pending_filled,
            "leased_elsewhere": list(self.leased_elsewhere),
        }


class _Cycle:
    """State of one running cycle (not shared between cycles).

    Every database call runs on ``db``, one worker thread: a store that is slow or locked
    (another cycle writing) never stalls the fetches on the event loop, and the calls stay
    serialised as they were when they ran on the loop itself.
    """

    def __init__(
        self, store: Store, settings: Settings, fetcher: Fetcher, now: datetime, db: Executor
    ):
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.now = now
        self.db = db
        self.rng = random.Random()
        self.changes: list[dict[str, Any]] = []
        self.new_ids: list[int] = []
        self.updated_ids: list[int] = []

    async def stored(
        self, call: Callable[Concatenate[Store, _P], _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """``call(store, *args, **kwargs)`` on the database thread, awaited; run again on a
        transient database fault (:meth:`Store.retrying`: each call is one transaction)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.db, functools.partial(self.store.retrying, call, *args, **kwargs)
        )

    async def poll(self, feed: FeedState) -> FeedOutcome:
        """Poll one feed; never raises for feed-level problems."""
        try:
            result = await self.fetcher.get(
                feed.url, etag=feed.etag, last_modified=feed.last_modified, feed_id=feed.id
            )
        except FetchError as exc:
            return self._failed(feed, exc.error_class, exc.message, exc.status, exc.retry_after)
        kill_point("after-fetch")
        if result.not_modified:
            self._succeeded(feed, result, ttl=None, degraded=None)
            return FeedOutcome(feed.id, result.status, 0)
        body_hash = hashlib.sha256(result.body).hexdigest()
        if body_hash == feed.body_hash and feed.state in ("ok", "degraded"):
            # Servers without validators still send identical bytes: nothing to parse.
            self._succeeded(feed, result, ttl=None, degraded=None)
            return FeedOutcome(feed.id, result.status, 0)
        try:
            parsed = await asyncio.to_thread(
                parse_feed,
                feed.id,
                result.body,
                url=result.final_url,
                content_type=result.content_type,
                headers=result.headers,
            )
        except ParseError as exc:
            return self._failed(feed, exc.error_class, exc.message, result.status, None)
        try:
            new, updated, pages_failed = await self._store_entries(feed, parsed)
        except DatabaseFault as exc:
            return self._not_stored(feed, exc, result.status)
        self._succeeded(
            feed,
            result,
            ttl=parsed.ttl_minutes,
            degraded=parsed.problem if parsed.degraded else None,
            body_hash=body_hash,
        )
        log.info(
            "feed polled",
            extra={
                "stage": "fetch",
                "feed_id": feed.id,
                "count": new,
                "updated": updated,
                "pages_failed": pages_failed,
            },
        )
        return FeedOutcome(
            feed.id,
            result.status,
            new,
            degraded=parsed.degraded,
            pages_failed=pages_failed,
            updated=updated,
        )

    async def _store_entries(self, feed: FeedState, parsed: ParsedFeed) -> tuple[int, int, int]:
        """Store new entries and apply updates to known ones; returns (new, updated, pages
        failed)."""
        entries = list({e.dedupe_key: e for e in parsed.entries}.values())
        seen = await self.stored(known_entries, feed.id, [e.dedupe_key for e in entries])
        fresh = [e for e in entries if e.dedupe_key not in seen]
        # A known entry whose title or text the feed changed is an update, not a new story
        # (an entry stored before hashes were kept has None and is left as it is).
        revised = [
            e
            for e in entries
            if e.dedupe_key in seen and seen[e.dedupe_key][1] not in (None, entry_fingerprint(e))
        ]
        # a page already stored under the same URL is not fetched again
        known = await self.stored(
            known_article_keys, [e.canonical_url for e in fresh if e.canonical_url]
        )
        outcomes = await asyncio.gather(
            *(self._article_for(e, known=e.canonical_url in known) for e in fresh),
            *(self._article_for(e, refresh=True) for e in revised),
        )
        new = updated = pages_failed = 0
        # (entry, its store call, the known article it updates or None)
        jobs: list[tuple[FeedEntry, Callable[[Store], StoredEntry | bool], int | None]] = []
        for index, (entry, (article, page_error)) in enumerate(
            zip([*fresh, *revised], outcomes, strict=True)
        ):
            pages_failed += page_error is not None
            if article is None:
                continue
            if index < len(fresh):
                retry_at = self._first_retry(entry) if article.pending_text else None
                store_new = functools.partial(
                    store_entry,
                    article=article,
                    entry=entry,
                    next_page_attempt_at=retry_at,
                    page_error=page_error,
                )
                jobs.append((entry, store_new, None))
            else:
                updated += 1
                article_id = seen[entry.dedupe_key][0]
                store_update = functools.partial(
                    store_entry_update, article_id=article_id, article=article, entry=entry
                )
                jobs.append((entry, store_update, article_id))
        # One trip to the database thread per feed; each entry in its own transaction.
        results = await self.stored(_each, [job for _, job, _ in jobs])
        fault = None
        for (entry, _, updates), result in zip(jobs, results, strict=True):
            if isinstance(result, DatabaseFault):
                fault = result
            elif isinstance(result, StoredEntry):
                new += int(result.linked)
                if result.created:
                    self.new_ids.append(result.article_id)
                elif result.filled:
                    # another feed carried this page without text; this one has it
                    self.updated_ids.append(result.article_id)
            elif isinstance(result, Exception):
                log.error(
                    "entry not stored",
                    exc_info=result,
                    extra={
                        "stage": "store",
                        "feed_id": feed.id,
                        "url": entry.url,
                        "error": str(result),
                    },
                )
            elif result and updates is not None:  # an update that changed the article's text
                self.updated_ids.append(updates)
        if fault is not None:  # what was stored stays; the feed's state must not advance
            raise fault
        return new, updated, pages_failed

    def _pages_fetchable(self, entry: FeedEntry) -> bool:
        """True when the entry's own page may be fetched for its text.

        An entry whose canonical URL keeps a fragment is one anchor of a page shared with
        other entries (a changelog): that page is not the entry's text.
        """
        return bool(entry.url and self.settings.fetch_pages and not is_anchor(entry.canonical_url))

    def _first_retry(self, entry: FeedEntry) -> datetime | None:
        if not self._pages_fetchable(entry):
            return None
        return backoff_until(self.now, failures=1, settings=self.settings, rng=self.rng)

    async def _fetch_page(self, entry: FeedEntry) -> tuple[ExtractedPage | None, LumiError | None]:
        """Fetch and extract the entry's page: (page, None) or (None, why it failed)."""
        assert entry.url is not None
        try:
            result = await self.fetcher.get(entry.url, feed_id=entry.feed_id)
            page = await asyncio.to_thread(
                extract_page,
                result.body,
                result.final_url,
                content_type=result.headers.get("content-type"),
            )
        except LumiError as exc:
            # an expected page failure (HTTP, network, nothing to extract) is routine
            expected = isinstance(exc, FetchError | NoExtractableText)
            # routine failures are per entry: DEBUG here, one INFO line per feed in poll()
            log.log(
                logging.DEBUG if expected else logging.WARNING,
                "page not used" if expected else "page failed",
                extra={
                    "stage": "extract",
                    "feed_id": entry.feed_id,
                    "url": entry.url,
                    "error": str(exc),
                },
            )
            return None, exc
        return page, None

    async def _article_for(
        self, entry: FeedEntry, *, refresh: bool = False, known: bool = False
    ) -> tuple[Article | None, str | None]:
        """Build the article for an entry: page when possible, else the feed's content.

        The page is not fetched when ``known`` (an article is stored under the entry's
        URL), unless ``refresh`` (the feed updated the entry). An entry with no text
        anywhere is kept as a ``pending_text`` article (title, link, dates) whose page is
        retried later.

        Returns:
            (the article or None when the entry has nothing to keep, why the page failed
            or None).
        """
        page = None
        page_error = None
        fetched_at = utcnow()
        if self._pages_fetchable(entry) and (refresh or not known):
            page, failure = await self._fetch_page(entry)
            page_error = _page_error(failure) if failure is not None else None
        try:
            # HTML to text is CPU work: off the loop, like parsing and extraction
            article = await asyncio.to_thread(build_article, entry, page, fetched_at=fetched_at)
            return article, page_error
        except NoExtractableText:
            pending = pending_article(entry, fetched_at=fetched_at)
            if pending is None:
                log.warning(
                    "entry dropped: it has no title, link or text",
                    extra={"stage": "extract", "feed_id": entry.feed_id, "url": entry.url},
                )
            else:
                log.debug(
                    "entry stored without text; its page is retried later",
                    extra={
                        "stage": "extract",
                        "feed_id": entry.feed_id,
                        "url": entry.url,
                        "error": page_error or "the feed entry holds no text",
                    },
                )
            return pending, page_error

    async def retry_pending(self) -> tuple[int, int]:
        """Try the pages of pending articles that are due; returns (tried, filled)."""
        limit = self.settings.page_retries_per_cycle
        due = await self.stored(pending_pages_due, self.now, limit)
        if not due:
            return 0, 0
        outcomes = await asyncio.gather(*(self._fetch_page(p.entry) for p in due))
        filled = 0
        for pending, (page, failure) in zip(due, outcomes, strict=True):
            article = None
            error = _page_error(failure) if failure is not None else None
            # 410: the server says the page is gone for good; no point asking again
            gone = isinstance(failure, FetchError) and failure.status == 410
            if page is not None:
                try:
                    article = await asyncio.to_thread(
                        build_article, pending.entry, page, fetched_at=utcnow()
                    )
                except NoExtractableText as exc:
                    error = _page_error(exc)
            attempts = pending.attempts + 1
            retry_at = None
            if attempts < self.settings.page_retry_attempts and not gone:
                retry_at = backoff_until(
                    self.now, failures=attempts, settings=self.settings, rng=self.rng
                )
            try:
                if await self.stored(
                    settle_pending_page,
                    pending.article_id,
                    article,
                    error=error or "the page holds no text",
                    next_attempt_at=retry_at,
                ):
                    self.updated_ids.append(pending.article_id)
                    filled += 1
                    continue
                if retry_at is None:
                    log.warning(
                        "page retries given up; the entry stays title-only",
                        extra={
                            "stage": "extract",
                            "feed_id": pending.entry.feed_id,
                            "url": pending.entry.url,
                            "attempts": attempts,
                            "error": error,
                        },
                    )
            except DatabaseFault as exc:  # the next ones would fail the same way
                log.error(
                    "pending entries not updated: the database failed; the next cycle "
                    "tries them again",
                    extra={"stage": "store", "error_class": exc.kind, "error": str(exc)},
                )
                break
            except Exception as exc:  # one bad row must not lose the rest
                log.error(
                    "pending entry not updated",
                    exc_info=True,
                    extra={
                        "stage": "store",
                        "feed_id": pending.entry.feed_id,
                        "url": pending.entry.url,
                        "error": str(exc),
                    },
                )
        return len(due), filled

    def _succeeded(
        self,
        feed: FeedState,
        result: FetchResult,
        *,
        ttl: int | None,
        degraded: str | None,
        body_hash: str | None = None,
    ) -> None:
        interval = feed.poll_minutes or self.settings.poll_minutes
        change: dict[str, Any] = {
            "id": feed.id,
            "http_status": result.status,
            "last_polled_at": self.now,
            "last_success_at": self.now,
            "next_poll_at": next_poll_at(
                self.now,
                interval_minutes=interval,
                headers=result.headers,
                ttl_minutes=ttl,
                settings=self.settings,
            ),
            "consecutive_failures": 0,
            "error_class": None,
            "error_message": None,
        }
        if not result.not_modified:
            change["etag"] = result.headers.get("etag")
            change["last_modified"] = result.headers.get("last-modified")
        if body_hash is not None:
            change["body_hash"] = body_hash
            change["state"] = "degraded" if degraded else "ok"
            change["degraded_reason"] = degraded
        elif feed.state not in ("ok", "degraded"):
            change["state"] = "ok"
        self.changes.append(change)

    def _failed(
        self,
        feed: FeedState,
        error_class: str,
        message: str,
        status: int | None,
        retry_after: float | None,
    ) -> FeedOutcome:
        slow_down = status in _SLOW_DOWN
        failures = feed.consecutive_failures + (0 if slow_down else 1)
        state = "failing"
        disabled_reason = None
        limit = self.settings.disable_after_errors
        if status == 410:
            state, disabled_reason = "disabled", "the server says the feed is gone (410)"
        elif limit and failures >= limit:
            state = "disabled"
            disabled_reason = f"{failures} consecutive failures; last: {error_class}"
        self.changes.append(
            {
                "id": feed.id,
                "http_status": status,
                "last_polled_at": self.now,
                "next_poll_at": backoff_until(
                    self.now,
                    failures=max(failures, 1),
                    retry_after=retry_after,
                    settings=self.settings,
                    rng=self.rng,
                ),
                "consecutive_failures": failures,
                "error_class": error_class,
                "error_message": message,
                "error_at": self.now,
                "state": state,
                "disabled_reason": disabled_reason,
            }
        )
        log.warning(
            "feed failed",
            extra={
                "stage": "fetch",
                "feed_id": feed.id,
                "url": feed.url,
                "error_class": error_class,
                "error": message,
            },
        )
        return FeedOutcome(feed.id, status, 0, error_class=error_class, error_message=message)

    def _not_stored(self, feed: FeedState, fault: DatabaseFault, status: int | None) -> FeedOutcome:
        """A feed whose entries the database would not take: nothing about its poll is
        recorded (not its validators, not its body hash), so the next cycle fetches and
        stores the same entries again. The database is at fault, not the feed."""
        log.error(
            "feed entries not stored: the database failed; the feed is polled again next cycle",
            extra={
                "stage": "store",
                "feed_id": feed.id,
                "error_class": fault.kind,
                "error": str(fault),
            },
        )
        return FeedOutcome(
            feed.id, status, 0, error_class=fault.kind, error_message=str(fault), fault=fault
        )

    def crashed(self, feed: FeedState, exc: Exception) -> FeedOutcome:
        """Record a crash in Lumi's own code while polling ``feed`` (error class ``internal``).

        A bug is not the feed's fault: its failure count and state are left as they are
        (it never moves toward disabling), and it is polled again after its usual interval.
        """
        message = f"unexpected error (a bug in Lumi): {type(exc).__name__}: {exc}"
        self.changes.append(
            {
                "id": feed.id,
                "last_polled_at": self.now,
                "next_poll_at": next_poll_at(
                    self.now,
                    interval_minutes=feed.poll_minutes or self.settings.poll_minutes,
                    settings=self.settings,
                ),
                "error_class": "internal",
                "error_message": message,
                "error_at": self.now,
            }
        )
        return FeedOutcome(feed.id, None, 0, error_class="internal", error_message=message)


#: A cycle renews its leases this many times per ``LUMI_LEASE_SECONDS``: a renewal that
#: comes late (a loaded machine, a slow database) still lands before the lease runs out.
RENEWALS_PER_LEASE = 4


class _Leases:
    """The leases a running cycle holds, renewed in the background until its results are
    recorded; a lease found taken over is remembered (its feed's results are dropped)."""

    def __init__(self, store: Store, settings: Settings, feed_ids: Sequence[str], holder: str):
        self.store = store
        self.seconds = settings.lease_seconds
        self.feed_ids = list(feed_ids)
        self.holder = holder
        self.lost: set[str] = set()
        self.recording = False  # set once the results are being recorded: renewals stop

    async def keep(self) -> None:
        """Renew every lease still held, every ``1/RENEWALS_PER_LEASE`` of a lease, until
        cancelled."""
        while not self.recording:
            await asyncio.sleep(self.seconds / RENEWALS_PER_LEASE)
            held = [i for i in self.feed_ids if i not in self.lost]
            until = utcnow() + timedelta(seconds=self.seconds)
            try:
                # its own thread: a renewal never queues behind the cycle's inserts
                gone = await asyncio.to_thread(
                    renew_leases, self.store, held, self.holder, until=until
                )
            except Exception as exc:  # tried again at the next renewal, well within the lease
                log.warning(
                    "feed leases not renewed; the next renewal tries again",
                    # a database fault says all in its one line; anything else is a bug
                    exc_info=not isinstance(exc, DatabaseFault),
                    extra={"stage": "ingest", "count": len(held), "error": str(exc)},
                )
                continue
            if self.recording:  # the leases may have ended with the recorded results
                return
            for feed_id in gone:
                self.lost.add(feed_id)
                log.warning(
                    "feed lease lost: another instance took it over while this cycle was "
                    "polling it; this cycle's results for the feed are not recorded",
                    extra={"stage": "ingest", "feed_id": feed_id},
                )


async def _run(
    store: Store,
    settings: Settings,
    feeds: list[FeedState],
    now: datetime,
    holder: str | None = None,
) -> _Ran:
    """Poll ``feeds`` and store what they bring; ``holder``'s leases on them end with the
    recorded results (None: the feeds were not leased).

    While the feeds are polled, their leases are renewed (:class:`_Leases`), so a cycle
    longer than ``LUMI_LEASE_SECONDS`` keeps them; the state of a feed whose lease another
    instance took over anyway is not recorded (that instance records its own poll).
    """
    leases = _Leases(store, settings, [f.id for f in feeds], holder) if holder else None
    renewing = asyncio.create_task(leases.keep()) if leases and feeds else None
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lumi-db") as db:
            async with Fetcher(settings) as fetcher:
                cycle = _Cycle(store, settings, fetcher, now, db)

                async def guarded(feed: FeedState) -> FeedOutcome:
                    try:
                        return await cycle.poll(feed)
                    except Exception as exc:  # a bug in Lumi's code never stops the others
                        log.exception(
                            "feed crashed: internal error",
                            extra={
                                "stage": "ingest",
                                "feed_id": feed.id,
                                "error_class": "internal",
                            },
                        )
                        return cycle.crashed(feed, exc)

                outcomes = await asyncio.gather(*(guarded(f) for f in feeds))
                retried, filled = await cycle.retry_pending()
            kill_point("before-state-update")
            if leases is not None:
                leases.recording = True
            dropped = await cycle.stored(
                record_polls, cycle.changes, release=[f.id for f in feeds], holder=holder
            )
            pending = await cycle.stored(pending_by_feed)
    finally:
        if renewing is not None:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
    for feed_id in dropped:
        log.warning(
            "feed poll not recorded: another instance took its lease over and polls it",
            extra={"stage": "ingest", "feed_id": feed_id},
        )
    outcomes = [dataclasses.replace(o, pending=pending.get(o.feed_id, 0)) for o in outcomes]
    return _Ran(outcomes, cycle.new_ids, cycle.updated_ids, retried, filled, tuple(dropped))


@dataclasses.dataclass(frozen=True, slots=True)
class _Ran:
    outcomes: list[FeedOutcome]
    new_ids: list[int]
    updated_ids: list[int]
    retried: int
    filled: int
    lost: tuple[str, ...] = ()


def _each(store: Store, calls: Sequence[Callable[[Store], _T]]) -> list[_T | Exception]:
    """Run each call on ``store``; a call that raises gives its exception, the rest still
    run (one bad row must not lose the rest). A database fault ends the run: the calls left
    give the same fault (the database, not a row, failed)."""
    results: list[_T | Exception] = []
    for index, call in enumerate(calls):
        if index == 1:
            kill_point("mid-insert")
        try:
            results.append(call(store))
        except Exception as exc:  # returned to the cycle, which logs it with the entry
            results.append(exc)
            if isinstance(exc, DatabaseFault):  # the other entries would fail the same way
                results.extend(exc for _ in calls[index + 1 :])
                break
    return results


def _page_error(exc: LumiError) -> str:
    """``<error class>: <message>`` for a failed page, as stored on a pending article."""
    return f"{getattr(exc, 'error_class', 'extract')}: {exc.message}"


#: How far back a cycle looks for articles a stopped cycle stored but never finished.
STRANDED_DAYS = 14


def _finish_stranded(store: Store, settings: Settings, now: datetime, *, classify: bool) -> None:
    """Classify and group the articles a stopped (killed) cycle stored but never finished.

    Only articles fetched more than ``LUMI_LEASE_SECONDS`` ago count, and none of a feed
    leased right now: a cycle still running elsewhere holds (renews) the leases of the feeds
    it polls and finishes its own articles. A failure is logged and the articles are tried
    again by the next cycle; it never costs this cycle its report.
    """
    until = now - timedelta(seconds=settings.lease_seconds)
    ids = stranded_articles(store, until - timedelta(days=STRANDED_DAYS), until, leased_at=now)
    if not ids:
        return
    log.info(
        "articles a stopped cycle stored are classified and grouped now",
        extra={"stage": "ingest", "count": len(ids)},
    )
    try:
        _after_store(store, settings, ids, classify=classify)
    except Exception as exc:  # tried again next cycle; the polls are already recorded
        log.error(
            "stranded articles not finished; the next cycle tries again",
            exc_info=True,
            extra={"stage": "ingest", "count": len(ids), "error": str(exc)},
        )


def _after_store(store: Store, settings: Settings, new_ids: list[int], *, classify: bool) -> None:
    """Classify new (or changed) articles and group them into stories. Nothing is
    summarised here: the digest summarises the stories it shows in full
    (:func:`pipeline.publish.digest.prepare_day`), so headlines cost no summary."""
    from pipeline.publish.stories import assign_stories

    if classify:
        from pipeline.classify import classifier_config, classify_articles

        classify_articles(store, new_ids, config=classifier_config(settings))
    assign_stories(store, new_ids, settings=settings)


def run_cycle(
    store: Store,
    settings: Settings,
    sources: Sequence[FeedSource] | None = None,
    *,
    force: bool = False,
    only: Sequence[str] | None = None,
    classify: bool = True,
    now: datetime | None = None,
    holder: str | None = None,
) -> CycleReport:
    """Run one ingest cycle and return what it did.

    The feeds to poll are leased in the database first (``LUMI_LEASE_SECONDS``), so
    several instances on one database never poll the same feed at once: a feed another
    instance holds is skipped (``leased_elsewhere``), and a lease whose holder died runs
    out and is taken over. While the cycle runs, it renews its leases
    (``RENEWALS_PER_LEASE`` times per lease), so a cycle longer than the lease keeps its
    feeds; the leases end when the poll results are stored. Should a lease be taken over
    anyway (this process stalled for longer than a lease), that feed's poll is not
    recorded (``leases_lost``, logged).

    Args:
        store: the open database.
        settings: effective settings.
        sources: the feed registry; when given, the feeds table is synced to it first.
        force: poll every enabled feed whether due or not (``lumi fetch --all``).
        only: poll exactly these feed ids (even disabled ones).
        classify: run the registered classifiers on new articles.
        now: the cycle's clock (tests).
        holder: the name the leases are held under (default: a new :func:`instance_id`).

    Raises:
        DatabaseFault: the database failed (full, read-only, corrupt, unreachable, or busy
            past the retries). What was committed stays; a feed whose entries were not all
            stored keeps its previous state (validators, body hash, next poll), so the next
            cycle fetches and stores them again.
    """
    started = time.perf_counter()
    now = now or utcnow()
    holder = holder or instance_id()
    if sources is not None:
        store.retrying(sync_registry, sources)
    until = now + timedelta(seconds=settings.lease_seconds)
    claim = store.retrying(claim_feeds, now, holder, until=until, force=force, only=only)
    for feed_id in claim.taken_over:
        log.info(
            "feed lease taken over: the instance that held it stopped before releasing it",
            extra={"stage": "ingest", "feed_id": feed_id},
        )
    for feed_id in claim.skipped:
        log.debug(
            "feed skipped: another instance is polling it",
            extra={"stage": "ingest", "feed_id": feed_id},
        )
    if claim.skipped:
        log.info(
            "due feeds skipped: other instances are polling them",
            extra={"stage": "ingest", "count": len(claim.skipped)},
        )
    try:
        ran = asyncio.run(_run(store, settings, claim.feeds, now, holder))
    except BaseException:
        # The results are lost, but the feeds need not wait for the leases to run out.
        try:
            release_feeds(store, [f.id for f in claim.feeds], holder)
        except Exception as exc:
            log.warning(
                "feed leases not released; they run out after LUMI_LEASE_SECONDS",
                exc_info=not isinstance(exc, DatabaseFault),
                extra={"stage": "ingest", "count": len(claim.feeds), "error": str(exc)},
            )
        raise
    if ran.new_ids or ran.updated_ids:
        # classifying and grouping are idempotent as a whole: a fault runs them again
        store.retrying(_after_store, settings, [*ran.new_ids, *ran.updated_ids], classify=classify)
    _finish_stranded(store, settings, now, classify=classify)
    faults = [o.fault for o in ran.outcomes if o.fault is not None]
    if faults:  # what was stored is kept and the other feeds' polls are recorded
        raise faults[0]
    return CycleReport(
        tuple(ran.outcomes),
        tuple(ran.new_ids),
        now,
        time.perf_counter() - started,
        tuple(ran.updated_ids),
        pages_retried=ran.retried,
        pending_filled=ran.filled,
        leased_elsewhere=claim.skipped,
        leases_taken_over=claim.taken_over,
        leases_lost=ran.lost,
    )
