"""Hostile servers on loopback: each fault is reported with its own error class.

Wire faults (drip, hang, reset, short body, endless chunks), compression bombs with
stacked codings, redirect loops and bad schemes, error statuses with Retry-After, content
that is not a feed or lies about its charset, GUID and date oddities, and TLS endpoints
with untrusted, expired and mismatched certificates. A whole cycle of bad feeds leaves the
good feeds in it untouched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultserver import RSS_TYPE, FaultServer, item, rss
from harness import cycle, fetch, settings_for

from pipeline.errors import FetchError, HTTPStatusError
from pipeline.ingest.fetch import Fetcher
from pipeline.ingest.parse import parse_feed
from pipeline.records import FetchResult


def fetch_error(server: FaultServer, path: str, **changes: object) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(settings_for(server, **changes), server.url(path), feed_id="hostile")
    assert info.value.feed_id == "hostile"
    return info.value


# -- the wire -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error_class"),
    [
        ("/drip?interval=0.05", "timeout"),
        ("/drip-headers?interval=0.05", "timeout"),
        ("/hang", "timeout"),
        ("/header-flood", "connection"),
        ("/reset", "connection"),
        ("/short", "connection"),
        ("/chunked-endless", "too_large"),
    ],
)
def test_wire_faults_have_their_error_class(
    faults: FaultServer, path: str, error_class: str
) -> None:
    error = fetch_error(faults, path, http_timeout=0.4)
    assert error.error_class == error_class, error
    assert faults.hits[path.split("?")[0]] == 1


def test_connection_refused_is_a_connection_error(faults: FaultServer) -> None:
    port = faults.port
    faults.stop()
    with pytest.raises(FetchError) as info:
        fetch(settings_for(faults), f"http://127.0.0.1:{port}/ok")
    assert info.value.error_class == "connection"


# -- compression ----------------------------------------------------------------------------

BOMBS = ["gzip", "deflate", "br", "zstd", "gzip,gzip", "br,gzip", "zstd,br,gzip", "deflate,zstd"]


@pytest.mark.parametrize("codings", BOMBS)
def test_compression_bombs_stop_at_the_cap(faults: FaultServer, codings: str) -> None:
    error = fetch_error(faults, f"/bomb?codings={codings}", max_bytes=64 * 1024)
    assert error.error_class == "too_large", error


@pytest.mark.parametrize("codings", ["gzip,br", "zstd,deflate", "br,zstd,gzip"])
def test_stacked_codings_within_the_cap_decode(faults: FaultServer, codings: str) -> None:
    result = fetch(
        settings_for(faults, max_bytes=1024 * 1024),
        faults.url(f"/bomb?codings={codings}&size=500000"),
    )
    assert result.body == b"<rss>" + b"\0" * 500_000


@pytest.mark.parametrize("codings", ["gzip", "deflate", "br", "zstd", "gzip,zstd"])
def test_truncated_compressed_bodies_are_decoding_errors(faults: FaultServer, codings: str) -> None:
    error = fetch_error(faults, f"/truncated?codings={codings}")
    assert error.error_class == "decoding", error


def test_unknown_content_coding_is_a_decoding_error(faults: FaultServer) -> None:
    faults.add_response("/lzw", b"x" * 100, headers={"Content-Encoding": "compress"})
    assert fetch_error(faults, "/lzw").error_class == "decoding"


# -- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/loop-a", "/endless", "/chain?n=6", "/redirect?to=/redirect%3Fto%3D/loop-a"],
)
def test_redirect_loops_and_long_chains_are_redirect_errors(faults: FaultServer, path: str) -> None:
    error = fetch_error(faults, path)
    assert error.error_class == "redirect", error
    assert sum(faults.hits.values()) <= 6  # at most max_redirects + 1 requests


def test_a_chain_within_the_limit_is_followed(faults: FaultServer) -> None:
    result = fetch(settings_for(faults), faults.url("/chain?n=5"))
    assert result.status == 200 and result.final_url == faults.url("/chain?n=0")


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "ftp://fault.example/feed.xml",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "gopher://fault.example/",
    ],
)
def test_redirects_to_other_schemes_are_refused(faults: FaultServer, target: str) -> None:
    error = fetch_error(faults, f"/redirect?to={target}")
    assert error.error_class == "redirect", error
    assert target.split(":")[0] + ":" in str(error)


def test_redirect_without_location_is_a_redirect_error(faults: FaultServer) -> None:
    faults.add_response("/nowhere", b"", status=302, headers={})
    assert fetch_error(faults, "/nowhere").error_class == "redirect"


# -- statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "error_class", "retry_after"),
    [
        ("code=404", "http_4xx", None),
        ("code=410", "http_4xx", None),
        ("code=429&retry_after=120", "http_429", (120, 120)),
        ("code=429&retry_after=date:3600", "http_429", (3500, 3600)),
        ("code=503&retry_after=30", "http_5xx", (30, 30)),
        ("code=503&retry_after=date:600", "http_5xx", (500, 600)),
        ("code=429&retry_after=soon", "http_429", None),
        ("code=500", "http_5xx", None),
    ],
)
def test_error_statuses_and_retry_after(
    faults: FaultServer, query: str, error_class: str, retry_after: tuple[int, int] | None
) -> None:
    error = fetch_error(faults, f"/status?{query}")
    assert isinstance(error, HTTPStatusError)
    assert error.error_class == error_class
    if retry_after is None:
        assert error.retry_after is None
    else:
        assert error.retry_after is not None
        assert retry_after[0] <= error.retry_after <= retry_after[1]


def test_reason_phrase_cannot_smuggle_control_characters(faults: FaultServer) -> None:
    faults.add(
        "/c1",
        lambda conn, _r: conn.raw(
            b"HTTP/1.1 503 Busy \x1b[31m\x9b31m\xc2\x9b2J\x07\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    error = fetch_error(faults, "/c1")
    assert error.error_class == "http_5xx"
    assert str(error).isprintable(), repr(str(error))


# -- content -------------------------------------------------------------------------------

WINDOWS_1252_TITLE = "Café ‘quoted’ – €5"
DATES = {
    "epoch": "Thu, 01 Jan 1970 00:00:00 GMT",
    "far": "Fri, 31 Dec 2100 23:59:59 GMT",
    "garbage": "the day after tomorrow",
    "impossible": "Mon, 31 Feb 2025 25:61:00 GMT",
}


def _content_routes(server: FaultServer) -> None:
    html = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>hi</p></body></html>"
    server.add_response("/html", html, headers={"Content-Type": "text/html; charset=utf-8"})
    server.add_response("/html-as-rss", html, headers={"Content-Type": "application/rss+xml"})
    wrong = rss(WINDOWS_1252_TITLE, [item(1, guid="w-1")], encoding="windows-1252")
    server.add_response(
        "/charset-wrong", wrong, headers={"Content-Type": "application/rss+xml; charset=utf-8"}
    )
    server.add_response(
        "/charset-missing",
        rss(WINDOWS_1252_TITLE, [item(1, guid="m-1")], encoding="windows-1252", decl=False),
        headers={"Content-Type": "application/rss+xml"},
    )
    server.add_response(
        "/charset-bogus",
        rss("Bogus", [item(1, guid="b-1")]),
        headers={"Content-Type": "application/rss+xml; charset=no-such-charset"},
    )
    guids = [
        item(1, guid="same"),
        item(2, guid="same"),  # a duplicate GUID: one entry
        item(3),  # no GUID: keyed by its link
        item(3),  # the same link again, still no GUID
        "<title>Only a title</title><description>No link, no GUID.</description>",
        item(4, guid="   "),  # a blank GUID counts as none
    ]
    server.add_response("/guids", rss("GUIDs", guids))
    dated = [item(n, guid=f"d-{name}", date=value) for n, (name, value) in enumerate(DATES.items())]
    dated.append(item(9, guid="d-missing"))
    server.add_response("/dates", rss("Dates", dated))
    server.add_response(
        "/not-xml", b"\x00\x01garbage\xff" * 50, headers={"Content-Type": "text/plain"}
    )
    server.add_response("/empty", b"", headers=RSS_TYPE)


def test_charset_lies_and_omissions_still_decode(faults: FaultServer) -> None:
    _content_routes(faults)
    settings = settings_for(faults)
    for path in ("/charset-wrong", "/charset-missing"):
        result = fetch(settings, faults.url(path))
        parsed = parse_feed("f", result.body, url=result.final_url, headers=result.headers)
        assert parsed.title == WINDOWS_1252_TITLE, path
    result = fetch(settings, faults.url("/charset-bogus"))
    parsed = parse_feed("f", result.body, url=result.final_url, headers=result.headers)
    assert parsed.title == "Bogus" and len(parsed.entries) == 1


def test_duplicate_and_missing_guids_give_stable_distinct_keys(faults: FaultServer) -> None:
    _content_routes(faults)
    result = fetch(settings_for(faults), faults.url("/guids"))
    keys = [e.dedupe_key for e in parse_feed("f", result.body, headers=result.headers).entries]
    assert keys[0] == keys[1] == "guid:same"
    assert keys[2] == keys[3] == "url:https://fault.example/post/3"
    assert keys[4].startswith("hash:")
    assert keys[5] == "url:https://fault.example/post/4"
    again = [e.dedupe_key for e in parse_feed("f", result.body, headers=result.headers).entries]
    assert again == keys


def test_odd_dates_are_kept_when_real_and_dropped_when_not(faults: FaultServer) -> None:
    _content_routes(faults)
    result = fetch(settings_for(faults), faults.url("/dates"))
    entries = {e.guid: e for e in parse_feed("f", result.body, headers=result.headers).entries}
    assert entries["d-epoch"].published == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert entries["d-far"].published == dt.datetime(2100, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    for guid in ("d-garbage", "d-impossible", "d-missing"):
        assert entries[guid].published is None, guid


# -- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> object:
    """A throw-away certificate authority (the TLS cases skip without ``trustme``)."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def _tls_server(cert: object) -> FaultServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)  # type: ignore[attr-defined]
    return FaultServer(tls=context)


