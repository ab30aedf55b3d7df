"""The guarded fetcher against a real loopback HTTP server (and the server itself)."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import socket
import threading
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard
from fixtures_http import COMPRESSED, guarded_settings
from loopback import LoopbackServer

from pipeline.errors import (
    ConnectFailure,
    ContentDecodingError,
    DNSFailure,
    FeedTimeout,
    FetchError,
    HTTPStatusError,
    RefusedAddress,
    ResponseTooLarge,
    TLSFailure,
    TooManyRedirects,
)
from pipeline.ingest.fetch import PAGE_ACCEPT, Fetcher, FetchRequest, fetch_all, fetch_url
from pipeline.records import FetchResult
from pipeline.settings import Settings, load_settings

CAP = 1024 * 1024  # decoded-size cap for the bomb tests; the bombs inflate to ~11.5 MB


def fetch(settings: Settings, url: str, **kwargs: Any) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, **kwargs)

    return asyncio.run(run())


def fetch_many(settings: Settings, requests: list[FetchRequest]) -> list[FetchResult | FetchError]:
    async def run() -> list[FetchResult | FetchError]:
        async with Fetcher(settings) as fetcher:
            return await fetch_all(fetcher, requests)

    return asyncio.run(run())


def small_feed(shared_data: Path) -> Path:
    """A real feed file of the shared data, big enough to be served gzipped."""
    candidates = sorted((shared_data / "feeds" / "formats").rglob("*.xml"))
    return next(p for p in candidates if 2_000 < p.stat().st_size < 50_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the address guard, end to end ---------------------------------------------------------


def test_allow_listed_server_is_fetched_and_unlisted_one_is_refused(
    loopback_server: LoopbackServer,
) -> None:
    result = fetch(guarded_settings(loopback_server), loopback_server.url("/_fault/ok"))
    assert result.status == 200
    assert b"<rss" in result.body

    with pytest.raises(RefusedAddress) as info:
        fetch(load_settings(env={}), loopback_server.url("/_fault/ok"))
    assert info.value.error_class == "refused_address"
    assert loopback_server.hits["/_fault/ok"] == 1  # the refused request never arrived


def test_redirect_to_a_loopback_port_not_allowed_is_refused(
    loopback_server: LoopbackServer,
) -> None:
    with LoopbackServer() as other:
        target = other.url("/_fault/ok")
        with pytest.raises(RefusedAddress):
            fetch(
                guarded_settings(loopback_server),
                loopback_server.url(f"/_fault/redirect?to={target}"),
            )
        assert other.hits["/_fault/ok"] == 0


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_odd_spellings_of_loopback_are_refused(loopback_server: LoopbackServer, host: str) -> None:
    url = f"http://{host}:{loopback_server.port}/_fault/ok"
    with pytest.raises(RefusedAddress):
        fetch(load_settings(env={}), url)
    assert loopback_server.hits["/_fault/ok"] == 0


def test_redirect_hop_to_odd_loopback_spelling_is_refused(loopback_server: LoopbackServer) -> None:
    with LoopbackServer() as start:
        settings = guarded_settings(start)  # only the first hop's server is allowed
        target = f"http://2130706433:{loopback_server.port}/_fault/ok"
        with pytest.raises(RefusedAddress):
            fetch(settings, start.url(f"/_fault/redirect?to={target}"))
    assert loopback_server.hits["/_fault/ok"] == 0


def test_host_header_carries_the_host_name(loopback_server: LoopbackServer) -> None:
    settings = load_settings(env={}).replace(
        allowed_addresses=[f"localhost:{loopback_server.port}"]
    )
    fetch(settings, f"http://localhost:{loopback_server.port}/_fault/ok")
    assert loopback_server.requests[-1].headers["host"] == f"localhost:{loopback_server.port}"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed.xml"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(RefusedAddress):
        fetch(load_settings(env={}), url)


# -- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/"])
def test_redirect_to_non_http_scheme_is_refused(
    loopback_server: LoopbackServer, target: str
) -> None:
    with pytest.raises(TooManyRedirects) as info:
        fetch(
            guarded_settings(loopback_server), loopback_server.url(f"/_fault/redirect?to={target}")
        )
    assert info.value.error_class == "redirect"


def test_redirect_loop_is_refused(loopback_server: LoopbackServer) -> None:
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch(guarded_settings(loopback_server), loopback_server.url("/_fault/redirect-loop"))


def test_at_most_max_redirects_are_followed(loopback_server: LoopbackServer) -> None:
    settings = guarded_settings(loopback_server)
    result = fetch(settings, loopback_server.url("/_fault/redirect-chain/5"))
    assert result.status == 200
    assert result.final_url == loopback_server.url("/_fault/redirect-chain/0")
    with pytest.raises(TooManyRedirects):
        fetch(settings, loopback_server.url("/_fault/redirect-chain/6"))
    with pytest.raises(TooManyRedirects):
        fetch(settings.replace(max_redirects=0), loopback_server.url("/_fault/redirect-chain/1"))


# -- conditional GET and decoding ----------------------------------------------------------


def test_conditional_get_returns_304_with_empty_body(
    loopback_server: LoopbackServer, shared_data: Path
) -> None:
    settings = guarded_settings(loopback_server)
    path = "/" + small_feed(shared_data).relative_to(shared_data).as_posix()
    first = fetch(settings, loopback_server.url(path))
    assert first.status == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    again = fetch(settings, loopback_server.url(path), etag=etag)
    assert again.status == 304
    assert again.not_modified
    assert again.body == b""
    assert loopback_server.requests[-1].headers["if-none-match"] == etag

    since = fetch(settings, loopback_server.url(path), last_modified=modified)
    assert since.status == 304
    assert loopback_server.requests[-1].headers["if-modified-since"] == modified


def test_gzip_served_file_decodes_to_the_file_bytes(
    loopback_server: LoopbackServer, shared_data: Path
) -> None:
    feed = small_feed(shared_data)
    result = fetch(
        guarded_settings(loopback_server),
        loopback_server.url("/" + feed.relative_to(shared_data).as_posix()),
    )
    assert result.headers["content-encoding"] == "gzip"
    assert result.body == feed.read_bytes()


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send


#: one-shot reference decoders, to check the incremental ones against
REFERENCE = {
    "gzip": gzip.decompress,
    "deflate": _inflate,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("html-gzip.bin", "gzip"),
        ("html-br.bin", "br"),
        ("html-zlibdeflate.bin", "deflate"),
        ("html-rawdeflate.bin", "deflate"),
        ("html-zstd-static-content-size.bin", "zstd"),
        ("html-zstd-static-no-content-size.bin", "zstd"),
        ("html-zstd-streaming-no-content-size.bin", "zstd"),
        ("html-gzip-deflate.bin", "gzip, deflate"),
        ("html-gzip-deflate-gzip.bin", "gzip, deflate, gzip"),
    ],
)
def test_every_content_coding_decodes_like_the_one_shot_decoder(
    loopback_server: LoopbackServer, shared_data: Path, name: str, encoding: str
) -> None:
    expected = (shared_data / COMPRESSED / name).read_bytes()
    for coding in reversed(encoding.split(", ")):
        expected = REFERENCE[coding](expected)
    result = fetch(
        guarded_settings(loopback_server),
        loopback_server.url(f"/_fault/compressed/{name}?encoding={encoding}"),
    )
    assert result.body == expected
    assert b"</html>" in result.body


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "zstd"])
def test_compression_bomb_stops_at_the_cap_with_bounded_memory(
    loopback_server: LoopbackServer, encoding: str
) -> None:
    settings = guarded_settings(loopback_server, max_bytes=CAP)
    fetch(settings, loopback_server.url("/_fault/ok"))  # first-use imports are not the body
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge) as info:
            fetch(settings, loopback_server.url(f"/_fault/bomb/{encoding}"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.error_class == "too_large"
    assert peak < 4 * CAP  # the whole bomb (~11.5 MB) was never held


def test_bomb_within_a_large_cap_decodes_fully(loopback_server: LoopbackServer) -> None:
    """The cap, not the decoder, is what stops a bomb: with room, the body decodes."""
    result = fetch(
        guarded_settings(loopback_server, max_bytes=20 * CAP),
        loopback_server.url("/_fault/bomb/gzip"),
    )
    assert 11 * 1_000_000 < len(result.body) < 20 * CAP


@pytest.mark.parametrize("name", ["truncated-crc-error.gz", "unexpected-eof.gz"])
def test_broken_gzip_is_a_decoding_error(loopback_server: LoopbackServer, name: str) -> None:
    with pytest.raises(ContentDecodingError) as info:
        fetch(
            guarded_settings(loopback_server),
            loopback_server.url(f"/_fault/compressed/{name}?encoding=gzip"),
        )
    assert info.value.error_class == "decoding"
    assert "gzip" in str(info.value)


@pytest.mark.parametrize("cut", [1, 4, 100])
def test_truncated_zstd_is_a_decoding_error(
    loopback_server: LoopbackServer, shared_data: Path, cut: int
) -> None:
    """zstd's stream decoder is silent about a cut stream; the frame structure is not."""
    data = (shared_data / COMPRESSED / "html-zstd-streaming-no-content-size.bin").read_bytes()
    loopback_server.add_response(
        "/cut.zst", data[:-cut], headers={"Content-Encoding": "zstd", "Content-Type": "text/html"}
    )
    with pytest.raises(ContentDecodingError, match="truncated zstd") as info:
        fetch(guarded_settings(loopback_server), loopback_server.url("/cut.zst"))
    assert info.value.error_class == "decoding"


