"""Canonical URLs: one spelling per article, so the same story from two links dedupes.

:func:`canonical_url` resolves a link against its base, normalises scheme, host and port,
drops the fragment, a trailing slash, user info and tracking parameters
(:data:`TRACKING_PARAMS`, plus every ``utm_*``), and keeps the remaining query parameters
in their original order.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import idna

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonical_url",
    "is_anchor",
    "is_tracking_param",
    "url_fragment",
    "with_fragment",
]

#: Query parameters that only identify a campaign, click or share, never the content.
#: Matched case-insensitively; every name starting with one of :data:`TRACKING_PREFIXES`
#: is dropped as well.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",  # Facebook click id
        "gclid",  # Google Ads click id
        "gclsrc",  # Google Ads click source
        "dclid",  # Google Display click id
        "gbraid",  # Google Ads (iOS) click id
        "wbraid",  # Google Ads (web-to-app) click id
        "msclkid",  # Microsoft Ads click id
        "yclid",  # Yandex click id
        "twclid",  # X/Twitter click id
        "ttclid",  # TikTok click id
        "li_fat_id",  # LinkedIn click id
        "igshid",  # Instagram share id
        "igsh",  # Instagram share id (newer)
        "mc_cid",  # Mailchimp campaign id
        "mc_eid",  # Mailchimp subscriber id
        "_hsenc",  # HubSpot
        "_hsmi",  # HubSpot
        "__hstc",  # HubSpot
        "__hssc",  # HubSpot
        "__hsfp",  # HubSpot
        "hsctatracking",  # HubSpot CTA
        "mkt_tok",  # Marketo
        "oly_anon_id",  # Omeda
        "oly_enc_id",  # Omeda
        "vero_id",  # Vero
        "vero_conv",  # Vero
        "rb_clickid",  # Rakuten
        "s_cid",  # Adobe campaign id
        "ref_src",  # Twitter embeds
        "ref_url",  # Twitter embeds
        "spm",  # Alibaba/Taobao
        "scm",  # Alibaba/Taobao
        "_ga",  # Google Analytics cross-domain linker
        "_gl",  # Google Analytics cross-domain linker
        "cmpid",  # campaign id (many news sites)
        "ncid",  # Yahoo/AOL campaign id
        "sr_share",  # share source
        "share_source",
        "trk",  # LinkedIn
        "trkcampaign",
        "at_medium",  # AT Internet
        "at_campaign",  # AT Internet
        "wt_mc",  # Webtrends
        "wt.mc_id",  # Webtrends
        "icid",  # internal campaign id
    }
)

#: Parameter-name prefixes that mark tracking parameters (``utm_source``, ``utm_medium``, ...).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in a path; everything else (spaces, non-ASCII) is %-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"
_QUERY_SAFE = "/%:@!$&'()*+,;=~-._?"
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def is_tracking_param(name: str) -> bool:
    """Return True when the query parameter ``name`` only tracks a click or campaign.

    Args:
        name: the parameter name as it appears in the query (percent-escapes allowed).
    """
    key = unquote(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _idna_host(host: str) -> str | None:
    host = host.rstrip(".").lower()
    if not host:
        return None
    if host.startswith("["):  # IPv6 literal: kept as it is, lower-case
        return host
    if host.isascii():
        if re.fullmatch(r"[a-z0-9._-]+", host) is None:
            return None
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            # IDNA 2003 (the stdlib codec) still accepts some names that IDNA 2008 refuses,
            # such as emoji domains that exist in the wild.
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return None


def _normalise_escapes(text: str, safe: str) -> str:
    # quote() leaves existing %XX alone because "%" is safe; upper-case them for one spelling.
    quoted = quote(text, safe=safe)
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), quoted)


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 section 5.2.4, segment by segment (posixpath.normpath would also merge "//").
    segments = path.split("/")
    if not any(seg in (".", "..") for seg in segments):
        return path
    out: list[str] = []
    for seg in segments[1:]:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    if segments[-1] in (".", ".."):
        out.append("")  # "/a/b/.." names the directory "/a/"
    return "/" + "/".join(out)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Return the canonical spelling of an http(s) URL, or None if it is not one.

    Steps: strip surrounding whitespace; resolve ``url`` against ``base`` when given;
    lower-case the scheme and host; convert an internationalised host to IDNA (punycode);
    drop user info, the default port (80/443), the fragment and every tracking parameter
    (see :data:`TRACKING_PARAMS` and :data:`TRACKING_PREFIXES`); keep the other query
    parameters in their order and spelling; remove ``.``/``..`` path segments; use ``/``
    for an empty path and drop a trailing ``/`` from any other; percent-encode spaces and
    non-ASCII characters in path and query.

    Args:
        url: an absolute or relative URL.
        base: the URL to resolve a relative ``url`` against (the feed or page URL).

    Returns:
        The canonical URL, or None when the result is not an ``http``/``https`` URL with a
        valid host and port (``mailto:``, ``javascript:``, relative without a base, ...).
    """
    if not url or not url.strip():
        return None
    text = url.strip()
    # Browsers ignore tabs and newlines inside URLs; feeds carry them from wrapped XML.
    text = re.sub(r"[\t\r\n]", "", text)
    if base:
        try:
            text = urljoin(base.strip(), text)
        except ValueError:
            return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # bad port or bad IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    hostname = parts.hostname
    if not hostname:
        return None
    if ":" in hostname:  # urlsplit drops the brackets of an IPv6 literal
        hostname = f"[{hostname}]"
    host = _idna_host(hostname)
    if host is None:
        return None
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"

    path = _normalise_escapes(_remove_dot_segments(parts.path or "/"), _PATH_SAFE)
    # "/news/devstral/" and "/news/devstral" are one page on every site Lumi reads: one
    # spelling, so one source (the root path keeps its slash).
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not is_tracking_param(pair.split("=", 1)[0].replace("+", " "))
    ]
    query = _normalise_escapes("&".join(kept), _QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def url_fragment(url: str | None) -> str:
    """The fragment of ``url`` (without ``#``), "" when it has none or is unreadable."""
    if not url:
        return ""
    try:
        return urlsplit(url.strip()).fragment
    except ValueError:
        return ""


def is_anchor(canonical: str | None) -> bool:
    """True when ``canonical`` keeps a fragment: it names one anchor of a page that other
    entries share (see :func:`with_fragment`), not a page of its own."""
    return canonical is not None and "#" in canonical


def with_fragment(canonical: str, fragment: str) -> str:
    """``canonical`` with ``fragment`` appended in one spelling (percent-encoded as needed).

    Used only where the fragment is what tells two entries apart (anchors of one shared
    page); every other canonical URL has none.
    """
    return f"{canonical}#{_normalise_escapes(fragment, _QUERY_SAFE + '#')}"
