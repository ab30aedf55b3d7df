"""The feeds aggregate: the registry mirrored in the database and each feed's polling state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from pipeline.records import FeedHealth, FeedSource, FeedState, RegistrySync
from pipeline.store.articles import article_counts, pending_counts
from pipeline.store.engine import (
    Store,
    dialect_insert,
    in_chunks,
)
from pipeline.store.models import (
    ArticleRow,
    ArticleSourceRow,
    FeedRow,
    StoryArticleRow,
    utcnow,
)

__all__ = [
    "FeedClaim",
    "FeedLease",
    "article_publishers",
    "claim_feeds",
    "due_feeds",
    "feed_health",
    "feed_leases",
    "record_polls",
    "release_feeds",
    "release_held_leases",
    "renew_leases",
    "stranded_articles",
    "sync_feeds",
    "sync_registry",
    "update_feeds",
]


def sync_feeds(session: Session, sources: Sequence[FeedSource]) -> RegistrySync:
    """Make the feeds table mirror the registry; polling state of known feeds is kept.

    Returns:
        What changed (nothing when the table already mirrored the registry).
    """
    existing = {row.id: row for row in session.scalars(select(FeedRow))}
    wanted = {s.id for s in sources}
    added: list[str] = []
    moved: list[str] = []
    updated: list[str] = []
    for src in sources:
        row = existing.get(src.id)
        if row is None:
            # ON CONFLICT: a concurrent cycle may register the same feed at the same moment.
            session.execute(
                dialect_insert(session, FeedRow)
                .values(
                    id=src.id,
                    url=src.url,
                    title=src.title,
                    language=src.language,
                    tags=list(src.tags),
                    poll_minutes=src.poll_minutes,
                    publisher=src.publisher,
                    in_registry=True,
                    state="new",
                    consecutive_failures=0,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            added.append(src.id)
            continue
        if row.url != src.url:  # a moved feed starts afresh: old validators don't apply
            moved.append(src.id)
            row.etag = row.last_modified = row.body_hash = None
            row.next_poll_at = None
            if row.state == "disabled":
                row.state, row.disabled_reason = "new", None
        elif (
            row.title != src.title
            or row.language != src.language
            or list(row.tags or ()) != list(src.tags)
            or row.poll_minutes != src.poll_minutes
            or row.publisher != src.publisher
            or not row.in_registry
        ):
            updated.append(src.id)
        row.url, row.title, row.language = src.url, src.title, src.language
        row.tags, row.poll_minutes, row.in_registry = list(src.tags), src.poll_minutes, True
        row.publisher = src.publisher
    removed: list[str] = []
    for feed_id, row in existing.items():
        if feed_id not in wanted:
            if row.in_registry:
                removed.append(feed_id)
            row.in_registry = False
    return RegistrySync(
        tuple(sorted(added)), tuple(sorted(moved)), tuple(sorted(updated)), tuple(sorted(removed))
    )


def article_publishers(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """The feed publisher of each article among ``article_ids`` that has one.

    An article reached through several feeds takes the publisher of its earliest source
    that names one (the lowest source id), so the answer does not change between runs.
    """
    ids = list(dict.fromkeys(article_ids))
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(ArticleSourceRow.article_id, FeedRow.publisher)
            .join(FeedRow, FeedRow.id == ArticleSourceRow.feed_id)
            .where(ArticleSourceRow.article_id.in_(ids[start : start + 500]))
            .where(FeedRow.publisher.is_not(None))
            .order_by(ArticleSourceRow.id)
        )
        for article_id, publisher in session.execute(query):
            if publisher:
                out.setdefault(article_id, publisher)
    return out


def sync_registry(store: Store, sources: Sequence[FeedSource]) -> RegistrySync:
    """:func:`sync_feeds` in its own transaction."""
    with store.session() as session:
        return sync_feeds(session, sources)


def update_feeds(session: Session, changes: Sequence[dict[str, Any]]) -> None:
    """Apply many feed-state changes in one statement batch (each dict holds ``id``)."""
    if not changes:
        return
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(change)), []).append(change)
    for columns, rows in by_columns.items():
        params = [{("b_" + k): v for k, v in row.items()} for row in rows]
        stmt = (
            update(FeedRow)
            .where(FeedRow.id == bindparam("b_id"))
            .values({c: bindparam("b_" + c) for c in columns if c != "id"})
        )
        session.connection().execute(stmt, params)


def record_polls(
    store: Store,
    changes: Sequence[dict[str, Any]],
    *,
    release: Sequence[str] = (),
    holder: str | None = None,
) -> tuple[str, ...]:
    """:func:`update_feeds` in its own transaction: a cycle's poll results, stored at once.

    With a ``holder``, only the changes of feeds whose lease ``holder`` still holds are
    stored, and its leases on the feeds in ``release`` end in the same transaction, so a
    feed is never free to claim again before its new state (next poll time) is stored.
    The lease rows are written (locked) before the changes, so no other instance can take
    a lease over between the check and the update.

    Returns:
        The ids of the feeds in ``changes`` whose results were not stored because another
        instance had taken their lease over (always empty without a ``holder``).
    """
    with store.session() as session:
        if holder is None:
            update_feeds(session, changes)
            return ()
        changed = list(dict.fromkeys(str(c["id"]) for c in changes))
        held = set(_still_held(session, changed, holder))
        update_feeds(session, [c for c in changes if c["id"] in held])
        _release(session, release, holder)
        return tuple(feed_id for feed_id in changed if feed_id not in held)


def renew_leases(
    store: Store, feed_ids: Sequence[str], holder: str, *, until: datetime
) -> tuple[str, ...]:
    """Extend ``holder``'s leases on ``feed_ids`` to ``until`` (a cycle still polling them).

    A lease another instance took over (this one ran out first: the process stalled) is
    left to it.

    Returns:
        The ids among ``feed_ids`` whose lease ``holder`` no longer holds.
    """
    ids = list(dict.fromkeys(feed_ids))
    with store.session() as session:
        renewed: set[str] = set()
        for chunk in in_chunks(ids):
            result = session.execute(
                update(FeedRow)
                .where(FeedRow.id.in_(chunk), FeedRow.lease_holder == holder)
                .values(lease_until=until)
                .returning(FeedRow.id)
                .execution_options(synchronize_session=False)
            )
            renewed.update(str(feed_id) for feed_id in result.scalars())
    return tuple(feed_id for feed_id in ids if feed_id not in renewed)


def _still_held(session: Session, feed_ids: Sequence[str], holder: str) -> list[str]:
    """The ids among ``feed_ids`` whose lease ``holder`` holds, their rows now written (a
    no-op write: it takes SQLite's write lock and PostgreSQL's row locks)."""
    held: list[str] = []
    for chunk in in_chunks(list(feed_ids)):
        result = session.execute(
            update(FeedRow)
            .where(FeedRow.id.in_(chunk), FeedRow.lease_holder == holder)
            .values(lease_holder=holder)
            .returning(FeedRow.id)
            .execution_options(synchronize_session=False)
        )
        held.extend(str(feed_id) for feed_id in result.scalars())
    return held


def release_feeds(store: Store, feed_ids: Sequence[str], holder: str) -> None:
    """End ``holder``'s leases on ``feed_ids`` (a lease another instance took over stays)."""
    with store.session() as session:
        _release(session, feed_ids, holder)


