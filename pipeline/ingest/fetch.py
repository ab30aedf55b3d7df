"""The guarded HTTP fetcher, used for feeds and pages alike.

One shared ``httpx.AsyncClient`` (connection reuse, keep-alive) behind three safety rails:

- **address guard**: every connection goes through
  :class:`~pipeline.ingest.netguard.GuardedNetworkBackend`, so private, loopback and metadata
  addresses are refused after DNS resolution, on every redirect hop;
- **total deadline** (``http_timeout``) over connect, headers and the whole body of every hop,
  so a server dripping one byte at a time is stopped (:class:`FeedTimeout`);
- **decoded-size cap** (``max_bytes``): the body is decoded here, incrementally and with
  bounded output per step, so gzip/deflate/brotli/zstd bombs stop at the cap
  (:class:`ResponseTooLarge`) with memory near the cap.

Redirects are followed by hand: at most ``max_redirects`` hops, http/https only, loops
refused (:class:`TooManyRedirects`). Concurrency is limited globally (``max_concurrency``)
and per host (``per_host_concurrency``). TLS verification is always on.

Typical use::

    async with Fetcher(settings) as fetcher:
        result = await fetcher.get(feed.url, etag=etag, last_modified=modified, feed_id=feed.id)
        results = await fetch_all(fetcher, [FetchRequest(url) for url in urls])

    result = fetch_url("https://example.org/post", settings)   # one-shot, synchronous
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import ssl
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import brotli
import httpcore
import httpx
import zstandard

from pipeline.errors import (
    ConnectFailure,
    ContentDecodingError,
    FeedTimeout,
    FetchError,
    HTTPStatusError,
    RefusedAddress,
    ResponseTooLarge,
    TooManyRedirects,
)
from pipeline.ingest.netguard import AddressGuard, GuardedNetworkBackend
from pipeline.ingest.polltiming import parse_retry_after
from pipeline.records import FetchResult

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = [
    "ACCEPT_ENCODING",
    "FEED_ACCEPT",
    "PAGE_ACCEPT",
    "FetchRequest",
    "Fetcher",
    "fetch_all",
    "fetch_url",
]

#: ``Accept`` sent when polling feeds.
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
#: ``Accept`` sent when fetching article pages.
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8"
#: The content codings this module decodes (and so advertises).
ACCEPT_ENCODING = "gzip, deflate, br, zstd"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024  # most decoded bytes produced by one decoder step


@dataclasses.dataclass(frozen=True, slots=True)
class FetchRequest:
    """One request for :func:`fetch_all`; the fields mirror :meth:`Fetcher.get`."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    feed_id: str | None = None
    accept: str = FEED_ACCEPT


# -- incremental decoding with bounded output -------------------------------------------------

Emit = Callable[[bytes], None]


class _Decoder:
    name = "identity"

    def feed(self, data: bytes, emit: Emit) -> None:
        emit(data)

    def finish(self, emit: Emit) -> None:
        return None


class _ZlibDecoder(_Decoder):
    """gzip (multi-member) or deflate (zlib-wrapped, or raw as some servers send it)."""

    def __init__(self, name: str):
        self.name = name
        self._d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if name == "gzip" else None
        self._head = b""

    def feed(self, data: bytes, emit: Emit) -> None:
        if self._d is None:  # deflate: pick zlib or raw from the first two bytes
            self._head += data
            if len(self._head) < 2:
                return
            cmf, flg = self._head[0], self._head[1]
            is_zlib = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        buf = data
        try:
            while True:
                out = self._d.decompress(buf, _CHUNK)
                if out:
                    emit(out)
                if self._d.eof:
                    rest = self._d.unused_data
                    if self.name == "gzip" and rest.strip(b"\0"):
                        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                        buf = rest
                        continue
                    return  # trailing bytes after a deflate stream are ignored, as browsers do
                buf = self._d.unconsumed_tail
                # A full output step may leave output pending inside zlib even with no input.
                if not buf and len(out) < _CHUNK:
                    return
        except zlib.error as exc:
            raise ContentDecodingError(f"corrupt {self.name} body: {exc}") from exc

    def finish(self, emit: Emit) -> None:
        if self._d is None:
            if self._head:
                raise ContentDecodingError(f"truncated {self.name} body")
            return
        if not self._d.eof:
            raise ContentDecodingError(
                f"truncated {self.name} body: the stream ended before its end marker"
            )


