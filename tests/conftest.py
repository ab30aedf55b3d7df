"""Shared fixtures: the third-party data folder, settings and fresh databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("LUMI_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data_dir()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only third-party data folder (``../shared/data``); skips when absent."""
    if not (SHARED_DATA / "MANIFEST.tsv").is_file():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (set LUMI_SHARED_DATA)")
    return SHARED_DATA


# --- databases ---------------------------------------------------------------------------

PG_BASE_URL = os.environ.get(
    "LUMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    dsn = PG_BASE_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # any failure means: skip the PostgreSQL half of the suite
        return f"PostgreSQL not reachable at {PG_BASE_URL}: {exc.__class__.__name__}"
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    """Cached reachability check for PostgreSQL."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_reachable())
    return _PG_PROBLEM[0]


def _fresh_postgres_url() -> str:
    """A URL whose connections use a brand-new, empty schema (dropped at teardown)."""
    import uuid

    import psycopg

    schema = "lumi_t_" + uuid.uuid4().hex[:12]
    dsn = PG_BASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_BASE_URL else "?"
    return f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"


def _drop_postgres_schema(url: str) -> None:
    import psycopg

    schema = url.rsplit("%3D", 1)[1]
    dsn = PG_BASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database URL: a SQLite file, and PostgreSQL when it is reachable."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lumi.db'}"
        return
    yield from _postgres_schema()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema URL (skips when PostgreSQL is unreachable)."""
    yield from _postgres_schema()


def _postgres_schema():
    """Yield a URL on a new, empty schema, dropped afterwards; skip when unreachable."""
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    url = _fresh_postgres_url()
    try:
        yield url
    finally:
        _drop_postgres_schema(url)


@pytest.fixture
def store(db_url: str):
    """An open, migrated store on each backend."""
    from pipeline.store import open_store

    opened = open_store(db_url, auto_migrate=True)
    try:
        yield opened
    finally:
        opened.close()


pytest_plugins = ["fixtures_http"]