def release_held_leases(store: Store, holder: str) -> None:
    """End every lease ``holder`` still holds (a stopping instance abandoning its cycle)."""
    with store.session() as session:
        session.execute(
            update(FeedRow)
            .where(FeedRow.lease_holder == holder)
            .values(lease_holder=None, lease_until=None)
        )


def _release(session: Session, feed_ids: Sequence[str], holder: str) -> None:
    ids = list(dict.fromkeys(feed_ids))
    for chunk in in_chunks(ids):
        session.execute(
            update(FeedRow)
            .where(FeedRow.id.in_(chunk), FeedRow.lease_holder == holder)
            .values(lease_holder=None, lease_until=None)
        )


def _state(row: FeedRow) -> FeedState:
    return FeedState(
        id=row.id,
        url=row.url,
        poll_minutes=row.poll_minutes,
        state=row.state,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        consecutive_failures=row.consecutive_failures,
    )


def _pollable(now: datetime, force: bool, only: Sequence[str] | None) -> ColumnElement[bool]:
    """The feeds a cycle polls at ``now`` (see :func:`due_feeds` for ``force`` and ``only``)."""
    where: list[ColumnElement[bool]] = [FeedRow.in_registry.is_(True)]
    if only:
        where.append(FeedRow.id.in_(list(only)))
    else:
        where.append(FeedRow.state != "disabled")
        if not force:
            where.append(or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now))
    return and_(*where)


def due_feeds(
    store: Store, now: datetime, *, force: bool = False, only: Sequence[str] | None = None
) -> list[FeedState]:
    """The registry feeds to poll at ``now``, by id, leased or not.

    Args:
        store: the open database.
        now: the cycle's clock.
        force: every feed that is not disabled, due or not.
        only: exactly these feed ids (disabled ones included).
    """
    with store.session() as session:
        query = select(FeedRow).where(_pollable(now, force, only)).order_by(FeedRow.id)
        return [_state(row) for row in session.scalars(query)]


@dataclass(frozen=True, slots=True)
class FeedClaim:
    """What :func:`claim_feeds` got: the feeds this instance now polls, and the rest."""

    feeds: list[FeedState]  # claimed, by id, with the state as of the claim
    taken_over: tuple[str, ...]  # claimed feeds whose earlier lease had run out
    skipped: tuple[str, ...]  # due feeds another instance holds a live lease on


@dataclass(frozen=True, slots=True)
class FeedLease:
    """A feed's lease: which instance polls it, and until when the claim holds."""

    feed_id: str
    holder: str
    until: datetime


