"""Fixtures for the storage integration suite: every test runs on SQLite and on PostgreSQL.

``db_url`` gives a fresh, empty store per test: a file in ``tmp_path`` for SQLite, a
uniquely named schema (dropped afterwards) for PostgreSQL, selected through the libpq
``options=-csearch_path=...`` connection parameter so the code under test needs no schema
awareness. When PostgreSQL cannot be reached its params are skipped locally and fail in CI
(env ``CI`` set), so a broken CI database cannot silently turn the suite half-green.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from prevoir.storage.engine import create_store_engine, upgrade_schema

PG_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    """The PostgreSQL server used by the suite (env ``PREVOIR_TEST_PG_URL``)."""
    return os.environ.get("PREVOIR_TEST_PG_URL", PG_DEFAULT_URL)


@functools.cache
def _pg_problem(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None when it can (checked once)."""
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure means "not usable"; the reason is reported
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def _require_pg(url: str) -> None:
    problem = _pg_problem(url)
    if problem is None:
        return
    masked = sa.make_url(url).render_as_string(hide_password=True)
    message = f"PostgreSQL at {masked} is unreachable ({problem}); set PREVOIR_TEST_PG_URL"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL schema, dropped with everything in it after the test."""
    admin = pg_admin_url()
    _require_pg(admin)
    schema = f"prevoir_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, poolclass=NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(admin).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: SQLite file in ``tmp_path`` or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """A store engine on ``db_url`` migrated to head; disposed after the test."""
    store = create_store_engine(db_url)
    upgrade_schema(store)
    try:
        yield store
    finally:
        store.dispose()