class _BrotliDecoder(_Decoder):
    name = "br"

    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes, emit: Emit) -> None:
        try:
            out = self._d.process(data, output_buffer_limit=_CHUNK)
            if out:
                emit(out)
            # A full output buffer means more output may be pending, input or not.
            while out and (len(out) >= _CHUNK or not self._d.can_accept_more_data()):
                out = self._d.process(b"", output_buffer_limit=_CHUNK)
                if out:
                    emit(out)
        except brotli.error as exc:
            raise ContentDecodingError(f"corrupt br body: {exc}") from exc

    def finish(self, emit: Emit) -> None:
        if not self._d.is_finished():
            raise ContentDecodingError("truncated br body: the stream ended before its end")


class _ZstdDecoder(_Decoder):
    """zstd through ``stream_writer``, which hands over output in ``write_size`` pieces."""

    name = "zstd"

    class _Sink:
        def __init__(self) -> None:
            self.emit: Emit = lambda data: None

        def write(self, data: bytes) -> int:
            self.emit(bytes(data))
            return len(data)

    def __init__(self) -> None:
        self._frames = _ZstdFrames()
        self._sink = self._Sink()
        self._writer = zstandard.ZstdDecompressor().stream_writer(
            self._sink,  # type: ignore[arg-type]  # only write() is called
            write_size=_CHUNK,
            write_return_read=True,
            closefd=False,
        )

    def feed(self, data: bytes, emit: Emit) -> None:
        self._frames.feed(data)
        self._sink.emit = emit
        try:
            self._writer.write(data)
        except zstandard.ZstdError as exc:
            raise ContentDecodingError(f"corrupt zstd body: {exc}") from exc

    def finish(self, emit: Emit) -> None:
        # The stream writer keeps quiet about a stream cut inside a frame, so the frame
        # structure is followed on the side to tell a complete body from a truncated one.
        if not self._frames.complete():
            raise ContentDecodingError("truncated zstd body: the stream ended inside a frame")


class _ZstdFrames:
    """Follows the frame and block headers of a zstd stream (RFC 8878), skipping contents.

    Knows whether the bytes so far end exactly after a whole frame; costs a few header
    reads per 128 KiB block, nothing per content byte.
    """

    _MAGIC = b"\x28\xb5\x2f\xfd"

    def __init__(self) -> None:
        self._state = "magic"
        self._need = 4
        self._buf = b""
        self._skip = 0
        self._checksum = False
        self._frames = 0

    def complete(self) -> bool:
        """True when the stream ends right after a complete frame."""
        return self._frames > 0 and self._state == "magic" and not self._buf and not self._skip

    def feed(self, data: bytes) -> None:
        pos, size = 0, len(data)
        while pos < size:
            if self._skip:
                step = min(self._skip, size - pos)
                self._skip -= step
                pos += step
                if not self._skip:
                    self._skipped()
                continue
            take = min(self._need - len(self._buf), size - pos)
            self._buf += data[pos : pos + take]
            pos += take
            if len(self._buf) == self._need:
                header, self._buf = self._buf, b""
                self._header(header)

    def _expect(self, state: str, need: int) -> None:
        self._state, self._need = state, need

    def _header(self, data: bytes) -> None:
        state = self._state
        if state == "magic":
            if data == self._MAGIC:
                self._expect("descriptor", 1)
            elif data[0] & 0xF0 == 0x50 and data[1:] == b"\x2a\x4d\x18":
                self._expect("skippable", 4)
            else:
                raise ContentDecodingError("corrupt zstd body: no frame magic number")
        elif state == "descriptor":
            flags = data[0]
            single = bool(flags & 0x20)
            fcs = (1 if single else 0, 2, 4, 8)[flags >> 6]
            rest = (0 if single else 1) + (0, 1, 2, 4)[flags & 0x03] + fcs
            self._checksum = bool(flags & 0x04)
            if rest:
                self._expect("frame header", rest)
            else:
                self._expect("block", 3)
        elif state == "frame header":
            self._expect("block", 3)
        elif state == "block":
            value = int.from_bytes(data, "little")
            kind, length = (value >> 1) & 0x03, value >> 3
            if kind == 3:
                raise ContentDecodingError("corrupt zstd body: reserved block type")
            self._state = "last block" if value & 1 else "block"
            self._skip = 1 if kind == 1 else length
            if not self._skip:
                self._skipped()
        elif state == "checksum":
            self._frame_done()
        elif state == "skippable":
            self._state = "skippable content"
            self._skip = int.from_bytes(data, "little")
            if not self._skip:
                self._skipped()

    def _skipped(self) -> None:
        if self._state == "block":
            self._expect("block", 3)
        elif self._state == "last block":
            if self._checksum:
                self._expect("checksum", 4)
            else:
                self._frame_done()
        else:  # the end of a skippable frame
            self._expect("magic", 4)

    def _frame_done(self) -> None:
        self._frames += 1
        self._expect("magic", 4)


