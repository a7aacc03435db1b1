"""What a reader offers the registry: read a declared source, and name it safely.

A reader is handed the dataset's ``SourceSpec`` (``prevoir.domain.specs``), which checked
when it was built that its kind's fields are there (a glob; a URL and a query).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from prevoir.domain.datasets import SourceSpec

__all__ = ["Reader"]


@dataclass(frozen=True)
class Reader:
    """One kind of source: read its raw frame, name it in messages."""

    read: Callable[[SourceSpec, Path], pd.DataFrame]  # (declaration, project folder)
    describe: Callable[[SourceSpec], str]  # safe to show: no password
