"""Structured logging with a fixed vocabulary of fields.

Values travel as fields (``extra={...}``), never inside the message text, so the JSON
format (``LUMI_LOG_FORMAT=json``) can be filtered by ``stage``, ``feed_id`` and the rest.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = ["FIELDS", "LOGGERS", "configure_logging"]

#: The fields a log record may carry.
FIELDS = (
    "stage",
    "feed_id",
    "url",
    "article_id",
    "classifier",
    "duration_ms",
    "error_class",
    "error",
    "count",
    "updated",
    "pages_failed",
    "attempts",
    "story_id",
    "day",
)

#: The loggers Lumi formats: its own and the stand-alone classifiers' (whose INFO lines
#: would otherwise go to the root logger's WARNING default and be lost).
LOGGERS = ("lumi", "classifiers")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = " ".join(f"{n}={getattr(record, n)}" for n in FIELDS if hasattr(record, n))
        return f"{base} {fields}" if fields else base


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (it may be swapped)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(settings: Settings, level: str | None = None) -> None:
    """Send Lumi's logs to stderr in the configured format and level."""
    handler = _StderrHandler()
    if settings.log_format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(levelname)s %(name)s: %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level or settings.log_level)
        logger.propagate = False