def test_concatenated_zstd_frames_and_a_skippable_frame_decode_whole(
    loopback_server: LoopbackServer,
) -> None:
    first, second = b"<p>first</p>" * 500, b"<p>second</p>" * 500
    skippable = b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"pad"
    body = (
        zstandard.ZstdCompressor(write_checksum=True).compress(first)
        + skippable
        + zstandard.ZstdCompressor(write_content_size=False).compress(second)
    )
    loopback_server.add_response("/two.zst", body, headers={"Content-Encoding": "zstd"})
    result = fetch(guarded_settings(loopback_server), loopback_server.url("/two.zst"))
    assert result.body == first + second


def test_fetchers_share_one_verifying_tls_context(loopback_server: LoopbackServer) -> None:
    import ssl

    from pipeline.ingest.fetch import _default_ssl_context

    context = _default_ssl_context()
    assert context is _default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_endless_body_stops_at_the_cap(loopback_server: LoopbackServer) -> None:
    with pytest.raises(ResponseTooLarge):
        fetch(guarded_settings(loopback_server, max_bytes=CAP), loopback_server.url("/_fault/huge"))


# -- deadlines and error classes -----------------------------------------------------------


def test_dripping_server_is_stopped_by_the_total_deadline(loopback_server: LoopbackServer) -> None:
    settings = guarded_settings(loopback_server, http_timeout=0.6)
    with pytest.raises(FeedTimeout) as info:
        fetch(settings, loopback_server.url("/_fault/drip?interval=0.1&size=100"))
    assert info.value.error_class == "timeout"


