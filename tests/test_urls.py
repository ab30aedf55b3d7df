"""Canonical URLs: the spelling that dedupes the same article reached through two links."""

from __future__ import annotations

import pytest

from pipeline.ingest.urls import TRACKING_PARAMS, canonical_url, is_tracking_param


def test_scheme_and_host_are_lower_cased_and_default_port_dropped():
    assert canonical_url("HTTP://Example.COM:80/Path") == "http://example.com/Path"
    assert canonical_url("https://EXAMPLE.com:443/a") == "https://example.com/a"


def test_non_default_port_is_kept():
    assert canonical_url("https://example.com:8443/a") == "https://example.com:8443/a"
    assert canonical_url("http://example.com:443/a") == "http://example.com:443/a"


def test_fragment_and_user_info_are_dropped():
    assert canonical_url("https://user:secret@example.com/a#section-2") == "https://example.com/a"


def test_empty_path_becomes_slash():
    assert canonical_url("https://example.com") == "https://example.com/"
    assert canonical_url("https://example.com?x=1") == "https://example.com/?x=1"


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/post/1", "https://blog.example/feed.xml", "https://blog.example/post/1"),
        ("post/1", "https://blog.example/feeds/all.xml", "https://blog.example/feeds/post/1"),
        ("../x", "https://blog.example/a/b/c", "https://blog.example/a/x"),
        ("//cdn.example/x", "https://blog.example/", "https://cdn.example/x"),
        ("?page=2", "https://blog.example/list?page=1", "https://blog.example/list?page=2"),
        ("https://other.example/y", "https://blog.example/", "https://other.example/y"),
    ],
)
def test_relative_urls_are_resolved_against_the_base(url, base, expected):
    assert canonical_url(url, base) == expected


@pytest.mark.parametrize(
    "param",
    [
        *("fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"),
        *("_hsenc", "_hsmi", "mkt_tok", "ref_src", "spm", "utm_source", "utm_content"),
        "UTM_Medium",
    ],
)
def test_each_tracking_parameter_is_dropped(param):
    url = f"https://example.com/a?id=7&{param}=abc&page=2"
    assert canonical_url(url) == "https://example.com/a?id=7&page=2"


def test_documented_tracking_set_holds_the_well_known_names():
    expected = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"}
    expected |= {"_hsenc", "_hsmi", "mkt_tok", "ref_src", "spm"}
    assert expected <= TRACKING_PARAMS
    assert isinstance(TRACKING_PARAMS, frozenset)
    assert is_tracking_param("utm_anything")
    assert not is_tracking_param("id")


def test_other_parameters_keep_their_order_spelling_and_blank_values():
    url = "https://example.com/s?z=1&a=&utm_source=x&m=a+b&q=%7e"
    assert canonical_url(url) == "https://example.com/s?z=1&a=&m=a+b&q=%7E"


def test_query_that_only_tracks_disappears_entirely():
    assert canonical_url("https://example.com/a?utm_source=rss&utm_medium=feed") == (
        "https://example.com/a"
    )


def test_international_host_is_converted_to_idna():
    assert canonical_url("https://Bücher.example/") == "https://xn--bcher-kva.example/"


def test_non_ascii_path_and_spaces_are_percent_encoded():
    assert canonical_url("https://example.com/ä b") == "https://example.com/%C3%A4%20b"


def test_dot_segments_are_removed_but_double_slashes_kept():
    assert canonical_url("https://example.com/a/./b/../c") == "https://example.com/a/c"
    assert canonical_url("https://example.com/a//b") == "https://example.com/a//b"
    assert canonical_url("https://example.com/a/b/..") == "https://example.com/a"


def test_trailing_slash_variants_of_one_page_are_one_url():
    assert canonical_url("https://mistral.ai/news/devstral-2/") == canonical_url(
        "https://mistral.ai/news/devstral-2"
    )
    assert canonical_url("https://example.com/a///") == "https://example.com/a"
    assert canonical_url("https://example.com/") == "https://example.com/"
    assert canonical_url("https://example.com/a/?q=1") == "https://example.com/a?q=1"


def test_ipv6_literal_is_kept_with_brackets():
    assert canonical_url("http://[::1]:8080/x") == "http://[::1]:8080/x"


def test_whitespace_and_wrapped_newlines_are_ignored():
    assert canonical_url("  https://example.com/a\n/b  ") == "https://example.com/a/b"


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "data:text/html,hi",
        "/relative/without/base",
        "https://",
        "https://exa mple.com/",
        "https://example.com:99999/",
    ],
)
def test_non_http_or_invalid_urls_give_none(url):
    assert canonical_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://Example.COM:80/a/./b?utm_source=x&b=2#f",
        "https://Bücher.example/ä?q=ü",
        "https://example.com/a//b/../c?x=%2f",
    ],
)
def test_canonical_url_is_idempotent(url):
    once = canonical_url(url)
    assert once is not None
    assert canonical_url(once) == once
