"""What a reader is handed (a source declaration) and what it offers (``Reader``).

Readers are typed against a protocol, not against ``prevoir.config``: the settings tree
stays above the core, and any object with these attributes (the settings model today, a
frozen spec tomorrow, a test double) is a declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

__all__ = ["Reader", "SourceDeclaration"]


class SourceDeclaration(Protocol):
    """A dataset's source as declared; each kind uses the attributes it needs."""

    @property
    def kind(self) -> str:
        """The key of the reader in ``prevoir.ingest.readers.READERS``."""

    @property
    def path(self) -> str | None:
        """A file source's glob, relative to the project folder."""

    @property
    def url(self) -> str | None:
        """A SQL source's SQLAlchemy URL."""

    @property
    def query(self) -> str | None:
        """A SQL source's SELECT statement."""

    @property
    def options(self) -> Mapping[str, Any]:
        """Options of the reader (``pandas.read_csv`` keywords for CSV)."""


@dataclass(frozen=True)
class Reader:
    """One kind of source: check its declaration, read its raw frame, name it in messages."""

    # Raises ConfigError when the declaration lacks what ``read`` needs; run before a run starts.
    check: Callable[[SourceDeclaration], object]
    read: Callable[[SourceDeclaration, Path], pd.DataFrame]  # (declaration, project folder)
    describe: Callable[[SourceDeclaration], str]  # safe to show: no password
