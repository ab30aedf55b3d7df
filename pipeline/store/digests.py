"""The daily digest's ledger (``digest_runs``): which day was written, by whom, and how.

A day is claimed with an INSERT on its primary key, so of two instances that try the same
day only one succeeds; the other sees the row and leaves the day alone. A claim that was
never finished (its instance crashed) may be taken over after :data:`CLAIM_TIMEOUT`, or at
once when its instance ran on this host and that process is gone; a day whose writing
failed may be claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from pipeline.store.engine import Store, dialect_insert
from pipeline.store.instances import gone_local_instance
from pipeline.store.models import ArticleRow, DigestRunRow, utcnow

__all__ = [
    "CLAIM_TIMEOUT",
    "DigestRun",
    "claim_digest_day",
    "digest_runs",
    "finish_digest_day",
    "first_archive_day",
    "written_digest_days",
]

#: How long an unfinished claim is respected before another instance may take it over;
#: writing one digest takes seconds, so a claim this old belongs to a crashed instance.
CLAIM_TIMEOUT = timedelta(minutes=30)

RUNNING = "running"
WRITTEN = "written"
FAILED = "failed"


@dataclass(frozen=True)
class DigestRun:
    """One day's row of the ledger."""

    day: date
    instance: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str


def claim_digest_day(
    store: Store,
    day: date,
    instance: str,
    *,
    now: datetime | None = None,
    timeout: timedelta = CLAIM_TIMEOUT,
) -> bool:
    """Claim ``day`` for ``instance``; True when this caller may write it.

    False when another instance holds a live claim on the day or has written it. A
    transient database fault runs the claim again (:meth:`Store.transact`).

    Raises:
        DatabaseFault: the database failed; the day is not claimed.
    """
    now = now or utcnow()

    def body(session: Session) -> bool:
        inserted = session.execute(
            dialect_insert(session, DigestRunRow)
            .values(day=day, instance=instance, started_at=now, outcome=RUNNING)
            .on_conflict_do_nothing(index_elements=["day"])
            .returning(DigestRunRow.day)
        )
        if inserted.first() is not None:
            return True
        # the WHERE is re-checked under the row lock, so of two take-overs only one matches
        taken = session.execute(
            update(DigestRunRow)
            .where(
                DigestRunRow.day == day,
                or_(
                    DigestRunRow.outcome == FAILED,
                    and_(
                        DigestRunRow.finished_at.is_(None),
                        DigestRunRow.started_at < now - timeout,
                    ),
                ),
            )
            .values(instance=instance, started_at=now, finished_at=None, outcome=RUNNING)
            .returning(DigestRunRow.day)
        )
        if taken.first() is not None:
            return True
        # a claim of a process on this host that no longer exists is dead now, not in 30 min
        holder = session.scalar(
            select(DigestRunRow.instance).where(
                DigestRunRow.day == day, DigestRunRow.finished_at.is_(None)
            )
        )
        if holder is None or not gone_local_instance(holder, instance):
            return False
        taken = session.execute(
            update(DigestRunRow)
            .where(
                DigestRunRow.day == day,
                DigestRunRow.instance == holder,
                DigestRunRow.finished_at.is_(None),
            )
            .values(instance=instance, started_at=now, finished_at=None, outcome=RUNNING)
            .returning(DigestRunRow.day)
        )
        return taken.first() is not None

    return store.transact(body)


def finish_digest_day(
    store: Store, day: date, instance: str, *, ok: bool, now: datetime | None = None
) -> None:
    """Record the outcome of ``instance``'s claim on ``day`` (written or failed), retried
    like :func:`claim_digest_day`.

    Raises:
        DatabaseFault: the database failed; the claim stays as it was (a claim left
            ``running`` may be taken over after :data:`CLAIM_TIMEOUT`).
    """
    finished = now or utcnow()
    store.transact(
        lambda session: session.execute(
            update(DigestRunRow)
            .where(DigestRunRow.day == day, DigestRunRow.instance == instance)
            .values(finished_at=finished, outcome=WRITTEN if ok else FAILED)
        )
    )


def digest_runs(store: Store) -> list[DigestRun]:
    """Every row of the ledger, oldest day first."""
    with store.session() as session:
        rows = session.scalars(select(DigestRunRow).order_by(DigestRunRow.day)).all()
        return [DigestRun(r.day, r.instance, r.started_at, r.finished_at, r.outcome) for r in rows]


def written_digest_days(store: Store) -> list[date]:
    """The days whose digest was written, oldest first."""
    return [run.day for run in digest_runs(store) if run.outcome == WRITTEN]


def first_archive_day(store: Store, timezone: str) -> date | None:
    """The first day (in ``timezone``) the archive has an article (None: no article)."""
    with store.session() as session:
        low = session.scalar(select(func.min(ArticleRow.fetched_at)))
        published = session.scalar(select(func.min(ArticleRow.published_feed)))
    moments = [m for m in (low, published) if m is not None]
    if not moments:
        return None
    # min() keeps the column's UTCDateTime type, so both come back aware UTC
    return min(moments).astimezone(ZoneInfo(timezone)).date()
