"""The source registry: which reader reads each kind of dataset source.

A kind is one entry of ``READERS``; its module holds the reading code and how the source is
named in messages. A new kind (``http`` next) is a module, one line here, and its fields in
``prevoir.domain.specs.SourceSpec`` (where the declaration is checked). The composition
root (``prevoir.workflows``) binds each dataset to its reader; the extract step calls what
it was handed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from prevoir.domain.datasets import SourceKind, SourceSpec
from prevoir.ingest.files import CSV, PARQUET
from prevoir.ingest.source import RawColumns, Reader
from prevoir.ingest.sql import SQL

__all__ = ["READERS", "describe_source", "read_source"]

READERS: Mapping[SourceKind, Reader] = MappingProxyType(
    {"csv": CSV, "parquet": PARQUET, "sql": SQL}
)


def read_source(
    source: SourceSpec, project_dir: Path, columns: RawColumns | None = None
) -> pd.DataFrame:
    """The raw frame of ``source``; relative paths are relative to ``project_dir``; with
    ``columns``, only those, each required one present in every file."""
    return READERS[source.kind].read(source, project_dir, columns)


def describe_source(source: SourceSpec) -> str:
    """How messages name ``source``: its glob, or its URL with the password masked."""
    return READERS[source.kind].describe(source)