@pytest.fixture
def tls_servers(ca: object) -> Iterator[dict[str, FaultServer]]:
    now = dt.datetime.now(dt.UTC)
    certs = {
        "valid": ca.issue_cert("localhost"),  # type: ignore[attr-defined]
        "expired": ca.issue_cert(  # type: ignore[attr-defined]
            "localhost",
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
        ),
        "mismatched": ca.issue_cert("feeds.other.example"),  # type: ignore[attr-defined]
    }
    servers = {name: _tls_server(cert) for name, cert in certs.items()}
    for server in servers.values():
        server.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _fetch_tls(
    servers: dict[str, FaultServer], name: str, trust: ssl.SSLContext | None
) -> FetchResult:
    server = servers[name]
    settings = settings_for(*servers.values()).replace(
        allowed_addresses=[f"localhost:{s.port}" for s in servers.values()]
    )

    async def run() -> FetchResult:
        async with Fetcher(settings, ssl_context=trust) as fetcher:
            return await fetcher.get(server.url("/ok", host="localhost"))

    return asyncio.run(run())


def test_untrusted_certificate_is_a_tls_error(tls_servers: dict[str, FaultServer]) -> None:
    with pytest.raises(FetchError) as info:
        _fetch_tls(tls_servers, "valid", None)  # the bundled trust store knows no test CA
    assert info.value.error_class == "tls"
    assert tls_servers["valid"].hits["/ok"] == 0


