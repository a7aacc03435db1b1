"""Translate database errors into ``prevoir.errors`` at the storage boundary.

Callers above the storage layer never see a SQLAlchemy, sqlite3 or psycopg exception: they
get a ``StoreError`` (cannot reach the store, schema missing), ``ConflictError`` (a constraint
clashed with existing rows) or ``DataValidationError`` (the data itself is unacceptable), each
naming what was being done and what to do next. The original is chained (``from exc``).
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from prevoir.domain.urls import mask_url
from prevoir.errors import ConflictError, DataValidationError, PrevoirError, StoreError

__all__ = ["UPGRADE_HINT", "is_dbapi_error", "translate_errors"]

UPGRADE_HINT = (
    "the store schema is missing or out of date; upgrade it with `prevoir db upgrade` "
    "(prevoir.storage.upgrade_schema(engine) from Python)"
)

_MISSING_TABLE = re.compile(r"no such table|does not exist|undefinedtable", re.IGNORECASE)
_CONNECTION = re.compile(
    r"unable to open|connection|could not connect|server closed|timeout|database is locked",
    re.IGNORECASE,
)


def is_dbapi_error(exc: BaseException) -> bool:
    """True for a raw driver error (sqlite3 or psycopg) that bypassed SQLAlchemy's wrapping.

    The bulk paths talk to the DBAPI cursor directly (executemany, COPY), so their errors
    arrive unwrapped. psycopg is only checked if it is already imported: it is optional.
    """
    if isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def _first_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL echo and background link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip() or type(orig).__name__
    return text.splitlines()[0]


def _integrity(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.IntegrityError | sqlite3.IntegrityError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.IntegrityError)


def _data_error(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DataError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.DataError)


def classify(exc: BaseException, action: str, *, url: str | None = None) -> PrevoirError:
    """The prevoir error that ``exc`` (raised while doing ``action``) should become."""
    detail = _first_line(exc)
    where = f" on {mask_url(url)}" if url else ""
    if _integrity(exc):
        return ConflictError(
            f"{action}{where} clashes with rows already stored: {detail}; "
            "check the keys you are writing against what is in the store"
        )
    if _data_error(exc):
        return DataValidationError(f"{action}{where}: the database rejected a value: {detail}")
    if _MISSING_TABLE.search(detail):
        return StoreError(f"{action}{where} failed: {detail}; {UPGRADE_HINT}")
    if _CONNECTION.search(detail):
        return StoreError(
            f"{action}{where} failed: {detail}; check that the database is running, "
            "reachable and not locked by another long transaction, then retry"
        )
    return StoreError(f"{action}{where} failed: {detail}")


@contextmanager
def translate_errors(action: str, *, url: str | None = None) -> Iterator[None]:
    """Re-raise database errors inside the block as prevoir errors describing ``action``."""
    try:
        yield
    except PrevoirError:
        raise
    except sa_exc.StatementError as exc:
        # A bind processor (e.g. UtcDateTime refusing a naive time) raised inside SQLAlchemy.
        if isinstance(exc.orig, PrevoirError):
            raise exc.orig from None
        if isinstance(exc, sa_exc.DBAPIError):
            raise classify(exc, action, url=url) from exc
        raise StoreError(f"{action} failed: {_first_line(exc)}") from exc
    except sa_exc.SQLAlchemyError as exc:
        raise StoreError(f"{action} failed: {exc}") from exc
    except Exception as exc:
        if is_dbapi_error(exc):
            raise classify(exc, action, url=url) from exc
        raise
