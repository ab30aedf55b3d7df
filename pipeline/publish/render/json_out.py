"""The JSON digest (design.md section 7), valid against ``pipeline/schemas/digest.schema.json``."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, cast

from pipeline.publish.render.i18n import summary_heading
from pipeline.records import Digest

__all__ = ["digest_schema", "document", "render", "validate"]


def document(digest: Digest) -> dict[str, Any]:
    """The JSON digest object: :meth:`Digest.to_json` with each summary section's heading
    also given in the digest's language (``display_heading``; ``heading`` stays English)."""
    out = digest.to_json()
    for item in cast(list[dict[str, Any]], out["items"]):
        for section in item["sections"]:
            section["display_heading"] = summary_heading(digest.language, section["heading"])
    return out


def render(digest: Digest) -> bytes:
    """The digest as one JSON object (UTF-8, two-space indent, trailing newline)."""
    return (json.dumps(document(digest), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@functools.cache
def digest_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON digest, shipped as package data."""
    text = resources.files("pipeline").joinpath("schemas/digest.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(document: Any) -> None:
    """Check a parsed JSON digest against :func:`digest_schema`.

    Raises:
        jsonschema.ValidationError: the document does not match (the message says where).
    """
    import jsonschema

    jsonschema.Draft202012Validator(
        digest_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)
