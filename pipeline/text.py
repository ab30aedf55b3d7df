"""Text primitives every stage shares: words, byte-order marks, the "looks binary" test.

One definition each, so that the extractor, the classifier input, stories and summaries
agree on what a word is and which bytes are text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

__all__ = ["BOMS", "WORD", "looks_binary", "strip_bom", "words"]

#: A word: letters or digits, with inner hyphens, dots and apostrophes ("gpt-oss", "3.1",
#: "Mistral's"), so model names and versions stay one word.
WORD = re.compile(r"\w+(?:[-.'’]\w+)*")

#: Byte-order marks and the codec each announces; UTF-32 before UTF-16, whose BOM is a prefix
#: of UTF-32-LE's.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)

#: How much of a body the binary test reads.
_SNIFF = 8192
#: Share of control characters above which bytes are not text.
_CONTROL_SHARE = 0.05
# Control bytes other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def words(text: str, *, fold: bool = True) -> list[str]:
    """The words of ``text`` (NFKC-normalised, case-folded unless ``fold`` is False)."""
    normal = unicodedata.normalize("NFKC", text)
    return WORD.findall(normal.casefold() if fold else normal)


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    """``data`` without its byte-order mark, and the codec the mark names (None: no mark)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return data[len(bom) :], codec
    return data, None


def looks_binary(data: bytes) -> bool:
    """True when ``data`` is not text: a NUL byte or too many control bytes in its head.

    A byte-order mark makes it text (UTF-16 and UTF-32 are full of NUL bytes).
    """
    head = data[:_SNIFF]
    if not head:
        return False
    if any(head.startswith(bom) for bom, _ in BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > _CONTROL_SHARE
