"""What a reader offers the registry: read a declared source, and name it safely.

A reader is handed the dataset's ``SourceSpec`` (``prevoir.domain.specs``), which checked
when it was built that its kind's fields are there (a glob; a URL and a query), and the raw
columns the dataset reads (``RawColumns``): a reader of several files checks each file for
them, so a file whose export renamed or dropped a column fails by name instead of
contributing empty values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from prevoir.domain.datasets import SourceSpec

__all__ = ["FILES_ATTR", "Provenance", "RawColumns", "Reader"]

FILES_ATTR = "prevoir_files"  # raw frame attrs: ((file, rows), ...) of a glob, in frame order


@dataclass(frozen=True)
class RawColumns:
    """Raw column names a dataset reads: ``required`` in every file; ``optional`` ones (values
    a derived column computes where missing) read where present."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    def missing_from(self, found: Sequence[str]) -> list[str]:
        """The required columns a file with columns ``found`` lacks."""
        have = set(found)
        return [c for c in self.required if c not in have]

    def present_in(self, found: Sequence[str]) -> list[str]:
        """The columns to read from a file with columns ``found``, in the declared order."""
        have = set(found)
        return [c for c in dict.fromkeys((*self.required, *self.optional)) if c in have]


@dataclass(frozen=True)
class Reader:
    """One kind of source: read its raw frame, name it in messages."""

    # (declaration, project folder, the columns to read; None: all, unchecked)
    read: Callable[[SourceSpec, Path, RawColumns | None], pd.DataFrame]
    describe: Callable[[SourceSpec], str]  # safe to show: no password


@dataclass(frozen=True)
class Provenance:
    """Where a raw frame's rows came from, for messages: the source as declared (a glob, a
    masked URL) and, for files, each file with its number of rows, in the frame's order."""

    source: str
    files: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, raw: pd.DataFrame, source: str) -> Provenance:
        """The provenance a reader left in ``raw.attrs`` (none: the source alone)."""
        return cls(source, tuple(raw.attrs.get(FILES_ATTR, ())))

    def __str__(self) -> str:
        return self.source

    def row(self, row: int | np.integer) -> str:
        """Raw row ``row`` (1-based over the frame) as ``<file> row <n>``: the n-th data row
        of the file it came from (``<source> row <row>`` when the files are not known)."""
        offset = 0
        for path, count in self.files:
            if row <= offset + count:
                return f"{path} row {int(row) - offset}"
            offset += count
        return f"{self.source} row {row}"
