"""Open the store and keep its schema at the migration head.

``create_store_engine`` is the single place a store URL becomes an ``Engine``: it picks the
driver, tunes SQLite for a small multi-process deployment (CLI + scheduler + API on one file)
and checks the connection up front, so a wrong URL fails at start-up with a message that says
what to fix, not on the first query deep inside a pipeline step.

Migrations ship inside the package (``prevoir/storage/migrations``) and are run through
Alembic's API with an in-memory config: no ``alembic.ini`` is needed, so this works the same
from a source checkout and from an installed wheel.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry

from prevoir.domain.urls import POSTGRES_HINT, mask_url
from prevoir.errors import StoreError
from prevoir.storage._errors import UPGRADE_HINT, classify

__all__ = [
    "create_store_engine",
    "is_at_head",
    "require_head",
    "schema_revision",
    "upgrade_schema",
]

logger = logging.getLogger(__name__)

SCRIPT_LOCATION = "prevoir.storage:migrations"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 64 * 1024
MIGRATION_LOCK_KEY = 0x70726576  # "prev": the advisory lock held while migrating
SQLITE_IMMEDIATE = "prevoir_sqlite_immediate"  # execution option: BEGIN IMMEDIATE


def _normalise_url(url: str) -> sa.URL:
    """Parse ``url``; plain ``postgresql://`` means psycopg 3, the only driver we support."""
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise StoreError(
            f"store URL {mask_url(url)!r} is not a valid SQLAlchemy URL; expected e.g. "
            "'sqlite:///prevoir.db' or 'postgresql+psycopg://user:pass@host:5432/db'"
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"store URL {mask_url(parsed)!r} uses {backend!r}; the prevoir store runs on "
            "SQLite ('sqlite:///prevoir.db') or PostgreSQL ('postgresql+psycopg://...')"
        )
    if backend == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        if importlib.util.find_spec("psycopg") is None:
            raise StoreError(f"store URL {mask_url(parsed)!r} needs psycopg 3; {POSTGRES_HINT}")
    return parsed


def _tune_sqlite(engine: Engine) -> None:
    """Pragmas and transaction handling for SQLite connections.

    * WAL lets the API read while the scheduler writes; ``synchronous=NORMAL`` is the
      documented safe pairing with WAL (a power cut may lose the last commits, never corrupt).
    * ``busy_timeout`` waits for a competing writer instead of failing at once.
    * ``foreign_keys`` is off by default in SQLite; we rely on it.
    * A 64 MiB page cache keeps the hot B-tree pages of large upserts in memory.
    * The sqlite3 module's own implicit transactions skip DDL and SAVEPOINT; we switch them
      off and emit BEGIN ourselves (SQLAlchemy's documented recipe) so that ``engine.begin()``
      really is atomic, migrations included.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: WAL waits
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str, **engine_kwargs: Any) -> Engine:
    """An ``Engine`` for the store at ``url``, checked by opening one connection.

    Raises ``StoreError`` (password masked) when the URL is malformed, the driver is missing
    or the database cannot be reached. ``engine_kwargs`` go to ``sqlalchemy.create_engine``.
    """
    parsed = _normalise_url(url)
    try:
        engine = sa.create_engine(parsed, **engine_kwargs)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"cannot create an engine for {mask_url(parsed)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    try:
        with engine.connect():
            pass
    except sa_exc.DBAPIError as exc:
        engine.dispose()
        hint = (
            "check that the directory exists and is writable"
            if engine.dialect.name == "sqlite"
            else "check host, port, user, password and database name, and that the server runs"
        )
        err = classify(exc, "connecting to the store", url=str(url))
        raise StoreError(f"{err}; {hint}") from exc
    logger.debug("store engine ready for %s", mask_url(parsed))
    return engine


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    """An in-memory Alembic config pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this version of prevoir."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise StoreError("no migrations found in the prevoir package; reinstall prevoir")
    return head


def upgrade_schema(engine: Engine, revision: str = "head") -> str:
    """Migrate the store to ``revision`` (default the head) in one transaction; returns the
    revision reached. An older target serves tests of the upgrade path."""
    # servers starting together on a fresh store: one migrates, the others wait for its
    # commit and then find the store at head (a PostgreSQL advisory lock; on SQLite a write
    # lock from the start, as a read lock upgraded later fails at once when contended)
    try:
        with engine.connect() as conn, conn.execution_options(**{SQLITE_IMMEDIATE: True}).begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            command.upgrade(_alembic_config(conn), revision)
    except sa_exc.DBAPIError as exc:
        raise classify(exc, "upgrading the store schema", url=str(engine.url)) from exc
    reached = head_revision() if revision == "head" else revision
    logger.info("store %s is at schema revision %s", mask_url(engine.url), reached)
    return reached


def schema_revision(engine: Engine) -> str | None:
    """The store's current schema revision, or None for an empty (never migrated) store."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa_exc.DBAPIError as exc:
        raise classify(exc, "reading the schema revision", url=str(engine.url)) from exc


def is_at_head(engine: Engine) -> bool:
    """True when the store's schema matches the newest migration shipped with prevoir."""
    return schema_revision(engine) == head_revision()


def require_head(engine: Engine) -> None:
    """Raise ``StoreError`` unless the store is at the head revision (for start-up checks)."""
    current = schema_revision(engine)
    head = head_revision()
    if current != head:
        raise StoreError(
            f"store {mask_url(engine.url)} is at schema revision {current or 'none'}, "
            f"prevoir needs {head}; {UPGRADE_HINT}"
        )