@pytest.mark.parametrize(("name", "why"), [("expired", "expired"), ("mismatched", "match")])
def test_expired_and_mismatched_certificates_are_tls_errors(
    tls_servers: dict[str, FaultServer], ca: object, name: str, why: str
) -> None:
    trust = ssl.create_default_context()
    ca.configure_trust(trust)  # type: ignore[attr-defined]
    assert _fetch_tls(tls_servers, "valid", trust).status == 200  # the CA itself is fine
    with pytest.raises(FetchError) as info:
        _fetch_tls(tls_servers, name, trust)
    assert info.value.error_class == "tls"
    assert why in str(info.value).lower()
    assert tls_servers[name].hits["/ok"] == 0


def test_a_server_that_never_answers_the_tls_handshake_times_out(faults: FaultServer) -> None:
    settings = settings_for(http_timeout=0.5).replace(
        allowed_addresses=[f"localhost:{faults.port}"]
    )
    with pytest.raises(FetchError) as info:
        fetch(settings, faults.url("/ok", host="localhost").replace("http:", "https:"))
    assert info.value.error_class == "timeout"
    assert faults.hits["/ok"] == 0
    del info  # its traceback holds the frames of the handshake
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()  # a socket left open by the cut handshake warns when collected
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_context_that_does_not_verify_is_refused() -> None:
    lax = ssl.create_default_context()
    lax.check_hostname = False
    lax.verify_mode = ssl.CERT_NONE

    async def run() -> None:
        async with Fetcher(settings_for(), ssl_context=lax):
            pass

    with pytest.raises(ValueError, match="verify"):
        asyncio.run(run())


