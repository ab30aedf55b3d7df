"""The SSRF matrix: private targets as feed URLs, as article links and as redirect hops.

Every target points at the canary port, literally or through the resolver stub, so a
target the guard let through would be a canary hit (which fails the test). The guard
refuses before connecting: the error class is ``refused_address`` and nothing arrives.
The rebinding cases check that the guard connects to the very address it checked.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from faultserver import Canary, FaultServer, rss
from harness import StubResolver, cycle, fetch, fetch_many, settings_for

from pipeline.errors import ConnectFailure, FetchError, RefusedAddress
from pipeline.ingest.netguard import AddressGuard, GuardedNetworkBackend
from pipeline.records import FetchResult

PUBLIC = "93.184.216.34"  # a public address; never connected to (see the rebinding cases)

#: URL hosts that all mean "this machine" or another private network
HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "[::]",
    "0.0.0.0",
    "0",
    "127.1",
    "0x7f.1",
    "0x7f.0x0.0x0.0x1",
    "2130706433",
    "017700000001",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[fd00::1]",
    "[fe80::1%25eth0]",
    "[fe80::1%eth0]",
    "169.254.169.254",
    "10.0.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "allowed.example.com@127.0.0.1",
    "allowed.example.com:443@127.0.0.1",
    "feeds.public-news.example",  # resolves to the canary
    "metadata.public-news.example",  # resolves to the metadata service
    "mixed.public-news.example",  # one public and one private answer
    "v6.public-news.example",  # resolves to ::1
    "mapped.public-news.example",  # resolves to an IPv4-mapped loopback
]


def _names(resolver: StubResolver) -> None:
    resolver.add("feeds.public-news.example", ["127.0.0.1"])
    resolver.add("metadata.public-news.example", ["169.254.169.254"])
    resolver.add("mixed.public-news.example", [PUBLIC, "127.0.0.1"])
    resolver.add("v6.public-news.example", ["::1"])
    resolver.add("mapped.public-news.example", ["::ffff:127.0.0.1"])


def target(host: str, canary: Canary) -> str:
    return f"http://{host}:{canary.port}/feed.xml"


def _refused(results: dict[str, FetchResult | FetchError]) -> dict[str, object]:
    """The results that are not a refusal by the address guard (should be none)."""
    return {
        url: result
        for url, result in results.items()
        if not (isinstance(result, RefusedAddress) and result.error_class == "refused_address")
    }


def test_private_feed_urls_are_refused_before_connecting(
    canary: Canary, resolver: StubResolver
) -> None:
    _names(resolver)
    results = fetch_many(settings_for(), [target(host, canary) for host in HOSTS])
    assert _refused(results) == {}
    assert all("refused" in str(r) for r in results.values())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_private_redirect_hops_are_refused(
    status: int, faults: FaultServer, canary: Canary, resolver: StubResolver
) -> None:
    _names(resolver)
    hops = [faults.url(f"/redirect?status={status}&to={target(h, canary)}") for h in HOSTS]
    results = fetch_many(settings_for(faults), hops)
    assert _refused(results) == {}
    assert faults.hits["/redirect"] == len(HOSTS)


def test_a_private_hop_deep_in_a_chain_is_refused(
    faults: FaultServer, canary: Canary, resolver: StubResolver
) -> None:
    _names(resolver)
    last = faults.url(f"/redirect?to={target('feeds.public-news.example', canary)}")
    middle = faults.url(f"/redirect?status=307&to={last.replace('&', '%26').replace('?', '%3F')}")
    with pytest.raises(RefusedAddress):
        fetch(settings_for(faults), middle)
    assert faults.hits["/redirect"] == 2


def test_article_links_to_private_targets_are_never_fetched(
    faults: FaultServer,
    canary: Canary,
    resolver: StubResolver,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _names(resolver)
    links = [
        target(host, canary).replace("/feed.xml", f"/post/{n}") for n, host in enumerate(HOSTS)
    ]
    items = [
        f"<guid>ssrf-{n}</guid><title>Link {n}</title><link>{link.replace('&', '&amp;')}</link>"
        for n, link in enumerate(links)
    ]
    faults.add_response("/links", rss("Links", items))
    with caplog.at_level(logging.DEBUG, logger="lumi"):
        report = cycle(
            tmp_path, settings_for(faults, fetch_pages=True), {"links": faults.url("/links")}
        )
    (outcome,) = report.feeds
    assert outcome.error_class is None
    assert outcome.pages_failed == len(HOSTS)
    page_errors = [
        str(getattr(r, "error", "")) for r in caplog.records if getattr(r, "url", "") in links
    ]
    assert len(page_errors) >= len(HOSTS)
    assert all("refused" in e or "resolve" in e for e in page_errors), page_errors
    assert sum(v for k, v in faults.hits.items() if k != "/links") == 0


def test_a_cycle_of_private_feed_urls_fails_each_and_spares_the_good_feed(
    faults: FaultServer, canary: Canary, resolver: StubResolver, tmp_path: Path
) -> None:
    _names(resolver)
    feeds = {f"ssrf-{n}": target(host, canary) for n, host in enumerate(HOSTS)}
    feeds["good"] = faults.url("/ok")
    report = cycle(tmp_path, settings_for(faults), feeds)
    outcomes = {f.feed_id: f for f in report.feeds}
    assert outcomes["good"].error_class is None and outcomes["good"].new == 1
    for fid in feeds.keys() - {"good"}:
        assert outcomes[fid].error_class == "refused_address", outcomes[fid]


# -- DNS rebinding ---------------------------------------------------------------------------


class _Recording(httpcore.AsyncNetworkBackend):
    """Records what the guarded backend connects to, and connects nowhere."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.hosts.append(host)
        raise httpcore.ConnectError("no connection in this test")


