"""The source registry: which reader reads each kind of dataset source.

A kind is one entry of ``READERS``; its module holds the reading code, the check of what
the declaration must give (a file source a glob, a SQL source a URL and a query) and how it
is named in messages. A new kind (``http`` next) is a new module and one line here. The
composition root (``prevoir.workflows``) checks a project's sources here before a run
starts and binds each to its reader; the extract step then calls what it was handed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from prevoir.errors import ConfigError
from prevoir.ingest.files import CSV, PARQUET
from prevoir.ingest.source import Reader, SourceDeclaration
from prevoir.ingest.sql import SQL

__all__ = ["READERS", "check_source", "describe_source", "read_source"]

READERS: Mapping[str, Reader] = MappingProxyType({"csv": CSV, "parquet": PARQUET, "sql": SQL})


def check_source(source: SourceDeclaration, *, key: str) -> None:
    """Refuse a kind without a reader, or a declaration lacking what its reader needs.

    ``key`` names the declaration in the message (``datasets.<name>.source``).
    """
    try:
        _reader(source).check(source)
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}") from exc


def read_source(source: SourceDeclaration, project_dir: Path) -> pd.DataFrame:
    """The raw frame of ``source``; relative paths are relative to ``project_dir``."""
    return _reader(source).read(source, project_dir)


def describe_source(source: SourceDeclaration) -> str:
    """How messages name ``source``: its glob, or its URL with the password masked."""
    return _reader(source).describe(source)


def _reader(source: SourceDeclaration) -> Reader:
    reader = READERS.get(source.kind)
    if reader is None:
        raise ConfigError(
            f"source kind {source.kind!r} has no reader; use one of {', '.join(READERS)}"
        )
    return reader
