"""Lumi's one error tree.

Every error Lumi raises on purpose derives from :class:`LumiError`. Errors carry the
context needed to act on them (feed id, URL) and say how to fix the problem::

    LumiError
    ├── ConfigError                  bad settings or registry; CLI exit code 2
    │   ├── SettingError             one LUMI_* value is invalid
    │   ├── FeedRegistryError        feeds.yaml / OPML entry is invalid (names entry and field)
    │   └── EditorRequired           an approval without a named editor (Article 50(4))
    ├── FetchError                   one HTTP fetch failed; ``error_class`` is stored on the feed
    │   ├── FeedTimeout              "timeout": connect/read/total deadline exceeded
    │   ├── DNSFailure               "dns": the host name does not resolve
    │   ├── ConnectFailure           "connection": refused, reset or unreachable
    │   ├── TLSFailure               "tls": certificate or handshake failure
    │   ├── HTTPStatusError          "http_4xx" / "http_429" / "http_5xx"
    │   ├── TooManyRedirects         "redirect": redirect loop, > max hops, or a bad scheme
    │   ├── ResponseTooLarge         "too_large": decoded body above the byte cap
    │   ├── ContentDecodingError     "decoding": corrupt or truncated gzip/deflate/br/zstd body
    │   └── RefusedAddress           "refused_address": private/loopback/metadata target
    ├── ParseError                   bytes were fetched but are not usable
    │   ├── NotAFeed                 "not_a_feed": HTML or other non-feed content
    │   ├── FeedParseError           "parse_error": nothing recoverable in the document
    │   └── HostileXML               "parse_error": entity expansion / external entities
    ├── ExtractionError
    │   └── NoExtractableText        a page yielded no article text (a dropped page, not a crash)
    ├── ClassifierError
    │   ├── ClassifierNotConfigured  a classifier's model or data file is missing
    │   └── UnknownClassifier        no classifier registered under that name
    ├── LLMError                     the optional paraphraser failed (``reason`` says how);
    │                                the extractive summary is used instead
    ├── StoreError
    │   ├── NotFound                 no row with that id
    │   └── DatabaseFault            the database failed; one line saying what is wrong and
    │       │                        what to do; ``lumi`` exits 1, the service stays up
    │       ├── DatabaseBusy         locked by another writer, serialization failure or
    │       │                        deadlock (transient: the transaction is retried)
    │       ├── DatabaseUnavailable  unreachable, connection lost, I/O error (transient)
    │       ├── DatabaseFull         disk full or the database's size limit reached
    │       ├── DatabaseReadOnly     the database or its file refuses writes
    │       └── DatabaseCorrupt      not a database, or a malformed page; never repaired
    └── ExportError                  the digest could not be written to its folder

Control-flow signals are errors too: a dropped article (``NoExtractableText``) is logged and
counted, never fatal to a cycle.
"""

from __future__ import annotations

__all__ = [
    "ERROR_CLASSES",
    "ClassifierError",
    "ClassifierNotConfigured",
    "ConfigError",
    "ConnectFailure",
    "ContentDecodingError",
    "DNSFailure",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DatabaseFault",
    "DatabaseFull",
    "DatabaseReadOnly",
    "DatabaseUnavailable",
    "EditorRequired",
    "ExportError",
    "ExtractionError",
    "FeedParseError",
    "FeedRegistryError",
    "FeedTimeout",
    "FetchError",
    "HTTPStatusError",
    "HostileXML",
    "LLMError",
    "LumiError",
    "NoExtractableText",
    "NotAFeed",
    "NotFound",
    "ParseError",
    "RefusedAddress",
    "ResponseTooLarge",
    "SettingError",
    "StoreError",
    "TLSFailure",
    "TooManyRedirects",
    "UnknownClassifier",
]