def test_hanging_server_times_out(loopback_server: LoopbackServer) -> None:
    with pytest.raises(FeedTimeout):
        fetch(
            guarded_settings(loopback_server, http_timeout=0.3), loopback_server.url("/_fault/hang")
        )


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(404, "http_4xx"), (410, "http_4xx"), (500, "http_5xx"), (429, "http_429")],
)
def test_error_statuses_map_to_error_classes(
    loopback_server: LoopbackServer, status: int, error_class: str
) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(
            guarded_settings(loopback_server),
            loopback_server.url(f"/_fault/status/{status}"),
            feed_id="f1",
        )
    assert info.value.status == status
    assert info.value.error_class == error_class
    assert info.value.feed_id == "f1"


def test_retry_after_is_read_as_seconds_or_http_date(loopback_server: LoopbackServer) -> None:
    settings = guarded_settings(loopback_server)
    with pytest.raises(HTTPStatusError) as info:
        fetch(settings, loopback_server.url("/_fault/status/429?retry_after=120"))
    assert info.value.retry_after == 120
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    loopback_server.add_response("/busy", b"busy", status=503, headers={"Retry-After": later})
    with pytest.raises(HTTPStatusError) as info:
        fetch(settings, loopback_server.url("/busy"))
    assert info.value.error_class == "http_5xx"
    assert info.value.retry_after is not None
    assert 3000 < info.value.retry_after <= 3600


def test_unresolvable_host_is_a_dns_failure() -> None:
    with pytest.raises(DNSFailure) as info:
        fetch(load_settings(env={}), "http://no-such-feed-host.invalid/feed.xml", feed_id="gone")
    assert info.value.error_class == "dns"
    assert info.value.url == "http://no-such-feed-host.invalid/feed.xml"
    assert info.value.feed_id == "gone"


def test_refused_port_is_a_connection_failure() -> None:
    port = free_port()
    settings = load_settings(env={}).replace(allowed_addresses=[f"127.0.0.1:{port}"])
    with pytest.raises(ConnectFailure) as info:
        fetch(settings, f"http://127.0.0.1:{port}/")
    assert info.value.error_class == "connection"