def claim_feeds(
    store: Store,
    now: datetime,
    holder: str,
    *,
    until: datetime,
    force: bool = False,
    only: Sequence[str] | None = None,
) -> FeedClaim:
    """Lease the feeds :func:`due_feeds` would give to ``holder`` until ``until``.

    A feed is claimed only when it has no lease or its lease ran out before ``now``, and
    only while it is still due: of two instances that try the same feed at once, exactly
    one gets it, and a feed the other has just polled and released is no longer due.
    Each claim is one conditional UPDATE: SQLite serialises writers, and PostgreSQL
    re-checks the condition on the row it locks (rows another claim has locked are
    skipped, so concurrent claims never wait on each other in a crossing order).
    """
    pollable = _pollable(now, force, only)
    free = FeedRow.lease_until.is_(None)
    expired = FeedRow.lease_until < now
    with store.session() as session:
        # The first statement writes: SQLite takes its write lock before reading anything.
        claimed_free = _claim(session, and_(pollable, free), holder, until)
        taken_over = _claim(session, and_(pollable, expired), holder, until)
        ids = sorted({*claimed_free, *taken_over})
        feeds: list[FeedState] = []
        for chunk in in_chunks(ids):
            feeds.extend(
                _state(row) for row in session.scalars(select(FeedRow).where(FeedRow.id.in_(chunk)))
            )
        skipped = session.scalars(
            select(FeedRow.id)
            .where(pollable, FeedRow.lease_until >= now, FeedRow.lease_holder != holder)
            .order_by(FeedRow.id)
        ).all()
    feeds.sort(key=lambda f: f.id)
    return FeedClaim(feeds, tuple(sorted(taken_over)), tuple(skipped))


def _claim(session: Session, where: ColumnElement[bool], holder: str, until: datetime) -> list[str]:
    """Lease every feed matching ``where`` to ``holder``; the ids claimed."""
    locked = select(FeedRow.id).where(where).with_for_update(skip_locked=True)
    result = session.execute(
        update(FeedRow)
        .where(FeedRow.id.in_(locked), where)
        .values(lease_holder=holder, lease_until=until)
        .returning(FeedRow.id)
        .execution_options(synchronize_session=False)
    )
    return [str(feed_id) for feed_id in result.scalars()]


def stranded_articles(
    store: Store,
    fetched_from: datetime,
    fetched_until: datetime,
    *,
    limit: int = 1000,
    leased_at: datetime | None = None,
) -> list[int]:
    """Ids of the articles fetched in ``[fetched_from, fetched_until)`` that have no story,
    oldest first, at most ``limit``.

    An ingest cycle groups every article it stores into a story before it ends, so an
    article older than a cycle without one was stored by a cycle that stopped (killed)
    before classifying and grouping it. With ``leased_at``, an article of a feed whose
    lease is still live then is left out: the cycle holding it is still running.
    """
    query = (
        select(ArticleRow.id)
        .outerjoin(StoryArticleRow, StoryArticleRow.article_id == ArticleRow.id)
        .where(
            StoryArticleRow.id.is_(None),
            ArticleRow.fetched_at >= fetched_from,
            ArticleRow.fetched_at < fetched_until,
        )
    )
    if leased_at is not None:
        live = (
            select(ArticleSourceRow.id)
            .join(FeedRow, FeedRow.id == ArticleSourceRow.feed_id)
            .where(ArticleSourceRow.article_id == ArticleRow.id, FeedRow.lease_until >= leased_at)
        )
        query = query.where(~live.exists())
    with store.session() as session:
        return list(
            session.scalars(query.order_by(ArticleRow.fetched_at, ArticleRow.id).limit(limit))
        )


def feed_leases(store: Store) -> list[FeedLease]:
    """Every lease currently recorded (live or run out), by feed id."""
    with store.session() as session:
        rows = session.execute(
            select(FeedRow.id, FeedRow.lease_holder, FeedRow.lease_until)
            .where(FeedRow.lease_holder.is_not(None))
            .order_by(FeedRow.id)
        ).all()
    return [
        FeedLease(feed_id, holder, until) for feed_id, holder, until in rows if holder and until
    ]


def feed_health(store: Store) -> list[FeedHealth]:
    """Every registry feed's state, last success, last error, next poll and article counts.

    Reads only: feeds of the registry not synced yet are not listed (see
    :func:`sync_registry`).
    """
    with store.session() as session:
        rows = session.scalars(
            select(FeedRow).where(FeedRow.in_registry.is_(True)).order_by(FeedRow.id)
        ).all()
        articles = article_counts(session)
        pending = pending_counts(session)
        return [
            FeedHealth(
                id=r.id,
                url=r.url,
                state=r.state,
                http_status=r.http_status,
                last_polled_at=r.last_polled_at,
                last_success_at=r.last_success_at,
                next_poll_at=r.next_poll_at,
                error_class=r.error_class,
                error_message=r.error_message,
                error_at=r.error_at,
                consecutive_failures=r.consecutive_failures,
                degraded_reason=r.degraded_reason,
                disabled_reason=r.disabled_reason,
                articles=articles.get(r.id, 0),
                pending=pending.get(r.id, 0),
            )
            for r in rows
        ]
