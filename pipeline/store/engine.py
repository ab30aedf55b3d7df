"""Engine set-up, migrations and the :class:`Store` handle.

SQLite (WAL mode) is the embedded default and is created and migrated on first use;
PostgreSQL (psycopg 3) is the production store, migrated with ``lumi db upgrade``.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import ConfigError

T = TypeVar("T")

#: Most values bound in one ``IN (...)`` clause: far below every backend's parameter limit.
IN_CHUNK = 500


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most :data:`IN_CHUNK`, for ``column.in_(chunk)`` queries."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


__all__ = [
    "IN_CHUNK",
    "Store",
    "Transaction",
    "count_rows",
    "current_revision",
    "engine_for",
    "head_revision",
    "in_chunks",
    "migrate",
    "migrations_dir",
    "open_store",
    "upgrade_database",
]


def dialect_insert(session: Session, table: Any) -> Any:
    """A dialect-specific INSERT supporting ``on_conflict_do_nothing``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the digest read while a cycle writes; busy_timeout makes concurrent cycles
    # wait for each other instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: The handle :meth:`Store.session` yields. Modules outside :mod:`pipeline.store` only pass
#: it on to repository functions, so they never need SQLAlchemy themselves.
Transaction = Session


@dataclasses.dataclass(slots=True)
class Store:
    """An open database: the engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

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
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
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
        ConfigError: the URL is invalid, or the schema is behind and not auto-migrated.
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
        raise ConfigError(f"cannot use database {engine.url!r}: {exc}") from exc
    return Store(engine, sessionmaker(engine, expire_on_commit=False))


def count_rows(session: Session, model: Any) -> int:
    """How many rows ``model``'s table holds."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
