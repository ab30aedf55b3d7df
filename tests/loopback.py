"""A real HTTP server on a loopback port, for tests and benchmarks (never shipped).

It serves the files under a root folder with real headers (Content-Type, strong ETag,
Last-Modified, 304 for conditional GETs, gzip when the client accepts it) over HTTP/1.1
keep-alive, plus fault routes under ``/_fault/``:

=================================  =========================================================
``/_fault/hang``                   never answers; the handler ends when the client leaves or
                                   the server stops
``/_fault/drip?interval=S&size=N``  a feed of N bytes, one byte every S seconds
``/_fault/huge``                   an endless body (no Content-Length)
``/_fault/bomb/<enc>``             ``bomb-<enc>.bin`` from ``compressed_dir`` with
                                   ``Content-Encoding: <enc>`` (gzip, br, deflate, zstd)
``/_fault/compressed/<file>?encoding=E``  a file of ``compressed_dir`` with that encoding
``/_fault/redirect-loop``          302 back to itself
``/_fault/redirect-chain/<n>``     n redirects, then a small feed
``/_fault/redirect?to=URL``        302 (``&status=301`` etc.) to any URL
``/_fault/status/<code>``          that status; ``?retry_after=V`` adds Retry-After
``/_fault/ok``                     a small valid RSS feed
``/_fault/html``                   an HTML page where a feed was expected
``/_fault/charset``                a windows-1252 feed served as ``charset=utf-8``
``/_fault/count?delay=S``          a small feed after S seconds; counts requests in flight
=================================  =========================================================

Extra routes (:meth:`LoopbackServer.add_route`, :meth:`LoopbackServer.add_response`) and
extra headers per path (:meth:`LoopbackServer.set_headers`, e.g. ``Cache-Control``) let tests
set server hints. The server stops cleanly: open connections are shut down, slow handlers
notice, and every thread is joined.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import email.utils
import gzip
import hashlib
import mimetypes
import select
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["LoopbackServer", "RequestRecord", "Response", "Route", "free_port", "reap"]

_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain; charset=utf-8",
}
_COMPRESSIBLE = ("text/", "xml", "json")
_ENCODINGS = {"gzip": "gzip", "br": "br", "deflate": "deflate", "zstd": "zstd"}
_HUGE_LIMIT = 1 << 30  # the endless body still ends somewhere: 1 GiB
_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
    b"<title>Loopback feed</title><link>http://loopback.invalid/</link>"
    b"<description>A small feed served by the loopback test server.</description>"
    b"<item><title>Loopback item</title><link>http://loopback.invalid/item</link>"
    b"<guid>loopback-item-1</guid><description>Served locally.</description></item>"
    b"</channel></rss>\n"
)
_HTML = (
    b"<!DOCTYPE html><html><head><title>Not a feed</title></head>"
    b"<body><h1>Welcome</h1><p>This is a web page, not a feed.</p></body></html>\n"
)
_CHARSET_FEED = (
    '<?xml version="1.0" encoding="windows-1252"?>\n<rss version="2.0"><channel>'
    "<title>Caf\u00e9 \u2018quotes\u2019</title><link>http://loopback.invalid/</link>"
    "<description>Declared utf-8 in the header, windows-1252 in the bytes.</description>"
    "<item><title>Na\u00efve r\u00e9sum\u00e9 \u2013 \u20ac5</title>"
    "<link>http://loopback.invalid/charset</link><guid>charset-1</guid></item>"
    "</channel></rss>\n"
).encode("windows-1252")


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reap(proc: subprocess.Popen) -> None:
    """Kill ``proc`` if it still runs, wait for it and close its pipes (a test's cleanup)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """What a route answers."""

    status: int = 200
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""


@dataclasses.dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the server received (method, path, query, headers with lower-case keys)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]


Route = Callable[[RequestRecord], Response]


@dataclasses.dataclass(frozen=True, slots=True)
class _File:
    mtime_ns: int
    size: int
    body: bytes
    etag: str
    last_modified: str
    content_type: str
    gzipped: bytes | None


