"""The address guard: refuse fetches that would reach private networks.

Every TCP connection the fetcher opens goes through :class:`GuardedNetworkBackend`, an
``httpcore`` network backend that resolves the host name itself, checks **every** resolved
address with :func:`blocked_reason`, and then connects to the address it checked. There is
no second resolution between check and connect, so DNS rebinding cannot slip a private
address in, and because the check sits at connect time it applies to the first request and
to every redirect hop alike. TLS SNI and the ``Host`` header still use the host name (httpcore
takes them from the request, not from the socket).

Refused: loopback, RFC 1918 private, link-local (including the 169.254.169.254 metadata
service), CGNAT 100.64/10, unspecified, multicast, reserved and documentation ranges, IPv6
ULA fc00::/7, link-local fe80::/10, ``::1``, IPv4-mapped and IPv4-compatible addresses,
6to4 and NAT64 addresses that embed a refused IPv4 address, and Teredo. Odd IPv4 spellings
(``2130706433``, ``0x7f000001``, ``127.1``) are read the way the C resolver reads them.

Exceptions: ``allow_private_networks`` allows everything; ``allowed_addresses`` allows exact
``host:port`` pairs (the URL host or the resolved address, with the port).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import httpcore

from pipeline.errors import ConnectFailure, DNSFailure, FeedTimeout, RefusedAddress, TLSFailure

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = [
    "AddressGuard",
    "GuardedNetworkBackend",
    "IPAddress",
    "blocked_reason",
    "parse_ip",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

_BLOCKED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified/'this network'"),
    (_V4("10.0.0.0/8"), "private (RFC 1918)"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT (RFC 6598)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local / cloud metadata"),
    (_V4("172.16.0.0/12"), "private (RFC 1918)"),
    (_V4("192.0.0.0/24"), "IETF protocol assignments"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "6to4 relay anycast"),
    (_V4("192.168.0.0/16"), "private (RFC 1918)"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved/broadcast"),
)

# Global unicast IPv6 lives in 2000::/3; everything outside it (::, ::1, ::/96, ULA,
# link-local, site-local, multicast, discard) is refused, except NAT64, checked by its
# embedded IPv4 address below.
_V6_GLOBAL = _V6("2000::/3")
_NAT64 = _V6("64:ff9b::/96")
_SIXTOFOUR = _V6("2002::/16")
_BLOCKED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("2001::/32"), "Teredo tunnel"),
    (_V6("2001:2::/48"), "benchmarking"),
    (_V6("2001:10::/28"), "ORCHID"),
    (_V6("2001:20::/28"), "ORCHIDv2"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
)


def parse_ip(host: str) -> IPAddress | None:
    """Read ``host`` as an IP address literal, including the legacy IPv4 spellings.

    ``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` all mean 127.0.0.1 to the C
    resolver, so they mean it here too. Brackets around IPv6 literals are accepted.

    Args:
        host: a URL host.

    Returns:
        The address, or None when ``host`` is a name rather than an address.
    """
    text = host.strip().removeprefix("[").removesuffix("]")
    if "%" in text:  # IPv6 zone id (fe80::1%eth0): the address part decides
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not text or ":" in text or not all(c.isalnum() or c == "." for c in text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Say why ``ip`` must not be fetched, or None when it is a public address.

    Args:
        ip: a resolved address.

    Returns:
        A short reason such as ``"loopback"``, or None for a public address.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        for network, reason in _BLOCKED_V4:
            if ip in network:
                return reason
        return None
    if ip.ipv4_mapped is not None:
        inner = blocked_reason(ip.ipv4_mapped)
        return f"IPv4-mapped {inner}" if inner else None
    if ip in _NAT64:
        inner = blocked_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return f"NAT64 of {inner}" if inner else None
    if ip not in _V6_GLOBAL:
        if ip.is_loopback:
            return "loopback"
        if ip.is_link_local:
            return "link-local"
        if ip in _V6("fc00::/7"):
            return "unique local (ULA)"
        if ip.is_multicast:
            return "multicast"
        return "reserved / not global unicast"
    if ip in _SIXTOFOUR and ip.sixtofour is not None:
        inner = blocked_reason(ip.sixtofour)
        return f"6to4 of {inner}" if inner else None
    for network6, reason6 in _BLOCKED_V6:
        if ip in network6:
            return reason6
    return None


def _split_host_port(item: str) -> tuple[str, int]:
    host, _, port = item.strip().rpartition(":")
    return _normal_host(host), int(port)


def _normal_host(host: str) -> str:
    host = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    ip = parse_ip(host)
    return ip.compressed if ip is not None else host


class AddressGuard:
    """Decides which resolved addresses may be connected to.

    Args:
        allow_private_networks: allow every address (a trusted network).
        allowed_addresses: exact ``host:port`` pairs allowed even when private; the host may be
            the URL host (``localhost:8123``) or the resolved address (``127.0.0.1:8123``,
            ``[::1]:8123``).
    """

    def __init__(
        self, *, allow_private_networks: bool = False, allowed_addresses: Iterable[str] = ()
    ):
        self.allow_private_networks = allow_private_networks
        self.allowed = frozenset(_split_host_port(item) for item in allowed_addresses)
        # Names the resolver said do not exist, for this guard's lifetime (one cycle): a feed
        # of 70 entries on a dead domain asks the resolver once, not 70 times.
        self._nonexistent: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressGuard:
        """Build the guard from ``allow_private_networks`` and ``allowed_addresses``."""
        return cls(
            allow_private_networks=settings.allow_private_networks,
            allowed_addresses=settings.allowed_addresses,
        )

    def check(self, host: str, port: int, ip: IPAddress) -> None:
        """Raise :class:`RefusedAddress` unless connecting to ``ip`` for ``host:port`` is allowed.

        Args:
            host: the host as written in the URL.
            port: the TCP port.
            ip: one address ``host`` resolved to.

        Raises:
            RefusedAddress: ``ip`` is private/loopback/reserved and neither the pair nor private
                networks are allowed.
        """
        if self.allow_private_networks:
            return
        reason = blocked_reason(ip)
        if reason is None:
            return
        if (_normal_host(host), port) in self.allowed or (ip.compressed, port) in self.allowed:
            return
        pair = _format_pair(host, port)
        raise RefusedAddress(
            f"refused to connect to {pair}: it resolves to {ip.compressed}, a {reason} "
            f"address. Allow this exact pair with LUMI_ALLOWED_ADDRESSES={pair}, "
            "or all private networks with "
            "LUMI_ALLOW_PRIVATE_NETWORKS=1"
        )

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Resolve ``host`` and check every address; return them in resolver order.

        Args:
            host: a host name or address literal.
            port: the TCP port.

        Raises:
            DNSFailure: the name does not resolve.
            RefusedAddress: any resolved address is refused (one bad answer taints the name).
        """
        literal = parse_ip(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            known_missing = self._nonexistent.get(host.lower())
            if known_missing is not None:
                raise DNSFailure(known_missing)
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                message = f"the host name {host!r} does not resolve: {exc}"
                # only a definite "no such name" is remembered; a temporary failure
                # (EAI_AGAIN) may succeed on the next request
                if isinstance(exc, UnicodeError) or exc.errno == socket.EAI_NONAME:
                    self._nonexistent[host.lower()] = message
                raise DNSFailure(message) from exc
            addresses = []
            for _family, _type, _proto, _canon, sockaddr in infos:
                ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                if ip not in addresses:
                    addresses.append(ip)
            if not addresses:
                raise DNSFailure(f"the host name {host!r} resolved to no address")
        for ip in addresses:
            self.check(host, port, ip)
        return addresses


def _format_pair(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _GuardedStream(httpcore.AsyncNetworkStream):
    """Wraps a connected stream so that any TLS handshake failure reads as ``TLSFailure``."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, host: str):
        self._inner = inner
        self._host = host

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        except httpcore.ConnectTimeout as exc:
            raise FeedTimeout(f"TLS handshake with {self._host} timed out") from exc
        except (httpcore.ConnectError, ssl.SSLError, OSError) as exc:
            cause = exc.__cause__ or exc.__context__ or exc
            raise TLSFailure(
                f"TLS handshake with {self._host} failed: {cause or type(cause).__name__}. "
                "Certificate verification is always on; the server must present a valid "
                "certificate for this host name"
            ) from exc
        except BaseException:
            # The total deadline cancels a handshake a server stalls; nothing closes the
            # socket then (the backend closes it on errors only), so it is closed here.
            with contextlib.suppress(Exception):
                await self._inner.aclose()
            raise
        return _GuardedStream(inner, self._host)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An ``httpcore`` network backend that connects only to addresses the guard allows.

    ``connect_tcp`` resolves the host once, checks every address, and connects to the checked
    addresses in order (the next one when a connection is refused).

    Args:
        guard: the :class:`AddressGuard` to apply.
        inner: the backend that opens sockets (default: httpcore's automatic backend).
    """

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None):
        self.guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, check and connect; raises Lumi fetch errors rather than httpcore ones."""
        addresses = await self.guard.resolve(host, port)
        return await self._connect_first(
            host, port, addresses, timeout, local_address, socket_options
        )

    async def _connect_first(
        self,
        host: str,
        port: int,
        addresses: Sequence[IPAddress],
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for ip in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    ip.compressed,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectTimeout as exc:
                raise FeedTimeout(f"connecting to {host}:{port} timed out") from exc
            except (httpcore.ConnectError, OSError) as exc:
                last = exc
                continue
            return _GuardedStream(stream, host)
        detail = (last.__cause__ or last) if last is not None else "no address"
        raise ConnectFailure(f"could not connect to {host}:{port}: {detail}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never used for fetching."""
        raise RefusedAddress("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        """Sleep on the inner backend."""
        await self._inner.sleep(seconds)
