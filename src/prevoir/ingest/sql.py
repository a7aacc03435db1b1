"""The "SQL query on any SQLAlchemy URL" dataset source: the SQL reader.

This reads from someone else's database (a warehouse, an app's PostgreSQL, a SQLite export),
not from the prevoir store, so it opens a short-lived engine of its own and disposes of it.
Failures to *reach* the database are ``StoreError``; a query the database rejects is a
``DataValidationError`` — the dataset definition is what needs fixing. Both name the URL
(password masked) and the query. That is why ingest may import SQLAlchemy while it may not
import ``prevoir.storage``: a source is another system's data, never the store.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from prevoir.domain.datasets import SourceSpec
from prevoir.domain.urls import POSTGRES_HINT, mask_url
from prevoir.errors import DataValidationError, StoreError
from prevoir.ingest.source import RawColumns, Reader

__all__ = ["SQL", "read_query"]

logger = logging.getLogger(__name__)

_MAX_QUERY_IN_MESSAGE = 200


def _short(query: str) -> str:
    flat = " ".join(query.split())
    if len(flat) <= _MAX_QUERY_IN_MESSAGE:
        return flat
    return flat[: _MAX_QUERY_IN_MESSAGE - 3] + "..."


def _engine(url: str, query: str) -> sa.Engine:
    try:
        return sa.create_engine(url)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
        hint = f"; {POSTGRES_HINT}" if "postgres" in url else ""
        raise DataValidationError(
            f"SQL source {mask_url(url)!r} (query {_short(query)!r}): cannot use this URL: "
            f"{exc}{hint}"
        ) from exc


def _check_sqlite_file(url: str, where: str) -> None:
    """Refuse a SQLite path that does not exist: SQLite would silently create an empty file."""
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError:
        return  # reported by _engine with the full message
    path = parsed.database or ""
    is_file = parsed.get_backend_name() == "sqlite" and path not in ("", ":memory:")
    if is_file and not path.startswith("file:") and not Path(path).exists():
        raise StoreError(f"{where}: SQLite file {path!r} does not exist; check the path")


def _detail(exc: sa_exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def read_query(url: str, query: str) -> pd.DataFrame:
    """Run ``query`` on the database at ``url`` and return the result as a DataFrame.

    Column types are whatever the driver returns; the transform step parses times and
    validates the schema.
    """
    if not query.strip():
        raise DataValidationError(f"SQL source {mask_url(url)!r}: the query is empty")
    where = f"SQL source {mask_url(url)!r} (query {_short(query)!r})"
    _check_sqlite_file(url, where)
    engine = _engine(url, query)
    try:
        try:
            conn = engine.connect()
        except sa_exc.DBAPIError as exc:
            raise StoreError(
                f"{where}: cannot connect: {_detail(exc)}; check that the database is running "
                "and the URL (host, port, user, password, database or file path) is right"
            ) from exc
        with conn:
            try:
                result = conn.execute(sa.text(query))
                frame = pd.DataFrame(result.all(), columns=list(result.keys()))
            except sa_exc.DBAPIError as exc:
                raise DataValidationError(
                    f"{where}: the database rejected the query: {_detail(exc)}; "
                    "fix the query in the dataset definition"
                ) from exc
            except sa_exc.ResourceClosedError as exc:
                raise DataValidationError(
                    f"{where}: the statement returned no rows; a dataset query must be a SELECT"
                ) from exc
    finally:
        engine.dispose()
    logger.info("%s returned %s rows", where, len(frame))
    return frame


def _read(source: SourceSpec, project_dir: Path, _columns: RawColumns | None) -> pd.DataFrame:
    """The source's query result (one frame: the transform checks its columns);
    ``project_dir`` is unused (the URL says where)."""
    return read_query(str(source.url), str(source.query))


def _describe(source: SourceSpec) -> str:
    """The URL, its password masked: the query may be long, the URL says which database."""
    return mask_url(str(source.url))


SQL = Reader(read=_read, describe=_describe)
