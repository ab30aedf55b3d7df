"""A raw-socket HTTP/1.1 server on loopback that misbehaves on purpose, and a canary port.

:class:`FaultServer` reads a request line and headers off the socket itself and answers
through a route function that writes whatever bytes it likes: a well-formed response
(:meth:`Conn.send`), a slow drip, a reset in the middle of the body, a ``Content-Length``
that promises more than is sent, an endless chunked body, a compression bomb built from
stacked codings, or nothing at all. Routes (``path -> handler``) are added per test; the
built-in ones are in :data:`BUILTIN`:

=========================  ===============================================================
``/ok``                    a small valid feed
``/hang``                  reads the request, never answers
``/drip?interval=S``       headers at once, then one body byte every S seconds
``/drip-headers``          the header block itself one byte at a time
``/header-flood``          a status line, then endless header lines
``/reset``                 half the promised body, then a TCP reset
``/short``                 ``Content-Length`` 5000 bytes longer than the body, then close
``/chunked-endless``       a chunked body without a last chunk
``/bomb?codings=a,b``      4 MiB of zeros through the stacked codings (``&size=N``)
``/truncated?codings=a``   a compressed feed cut short, closed without a length
``/redirect?to=U``         a redirect (``&status=30x``) to any URL
``/loop-a``, ``/loop-b``   two redirects pointing at each other
``/chain?n=N``             N redirects, then ``/ok``
``/endless``               redirects to a new URL, forever
``/status?code=C``         that status; ``&retry_after=120`` or ``=date:3600`` (HTTP date)
=========================  ===============================================================

With ``tls=`` every accepted socket is wrapped server-side, so the same routes serve over
HTTPS with whatever certificate the test chose.

:class:`Canary` is a listener that must never be reached: it counts every connection.

Every feed body here is generated text written for these tests.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import gzip
import socket
import ssl
import struct
import threading
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

import brotli
import zstandard

__all__ = [
    "BUILTIN",
    "Canary",
    "Conn",
    "FaultServer",
    "Request",
    "compress",
    "rss",
]

_STOP_POLL = 0.05


def rss(
    title: str, items: Iterable[str] = (), *, encoding: str = "utf-8", decl: bool = True
) -> bytes:
    """A small RSS 2.0 document; ``items`` are ``<item>`` bodies (inner XML)."""
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n' if decl else ""
    inner = "".join(f"<item>{item}</item>" for item in items)
    text = (
        f'{head}<rss version="2.0"><channel><title>{title}</title>'
        "<link>https://fault.example/</link><description>fault server feed</description>"
        f"{inner}</channel></rss>\n"
    )
    return text.encode(encoding)


def item(n: int, *, guid: str | None = None, date: str | None = None, title: str = "") -> str:
    """One ``<item>`` body with a link, optional GUID and optional ``pubDate``."""
    parts = [f"<title>{title or f'Item {n}'}</title>"]
    parts.append(f"<link>https://fault.example/post/{n}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append(f"<description>Body of item {n}, long enough to be kept as text.</description>")
    return "".join(parts)


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data, 9)


_CODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, 9, mtime=0),
    "deflate": _deflate,
    "br": lambda data: brotli.compress(data, quality=5),
    "zstd": _zstd,
}


def compress(data: bytes, codings: Iterable[str]) -> bytes:
    """``data`` encoded with each coding in turn, as ``Content-Encoding: a, b`` means."""
    for coding in codings:
        data = _CODERS[coding](data)
    return data


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One request as read off the socket; ``headers`` keys are lower-case."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]


class Conn:
    """The accepted socket of one request, with methods for honest and dishonest answers."""

    def __init__(self, sock: socket.socket, stopping: threading.Event):
        self.sock = sock
        self._stopping = stopping

    def send(
        self,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        reason: str = "",
    ) -> None:
        """A complete response with ``Content-Length`` (unless given) and ``Connection: close``."""
        merged = {"Connection": "close", **dict(headers or {})}
        if not any(k.lower() in ("content-length", "transfer-encoding") for k in merged):
            merged["Content-Length"] = str(len(body))
        self.sock.sendall(head(status, merged, reason=reason) + body)

    def raw(self, data: bytes) -> None:
        """Write bytes as they are."""
        self.sock.sendall(data)

    @property
    def stopping(self) -> bool:
        """True once the server is stopping."""
        return self._stopping.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the server is stopping (stop writing then)."""
        return self._stopping.wait(seconds)

    def client_gone(self) -> bool:
        """True once the client has closed its end."""
        try:
            self.sock.settimeout(0)
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError:
            return True
        finally:
            with contextlib.suppress(OSError):
                self.sock.settimeout(5)

    def reset(self) -> None:
        """Abort the connection with a TCP RST instead of an orderly close."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw = self.sock.unwrap() if isinstance(self.sock, ssl.SSLSocket) else self.sock
        raw.close()


def head(status: int, headers: Mapping[str, str], *, reason: str = "") -> bytes:
    """A status line and header block (latin-1, as HTTP/1.1 is on the wire)."""
    phrase = reason or _REASONS.get(status, "Status")
    lines = [f"HTTP/1.1 {status} {phrase}", "Server: faultserver"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

Handler = Callable[[Conn, Request], None]
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


# -- built-in routes ------------------------------------------------------------------------


def _ok(conn: Conn, request: Request) -> None:
    conn.send(200, RSS_TYPE, rss("Fault OK", [item(1, guid="ok-1")]))


def _hang(conn: Conn, request: Request) -> None:
    """Read the request, then never send a byte."""
    while not conn.wait(_STOP_POLL):
        if conn.client_gone():
            return


def _drip(conn: Conn, request: Request) -> None:
    """Headers at once, then one body byte every ``interval`` seconds."""
    interval = float(request.query.get("interval", "0.05"))
    body = rss("Dripped", [item(1, guid="drip-1")])
    conn.raw(head(200, {**RSS_TYPE, "Content-Length": str(len(body)), "Connection": "close"}))
    for byte in body:
        conn.raw(bytes([byte]))
        if conn.wait(interval):
            return


def _drip_headers(conn: Conn, request: Request) -> None:
    """The status line and headers themselves, one byte at a time."""
    interval = float(request.query.get("interval", "0.05"))
    data = head(200, {**RSS_TYPE, "X-Padding": "p" * 200, "Content-Length": "0"})
    for byte in data:
        conn.raw(bytes([byte]))
        if conn.wait(interval):
            return


def _header_flood(conn: Conn, request: Request) -> None:
    """A status line followed by headers that never end."""
    conn.raw(b"HTTP/1.1 200 OK\r\n")
    line = b"X-Flood: " + b"f" * 1000 + b"\r\n"
    for _ in range(10_000):
        try:
            conn.raw(line)
        except OSError:
            return
        if conn.stopping:
            return


def _reset(conn: Conn, request: Request) -> None:
    """Half the promised body, then a TCP reset."""
    body = rss("Reset", [item(n, guid=f"reset-{n}") for n in range(50)])
    conn.raw(head(200, {**RSS_TYPE, "Content-Length": str(len(body))}) + body[: len(body) // 2])
    conn.wait(0.05)
    conn.reset()


def _short(conn: Conn, request: Request) -> None:
    """``Content-Length`` promises more than is sent; then an orderly close."""
    body = rss("Short", [item(1, guid="short-1")])
    conn.raw(head(200, {**RSS_TYPE, "Content-Length": str(len(body) + 5000)}) + body)


def _chunked_endless(conn: Conn, request: Request) -> None:
    """A chunked body that never sends its last chunk."""
    conn.raw(head(200, {**RSS_TYPE, "Transfer-Encoding": "chunked"}))
    chunk = b"<!-- " + b"x" * 8000 + b" -->"
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    conn.raw(b"5\r\n<rss>\r\n")
    for _ in range(100_000):  # about 800 MB: far past any cap, and still finite
        try:
            conn.raw(frame)
        except OSError:
            return
        if conn.stopping:
            return


def _bomb(conn: Conn, request: Request) -> None:
    """``/bomb?codings=gzip,br&size=N``: N zero-ish bytes through the stacked codings."""
    codings = [c for c in request.query.get("codings", "gzip").split(",") if c]
    size = int(request.query.get("size", str(4 * 1024 * 1024)))
    body = _bomb_body(tuple(codings), size)
    conn.send(
        200,
        {"Content-Type": "application/rss+xml", "Content-Encoding": ", ".join(codings)},
        body,
    )


_BOMBS: dict[tuple[tuple[str, ...], int], bytes] = {}
_BOMB_LOCK = threading.Lock()


def _bomb_body(codings: tuple[str, ...], size: int) -> bytes:
    with _BOMB_LOCK:
        if (codings, size) not in _BOMBS:
            _BOMBS[codings, size] = compress(b"<rss>" + b"\0" * size, codings)
        return _BOMBS[codings, size]


def _truncated(conn: Conn, request: Request) -> None:
    """``/truncated?codings=zstd``: a compressed feed cut short, closed without a length."""
    codings = [c for c in request.query.get("codings", "gzip").split(",") if c]
    body = compress(rss("Truncated", [item(n, guid=f"t-{n}") for n in range(200)]), codings)
    conn.raw(
        head(200, {**RSS_TYPE, "Content-Encoding": ", ".join(codings), "Connection": "close"})
        + body[: len(body) * 2 // 3]
    )


def _redirect(conn: Conn, request: Request) -> None:
    """``/redirect?to=URL&status=302``."""
    status = int(request.query.get("status", "302"))
    conn.send(status, {"Location": request.query.get("to", "/")})


def _loop_a(conn: Conn, request: Request) -> None:
    conn.send(302, {"Location": "/loop-b"})


def _loop_b(conn: Conn, request: Request) -> None:
    conn.send(301, {"Location": "/loop-a"})


def _chain(conn: Conn, request: Request) -> None:
    """``/chain?n=3``: n redirects (each to a new URL), then the OK feed."""
    left = int(request.query.get("n", "0"))
    if left <= 0:
        _ok(conn, request)
    else:
        conn.send(307, {"Location": f"/chain?n={left - 1}"})


def _endless_redirects(conn: Conn, request: Request) -> None:
    """Every answer is a redirect to a URL never seen before."""
    n = int(request.query.get("n", "0"))
    conn.send(302, {"Location": f"/endless?n={n + 1}"})


def _status(conn: Conn, request: Request) -> None:
    """``/status?code=429&retry_after=120`` (``retry_after=date:3600`` for an HTTP date)."""
    code = int(request.query.get("code", "500"))
    headers = {"Content-Type": "text/plain"}
    retry = request.query.get("retry_after")
    if retry and retry.startswith("date:"):
        moment = datetime.now(UTC).timestamp() + float(retry.removeprefix("date:"))
        retry = format_datetime(datetime.fromtimestamp(moment, UTC), usegmt=True)
    if retry:
        headers["Retry-After"] = retry
    conn.send(code, headers, f"status {code}\n".encode())


BUILTIN: dict[str, Handler] = {
    "/ok": _ok,
    "/hang": _hang,
    "/drip": _drip,
    "/drip-headers": _drip_headers,
    "/header-flood": _header_flood,
    "/reset": _reset,
    "/short": _short,
    "/chunked-endless": _chunked_endless,
    "/bomb": _bomb,
    "/truncated": _truncated,
    "/redirect": _redirect,
    "/loop-a": _loop_a,
    "/loop-b": _loop_b,
    "/chain": _chain,
    "/endless": _endless_redirects,
    "/status": _status,
}


# -- the servers ----------------------------------------------------------------------------


class _Listener:
    """An accept loop on one or more bound sockets; each connection in its own thread."""

    def __init__(self, addresses: list[tuple[int, tuple[str, int]]], name: str):
        self._socks: list[socket.socket] = []
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._name = name
        port = 0
        for family, (host, wanted) in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, wanted or port))
            except OSError:
                sock.close()
                if not self._socks:
                    raise
                continue  # a second family (IPv6) is best effort
            sock.listen(64)
            sock.settimeout(_STOP_POLL)
            port = sock.getsockname()[1]
            self._socks.append(sock)
        self.port = port

    def start(self) -> None:
        for sock in self._socks:
            thread = threading.Thread(
                target=self._accept, args=(sock,), name=self._name, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, peer = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            thread = threading.Thread(
                target=self._serve, args=(conn, peer), name=self._name, daemon=True
            )
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, peer: object) -> None:
        try:
            self.handle(conn, peer)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def handle(self, conn: socket.socket, peer: object) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stopping.set()
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(5)


class FaultServer(_Listener):
    """Raw HTTP/1.1 on a loopback port; use as a context manager.

    Args:
        host: the address to bind.
        tls: a server-side SSL context; every connection is then HTTPS.
    """

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__([(family, (host, 0))], "faultserver")
        self.host = host
        self.tls = tls
        self.routes: dict[str, Handler] = dict(BUILTIN)
        #: requests per path
        self.hits: collections.Counter[str] = collections.Counter()
        #: every request, oldest first
        self.requests: list[Request] = []

    def __enter__(self) -> FaultServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host_port(self) -> str:
        """``host:port`` as ``LUMI_ALLOWED_ADDRESSES`` takes it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        """The URL of ``path`` here (``host`` replaces the address, e.g. ``localhost``)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host_port.rsplit(':', 1)[0]}:{self.port}{path}"

    def add(self, path: str, handler: Handler) -> None:
        """Answer ``path`` with ``handler``."""
        self.routes[path] = handler

    def add_response(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        reason: str = "",
    ) -> None:
        """Answer ``path`` with a fixed, well-formed response."""
        fixed = dict(headers if headers is not None else RSS_TYPE)
        self.add(path, lambda conn, _request: conn.send(status, fixed, body, reason=reason))

    def handle(self, conn: socket.socket, peer: object) -> None:
        conn.settimeout(5)
        sock: socket.socket = conn
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate: that is the point
        try:
            self._answer(sock)
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _answer(self, sock: socket.socket) -> None:
        request = _read_request(sock)
        if request is None:
            return
        with self._lock:
            self.hits[request.path] += 1
            self.requests.append(request)
        handler = self.routes.get(request.path)
        wrapped = Conn(sock, self._stopping)
        if handler is None:
            wrapped.send(404, {"Content-Type": "text/plain"}, b"no such route\n")
            return
        handler(wrapped, request)


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(4096)
        except (OSError, ssl.SSLError):
            return None
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    split = urllib.parse.urlsplit(target)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Request(method, split.path, dict(urllib.parse.parse_qsl(split.query)), headers)


class Canary(_Listener):
    """A port that must never be reached: it counts every connection made to it.

    By default it listens on ``127.0.0.1`` and, when possible, on ``::1`` with the same
    port; ``host`` and ``port`` bind one IPv4 address instead.
    """

    def __init__(self, host: str | None = None, port: int = 0) -> None:
        addresses = (
            [(socket.AF_INET, (host, port))]
            if host
            else [(socket.AF_INET, ("127.0.0.1", 0)), (socket.AF_INET6, ("::1", 0))]
        )
        super().__init__(addresses, "canary")
        #: (peer address, first bytes received) of every connection
        self.visits: list[tuple[object, bytes]] = []

    @property
    def hits(self) -> int:
        """Connections made so far."""
        with self._lock:
            return len(self.visits)

    def handle(self, conn: socket.socket, peer: object) -> None:
        conn.settimeout(0.5)
        try:
            first = conn.recv(1024)
        except OSError:
            first = b""
        with self._lock:
            self.visits.append((peer, first))
        with contextlib.suppress(OSError):
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\ncanary!"
            )
