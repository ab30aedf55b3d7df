"""Feed health: what ``lumi feeds check`` and the service's /healthz report."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pipeline.store import Store, feed_health

__all__ = ["feed_states"]


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def feed_states(store: Store) -> list[dict[str, Any]]:
    """Every registry feed's state, last success, last error, next poll and article counts.

    Reads only. ``articles`` counts every article the feed carried, ``pending`` those still
    waiting for their text (stored title-only). Feeds added to the registry since the last
    sync are not listed: sync first (:func:`pipeline.store.sync_registry`) to see them as
    ``new``.
    """
    return [
        {f.name: _json(getattr(h, f.name)) for f in dataclasses.fields(h)}
        for h in feed_health(store)
    ]
