"""The declared datasets: where rows come from and how they are cleaned, checked once.

A ``[datasets.<name>]`` table is a ``DatasetDecl``; the transform step receives a
``TransformSpec``, the same columns, times and grid plus the dataset's name. Like every spec
(``prevoir.domain.specs``) they are frozen pydantic dataclasses that refuse unknown keys and
check their values when built.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

from prevoir.domain.frequency import check_frequency, check_timezone
from prevoir.domain.specs import STRICT, Aggregation, checked

__all__ = [
    "DatasetDecl",
    "DerivedColumn",
    "FillRule",
    "SourceKind",
    "SourceSpec",
    "TimeSpec",
    "TimeUnit",
    "TransformSpec",
]

FillRule = Literal["none", "zero", "ffill", "interpolate", "nan"]
SourceKind = Literal["csv", "parquet", "sql"]
TimeUnit = Literal["s", "ms", "us", "ns"]


@dataclass(frozen=True, config=STRICT)
class SourceSpec:
    """Where a dataset's raw rows come from: files matched by a glob (``path``, relative to the
    project; ``options`` go to the CSV reader) or a ``query`` on a SQLAlchemy ``url``."""

    kind: SourceKind = "csv"
    path: str | None = None
    url: str | None = None
    query: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> SourceSpec:
        if self.kind == "sql" and not (self.url and self.query):
            raise ValueError('a "sql" source needs `url` and `query`')
        if self.kind != "sql" and not self.path:
            raise ValueError(f'a "{self.kind}" source needs `path` (a glob)')
        return self


@dataclass(frozen=True, config=STRICT)
class TimeSpec:
    """How to turn the raw time column into tz-aware UTC.

    ``unit`` set (``"s"``, ``"ms"``) means numeric Unix epochs; otherwise ``format`` (strptime
    syntax, or None to let pandas infer) parses text written in wall-clock ``timezone``;
    ``columns`` (year, month, day[, hour, ...]) are assembled into one time instead of
    ``column``. Local times are localised with DST rules: the spring-forward hour that does not
    exist is dropped when its values are empty and rejected otherwise; the repeated autumn hour
    is inferred from order.
    """

    column: str = "ds"
    format: str | None = None
    unit: TimeUnit | None = None
    timezone: str = "UTC"
    columns: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return checked(check_timezone, value)


@dataclass(frozen=True, config=STRICT)
class DerivedColumn:
    """``name`` computed from a pandas ``eval`` expression over other columns.

    With ``only_missing`` the expression fills only the rows where ``name`` is missing
    (e.g. ``avg_temp`` from ``(tmin + tmax) / 2`` when the station did not report it).
    """

    name: str
    expr: str
    only_missing: bool = True


@dataclass(frozen=True, kw_only=True, config=STRICT)
class _DatasetShape:
    """The columns, times and grid of a dataset: what cleaning its raw rows needs."""

    values: tuple[str, ...] = Field(min_length=1)
    time: TimeSpec = TimeSpec()
    keys: tuple[str, ...] = ()  # series id columns; none: one series named after the dataset
    rename: dict[str, str] = Field(default_factory=dict)
    freq: str = "h"
    fill: FillRule = "none"
    derived: tuple[DerivedColumn, ...] = ()
    blacklist: tuple[str, ...] = ()  # series ids dropped by transform

    @field_validator("freq")
    @classmethod
    def _frequency(cls, value: str) -> str:
        return checked(check_frequency, value)


@dataclass(frozen=True, kw_only=True, config=STRICT)
class DatasetDecl(_DatasetShape):
    """A ``[datasets.<name>]`` table: a named table of observations and where it comes from."""

    source: SourceSpec
    since: str | None = None  # ISO time; earlier rows are ignored (dev samples)
    # how each value column aggregates into a coarser forecaster granularity (default: mean)
    aggregate: dict[str, Aggregation] = Field(default_factory=dict)

    @field_validator("since")
    @classmethod
    def _iso_time(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pd.Timestamp(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not an ISO time such as 2024-01-01") from exc
        return value

    @model_validator(mode="after")
    def _aggregate_value_columns(self) -> DatasetDecl:
        unknown = sorted(set(self.aggregate) - set(self.values))
        if unknown:
            raise ValueError(
                f"aggregate names {unknown}, which are not value columns "
                f"(values: {', '.join(self.values)})"
            )
        return self


@dataclass(frozen=True, kw_only=True, config=STRICT)
class TransformSpec(_DatasetShape):
    """Everything the transform step needs to clean one dataset's raw frame."""

    dataset: str
