"""The address guard: which addresses are refused, the allow-list, and connect-what-you-checked."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import httpcore
import pytest

from pipeline.errors import ConnectFailure, DNSFailure, RefusedAddress
from pipeline.ingest.netguard import AddressGuard, GuardedNetworkBackend, blocked_reason, parse_ip

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "100.127.255.255",
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.10",
    "198.18.0.1",
    "::",
    "::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2001:db8::1",
    "2001::1",  # Teredo
]

PUBLIC = [
    "93.184.216.34",
    "1.1.1.1",
    "8.8.8.8",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.32.0.1",  # just above 172.16/12
    "2606:4700:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "2002:0808:0808::1",  # 6to4 of a public address
    "64:ff9b::808:808",  # NAT64 of a public address
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_metadata_and_embedded_addresses_are_refused(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1"])
def test_odd_ipv4_spellings_read_as_loopback(spelling: str) -> None:
    ip = parse_ip(spelling)
    assert ip == ipaddress.IPv4Address("127.0.0.1")
    assert blocked_reason(ip) == "loopback"


def test_host_names_are_not_read_as_addresses() -> None:
    assert parse_ip("example.org") is None
    assert parse_ip("localhost") is None
    assert parse_ip("123.example") is None
    assert parse_ip("[::1]") == ipaddress.IPv6Address("::1")


def test_guard_refuses_loopback_and_names_the_fix() -> None:
    guard = AddressGuard()
    with pytest.raises(RefusedAddress) as info:
        guard.check("127.0.0.1", 8123, ipaddress.ip_address("127.0.0.1"))
    assert info.value.error_class == "refused_address"
    assert "LUMI_ALLOWED_ADDRESSES=127.0.0.1:8123" in str(info.value)


def test_allow_list_allows_exactly_that_host_and_port() -> None:
    guard = AddressGuard(allowed_addresses=["127.0.0.1:8123", "localhost:9000", "[::1]:8123"])
    loopback = ipaddress.ip_address("127.0.0.1")
    guard.check("127.0.0.1", 8123, loopback)
    guard.check("localhost", 9000, loopback)
    guard.check("::1", 8123, ipaddress.ip_address("::1"))
    with pytest.raises(RefusedAddress):
        guard.check("127.0.0.1", 8124, loopback)  # other port
    with pytest.raises(RefusedAddress):
        guard.check("localhost", 9001, loopback)
    with pytest.raises(RefusedAddress):
        guard.check("10.0.0.1", 8123, ipaddress.ip_address("10.0.0.1"))  # other host


def test_allow_private_networks_allows_everything() -> None:
    guard = AddressGuard(allow_private_networks=True)
    guard.check("metadata", 80, ipaddress.ip_address("169.254.169.254"))


def test_resolution_checks_every_address_of_a_name() -> None:
    with pytest.raises(RefusedAddress):
        asyncio.run(AddressGuard().resolve("localhost", 80))
    addresses = asyncio.run(
        AddressGuard(allowed_addresses=["localhost:80"]).resolve("localhost", 80)
    )
    assert addresses
    assert all(blocked_reason(ip) == "loopback" for ip in addresses)


def test_unresolvable_name_is_a_dns_failure() -> None:
    with pytest.raises(DNSFailure) as info:
        asyncio.run(AddressGuard().resolve("no-such-host.invalid", 80))
    assert info.value.error_class == "dns"


def test_a_name_that_does_not_exist_is_asked_of_the_resolver_once_per_guard(monkeypatch) -> None:
    import asyncio.base_events
    import socket

    calls: list[str] = []

    async def no_such_name(self, host, *args, **kwargs):
        calls.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", no_such_name)
    guard = AddressGuard()

    async def thrice() -> list[str]:
        messages = []
        for _ in range(3):
            with pytest.raises(DNSFailure) as info:
                await guard.resolve("Dead.Example", 80)
            messages.append(info.value.message)
        return messages

    messages = asyncio.run(thrice())
    assert calls == ["Dead.Example"]
    assert len(set(messages)) == 1 and "does not resolve" in messages[0]
    assert asyncio.run(AddressGuard().resolve("1.1.1.1", 80))  # a new guard asks anew


class _RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records what the guarded backend asks to connect to, and refuses every connection."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.hosts.append(host)
        raise httpcore.ConnectError("refused by the recording backend")


def test_backend_connects_to_the_checked_address_not_the_name() -> None:
    """No second resolution between check and connect: DNS rebinding has no window."""
    inner = _RecordingBackend()
    backend = GuardedNetworkBackend(AddressGuard(allowed_addresses=["localhost:8123"]), inner)
    with pytest.raises(ConnectFailure):
        asyncio.run(backend.connect_tcp("localhost", 8123))
    assert inner.hosts
    assert "localhost" not in inner.hosts
    assert all(blocked_reason(ipaddress.ip_address(h)) == "loopback" for h in inner.hosts)


def test_backend_refuses_before_connecting() -> None:
    inner = _RecordingBackend()
    backend = GuardedNetworkBackend(AddressGuard(), inner)
    with pytest.raises(RefusedAddress):
        asyncio.run(backend.connect_tcp("2130706433", 80))
    assert inner.hosts == []


class _StallingStream(httpcore.AsyncNetworkStream):
    """A connected stream whose TLS handshake is cut by a deadline (cancelled)."""

    def __init__(self) -> None:
        self.closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        return None

    async def aclose(self) -> None:
        self.closed = True

    async def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise asyncio.CancelledError


class _StallingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.stream = _StallingStream()

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        return self.stream


def test_a_tls_handshake_cut_by_the_deadline_closes_its_socket() -> None:
    import ssl

    inner = _StallingBackend()
    backend = GuardedNetworkBackend(AddressGuard(allowed_addresses=["127.0.0.1:8443"]), inner)

    async def handshake() -> None:
        stream = await backend.connect_tcp("127.0.0.1", 8443)
        await stream.start_tls(ssl.create_default_context(), "127.0.0.1")

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(handshake())
    assert inner.stream.closed