def test_https_to_a_plain_http_port_is_a_tls_failure_with_host_name_sni() -> None:
    """TLS is verified and SNI carries the host name even though we connect to an address."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    hello: list[bytes] = []

    def answer_in_plain_http() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            hello.append(conn.recv(4096))
            conn.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )

    thread = threading.Thread(target=answer_in_plain_http)
    thread.start()
    try:
        settings = load_settings(env={}).replace(
            allowed_addresses=[f"localhost:{port}"], http_timeout=5
        )
        with pytest.raises(TLSFailure) as info:
            fetch(settings, f"https://localhost:{port}/feed.xml")
    finally:
        thread.join(5)
        listener.close()
    assert info.value.error_class == "tls"
    assert b"localhost" in hello[0]


# -- concurrency and helpers ---------------------------------------------------------------


def test_no_more_than_per_host_limit_in_flight(loopback_server: LoopbackServer) -> None:
    settings = guarded_settings(loopback_server, per_host_concurrency=2, max_concurrency=16)
    requests = [
        FetchRequest(loopback_server.url(f"/_fault/count?delay=0.15&n={i}")) for i in range(6)
    ]
    results = fetch_many(settings, requests)
    assert all(isinstance(r, FetchResult) and r.status == 200 for r in results)
    assert loopback_server.count_max_in_flight == 2


def test_global_limit_applies_across_hosts(loopback_server: LoopbackServer) -> None:
    port = loopback_server.port
    settings = load_settings(env={}).replace(
        allowed_addresses=[f"127.0.0.1:{port}", f"localhost:{port}"],
        per_host_concurrency=1,
        max_concurrency=16,
    )
    hosts = ["127.0.0.1", "localhost"] * 2
    requests = [
        FetchRequest(f"http://{h}:{port}/_fault/count?delay=0.15&n={i}")
        for i, h in enumerate(hosts)
    ]
    fetch_many(settings, requests)
    assert loopback_server.count_max_in_flight == 2  # one per host, two hosts

    loopback_server.reset_counts()
    fetch_many(settings.replace(max_concurrency=1), requests)
    assert loopback_server.count_max_in_flight == 1


def test_fetch_all_returns_errors_as_values_in_order(loopback_server: LoopbackServer) -> None:
    requests = [
        FetchRequest(loopback_server.url("/_fault/ok"), feed_id="a"),
        FetchRequest(loopback_server.url("/_fault/status/404"), feed_id="b"),
        FetchRequest(loopback_server.url("/_fault/html"), feed_id="c", accept=PAGE_ACCEPT),
    ]
    ok, missing, page = fetch_many(guarded_settings(loopback_server), requests)
    assert isinstance(ok, FetchResult) and ok.content_type == "application/rss+xml"
    assert isinstance(missing, HTTPStatusError) and missing.feed_id == "b"
    assert isinstance(page, FetchResult) and page.content_type == "text/html"
    accepts = {r.path: r.headers["accept"] for r in loopback_server.requests}
    assert accepts["/_fault/html"] == PAGE_ACCEPT
    assert "application/rss+xml" in accepts["/_fault/ok"]


def test_fetch_url_is_a_one_shot_sync_call(loopback_server: LoopbackServer) -> None:
    result = fetch_url(loopback_server.url("/_fault/html"), guarded_settings(loopback_server))
    assert result.status == 200
    assert b"not a feed" in result.body
    assert result.fetched_at.tzinfo is not None


# -- the loopback server itself ------------------------------------------------------------


def _get(
    server: LoopbackServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_loopback_serves_files_with_real_types_and_validators(tmp_path: Path) -> None:
    files = {
        "a.rss": "application/rss+xml",
        "b.atom": "application/atom+xml",
        "c.xml": "application/xml",
        "d.json": "application/json",
        "e.html": "text/html",
    }
    for name in files:
        (tmp_path / name).write_text("<x>" + "lumi " * 100 + "</x>", encoding="utf-8")
    with LoopbackServer(tmp_path) as server:
        for name, media_type in files.items():
            status, headers, _ = _get(server, f"/{name}")
            assert status == 200
            assert headers["content-type"].startswith(media_type)
            assert headers["etag"].startswith('"')
            assert "last-modified" in headers
        status, headers, body = _get(
            server, "/a.rss", {"If-Modified-Since": headers["last-modified"]}
        )
        assert (status, body) == (304, b"")
        status, headers, body = _get(server, "/a.rss", {"Accept-Encoding": "gzip"})
        assert headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == (tmp_path / "a.rss").read_bytes()
        assert _get(server, "/../etc/passwd")[0] == 404
        assert _get(server, "/missing.xml")[0] == 404


def test_loopback_extra_headers_and_routes(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(b"<rss/>")
    with LoopbackServer(tmp_path) as server:
        server.set_headers("/feed.xml", {"Cache-Control": "max-age=3600"})
        server.add_response("/custom", b"hello", headers={"Content-Type": "text/plain"})
        assert _get(server, "/feed.xml")[1]["cache-control"] == "max-age=3600"
        assert _get(server, "/custom")[2] == b"hello"


def test_loopback_stop_ends_hanging_and_idle_connections() -> None:
    server = LoopbackServer().start()
    hanging = socket.create_connection(("127.0.0.1", server.port))
    idle = socket.create_connection(("127.0.0.1", server.port))
    drip = socket.create_connection(("127.0.0.1", server.port))
    try:
        hanging.sendall(b"GET /_fault/hang HTTP/1.1\r\nHost: x\r\n\r\n")
        drip.sendall(b"GET /_fault/drip?interval=10&size=5 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert drip.recv(100).startswith(b"HTTP/1.1 200")
        server.stop()
        assert not [t for t in threading.enumerate() if t.name.startswith("loopback")]
    finally:
        for sock in (hanging, idle, drip):
            sock.close()
