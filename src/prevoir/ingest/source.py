"""What a reader offers the registry: read a declared source, and name it safely.

A reader is handed the dataset's ``SourceSpec`` (``prevoir.domain.specs``), which checked
when it was built that its kind's fields are there (a glob; a URL and a query), and the raw
columns the dataset reads (``RawColumns``): a reader of several files checks each file for
them, so a file whose export renamed or dropped a column fails by name instead of
contributing empty values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from prevoir.domain.datasets import SourceSpec

__all__ = ["RawColumns", "Reader"]


@dataclass(frozen=True)
class RawColumns:
    """Raw column names a dataset reads: ``required`` in every file; ``optional`` ones (values
    a derived column computes where missing) read where present."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reader:
    """One kind of source: read its raw frame, name it in messages."""

    # (declaration, project folder, the columns to read; None: all, unchecked)
    read: Callable[[SourceSpec, Path, RawColumns | None], pd.DataFrame]
    describe: Callable[[SourceSpec], str]  # safe to show: no password
