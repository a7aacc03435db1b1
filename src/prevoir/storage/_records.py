"""Rows as the domain's typed records, so no layer above reads a row by string keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

R = TypeVar("R")

__all__ = ["as_record"]


def as_record(cls: type[R], row: Mapping[Any, Any], **extra: Any) -> R:
    """``cls`` built from the row's columns that are its fields, plus ``extra``."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: row[name] for name in names if name in row}, **extra)
