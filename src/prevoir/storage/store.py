"""``Store``: the store opened once — per CLI command, per server — and handed down.

One engine (a connection pool) per open store: a command no longer opens, migrates and
disposes an engine per query. Only the commands that may create or change the schema open
it with ``migrate=True`` (``prevoir run``, ``prevoir db upgrade``, ``prevoir serve``, and the
admin commands that create users and keys on a fresh store); every other command checks
that the schema is at this prevoir's head and, if not, says which command upgrades it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import OperationalError

from prevoir.domain.urls import mask_url
from prevoir.errors import EmptyStoreError, StoreError
from prevoir.storage._errors import translate_errors
from prevoir.storage.engine import (
    SQLITE_IMMEDIATE,
    create_store_engine,
    head_revision,
    schema_revision,
    upgrade_schema,
)

__all__ = ["Store"]

logger = logging.getLogger(__name__)

BEGIN_ATTEMPTS = 4  # after the busy timeout (30 s each): a writer stuck that long is a bug
BACKOFF_S = 0.5

_EMPTY = (
    "has no prevoir tables yet: run the pipeline once (`prevoir run`) or create them with "
    "`prevoir db upgrade`"
)


class Store:
    """An open store; ``read()`` and ``write()`` lend one connection (``write``: one
    transaction, committed when the block ends without an error)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sqlite = engine.dialect.name == "sqlite"
        self._write_lock: threading.RLock | None = threading.RLock() if sqlite else None

    @classmethod
    def connect(cls, url: str, **engine_kwargs: Any) -> Store:
        """The store at ``url``, reached but its schema not checked (``upgrade`` next)."""
        return cls(create_store_engine(url, **engine_kwargs))

    @classmethod
    def existing(cls, url: str) -> Store | None:
        """The store at ``url`` if it exists and is at the head, else None (never creates a
        SQLite file or a schema: for looking at other profiles' stores)."""
        try:
            return cls.open(url)
        except StoreError:
            return None

    @classmethod
    def open(cls, url: str, *, migrate: bool = False, **engine_kwargs: Any) -> Store:
        """The store at ``url``, migrated to the head (``migrate``) or checked to be there.

        ``StoreError`` naming the store (password masked) when it cannot be reached, or when
        it is not at the head and ``migrate`` is off.
        """
        if not migrate and _missing_sqlite_file(url):  # connecting would create it
            raise EmptyStoreError(f"store {mask_url(url)} {_EMPTY}")
        store = cls.connect(url, **engine_kwargs)
        try:
            if migrate:
                store.upgrade()
            else:
                store.require_head()
        except BaseException:
            store.close()
            raise
        return store

    def upgrade(self) -> tuple[str | None, str]:
        """Create the tables or migrate them to the head; (revision before, revision after)."""
        before = schema_revision(self.engine)
        return before, upgrade_schema(self.engine)

    def require_head(self) -> None:
        """``StoreError`` with the command to run unless the schema is at this prevoir's head."""
        current, head = schema_revision(self.engine), head_revision()
        if current == head:
            return
        where = mask_url(self.engine.url)
        if current is None:
            raise EmptyStoreError(f"store {where} {_EMPTY}")
        raise StoreError(
            f"store {where} is at schema revision {current}, this prevoir needs {head}: "
            "upgrade it with `prevoir db upgrade`"
        )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (no transaction is committed).

        Losing the database (connecting, or on the way) is a ``StoreError`` naming it.
        """
        url = str(self.engine.url)
        with (
            translate_errors("reading the store", url=url),
            self._pooled(),
            self.engine.connect() as conn,
        ):
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in one transaction: all of the block's writes, or none.

        On SQLite, which has one writer at a time, the writes of this process queue on a
        lock and take the database's write lock when they begin (``BEGIN IMMEDIATE``,
        waiting up to the busy timeout for other processes, then retried with backoff):
        a deferred transaction that reads first and then wants to write can be refused at
        once ("database is locked") without waiting, which the API answered with 503.
        Losing the database (connecting, committing) is a ``StoreError`` naming it.
        """
        url = str(self.engine.url)
        if self._write_lock is None:
            with (
                translate_errors("writing to the store", url=url),
                self._pooled(),
                self.engine.begin() as conn,
            ):
                yield conn
            return
        with (
            self._write_lock,
            translate_errors("writing to the store", url=url),
            self._pooled(),
            self.engine.connect() as conn,
        ):
            immediate = conn.execution_options(**{SQLITE_IMMEDIATE: True})
            with _begun(immediate):
                yield immediate

    @contextmanager
    def _pooled(self) -> Iterator[None]:
        """``StoreError`` (503 in the service) when no pooled connection frees up in time."""
        try:
            yield
        except sa_exc.TimeoutError as exc:
            raise StoreError(
                f"store {mask_url(self.engine.url)}: every pooled connection stayed busy "
                f"({exc}); retry, or raise service.db_pool_size / db_max_overflow"
            ) from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def _begun(conn: Connection) -> Iterator[None]:
    """``conn.begin()`` retried with backoff while SQLite says the database is locked (a
    writer of another process held it past the busy timeout); the transaction as a block."""
    for attempt in range(BEGIN_ATTEMPTS):
        try:
            transaction = conn.begin()
            break
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == BEGIN_ATTEMPTS - 1:
                raise
            conn.rollback()
            delay = BACKOFF_S * 2**attempt
            logger.warning("store busy (%s); retrying in %.1f s", exc.orig, delay)
            time.sleep(delay * (1 + random.random()))
    with transaction:
        yield


def _missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    database = parsed.database or ""
    return (
        parsed.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and (not Path(database).is_file())
    )