# -- one cycle, many bad feeds ---------------------------------------------------------------

CYCLE_CASES = {
    "drip": ("/drip?interval=0.05", "timeout"),
    "hang": ("/hang", "timeout"),
    "reset": ("/reset", "connection"),
    "short": ("/short", "connection"),
    "chunked": ("/chunked-endless", "too_large"),
    "bomb": ("/bomb?codings=zstd,br,gzip", "too_large"),
    "truncated": ("/truncated?codings=br", "decoding"),
    "loop": ("/loop-a", "redirect"),
    "to-javascript": ("/redirect?to=javascript:alert(1)", "redirect"),
    "to-file": ("/redirect?to=file:///etc/passwd", "redirect"),
    "missing": ("/status?code=404", "http_4xx"),
    "gone": ("/status?code=410", "http_4xx"),
    "slow-down": ("/status?code=429&retry_after=120", "http_429"),
    "busy": ("/status?code=503&retry_after=date:600", "http_5xx"),
    "html": ("/html", "not_a_feed"),
    "html-as-rss": ("/html-as-rss", "not_a_feed"),
    "not-xml": ("/not-xml", "not_a_feed"),
    "empty": ("/empty", "not_a_feed"),
    "charset-wrong": ("/charset-wrong", None),
    "charset-missing": ("/charset-missing", None),
    "guids": ("/guids", None),
    "dates": ("/dates", None),
}


def test_one_cycle_of_hostile_feeds_reports_each_and_spares_the_good_ones(
    faults: FaultServer, tmp_path: Path
) -> None:
    _content_routes(faults)
    with FaultServer() as good:
        good.add_response("/a", rss("Good A", [item(n, guid=f"a-{n}") for n in range(3)]))
        good.add_response("/b", rss("Good B", [item(n + 10, guid=f"b-{n}") for n in range(2)]))
        feeds = {fid: faults.url(path) for fid, (path, _) in CYCLE_CASES.items()}
        feeds |= {"good-a": good.url("/a"), "good-b": good.url("/b")}
        settings = settings_for(faults, good, http_timeout=1.0, per_host_concurrency=8)
        report = cycle(tmp_path, settings, feeds)
    outcomes = {f.feed_id: f for f in report.feeds}
    assert len(outcomes) == len(feeds)
    for fid, (_, error_class) in CYCLE_CASES.items():
        assert outcomes[fid].error_class == error_class, (fid, outcomes[fid])
    assert outcomes["good-a"].error_class is None and outcomes["good-a"].new == 3
    assert outcomes["good-b"].error_class is None and outcomes["good-b"].new == 2
    assert outcomes["guids"].new == 4  # "same" once, post/3 once, the hash, post/4
    assert outcomes["dates"].new == len(DATES) + 1
    assert report.failed == sum(1 for _, e in CYCLE_CASES.values() if e)