#: Every error class that can be stored on a feed, with what it means.
ERROR_CLASSES: dict[str, str] = {
    "timeout": "the server did not answer within the total deadline",
    "dns": "the host name did not resolve",
    "connection": "the connection was refused, reset or unreachable",
    "tls": "TLS handshake or certificate verification failed",
    "http_4xx": "the server answered with a client error (4xx other than 429)",
    "http_429": "the server asked us to slow down (429); Retry-After is honoured",
    "http_5xx": "the server answered with a server error (5xx)",
    "redirect": "too many redirects, a redirect loop, or a redirect to a non-HTTP scheme",
    "too_large": "the decoded body exceeded the byte cap",
    "decoding": "the compressed body (gzip, deflate, br, zstd) was corrupt or truncated",
    "not_a_feed": "the document is not an RSS, Atom or JSON feed",
    "parse_error": "the feed could not be parsed (or was refused as hostile XML)",
    "refused_address": "the host resolves to a private, loopback or metadata address",
    "internal": "a bug in Lumi while handling the feed (logged with its traceback); it never "
    "counts toward disabling the feed",
}


class LumiError(Exception):
    """Base of every error Lumi raises on purpose.

    Args:
        message: what went wrong and, where possible, how to fix it.
        url: the URL involved, if any.
        feed_id: the feed involved, if any.
    """

    def __init__(self, message: str, *, url: str | None = None, feed_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.url = url
        self.feed_id = feed_id

    def __str__(self) -> str:
        context = []
        if self.feed_id:
            context.append(f"feed={self.feed_id}")
        if self.url:
            context.append(f"url={self.url}")
        return f"{self.message} ({', '.join(context)})" if context else self.message


class ConfigError(LumiError):
    """Invalid configuration; the CLI exits with code 2."""


class SettingError(ConfigError):
    """One ``LUMI_*`` setting has an invalid value."""


class FeedRegistryError(ConfigError):
    """An entry of the feed registry is invalid.

    Args:
        message: what is wrong.
        entry: the entry's id or index (``"#3"``).
        field: the offending field name.
    """

    def __init__(self, message: str, *, entry: str | None = None, field: str | None = None):
        where = " ".join(
            p for p in (f"entry {entry}" if entry else "", f"field '{field}'" if field else "") if p
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.entry = entry
        self.field = field


class EditorRequired(ConfigError):
    """A review approval names no editor.

    Only a recorded human review *and* a named person or organisation holding editorial
    responsibility may switch an item to the reviewed form (Article 50(4) EU AI Act).
    """


class FetchError(LumiError):
    """A fetch failed. ``error_class`` is one of :data:`ERROR_CLASSES`."""

    error_class = "connection"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        feed_id: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, url=url, feed_id=feed_id)
        self.status = status
        #: seconds the server asked us to wait (429/503 Retry-After), if any
        self.retry_after = retry_after


class FeedTimeout(FetchError):
    """The request exceeded its connect, read or total deadline."""

    error_class = "timeout"


class DNSFailure(FetchError):
    """The host name did not resolve."""

    error_class = "dns"


class ConnectFailure(FetchError):
    """The TCP connection was refused, reset or unreachable."""

    error_class = "connection"


class TLSFailure(FetchError):
    """TLS verification or handshake failed. Verification is never turned off."""

    error_class = "tls"


class HTTPStatusError(FetchError):
    """The server answered with an error status; the class depends on the status."""

    def __init__(self, message: str, *, status: int, **kwargs: object):
        super().__init__(message, status=status, **kwargs)  # type: ignore[arg-type]
        if status == 429:
            self.error_class = "http_429"
        elif status >= 500:
            self.error_class = "http_5xx"
        else:
            self.error_class = "http_4xx"


class TooManyRedirects(FetchError):
    """Redirect loop, more hops than allowed, or a redirect to a non-HTTP(S) scheme."""

    error_class = "redirect"


class ResponseTooLarge(FetchError):
    """The decoded response body exceeded the configured cap (``LUMI_MAX_BYTES``)."""

    error_class = "too_large"


class ContentDecodingError(FetchError):
    """The body's ``Content-Encoding`` could not be decoded: corrupt, truncated or unknown."""

    error_class = "decoding"


class RefusedAddress(FetchError):
    """The target resolves to a loopback, private, link-local, CGNAT or metadata address.

    Allow it with ``LUMI_ALLOWED_ADDRESSES=host:port`` (exact pair) or, for a whole trusted
    network, ``LUMI_ALLOW_PRIVATE_NETWORKS=1``.
    """

    error_class = "refused_address"


class ParseError(LumiError):
    """Fetched bytes could not be used."""

    error_class = "parse_error"


class NotAFeed(ParseError):
    """The document is not an RSS, Atom or JSON feed (for example an HTML page)."""

    error_class = "not_a_feed"


class FeedParseError(ParseError):
    """The feed is too broken to recover any entry."""


class HostileXML(ParseError):
    """The document uses entity expansion or external entities (XML bomb, XXE) and was refused."""


class ExtractionError(LumiError):
    """Article extraction failed."""


class NoExtractableText(ExtractionError):
    """The page held no extractable article text; the article is dropped, not the cycle."""


class ClassifierError(LumiError):
    """A classifier could not be built or run."""


class ClassifierNotConfigured(ClassifierError):
    """A classifier's model or data file is missing; it says which file and how to build it."""


class UnknownClassifier(ClassifierError):
    """No classifier is registered under that name."""


class LLMError(LumiError):
    """The optional paraphraser could not give a usable summary.

    ``reason`` is one of ``timeout``, ``connection``, ``http_error``, ``malformed`` (not
    JSON), ``shape`` (JSON without the required fields), ``overlap`` (too far from the
    sources) or ``budget`` (the daily token budget, ``LUMI_LLM_DAILY_TOKENS``, is spent).
    Callers fall back to the extractive summary; it is never fatal.
    """

    def __init__(self, message: str, *, reason: str, url: str | None = None):
        super().__init__(message, url=url)
        self.reason = reason


class StoreError(LumiError):
    """The database refused an operation."""


class NotFound(StoreError):
    """No row has that id."""


class DatabaseFault(StoreError):
    """The database failed an operation; the transaction was rolled back.

    The message is one line: what is wrong, where, and what to do. ``reason`` is the
    driver's own first line; ``transient`` faults are worth retrying (the store retries
    the whole transaction, :meth:`pipeline.store.Store.retrying`); ``attempts`` is how many
    times the transaction ran before this fault was given up on (0: not retried yet).

    Args:
        message: what is wrong and what to do.
        reason: the driver's message, first line.
        attempts: how many times the transaction ran.
    """

    #: short name of the condition, logged as ``error_class``
    kind = "database"
    #: True when waiting and running the transaction again may succeed
    transient = False

    def __init__(self, message: str, *, reason: str = "", attempts: int = 0):
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts


class DatabaseBusy(DatabaseFault):
    """Another writer holds the database (SQLite's write lock), or PostgreSQL aborted the
    transaction (serialization failure, deadlock, lock timeout). Retried with backoff."""

    kind = "database_busy"
    transient = True


class DatabaseUnavailable(DatabaseFault):
    """The database cannot be reached: no connection, the connection was lost, the server is
    shutting down, or the file cannot be opened or read. Retried with backoff."""

    kind = "database_unavailable"
    transient = True


class DatabaseFull(DatabaseFault):
    """The disk (or the database's size limit) is full; nothing of the transaction was kept."""

    kind = "database_full"


class DatabaseReadOnly(DatabaseFault):
    """The database refuses writes: a read-only file, mount or connection, or a standby."""

    kind = "database_read_only"


class DatabaseCorrupt(DatabaseFault):
    """The database file is not a database or has malformed pages. Lumi never overwrites or
    repairs it: restore it from a backup."""

    kind = "database_corrupt"


class ExportError(LumiError):
    """The digest could not be written to its folder (missing, not a folder, read-only or
    full); no file of the export was replaced."""
