"""The storage layer's public view of database errors, for the layers above it."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from prevoir.errors import PrevoirError, StoreError
from prevoir.storage._errors import classify, is_dbapi_error

__all__ = ["store_error_of"]


def store_error_of(exc: BaseException) -> PrevoirError | None:
    """The prevoir error a database error ``exc`` means (a connection lost mid-step: a
    ``StoreError`` saying to check the database), or None when ``exc`` is no database error.

    A ``StoreError`` is returned as it is; a raw SQLAlchemy or driver error, which a code
    path without ``translate_errors`` let through, is classified here so that no caller
    prints a driver traceback.
    """
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sa_exc.DBAPIError) or is_dbapi_error(exc):
        return classify(exc, "the store")
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return StoreError(f"the store failed: {exc}")
    return None
