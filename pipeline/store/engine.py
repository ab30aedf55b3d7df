"""Engine set-up, migrations and the :class:`Store` handle.

SQLite (WAL mode) is the embedded default and is created and migrated on first use;
PostgreSQL (psycopg 3) is the production store, migrated with ``lumi db upgrade``.

Database faults leave this module as :class:`~pipeline.errors.DatabaseFault` subclasses
with a one-line message (:func:`database_fault`); :meth:`Store.retrying` and
:meth:`Store.transact` run a whole transaction again, after a rollback and a bounded
backoff, when the fault is transient (a lock held by another writer, a serialization
failure or deadlock, a lost connection).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import (
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import (
    ConfigError,
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseFault,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
)

T = TypeVar("T")
P = ParamSpec("P")

log = logging.getLogger("lumi.store")

#: Most values bound in one ``IN (...)`` clause: far below every backend's parameter limit.
IN_CHUNK = 500


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most :data:`IN_CHUNK`, for ``column.in_(chunk)`` queries."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


__all__ = [
    "IN_CHUNK",
    "SQLITE_BUSY_TIMEOUT_S",
    "RetryPolicy",
    "Store",
    "Transaction",
    "count_rows",
    "current_revision",
    "database_fault",
    "engine_for",
    "head_revision",
    "in_chunks",
    "migrate",
    "migrations_dir",
    "open_store",
    "prepared_insert",
    "upgrade_database",
]


def dialect_insert(session: Session, table: Any) -> Any:
    """A dialect-specific INSERT supporting ``on_conflict_do_nothing``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def prepared_insert(session: Session, model: Any, build: Callable[[Any, Any], Any]) -> Any:
    """A dialect-specific INSERT into ``model``'s table, built once per dialect by
    ``build(insert, table)`` (a module-level function adding e.g. ``on_conflict_do_nothing``
    and ``returning``), for statements run once per row with their values given at
    execution (``session.execute(statement, values)``).

    A statement built afresh with ``.values(**row)`` for every row costs more to make
    (argument coercion, a cache key over every value) than its execution on SQLite; this
    one is made once, and its compiled form is reused from the engine's cache.
    """
    return _prepared_insert(session.get_bind().dialect.name, model, build)


@functools.cache
def _prepared_insert(dialect: str, model: Any, build: Callable[[Any, Any], Any]) -> Any:
    table = model.__table__
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return build(insert, table)