def _decoders(content_encoding: str) -> list[_Decoder]:
    """Decoders in the order to apply them (the reverse of the order the codings were)."""
    decoders: list[_Decoder] = []
    for token in reversed([t.strip().lower() for t in content_encoding.split(",")]):
        if token in ("", "identity"):
            continue
        if token in ("gzip", "x-gzip"):
            decoders.append(_ZlibDecoder("gzip"))
        elif token == "deflate":
            decoders.append(_ZlibDecoder("deflate"))
        elif token == "br":
            decoders.append(_BrotliDecoder())
        elif token == "zstd":
            decoders.append(_ZstdDecoder())
        else:
            raise ContentDecodingError(f"unsupported Content-Encoding {token!r}")
    return decoders


class _Body:
    """Decodes a raw byte stream through a chain of decoders into a capped buffer."""

    def __init__(self, content_encoding: str, cap: int):
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []
        self._decoders = _decoders(content_encoding)
        self._emitters: list[Emit] = []
        emit: Emit = self._collect
        for decoder in reversed(self._decoders):
            emit = self._stage(decoder, emit)
            self._emitters.append(emit)
        self._emitters.reverse()
        self._first: Emit = emit

    @staticmethod
    def _stage(decoder: _Decoder, downstream: Emit) -> Emit:
        return lambda data: decoder.feed(data, downstream)

    def _collect(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise ResponseTooLarge(
                f"the decoded body exceeds the cap of {self.cap} bytes (LUMI_MAX_BYTES)"
            )
        self.parts.append(data)

    def feed(self, data: bytes) -> None:
        self._first(data)

    def finish(self) -> bytes:
        if self._decoders:
            downstream = [*self._emitters[1:], self._collect]
            for decoder, emit in zip(self._decoders, downstream, strict=True):
                decoder.finish(emit)
        return b"".join(self.parts)


# -- the fetcher ------------------------------------------------------------------------------


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The verifying client context over the bundled trust store, built once per process.

    Loading the bundle takes a noticeable fraction of a second; a client context is never
    changed after it is built, so every fetcher can share it.
    """
    return httpx.create_ssl_context(verify=True, trust_env=False)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over a connection pool whose network backend is the guard."""

    def __init__(
        self,
        *,
        backend: httpcore.AsyncNetworkBackend,
        limits: httpx.Limits,
        ssl_context: ssl.SSLContext | None = None,
    ):
        if ssl_context is None:
            ssl_context = _default_ssl_context()
        elif ssl_context.verify_mode != ssl.CERT_REQUIRED or not ssl_context.check_hostname:
            raise ValueError("the TLS context must verify certificates and host names")
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx offers no network-backend argument; the pool it builds has no connections
        # yet, so replacing it loses nothing. tests/test_fetch.py proves the guard is used.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


@dataclasses.dataclass(slots=True)
class _Hop:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    location: str | None = None


class Fetcher:
    """Guarded async HTTP client; use as ``async with Fetcher(settings) as fetcher``.

    Args:
        settings: effective settings; reads ``http_timeout``, ``http_connect_timeout``,
            ``max_bytes``, ``max_redirects``, ``max_concurrency``, ``per_host_concurrency``,
            ``user_agent``, ``allow_private_networks`` and ``allowed_addresses``.
        ssl_context: the trust store to verify servers against (a private CA) instead of
            the bundled one; it must verify certificates and host names.
    """

    def __init__(self, settings: Settings, *, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self._ssl_context = ssl_context
        self.guard = AddressGuard.from_settings(settings)
        self._timeout = float(settings.http_timeout)
        self._max_bytes = int(settings.max_bytes)
        self._max_redirects = int(settings.max_redirects)
        self._per_host = int(settings.per_host_concurrency)
        self._global = asyncio.Semaphore(int(settings.max_concurrency))
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        limits = httpx.Limits(
            max_connections=int(self.settings.max_concurrency),
            max_keepalive_connections=int(self.settings.max_concurrency),
            keepalive_expiry=30.0,
        )
        transport = _GuardedTransport(
            backend=GuardedNetworkBackend(self.guard), limits=limits, ssl_context=self._ssl_context
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self._timeout, connect=float(self.settings.http_connect_timeout)),
            headers={
                "User-Agent": str(self.settings.user_agent),
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            event_hooks={"response": [_hide_location]},
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the shared client and its connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        feed_id: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET ``url`` through the guard, following redirects, with a conditional GET.

        Args:
            url: an http or https URL.
            etag: the stored ``ETag``, sent as ``If-None-Match``.
            last_modified: the stored ``Last-Modified``, sent as ``If-Modified-Since``.
            feed_id: the feed this fetch is for; copied into errors.
            accept: the ``Accept`` header (:data:`FEED_ACCEPT` or :data:`PAGE_ACCEPT`).

        Returns:
            A :class:`FetchResult`; ``status`` 304 with an empty body when not modified.

        Raises:
            FeedTimeout: the total deadline ran out (all hops together).
            DNSFailure, ConnectFailure, TLSFailure: the connection could not be made.
            RefusedAddress: a hop resolves to a refused address, or the URL is not http(s).
            TooManyRedirects: more than ``max_redirects`` hops, a loop, or a non-http(s) target.
            HTTPStatusError: a 4xx or 5xx answer; ``status`` and ``retry_after`` are set.
            ResponseTooLarge: the decoded body exceeded ``max_bytes``.
            ContentDecodingError: the compressed body was corrupt or truncated.
        """
        if self._client is None:
            raise RuntimeError("use the Fetcher as 'async with Fetcher(settings) as fetcher'")
        started = time.perf_counter()
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with self._global:
                hop = await self._follow(url, headers)
        except FetchError as exc:
            exc.url = exc.url or url
            exc.feed_id = exc.feed_id or feed_id
            raise
        return FetchResult(
            url=url,
            final_url=hop.url,
            status=hop.status,
            headers=hop.headers,
            body=hop.body,
            fetched_at=datetime.now(UTC),
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
        )

    async def _follow(self, url: str, headers: dict[str, str]) -> _Hop:
        current = _checked_url(url)
        seen = {str(current)}
        budget = self._timeout
        hops = 0
        while True:
            host = current.host
            semaphore = self._hosts.get(host)
            if semaphore is None:
                semaphore = self._hosts[host] = asyncio.Semaphore(self._per_host)
            async with semaphore:
                # The deadline counts time spent on the wire, not time queued for a slot.
                began = time.perf_counter()
                try:
                    async with asyncio.timeout(budget):
                        hop = await self._one(current, headers)
                except TimeoutError as exc:
                    raise FeedTimeout(
                        f"no complete answer within {self._timeout:g} s (LUMI_HTTP_TIMEOUT)",
                        url=str(current),
                    ) from exc
                budget -= time.perf_counter() - began
            if hop.location is None:
                return hop
            hops += 1
            if hops > self._max_redirects:
                raise TooManyRedirects(
                    f"more than {self._max_redirects} redirects (LUMI_MAX_REDIRECTS)",
                    url=str(current),
                )
            try:
                target = current.join(hop.location)
            except httpx.InvalidURL as exc:
                raise TooManyRedirects(f"redirect to an invalid URL: {exc}") from exc
            if target.scheme not in ("http", "https"):
                raise TooManyRedirects(
                    f"redirect to a {target.scheme or 'relative'}: URL was refused "
                    "(only http and https are followed)",
                    url=str(current),
                )
            if str(target) in seen:
                raise TooManyRedirects(f"redirect loop back to {target}", url=str(current))
            seen.add(str(target))
            current = target

    async def _one(self, url: httpx.URL, headers: dict[str, str]) -> _Hop:
        assert self._client is not None
        try:
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FeedTimeout(f"{url.host} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ConnectFailure(f"connection to {url.host} failed: {exc}") from exc
        try:
            status = response.status_code
            answer = {k.lower(): v for k, v in response.headers.items()}
            if status in _REDIRECTS:
                location = response.extensions.get(_LOCATION)
                if location:
                    answer["location"] = location
                if not location:
                    raise TooManyRedirects(f"{status} redirect without a Location header")
                return _Hop(status, answer, b"", str(url), location)
            if status >= 400:
                retry_after = None
                if status in (429, 503) and "retry-after" in answer:
                    retry_after = parse_retry_after(answer["retry-after"], datetime.now(UTC))
                # The reason phrase is the server's free text: only printable ASCII of it is
                # kept, or an escape sequence in it would reach every terminal showing errors.
                reason = "".join(c for c in response.reason_phrase if " " <= c <= "~")
                raise HTTPStatusError(
                    f"the server answered {status} {reason}".rstrip(),
                    status=status,
                    retry_after=retry_after,
                )
            if status == 304:
                return _Hop(304, answer, b"", str(url))
            body = await self._read(response, answer)
            return _Hop(status, answer, body, str(url))
        except httpx.TimeoutException as exc:
            raise FeedTimeout(f"{url.host} stopped sending the body") from exc
        except httpx.TransportError as exc:
            raise ConnectFailure(f"connection to {url.host} broke off: {exc}") from exc
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response, headers: dict[str, str]) -> bytes:
        encoding = headers.get("content-encoding", "")
        declared = headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > self._max_bytes:
            raise ResponseTooLarge(
                f"Content-Length {declared} exceeds the cap of {self._max_bytes} bytes "
                "(LUMI_MAX_BYTES)"
            )
        body = _Body(encoding, self._max_bytes)
        # Compressed bytes beyond twice the decoded cap can only be padding or an attack.
        raw_cap = 2 * self._max_bytes + _CHUNK
        raw_size = 0
        async for chunk in response.aiter_raw():
            raw_size += len(chunk)
            if raw_size > raw_cap:
                raise ResponseTooLarge(f"the raw body exceeds {raw_cap} bytes")
            body.feed(chunk)
        if raw_size == 0:
            return b""
        return body.finish()


_LOCATION = "lumi.location"


async def _hide_location(response: httpx.Response) -> None:
    """Move a redirect's ``Location`` header where httpx does not look.

    With redirects off, httpx still resolves the Location of every redirect it receives,
    and raises its own errors for targets it cannot join (``javascript:``, ``data:``, a
    malformed URL) before the fetcher can refuse them as redirect errors. The fetcher
    follows redirects by hand, so httpx never needs to see the header.
    """
    if response.status_code in _REDIRECTS and "location" in response.headers:
        response.extensions[_LOCATION] = response.headers.pop("location")


def _checked_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise RefusedAddress(f"not a valid http(s) URL: {exc}", url=url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise RefusedAddress("only http and https URLs with a host are fetched", url=url)
    return parsed


async def fetch_all(
    fetcher: Fetcher, requests: Iterable[FetchRequest]
) -> list[FetchResult | FetchError]:
    """Run many requests concurrently within the fetcher's global and per-host limits.

    Args:
        fetcher: an open :class:`Fetcher`.
        requests: what to fetch.

    Returns:
        One item per request, in order: the :class:`FetchResult`, or the :class:`FetchError`
        that request raised (a bad feed is data, not a crash). Other exceptions propagate.
    """

    async def one(request: FetchRequest) -> FetchResult | FetchError:
        try:
            return await fetcher.get(
                request.url,
                etag=request.etag,
                last_modified=request.last_modified,
                feed_id=request.feed_id,
                accept=request.accept,
            )
        except FetchError as exc:
            return exc

    return list(await asyncio.gather(*(one(r) for r in requests)))


def fetch_url(url: str, settings: Settings, *, accept: str = PAGE_ACCEPT) -> FetchResult:
    """Fetch one URL synchronously through the guarded fetcher (for one-shot CLI commands).

    Args:
        url: an http or https URL.
        settings: effective settings.
        accept: the ``Accept`` header; pages by default.

    Raises:
        FetchError: as :meth:`Fetcher.get`.
    """

    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, accept=accept)

    return asyncio.run(run())
