"""``lumi demo``: the real pipeline, offline, over the project's own sample data.

The bundled sample feeds and pages (``pipeline/demo_data/``, fictional items written for
the project) are served on a loopback port; the ordinary ingest cycle polls them over HTTP
into a fresh SQLite file ``DIR/lumi.db``. Only that server's exact ``host:port`` is added to
the address guard's allow-list: the guard stays on.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.demo_server import SampleServer
from pipeline.ingest.cycle import CycleReport, run_cycle
from pipeline.records import FeedSource
from pipeline.settings import Settings
from pipeline.store import Store, open_store, store_totals

__all__ = ["DemoResult", "demo_sources", "run_demo"]

_PLACEHOLDER = "{{BASE}}"


@dataclasses.dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo did, and where it left its files."""

    out_dir: Path
    database: Path
    cycle: CycleReport
    outputs: tuple[Path, ...] = ()

    @property
    def failed(self) -> int:
        """Feeds that failed (0 for a healthy run)."""
        return self.cycle.failed


def _data_dir() -> Path:
    return Path(str(resources.files("pipeline.demo_data")))


def _publish_site(site: Path, base: str) -> None:
    """Copy the sample files into ``site`` with ``{{BASE}}`` replaced by the server URL."""
    source = _data_dir()
    for kind in ("feeds", "pages"):
        for path in sorted((source / kind).glob("*")):
            if path.is_file():
                target = site / kind / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(
                    path.read_text(encoding="utf-8").replace(_PLACEHOLDER, base), encoding="utf-8"
                )


def demo_sources(server: SampleServer) -> tuple[FeedSource, ...]:
    """One registry entry per bundled sample feed, pointing at ``server``."""
    feeds = sorted(p for p in (_data_dir() / "feeds").glob("*") if p.is_file())
    return tuple(
        FeedSource(
            id=f"demo-{p.stem}",
            url=server.url(f"feeds/{p.name}"),
            title=p.stem.replace("-", " ").title(),
            language="en",
            tags=("demo",),
            poll_minutes=60,
        )
        for p in feeds
    )


def run_demo(out: Path, settings: Settings, *, echo: Callable[[str], Any] = print) -> DemoResult:
    """Serve the sample data on loopback and run the pipeline into ``out/lumi.db``.

    Args:
        out: output folder; its ``lumi.db`` is replaced by a fresh one.
        settings: effective settings (database URL and allow-list are set by the demo).
        echo: where progress lines go.
    """
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    database = out / "lumi.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    site = out / "site"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir()
    with SampleServer(site) as server:
        _publish_site(site, server.url("").rstrip("/"))
        sources = demo_sources(server)
        demo_settings = settings.replace(
            database_url=f"sqlite:///{database}",
            allowed_addresses=[*settings.allowed_addresses, server.host_port],
        )
        echo(f"Serving {len(sources)} sample feeds on {server.url('')}")
        store = open_store(demo_settings.database_url)
        try:
            report = run_cycle(store, demo_settings, sources, force=True)
            for feed in report.feeds:
                status = "ERROR " + str(feed.error_class) if feed.error_class else "ok"
                echo(
                    f"  {feed.feed_id:<28} HTTP {feed.http_status}  new={feed.new:<3} {status}"
                    + (f"  pages_failed={feed.pages_failed}" if feed.pages_failed else "")
                )
            echo(_summary(store))
            outputs = _finish(store, demo_settings, out, echo)
        finally:
            store.close()
    echo(f"Database: {database}")
    return DemoResult(out, database, report, outputs)


def _summary(store: Store) -> str:
    totals = store_totals(store)
    return (
        f"Stored {totals.articles} articles from {totals.sources} feed entries; "
        f"{totals.classifications} classifier results."
    )


def _finish(
    store: Store, settings: Settings, out: Path, echo: Callable[[str], Any]
) -> tuple[Path, ...]:
    """Write the digest of the days the sample stories were published on (a digest day is
    a publication day), in every format, under ``out/digest``."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pipeline.publish.digest import prepare_day, story_days, write_digest

    span = story_days(store, settings.timezone)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    first, last = span if span is not None else (today, today)
    days = (last - first).days + 1
    prepare_day(store, last, settings, days=days)
    paths = write_digest(store, last, settings, out_dir=out / "digest", days=days)
    when = last.isoformat() if days == 1 else f"{first.isoformat()} to {last.isoformat()}"
    echo(f"Digest of the stories published {when}:")
    for path in paths:
        echo(f"  {path}")
    return tuple(paths)
