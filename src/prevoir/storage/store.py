"""``Store``: the store opened once — per CLI command, per server — and handed down.

One engine (a connection pool) per open store: a command no longer opens, migrates and
disposes an engine per query. Only the commands that may create or change the schema open
it with ``migrate=True`` (``prevoir run``, ``prevoir db upgrade``, ``prevoir serve``, and the
admin commands that create users and keys on a fresh store); every other command checks
that the schema is at this prevoir's head and, if not, says which command upgrades it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, make_url
from sqlalchemy import exc as sa_exc

from prevoir.domain.urls import mask_url
from prevoir.errors import EmptyStoreError, StoreError
from prevoir.storage.engine import (
    create_store_engine,
    head_revision,
    schema_revision,
    upgrade_schema,
)

__all__ = ["Store"]

_EMPTY = (
    "has no prevoir tables yet: run the pipeline once (`prevoir run`) or create them with "
    "`prevoir db upgrade`"
)


class Store:
    """An open store; ``read()`` and ``write()`` lend one connection (``write``: one
    transaction, committed when the block ends without an error)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        """A connection for reads (no transaction is committed)."""
        with self._pooled(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in one transaction: all of the block's writes, or none."""
        with self._pooled(), self.engine.begin() as conn:
            yield conn

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


def _missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    database = parsed.database or ""
    return (
        parsed.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and (not Path(database).is_file())
    )
