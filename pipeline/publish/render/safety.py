"""Shared guards for untrusted feed text and URLs in every output format."""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["clean_text", "one_line", "safe_url"]

# Characters XML 1.0 cannot carry (C0 controls except tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF); HTML forbids the same controls. Stripped from feed text in every format so
# that one feed can never make the Atom or HTML output invalid.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """``value`` without characters XML/HTML cannot carry; CR/LF normalised to LF."""
    if not value:
        return ""
    return _ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(value: str | None) -> str:
    """:func:`clean_text` with every run of whitespace collapsed to one space."""
    return _SPACE.sub(" ", clean_text(value)).strip()


def safe_url(value: str | None) -> str | None:
    """``value`` when it is an absolute ``http``/``https`` URL with a host, else None.

    ``javascript:``, ``data:``, ``vbscript:``, relative and protocol-relative URLs are
    refused; spaces and quotes are percent-encoded so the URL is one safe token.
    """
    if not value:
        return None
    url = clean_text(value).strip()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urllib.parse.quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")