def test_rebinding_name_is_pinned_to_the_address_that_was_checked(
    resolver: StubResolver, canary: Canary
) -> None:
    resolver.add("rebind.public-news.example", [PUBLIC], ["127.0.0.1"])
    inner = _Recording()
    backend = GuardedNetworkBackend(AddressGuard(), inner)
    with pytest.raises(ConnectFailure):
        asyncio.run(backend.connect_tcp("rebind.public-news.example", canary.port))
    assert inner.hosts == [PUBLIC]  # the checked address, not the name: no second lookup
    assert resolver.calls["rebind.public-news.example"] == 1
    # The next connection asks again, gets the private answer, and is refused unconnected.
    with pytest.raises(RefusedAddress):
        asyncio.run(backend.connect_tcp("rebind.public-news.example", canary.port))
    assert inner.hosts == [PUBLIC]


def test_rebinding_end_to_end_connects_only_where_the_guard_looked(
    resolver: StubResolver,
) -> None:
    """The allowed answer serves the feed; the rebound address is never reached."""
    with FaultServer("127.0.0.3") as allowed:
        try:
            other = Canary("127.0.0.4", allowed.port)
        except OSError:
            pytest.skip("cannot bind 127.0.0.4 with the same port")
        other.start()
        try:
            resolver.add("rebind.public-news.example", ["127.0.0.3"], ["127.0.0.4"])
            url = f"http://rebind.public-news.example:{allowed.port}/ok"
            settings = settings_for(allowed)
            result = fetch(settings, url)
            assert result.status == 200 and allowed.hits["/ok"] == 1
            assert (
                allowed.requests[0].headers["host"] == f"rebind.public-news.example:{allowed.port}"
            )
            with pytest.raises(RefusedAddress):
                fetch(settings, url)
            assert resolver.calls["rebind.public-news.example"] == 2
        finally:
            other.stop()
        assert other.hits == 0


def test_every_answer_of_a_name_is_checked(resolver: StubResolver) -> None:
    resolver.add("mixed.public-news.example", [PUBLIC, "10.0.0.1"])
    with pytest.raises(RefusedAddress, match=r"10\.0\.0\.1"):
        asyncio.run(AddressGuard().resolve("mixed.public-news.example", 80))


@pytest.mark.parametrize("host", HOSTS)
def test_matrix_hosts_read_as_private(host: str, resolver: StubResolver) -> None:
    """The matrix itself is sound: each host is one the guard must refuse."""
    _names(resolver)
    url = httpx.URL(f"http://{host}/")
    with pytest.raises(FetchError):
        asyncio.run(AddressGuard().resolve(url.host, 80))
