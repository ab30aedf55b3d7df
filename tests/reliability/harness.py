"""Shared pieces of the hostile-input suites: settings, one-shot fetches and whole cycles."""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path
from typing import Any

from faultserver import FaultServer

from pipeline.errors import FetchError
from pipeline.ingest.cycle import CycleReport, run_cycle
from pipeline.ingest.fetch import Fetcher, FetchRequest, fetch_all
from pipeline.records import FeedSource, FetchResult
from pipeline.settings import Settings, load_settings
from pipeline.store import open_store


class StubResolver:
    """Answers for registered names; each name has a list of successive answers.

    The last answer repeats. ``calls`` counts the lookups of each registered name.
    """

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: collections.Counter[str] = collections.Counter()

    def add(self, name: str, *answers: list[str]) -> None:
        """Register ``name``; lookup n gets ``answers[n]`` (the last one from then on)."""
        self.answers[name.lower()] = [list(a) for a in answers]

    def lookup(self, name: str) -> list[str] | None:
        key = name.lower().rstrip(".")
        if key not in self.answers:
            return None
        answers = self.answers[key]
        answer = answers[min(self.calls[key], len(answers) - 1)]
        self.calls[key] += 1
        return answer


def settings_for(*servers: FaultServer, **changes: Any) -> Settings:
    """Default settings allowing exactly these servers, with short deadlines for the suite."""
    base: dict[str, Any] = {
        "allowed_addresses": [s.host_port for s in servers],
        "http_timeout": 3.0,
        "http_connect_timeout": 1.0,
        "max_bytes": 256 * 1024,
        "fetch_pages": False,
    }
    base.update(changes)
    return load_settings(env={}).replace(**base)


def fetch(settings: Settings, url: str, **kwargs: Any) -> FetchResult:
    """One GET through a fresh guarded fetcher."""

    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, **kwargs)

    return asyncio.run(run())


def fetch_many(settings: Settings, urls: list[str]) -> dict[str, FetchResult | FetchError]:
    """GET every URL concurrently through one guarded fetcher; errors come back as values."""

    async def run() -> list[FetchResult | FetchError]:
        async with Fetcher(settings) as fetcher:
            return await fetch_all(fetcher, [FetchRequest(url) for url in urls])

    return dict(zip(urls, asyncio.run(run()), strict=True))


def cycle(tmp_path: Path, settings: Settings, feeds: dict[str, str]) -> CycleReport:
    """One forced ingest cycle over ``{feed id: url}`` into a fresh SQLite store."""
    sources = [FeedSource(fid, url, fid, "en") for fid, url in feeds.items()]
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    try:
        return run_cycle(store, settings, sources, force=True, classify=False)
    finally:
        store.close()
