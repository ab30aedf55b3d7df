"""Feed health: what ``lumi feeds check`` and the service's /healthz report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from pipeline.records import FeedSource
from pipeline.store import FeedRow, Store, article_counts, pending_counts, sync_feeds

__all__ = ["feed_states"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def feed_states(store: Store, sources: Sequence[FeedSource] | None = None) -> list[dict[str, Any]]:
    """Every registry feed's state, last success, last error, next poll and article counts.

    ``articles`` counts every article the feed carried, ``pending`` those still waiting
    for their text (stored title-only).

    Args:
        store: the open database.
        sources: the registry; when given, the feeds table is synced first so that feeds
            never polled yet show as ``new``.
    """
    with store.session() as session:
        if sources is not None:
            sync_feeds(session, sources)
        rows = session.scalars(
            select(FeedRow).where(FeedRow.in_registry.is_(True)).order_by(FeedRow.id)
        )
        articles = article_counts(session)
        pending = pending_counts(session)
        return [
            {
                "id": r.id,
                "url": r.url,
                "state": r.state,
                "http_status": r.http_status,
                "last_polled_at": _iso(r.last_polled_at),
                "last_success_at": _iso(r.last_success_at),
                "next_poll_at": _iso(r.next_poll_at),
                "error_class": r.error_class,
                "error_message": r.error_message,
                "error_at": _iso(r.error_at),
                "consecutive_failures": r.consecutive_failures,
                "degraded_reason": r.degraded_reason,
                "disabled_reason": r.disabled_reason,
                "articles": articles.get(r.id, 0),
                "pending": pending.get(r.id, 0),
            }
            for r in rows
        ]
