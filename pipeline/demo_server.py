"""The demo's sample site: a small static HTTP server on a loopback port.

``lumi demo`` serves its bundled feeds and pages with it so that the real ingest path (the
guarded fetcher, conditional GET, parsing, extraction) runs over HTTP. It answers GET and
HEAD for files under one folder with a Content-Type, a strong ETag, Last-Modified and 304
for conditional requests; nothing else.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["SampleServer"]

_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        root = self.server.root
        path = (root / unquote(urlsplit(self.path).path).lstrip("/")).resolve()
        if not path.is_file() or not path.is_relative_to(root):
            self._send(404, {"Content-Type": "text/plain"}, b"not found", head=head)
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            "Content-Type": _TYPES.get(path.suffix)
            or mimetypes.guess_type(path.name)[0]
            or "application/octet-stream",
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(path.stat().st_mtime, usegmt=True),
        }
        if self.headers.get("If-None-Match") == etag:
            self._send(304, headers, b"", head=True)
            return
        self._send(200, headers, body, head=head)

    def _send(self, status: int, headers: dict[str, str], body: bytes, *, head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root: Path


class SampleServer:
    """Serve the files under ``root`` on ``127.0.0.1`` (a free port) until stopped.

    Use it as a context manager; :meth:`url` gives the address of a path.
    """

    def __init__(self, root: Path):
        self.root = root.resolve()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SampleServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.root = self.root
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="lumi-demo-site")
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def host_port(self) -> str:
        """``127.0.0.1:<port>``: the one pair the demo allows past the address guard."""
        assert self._server is not None, "the server is not running"
        return f"127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str = "") -> str:
        """The absolute URL of ``path`` under the served folder."""
        return f"http://{self.host_port}/{path.lstrip('/')}"
