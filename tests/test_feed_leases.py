"""Feed leases: instances sharing one database never poll the same feed at once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from crashes import lumi
from loopback import LoopbackServer, RequestRecord, Response, reap
from sqlalchemy import inspect, select

from pipeline.ingest.cycle import CycleReport, run_cycle
from pipeline.records import FeedSource
from pipeline.service import Service
from pipeline.settings import load_settings
from pipeline.store import (
    ArticleSourceRow,
    FeedRow,
    Store,
    claim_feeds,
    engine_for,
    feed_leases,
    migrate,
    open_store,
    record_polls,
    release_feeds,
    renew_leases,
    store_totals,
    sync_registry,
    utcnow,
)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
IDS = [f"feed-{n:02d}" for n in range(24)]


def _sources(ids: list[str] = IDS) -> list[FeedSource]:
    return [FeedSource(i, f"https://example.org/{i}.xml", i, "en") for i in ids]


@pytest.fixture
def two_stores(db_url: str) -> Iterator[tuple]:
    """Two independently opened stores (own engine and pool) on one database."""
    first = open_store(db_url, auto_migrate=True)
    second = open_store(db_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def _claim(store, holder: str, now: datetime = NOW, **kwargs):
    return claim_feeds(store, now, holder, until=now + LEASE, **kwargs)


def _claim_at(store, holder: str, now: datetime, barrier: threading.Barrier, got: dict) -> None:
    barrier.wait()
    got[holder] = [f.id for f in _claim(store, holder, now).feeds]


def test_two_concurrent_claimers_never_get_the_same_feed(two_stores) -> None:
    stores = two_stores
    sync_registry(stores[0], _sources())
    for round_no in range(4):
        now = NOW + timedelta(hours=round_no)
        barrier = threading.Barrier(2)
        got: dict[str, list[str]] = {}
        threads = [
            threading.Thread(target=_claim_at, args=(stores[i], f"i{i}", now, barrier, got))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not set(got["i0"]) & set(got["i1"]), round_no
        assert sorted(got["i0"] + got["i1"]) == IDS
        holders = {lease.feed_id: lease.holder for lease in feed_leases(stores[0])}
        assert holders == {i: h for h, ids in got.items() for i in ids}
        for holder, ids in got.items():
            release_feeds(stores[0], ids, holder)
    assert feed_leases(stores[0]) == []


def test_a_live_lease_is_skipped_and_an_expired_one_taken_over(store) -> None:
    sync_registry(store, _sources(IDS[:3]))
    first = _claim(store, "crashed")
    assert [f.id for f in first.feeds] == IDS[:3] and first.taken_over == ()
    # the holder dies without releasing; until its leases run out, nobody polls the feeds
    early = _claim(store, "survivor", NOW + LEASE - timedelta(seconds=1))
    assert early.feeds == [] and early.skipped == tuple(IDS[:3])
    later = _claim(store, "survivor", NOW + LEASE + timedelta(seconds=1))
    assert [f.id for f in later.feeds] == IDS[:3]
    assert later.taken_over == tuple(IDS[:3]) and later.skipped == ()
    assert {lease.holder for lease in feed_leases(store)} == {"survivor"}
    # the old holder coming back to life does not end the leases it lost
    release_feeds(store, IDS[:3], "crashed")
    record_polls(store, [{"id": IDS[0], "http_status": 200}], release=IDS[:3], holder="crashed")
    assert {lease.holder for lease in feed_leases(store)} == {"survivor"}


def test_a_renewal_extends_only_the_leases_the_holder_still_holds(store) -> None:
    sync_registry(store, _sources(IDS[:2]))
    kept, lost = IDS[0], IDS[1]
    _claim(store, "a")
    # the lease on `lost` ran out and another instance took it over
    later = NOW + LEASE + timedelta(seconds=1)
    assert [f.id for f in _claim(store, "b", later, only=[lost]).feeds] == [lost]
    gone = renew_leases(store, [kept, lost], "a", until=later + LEASE)
    assert gone == (lost,)
    leases = {lease.feed_id: (lease.holder, lease.until) for lease in feed_leases(store)}
    assert leases == {kept: ("a", later + LEASE), lost: ("b", later + LEASE)}
    # the poll results of the lost feed are not recorded; those of the kept one are
    dropped = record_polls(
        store,
        [{"id": kept, "http_status": 200}, {"id": lost, "http_status": 200}],
        release=[kept, lost],
        holder="a",
    )
    assert dropped == (lost,)
    with store.session() as session:
        statuses = dict(session.execute(select(FeedRow.id, FeedRow.http_status)).all())
    assert statuses == {kept: 200, lost: None}
    assert [(lease.feed_id, lease.holder) for lease in feed_leases(store)] == [(lost, "b")]


def test_a_released_lease_lets_the_next_due_poll_happen(store) -> None:
    sync_registry(store, _sources(IDS[:2]))
    polled, failed = IDS[0], IDS[1]
    assert [f.id for f in _claim(store, "a").feeds] == [polled, failed]
    next_poll = NOW + timedelta(hours=1)
    # the poll result and the end of the lease are stored together
    record_polls(
        store,
        [{"id": polled, "http_status": 200, "state": "ok", "next_poll_at": next_poll}],
        release=[polled],
        holder="a",
    )
    # a cycle that failed releases its feeds without recording a poll: due again at once
    release_feeds(store, [failed], "a")
    assert feed_leases(store) == []
    again = _claim(store, "b", NOW + timedelta(seconds=1))
    assert [f.id for f in again.feeds] == [failed] and again.skipped == ()
    release_feeds(store, [failed], "b")
    due = _claim(store, "b", next_poll + timedelta(seconds=1))
    assert [f.id for f in due.feeds] == [polled, failed]
    assert next(f for f in due.feeds if f.id == polled).state == "ok"


def test_force_and_only_claims_respect_live_leases(store) -> None:
    sync_registry(store, _sources(IDS[:2]))
    _claim(store, "a", only=[IDS[0]])
    forced = _claim(store, "b", force=True)
    assert [f.id for f in forced.feeds] == [IDS[1]] and forced.skipped == (IDS[0],)
    assert _claim(store, "c", only=[IDS[0]]).feeds == []


def test_the_migration_adds_the_lease_columns_and_keeps_feeds(tmp_path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        migrate(engine, "0008")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO feeds (id, url, title, language, tags, in_registry, state, "
                "consecutive_failures, created_at) VALUES ('old', 'https://e.org/f', 'Old', "
                "'en', '[]', 1, 'ok', 0, '2026-01-01 00:00:00')"
            )
        migrate(engine)
        columns = {c["name"]: c for c in inspect(engine).get_columns("feeds")}
        assert columns["lease_holder"]["nullable"] and columns["lease_until"]["nullable"]
        with engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT id, lease_holder, lease_until FROM feeds").one()
        assert tuple(row) == ("old", None, None)
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_schema_of_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from pipeline.store import Base

    engine = engine_for(db_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diffs == []


# --- two service instances, one database, one feed server -----------------------------------


def _rss(feed_id: str) -> bytes:
    items = "".join(
        f"<item><title>{feed_id} story {n}</title><link>http://loopback.invalid/{feed_id}/{n}"
        f"</link><guid>{feed_id}-{n}</guid><description>Story {n} of {feed_id}, with a "
        f"few words of text.</description></item>"
        for n in range(3)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{feed_id}</title><link>http://loopback.invalid/</link>"
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


def _slow_feed(feed_id: str, release: threading.Event):
    def route(_request: RequestRecord) -> Response:
        # answers once both instances are in their cycles, so the polls truly overlap
        release.wait(10)
        return Response(200, {"Content-Type": "application/rss+xml"}, _rss(feed_id))

    return route


def test_two_service_instances_poll_each_feed_once(db_url: str) -> None:
    ids = IDS[:8]
    first_store = open_store(db_url, auto_migrate=True)
    second_store = open_store(db_url)
    release = threading.Event()
    with LoopbackServer() as server:
        for feed_id in ids:
            server.add_route(f"/{feed_id}.xml", _slow_feed(feed_id, release))
        sources = [FeedSource(i, server.url(f"/{i}.xml"), i, "en") for i in ids]
        settings = load_settings({}).replace(
            allowed_addresses=[server.host_port],
            fetch_pages=False,
            http_port=0,
            per_host_concurrency=len(ids),
        )
        sync_registry(first_store, sources)
        services: list[Service] = []
        reports: list[CycleReport] = []
        entered = threading.Barrier(3)

        def cycle_of(index: int, store) -> Callable[[], CycleReport]:
            # the cycle leases under its service's instance id, as `lumi run` does
            def cycle() -> CycleReport:
                entered.wait(10)
                holder = services[index].instance
                report = run_cycle(store, settings, sources, classify=False, holder=holder)
                reports.append(report)
                return report

            return cycle

        for index, store in enumerate((first_store, second_store)):
            services.append(Service(store, settings, cycle_of(index, store)))
        try:
            threads = [threading.Thread(target=s.run_cycle_job) for s in services]
            for thread in threads:
                thread.start()
            entered.wait(10)
            # both cycles have claimed (or are claiming) before any feed answers
            _wait_until(lambda: sum(server.hits.values()) + _skipped(reports) >= len(ids))
            release.set()
            for thread in threads:
                thread.join(30)
            assert {server.hits[f"/{i}.xml"] for i in ids} == {1}
            polled = [f.feed_id for r in reports for f in r.feeds]
            assert sorted(polled) == ids
            claimed = [_metric(s, "lumi_feed_leases_claimed_total") for s in services]
            assert sum(claimed) == len(ids)
            assert "lumi_feed_leases_claimed_total" in services[0].metrics.render().decode()
            # each entry of each feed stored once; no lease left behind
            with first_store.session() as session:
                keys = session.execute(
                    select(ArticleSourceRow.feed_id, ArticleSourceRow.entry_key)
                ).all()
            assert len(keys) == len(set(keys)) == 3 * len(ids)
            assert store_totals(first_store).articles == 3 * len(ids)
            assert feed_leases(first_store) == []
            # a later cycle finds nothing due: the released feeds were recorded as polled
            later = run_cycle(first_store, settings, sources, classify=False, now=utcnow())
            assert later.feeds == ()
            assert sum(server.hits.values()) == len(ids)
        finally:
            release.set()
            first_store.close()
            second_store.close()


def _metric(service: Service, name: str) -> float:
    value = service.metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


def _skipped(reports: list[CycleReport]) -> int:
    return sum(len(r.leased_elsewhere) for r in reports)


def _wait_until(condition, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


# --- one instance never overlaps itself -----------------------------------------------------


def _empty_report() -> CycleReport:
    return CycleReport((), (), utcnow(), 0.0)


def test_a_slow_cycle_never_overlaps_itself(store) -> None:
    running = threading.Event()
    finish = threading.Event()
    calls: list[int] = []

    def slow_cycle() -> CycleReport:
        calls.append(1)
        running.set()
        finish.wait(10)
        return _empty_report()

    service = Service(store, load_settings({}).replace(http_port=0), slow_cycle)
    first = threading.Thread(target=service.run_cycle_job)
    first.start()
    try:
        assert running.wait(10)
        service.run_cycle_job()  # the next tick while the first cycle is still running
        assert calls == [1]
        assert _metric(service, "lumi_cycles_skipped_total") == 1
    finally:
        finish.set()
        first.join(10)
    service.run_cycle_job()
    assert calls == [1, 1]
    assert _metric(service, "lumi_cycles_total") == 2


def test_the_scheduler_runs_one_cycle_at_a_time_and_coalesces_missed_runs(store) -> None:
    service = Service(store, load_settings({}).replace(http_port=0), _empty_report)
    service.start()
    try:
        job = service.scheduler.get_job("cycle")
        assert job is not None and job.max_instances == 1 and job.coalesce is True
    finally:
        service.stop()


# --- articles a stopped cycle left without a story ------------------------------------------


@contextmanager
def _stranded_wire(store: Store) -> Iterator[tuple[Any, list[FeedSource], Callable[[], int]]]:
    """A feed's 3 entries stored but not grouped into stories, as if the cycle had been
    killed after storing: yields the settings, the sources and a count of grouped articles,
    with the feed still served."""
    from sqlalchemy import delete, func

    from pipeline.store import StoryArticleRow

    with LoopbackServer() as server:
        server.add_response(
            "/wire.xml", _rss("wire"), headers={"Content-Type": "application/rss+xml"}
        )
        sources = [FeedSource("wire", server.url("/wire.xml"), "Wire", "en")]
        settings = load_settings({}).replace(
            allowed_addresses=[server.host_port], fetch_pages=False, lease_seconds=60
        )
        assert run_cycle(store, settings, sources, classify=False).new == 3
        with store.session() as session:
            session.execute(delete(StoryArticleRow))

        def grouped() -> int:
            with store.session() as session:
                return int(session.scalar(select(func.count(StoryArticleRow.id))) or 0)

        yield settings, sources, grouped


def test_articles_a_stopped_cycle_left_are_grouped_once_older_than_a_lease(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'lumi.db'}")
    try:
        with _stranded_wire(store) as (settings, sources, grouped):
            # a cycle still within the lease leaves them: their own cycle may be running
            run_cycle(store, settings, sources, classify=False)
            assert grouped() == 0
            run_cycle(store, settings, sources, classify=False, now=utcnow() + timedelta(minutes=2))
            assert grouped() == 3
    finally:
        store.close()


# --- a cycle longer than its lease ------------------------------------------------------------

SHORT_LEASE = 2.0  # seconds: the tests below hold a poll for several of these


class _GatedFeed:
    """A feed route that answers only once its gate opens (60 s at most)."""

    def __init__(self, feed_id: str) -> None:
        self.feed_id = feed_id
        self.arrived = threading.Event()
        self.gate = threading.Event()

    def __call__(self, _request: RequestRecord) -> Response:
        self.arrived.set()
        self.gate.wait(60)
        return Response(200, {"Content-Type": "application/rss+xml"}, _rss(self.feed_id))


def _lease_until(store) -> datetime | None:
    return next((lease.until for lease in feed_leases(store) if lease.feed_id == "slow"), None)


def _stored_keys(store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [
            (feed_id, key)
            for feed_id, key in session.execute(
                select(ArticleSourceRow.feed_id, ArticleSourceRow.entry_key)
            )
        ]


def test_a_cycle_longer_than_its_lease_keeps_the_feed_from_a_second_instance(
    two_stores,
) -> None:
    first_store, second_store = two_stores
    feed = _GatedFeed("slow")
    with LoopbackServer() as server:
        server.add_route("/slow.xml", feed)
        sources = [FeedSource("slow", server.url("/slow.xml"), "Slow", "en")]
        settings = load_settings({}).replace(
            allowed_addresses=[server.host_port],
            fetch_pages=False,
            lease_seconds=SHORT_LEASE,
            http_timeout=120.0,
        )
        reports: list[CycleReport] = []

        def first_cycle() -> None:
            reports.append(run_cycle(first_store, settings, sources, classify=False, holder="a"))

        thread = threading.Thread(target=first_cycle)
        thread.start()
        try:
            assert feed.arrived.wait(60), "the first instance never polled the feed"
            claimed_until = _lease_until(first_store)
            assert claimed_until is not None
            # the second instance tries again and again while the poll lasts several leases
            tries = 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                second = run_cycle(second_store, settings, sources, classify=False, holder="b")
                tries += 1
                assert second.feeds == () and second.leased_elsewhere == ("slow",)
                until = _lease_until(second_store)
                assert until is not None
                if tries >= 3 and until >= claimed_until + timedelta(seconds=3 * SHORT_LEASE):
                    break
                time.sleep(SHORT_LEASE / 4)
            assert until >= claimed_until + timedelta(seconds=3 * SHORT_LEASE), (
                "the lease was never renewed"
            )
            assert {lease.holder for lease in feed_leases(second_store)} == {"a"}
        finally:
            feed.gate.set()
            thread.join(120)
        (report,) = reports
        assert [f.feed_id for f in report.feeds] == ["slow"] and report.feeds[0].new == 3
        assert report.leases_lost == ()
        assert server.hits["/slow.xml"] == 1
        keys = _stored_keys(first_store)
        assert len(keys) == len(set(keys)) == 3
        assert feed_leases(first_store) == []
        # the recorded poll makes the feed not due: the second instance still finds nothing
        assert run_cycle(second_store, settings, sources, classify=False).feeds == ()


def test_a_poll_whose_lease_was_taken_over_is_not_recorded(store, caplog) -> None:
    """The fallback when renewals could not keep the lease (the process stalled longer
    than a lease): the other instance's claim stands and this poll's state is dropped."""
    feed = _GatedFeed("slow")
    with LoopbackServer() as server:
        server.add_route("/slow.xml", feed)
        sources = [FeedSource("slow", server.url("/slow.xml"), "Slow", "en")]
        settings = load_settings({}).replace(
            allowed_addresses=[server.host_port], fetch_pages=False, lease_seconds=600.0
        )
        reports: list[CycleReport] = []
        thread = threading.Thread(
            target=lambda: reports.append(
                run_cycle(store, settings, sources, classify=False, holder="stalled")
            )
        )
        thread.start()
        try:
            assert feed.arrived.wait(60), "the feed was never polled"
            # another instance whose clock is past the lease takes the feed over
            later = utcnow() + timedelta(seconds=1200)
            other = claim_feeds(store, later, "other", until=later + LEASE)
            assert [f.id for f in other.feeds] == ["slow"] and other.taken_over == ("slow",)
        finally:
            feed.gate.set()
            thread.join(120)
    (report,) = reports
    assert report.leases_lost == ("slow",)
    assert [(lease.feed_id, lease.holder) for lease in feed_leases(store)] == [("slow", "other")]
    with store.session() as session:
        state = session.execute(
            select(FeedRow.state, FeedRow.next_poll_at).where(FeedRow.id == "slow")
        ).one()
    assert tuple(state) == ("new", None)  # the stalled poll's state was not recorded
    assert "feed poll not recorded" in caplog.text


def test_a_killed_holders_renewed_lease_still_runs_out(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url, auto_migrate=True)
    feed = _GatedFeed("slow")
    try:
        with LoopbackServer() as server:
            server.add_route("/slow.xml", feed)
            registry = tmp_path / "feeds.yaml"
            registry.write_text(
                yaml.safe_dump(
                    {
                        "feeds": [
                            {
                                "id": "slow",
                                "url": server.url("/slow.xml"),
                                "title": "Slow",
                                "language": "en",
                            }
                        ]
                    }
                ),
                encoding="utf-8",
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
            env.update(
                {
                    "LUMI_FEEDS": str(registry),
                    "LUMI_DATABASE_URL": db_url,
                    "LUMI_ALLOWED_ADDRESSES": server.host_port,
                    "LUMI_FETCH_PAGES": "0",
                    "LUMI_LEASE_SECONDS": str(SHORT_LEASE),
                    "LUMI_HTTP_TIMEOUT": "120",
                }
            )
            proc = lumi(env, "fetch")
            try:
                assert feed.arrived.wait(120), "the killed instance never polled the feed"
                claimed_until = _lease_until(store)
                assert claimed_until is not None
                # it was renewing its lease while the poll lasted
                _wait_until(
                    lambda: (
                        (_lease_until(store) or claimed_until)
                        > claimed_until + timedelta(seconds=SHORT_LEASE)
                    ),
                    limit=60,
                )
                assert _lease_until(store) > claimed_until + timedelta(seconds=SHORT_LEASE)
                proc.kill()
                proc.wait(30)
            finally:
                reap(proc)
            feed.gate.set()
            settings = load_settings(env)
            sources = [FeedSource("slow", server.url("/slow.xml"), "Slow", "en")]
            # the dead holder renews nothing any more: its lease runs out and is taken over
            report = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                report = run_cycle(store, settings, sources, classify=False, holder="survivor")
                if report.feeds:
                    break
                assert report.leased_elsewhere == ("slow",)
                time.sleep(SHORT_LEASE / 4)
            assert report is not None and [f.feed_id for f in report.feeds] == ["slow"]
            assert report.leases_taken_over == ("slow",) and report.feeds[0].new == 3
            assert server.hits["/slow.xml"] == 2
            keys = _stored_keys(store)
            assert len(keys) == len(set(keys)) == 3
            assert feed_leases(store) == []
    finally:
        feed.gate.set()
        store.close()


def test_articles_of_a_feed_leased_elsewhere_are_left_to_its_running_cycle(store) -> None:
    with _stranded_wire(store) as (settings, sources, grouped):
        # another instance's cycle, longer than a lease, still holds the feed
        later = utcnow() + timedelta(minutes=2)
        claim_feeds(store, later, "running", until=later + LEASE, only=["wire"])
        run_cycle(store, settings, sources, classify=False, now=later)
        assert grouped() == 0
        release_feeds(store, ["wire"], "running")
        run_cycle(store, settings, sources, classify=False, now=later)
        assert grouped() == 3