def migrations_dir() -> Path:
    """The installed Alembic script directory (``migrations/`` in the source tree)."""
    return Path(str(resources.files("pipeline.migrations")))


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_MIGRATE_LOCK = threading.Lock()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` on ``engine``'s database."""
    from alembic import command

    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    # Alembic's migration context is module-global: one migration per process at a time.
    with _MIGRATE_LOCK, engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def _db_reason(exc: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends a help link)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def upgrade_database(url: str, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision`` (``lumi db upgrade``).

    Returns:
        The database's revision afterwards.

    Raises:
        ConfigError: the URL is invalid, the revision unknown, the database unreachable,
            or it refused the migration; the message says which.
    """
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError, OperationalError

    engine = engine_for(url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        migrate(engine, revision)
        return current_revision(engine)
    except CommandError as exc:
        raise ConfigError(
            f"cannot upgrade to {revision!r}: {exc} (use head or a revision id)"
        ) from exc
    except OperationalError as exc:
        raise ConfigError(f"cannot connect to the database {where}: {_db_reason(exc)}") from exc
    except DBAPIError as exc:
        raise ConfigError(f"the database {where} refused the migration: {_db_reason(exc)}") from exc
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str:
    """The newest revision shipped with this version of Lumi."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


#: Seconds one SQLite statement waits for another writer's lock before it fails as busy.
#: Short, so a long-held lock becomes logged whole-transaction retries (:class:`RetryPolicy`)
#: rather than one silent wait followed by a failure.
SQLITE_BUSY_TIMEOUT_S: float = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the digest read while a cycle writes; busy_timeout makes concurrent cycles
    # wait for each other (up to the timeout, then the transaction is retried) instead of
    # failing at once with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={round(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# SQLite primary result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26

# PostgreSQL SQLSTATEs, by the fault they are (classes 08 and 57P0x: connection trouble).
_PG_BUSY = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_PG_FULL = {"53100"}  # disk_full
_PG_READ_ONLY = {"25006"}  # read_only_sql_transaction (a hot standby)
_PG_CORRUPT = {"XX001", "XX002"}  # data_corrupted, index_corrupted
_PG_UNAVAILABLE = {"53300", "57P01", "57P02", "57P03"}  # too many connections, shutdowns

_FAULT_TEXT = (
    ("locked", DatabaseBusy),
    ("busy", DatabaseBusy),
    ("disk is full", DatabaseFull),
    ("readonly", DatabaseReadOnly),
    ("read-only", DatabaseReadOnly),
    ("malformed", DatabaseCorrupt),
    ("not a database", DatabaseCorrupt),
    ("unable to open", DatabaseUnavailable),
    ("disk i/o error", DatabaseUnavailable),
)


def _fault_class(exc: DBAPIError) -> type[DatabaseFault] | None:
    """Which fault ``exc`` is, from the driver's error code; None: not a database fault
    (a constraint violation or bad SQL is a bug, and stays what it is)."""
    if isinstance(exc, IntegrityError | ProgrammingError | DataError):
        return None
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return {
            _SQLITE_BUSY: DatabaseBusy,
            _SQLITE_LOCKED: DatabaseBusy,
            _SQLITE_READONLY: DatabaseReadOnly,
            _SQLITE_IOERR: DatabaseUnavailable,
            _SQLITE_CORRUPT: DatabaseCorrupt,
            _SQLITE_FULL: DatabaseFull,
            _SQLITE_CANTOPEN: DatabaseUnavailable,
            _SQLITE_NOTADB: DatabaseCorrupt,
        }.get(code & 0xFF)
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_BUSY:
            return DatabaseBusy
        if state in _PG_FULL:
            return DatabaseFull
        if state in _PG_READ_ONLY:
            return DatabaseReadOnly
        if state in _PG_CORRUPT:
            return DatabaseCorrupt
        if state in _PG_UNAVAILABLE or state.startswith("08"):
            return DatabaseUnavailable
    if exc.connection_invalidated:
        return DatabaseUnavailable
    if state is None and code is None:
        # no code: a driver-level failure (psycopg's "connection is closed", or an
        # older sqlite3 without error codes); its text says which
        text = _db_reason(exc).lower()
        for needle, cls in _FAULT_TEXT:
            if needle in text:
                return cls
        if exc.__class__.__name__ == "OperationalError":
            return DatabaseUnavailable
    return None


def _where(engine: Engine) -> str:
    if engine.dialect.name == "sqlite" and engine.url.database:
        return engine.url.database
    return engine.url.render_as_string(hide_password=True)


def _fault_message(cls: type[DatabaseFault], where: str, reason: str) -> str:
    """The one line for a fault: what is wrong, where, and what to do."""
    if cls is DatabaseBusy:
        return (
            f"the database {where} is busy ({reason}): another writer holds it; nothing of "
            "this operation was stored, and the next run redoes it"
        )
    if cls is DatabaseUnavailable:
        return (
            f"cannot use the database {where} ({reason}): check that it is running and "
            "reachable (or the file readable); nothing of this operation was stored"
        )
    if cls is DatabaseFull:
        return (
            f"the database {where} is full ({reason}): nothing of this operation was stored; "
            "free disk space (or raise the database's size limit) and run again"
        )
    if cls is DatabaseReadOnly:
        return (
            f"the database {where} is read-only ({reason}): nothing was stored; make the "
            "database (file, folder or mount) writable, or set LUMI_DATABASE_URL to one that is"
        )
    return (
        f"the database {where} is corrupt ({reason}): Lumi leaves the file as it is; restore "
        "it from a backup (`sqlite3 FILE 'PRAGMA integrity_check'` shows the damage)"
    )


def _file_system(database: str | None) -> os.statvfs_result | None:
    """The file system the SQLite file ``database`` lies on (None: no file, or unknown)."""
    if not database or database == ":memory:":
        return None
    path = database.removeprefix("file:").split("?", 1)[0]
    try:
        return os.statvfs(Path(path).expanduser().parent)
    except OSError:
        return None


def database_fault(
    exc: BaseException, where: str, *, database: str | None = None
) -> DatabaseFault | None:
    """The :class:`~pipeline.errors.DatabaseFault` a driver error is, or None.

    Args:
        exc: what SQLAlchemy raised.
        where: the database, as shown to the operator (password hidden).
        database: the SQLite file, if any: a file SQLite cannot open on a read-only
            file system is :class:`~pipeline.errors.DatabaseReadOnly`.

    Returns:
        The fault (message: one line saying what is wrong and what to do), or None when
        ``exc`` is not a database fault (a constraint violation, bad SQL, anything else).
    """
    if not isinstance(exc, DBAPIError):
        return None
    cls = _fault_class(exc)
    if cls is None:
        return None
    reason = _db_reason(exc)
    if cls is DatabaseUnavailable:
        # WAL needs its -shm and -wal files beside the database: on a read-only mount or a
        # full disk SQLite only says "unable to open database file" or "disk I/O error"
        fs = _file_system(database)
        if fs is not None and fs.f_flag & os.ST_RDONLY:
            cls, reason = DatabaseReadOnly, f"{reason}: its folder is on a read-only file system"
        elif fs is not None and fs.f_bavail == 0:
            cls, reason = DatabaseFull, f"{reason}: no space left on its file system"
    return cls(_fault_message(cls, where, reason), reason=reason)


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a transaction that failed with a transient fault is run again.

    The delays double from ``first_delay_s`` up to ``max_delay_s`` (each with up to 50 %
    jitter, so two waiting writers do not retry in step); no new attempt starts once
    ``deadline_s`` have passed since the first. With SQLite each attempt also waits up to
    :data:`SQLITE_BUSY_TIMEOUT_S` for the lock, so a lock held for 60 s is outlasted.
    """

    deadline_s: float = 90.0
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0
    max_attempts: int = 40

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        base = min(self.max_delay_s, self.first_delay_s * 2 ** (attempt - 1))
        return base * (0.5 + rng.random() / 2)


#: The handle :meth:`Store.session` yields. Modules outside :mod:`pipeline.store` only pass
#: it on to repository functions, so they never need SQLAlchemy themselves.
Transaction = Session


@dataclasses.dataclass(slots=True)
class Store:
    """An open database: the engine, a session factory and the retry policy."""

    engine: Engine
    sessions: sessionmaker[Session]
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)

    @property
    def where(self) -> str:
        """The database as shown to operators: a SQLite file's path, else the URL with
        its password hidden."""
        return _where(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        Raises:
            DatabaseFault: the database failed (busy, unreachable, full, read-only,
                corrupt); the transaction was rolled back.
        """
        try:
            with self.sessions.begin() as session:
                yield session
        except DBAPIError as exc:
            fault = database_fault(exc, self.where, database=self._sqlite_file())
            if fault is None:
                raise
            if not isinstance(fault, DatabaseBusy):
                # pooled connections may hold the fault (a file opened read-only, a dead
                # server): the next transaction opens new ones, so it resumes once cleared
                self.engine.dispose()
            raise fault from exc

    def _sqlite_file(self) -> str | None:
        return self.engine.url.database if self.engine.dialect.name == "sqlite" else None

    def retrying(
        self, call: Callable[Concatenate[Store, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``call(self, *args, **kwargs)``, run again while it fails with a transient fault.

        ``call`` must be one transaction (or idempotent as a whole): a failed attempt was
        rolled back, so running it again is the whole transaction again. Each retry is
        logged once, in one line. A fault already retried by an inner :meth:`retrying`
        is not retried again, so nesting never multiplies the wait.

        Raises:
            DatabaseFault: a permanent fault at once, or a transient one still failing
                after :attr:`retry` ran out; ``attempts`` says how many runs were made.
        """
        policy = self.retry
        rng = random.Random()
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                return call(self, *args, **kwargs)
            except DatabaseFault as fault:
                if not fault.transient or fault.attempts:
                    raise
                elapsed = time.monotonic() - started
                delay = policy.delay(attempt, rng)
                if attempt >= policy.max_attempts or elapsed + delay > policy.deadline_s:
                    raise type(fault)(
                        f"{fault.message} (gave up after {attempt} "
                        f"attempt{'s' if attempt > 1 else ''} in {elapsed:.0f} s)",
                        reason=fault.reason,
                        attempts=attempt,
                    ) from fault
                log.warning(
                    "database fault; the transaction was rolled back and runs again",
                    extra={
                        "stage": "store",
                        "error_class": fault.kind,
                        "error": fault.reason,
                        "attempts": attempt,
                        "duration_ms": round(delay * 1000),
                    },
                )
                time.sleep(delay)
                attempt += 1

    def transact(self, body: Callable[[Session], T]) -> T:
        """``body(session)`` in one transaction, the whole of it run again (after a rollback
        and a backoff) while it fails with a transient fault (see :meth:`retrying`).

        ``body`` may run more than once: it must only touch the database and its own locals.
        """

        def once(store: Store) -> T:
            with store.session() as session:
                return body(session)

        return self.retrying(once)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def engine_for(url: str) -> Engine:
    """Create the engine for ``url`` (SQLite: folder created, WAL and busy timeout set).

    Raises:
        ConfigError: the URL is not a usable database URL.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"LUMI_DATABASE_URL {url!r} is not a valid database URL: {exc}") from exc
    kwargs: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        uri = str(parsed.query.get("uri", "")).lower() in ("true", "1")
        # a file: URI (e.g. ?mode=ro&uri=true) names its file itself; nothing is created
        if parsed.database and parsed.database != ":memory:" and not uri:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    elif parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        # a host that drops packets must fail in seconds, not hang a command for minutes
        if "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:
        raise ConfigError(f"cannot open database {url!r}: {exc}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str, *, auto_migrate: bool | None = None) -> Store:
    """Open the database at ``url``.

    A SQLite file is created (with its folder) and migrated to the newest schema on first
    use. Other backends must be migrated with ``lumi db upgrade``; ``auto_migrate=True``
    forces migration (tests).

    Raises:
        ConfigError: the URL is invalid, the database unreachable, or the schema is behind
            and not auto-migrated.
        DatabaseCorrupt: the file is not a database or is damaged (it is left untouched).
        DatabaseFull: migrating it needs space the disk does not have.
        DatabaseReadOnly: it needs migrating but refuses writes.
    """
    engine = engine_for(url)
    migrate_now = engine.dialect.name == "sqlite" if auto_migrate is None else auto_migrate
    try:
        if migrate_now:
            if current_revision(engine) != head_revision():
                migrate(engine)
        else:
            rev = current_revision(engine)
            if rev != head_revision():
                raise ConfigError(
                    f"database schema is at {rev or 'nothing'}, Lumi needs {head_revision()}: "
                    "run `lumi db upgrade`"
                )
    except ConfigError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        where = _where(engine)
        sqlite_file = engine.url.database if engine.dialect.name == "sqlite" else None
        fault = database_fault(exc, where, database=sqlite_file)
        # a corrupt, full or read-only file is not a setting to fix: say what it is
        if isinstance(fault, DatabaseCorrupt | DatabaseFull | DatabaseReadOnly):
            raise fault from exc
        raise ConfigError(f"cannot use database {where}: {_db_reason(exc)}") from exc
    return Store(engine, sessionmaker(engine, expire_on_commit=False))


def count_rows(session: Session, model: Any) -> int:
    """How many rows ``model``'s table holds."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