class _HTTPServer(ThreadingHTTPServer):
    """Tracks each connection and its thread so ``stop`` can end and join them all."""

    daemon_threads = True
    block_on_close = False
    app: LoopbackServer

    def __init__(self, address: tuple[str, int], handler: type, app: LoopbackServer):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.conn_lock = threading.Lock()
        self.conns: dict[socket.socket, threading.Thread] = {}
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="loopback-conn",
            daemon=True,
        )
        with self.conn_lock:
            self.conns[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.conn_lock:
            self.conns.pop(request, None)
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LumiLoopback/1"
    timeout = 60  # backstop for idle keep-alive connections
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, and small answers must not wait for Nagle.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    # -- plumbing -----------------------------------------------------------------------

    def _dispatch(self, *, head: bool) -> None:
        app = self.server.app
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = RequestRecord(self.command, path, query, headers)
        app._record(record)
        self._head = head
        self._extra = app._extra_headers.get(path, {})
        route = app._routes.get(path)
        try:
            if route is not None:
                response = route(record)
                self._send(response.status, dict(response.headers), response.body)
            elif path.startswith("/_fault/"):
                self._fault(path.removeprefix("/_fault/"), query, record)
            else:
                self._file(path, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        # Status line, headers and body leave in one write: no Nagle stall on keep-alive.
        merged = {**headers, **self._extra}
        if status != 304 and not any(k.lower() == "content-length" for k in merged):
            merged["Content-Length"] = str(len(body))
        phrase = self.responses.get(status, ("",))[0]
        lines = [
            f"{self.protocol_version} {status} {phrase}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
        ]
        for name, value in merged.items():
            lines.append(f"{name}: {value}")
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
        payload = b"" if self._head or status in (204, 304) else body
        self.wfile.write(head + payload)

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # -- files ----------------------------------------------------------------------------

    def _file(self, path: str, headers: dict[str, str]) -> None:
        app = self.server.app
        if app.root is None:
            self._send(404, {"Content-Type": "text/plain"}, b"no root folder\n")
            return
        target = (app.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(app.root) or not target.is_file():
            self._send(404, {"Content-Type": "text/plain"}, b"not found\n")
            return
        entry = app._load(target)
        gz = entry.gzipped is not None and _accepts_gzip(headers.get("accept-encoding", ""))
        etag = entry.etag[:-1] + '-gz"' if gz else entry.etag
        common = {"ETag": etag, "Last-Modified": entry.last_modified}
        if entry.gzipped is not None:
            common["Vary"] = "Accept-Encoding"
        if _not_modified(headers, entry):
            self._send(304, common)
            return
        body = entry.gzipped if gz and entry.gzipped is not None else entry.body
        out = {"Content-Type": entry.content_type, **common}
        if gz:
            out["Content-Encoding"] = "gzip"
        self._send(200, out, body)

    # -- faults ---------------------------------------------------------------------------

    def _fault(self, name: str, query: dict[str, str], record: RequestRecord) -> None:
        app = self.server.app
        kind, _, arg = name.partition("/")
        rss = {"Content-Type": "application/rss+xml"}
        if kind == "hang":
            self.close_connection = True
            while not app._stopping.wait(0.05):
                if self._client_gone():
                    return
        elif kind == "drip":
            self._drip(float(query.get("interval", app.drip_seconds)), int(query.get("size", 64)))
        elif kind == "huge":
            self._huge()
        elif kind == "bomb":
            self._compressed(f"bomb-{arg}.bin", _ENCODINGS.get(arg, ""))
        elif kind == "compressed":
            self._compressed(arg, query.get("encoding", "gzip"))
        elif kind == "redirect-loop":
            self._send(302, {"Location": "/_fault/redirect-loop"})
        elif kind == "redirect-chain":
            left = int(arg or 0)
            if left <= 0:
                self._send(200, rss, _FEED)
            else:
                self._send(302, {"Location": f"/_fault/redirect-chain/{left - 1}"})
        elif kind == "redirect":
            status = int(query.get("status", 302))
            self._send(status, {"Location": query.get("to", "/")})
        elif kind == "status":
            extra = {"Content-Type": "text/plain"}
            if "retry_after" in query:
                extra["Retry-After"] = query["retry_after"]
            self._send(int(arg), extra, f"status {arg}\n".encode())
        elif kind == "ok":
            self._send(200, rss, _FEED)
        elif kind == "html":
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, _HTML)
        elif kind == "charset":
            self._send(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, _CHARSET_FEED)
        elif kind == "count":
            app._enter_count()
            try:
                app._stopping.wait(float(query.get("delay", 0.1)))
                self._send(200, rss, _FEED)
            finally:
                app._leave_count()
        else:
            self._send(404, {"Content-Type": "text/plain"}, b"unknown fault\n")

    def _drip(self, interval: float, size: int) -> None:
        app = self.server.app
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        for _ in range(size):
            self.wfile.write(b" ")
            if app._stopping.wait(interval):
                return

    def _huge(self) -> None:
        app = self.server.app
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"<!-- filler -->" * 4096
        sent = 0
        while sent < _HUGE_LIMIT and not app._stopping.is_set():
            self.wfile.write(chunk)
            sent += len(chunk)

    def _compressed(self, filename: str, encoding: str) -> None:
        folder = self.server.app.compressed_dir
        target = (folder / filename).resolve() if folder and filename else None
        if (
            folder is None
            or target is None
            or not encoding
            or not target.is_relative_to(folder)
            or not target.is_file()
        ):
            self._send(404, {"Content-Type": "text/plain"}, b"no such compressed file\n")
            return
        headers = {"Content-Type": "application/xml", "Content-Encoding": encoding}
        self._send(200, headers, target.read_bytes())


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _not_modified(headers: dict[str, str], entry: _File) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or entry.etag in tags or entry.etag[:-1] + '-gz"' in tags
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return since is not None and entry.mtime_ns // 1_000_000_000 <= since.timestamp()
    return False


class LoopbackServer:
    """A threaded HTTP/1.1 server on a loopback port; use as a context manager.

    Args:
        root: folder whose files are served at their relative paths (None: no files).
        compressed_dir: folder holding ``bomb-<enc>.bin`` and other pre-compressed files for
            the ``/_fault/bomb/`` and ``/_fault/compressed/`` routes.
        host: address to bind (``127.0.0.1`` or ``::1``).
        port: port to bind; 0 picks a free one.
        drip_seconds: default pause between bytes of ``/_fault/drip``.
    """

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        compressed_dir: Path | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        drip_seconds: float = 1.0,
    ):
        self.root = Path(root).resolve() if root is not None else None
        self.compressed_dir = Path(compressed_dir).resolve() if compressed_dir else None
        self.host = host
        self.drip_seconds = drip_seconds
        self._bind = (host, port)
        self._routes: dict[str, Route] = {}
        self._extra_headers: dict[str, dict[str, str]] = {}
        self._files: dict[Path, _File] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: the most recent requests, oldest first (at most 10,000)
        self.requests: collections.deque[RequestRecord] = collections.deque(maxlen=10_000)
        #: requests per path
        self.hits: collections.Counter[str] = collections.Counter()
        self.count_in_flight = 0
        #: most ``/_fault/count`` requests seen in flight at once
        self.count_max_in_flight = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self._bind, _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="loopback-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, end open connections and slow handlers, and join every thread."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        assert self._thread is not None
        self._thread.join(timeout)
        with httpd.conn_lock:
            open_conns = list(httpd.conns.items())
        for conn, _thread in open_conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _conn, thread in open_conns:
            thread.join(max(0.0, deadline - time.monotonic()))
        httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("the loopback server is not running")
        return int(self._httpd.server_address[1])

    @property
    def host_port(self) -> str:
        """``host:port`` as ``LUMI_ALLOWED_ADDRESSES`` takes it (``[::1]:port`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The full ``http://`` URL of ``path`` on this server."""
        return f"http://{self.host_port}/{path.lstrip('/')}"

    # -- configuration --------------------------------------------------------------------

    def add_route(self, path: str, route: Route) -> None:
        """Answer GET/HEAD ``path`` with ``route(request)`` (takes precedence over files)."""
        self._routes[path] = route

    def add_response(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``path`` with a fixed response."""
        response = Response(status, dict(headers or {}), body)
        self.add_route(path, lambda _request: response)

    def set_headers(self, path: str, headers: Mapping[str, str]) -> None:
        """Add headers (e.g. ``Cache-Control``, ``Expires``) to every answer for ``path``."""
        self._extra_headers[path] = dict(headers)

    def reset_counts(self) -> None:
        """Forget recorded requests, hits and the in-flight maximum."""
        with self._lock:
            self.requests.clear()
            self.hits.clear()
            self.count_max_in_flight = 0

    # -- internals ------------------------------------------------------------------------

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)
            self.hits[record.path] += 1

    def _enter_count(self) -> None:
        with self._lock:
            self.count_in_flight += 1
            self.count_max_in_flight = max(self.count_max_in_flight, self.count_in_flight)

    def _leave_count(self) -> None:
        with self._lock:
            self.count_in_flight -= 1

    def _load(self, target: Path) -> _File:
        stat = target.stat()
        cached = self._files.get(target)
        if (
            cached is not None
            and cached.mtime_ns == stat.st_mtime_ns
            and cached.size == stat.st_size
        ):
            return cached
        body = target.read_bytes()
        content_type = _TYPES.get(target.suffix.lower()) or (
            mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        compressible = any(marker in content_type for marker in _COMPRESSIBLE)
        entry = _File(
            mtime_ns=stat.st_mtime_ns,
            size=stat.st_size,
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=email.utils.formatdate(stat.st_mtime, usegmt=True),
            content_type=content_type,
            gzipped=gzip.compress(body, mtime=0) if compressible and len(body) >= 256 else None,
        )
        self._files[target] = entry
        return entry
