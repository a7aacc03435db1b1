"""Request and response bodies of the data API (series, observations, forecasts, models).

Names follow the FastAPI template: ``*Public`` is what a response shows, ``*In`` what a
request sends. Times are ISO 8601 with a zone (naive ones are refused with 422); keys are
1-200 characters without control characters, the store's column width.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from prevoir.domain.admission import KEY_PATTERN, MAX_KEY_LENGTH, NOT_FINITE, key_problem

MAX_ROWS = 100_000  # rows per POST; the body's byte cap (service.max_body_bytes) also applies


def _admitted_key(value: str) -> str:
    problem = key_problem(value)
    if problem:
        raise ValueError(f"series id {problem}")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"value {value} {NOT_FINITE}")
    return value


# the same rules, in the same words, as the pipeline's ingest (prevoir.domain.admission)
Key = Annotated[
    str,
    AfterValidator(_admitted_key),
    WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN}
    ),
]
Level = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]?$")]  # "80": percent, 1-99
FIRST_YEAR, LAST_YEAR = 1700, 2200  # inside what pandas' nanosecond timestamps can hold


def _in_range(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"times must fall in the years {FIRST_YEAR}-{LAST_YEAR}")
    return value


Time = Annotated[AwareDatetime, AfterValidator(_in_range)]
Number = Annotated[float, AfterValidator(_finite)]  # JSON has no NaN or infinity: null
Band = tuple[Number | None, Number | None]


def _capped(rows: Any) -> Any:
    """Refuse an oversized batch before validating its rows (which costs ~40 µs a row)."""
    if isinstance(rows, list) and len(rows) > MAX_ROWS:
        raise ValueError(
            f"{len(rows):,} rows in one request; the limit is {MAX_ROWS:,}: send them in batches"
        )
    return rows


def invalid_row(row: int, field: str | None, message: str) -> RequestValidationError:
    """FastAPI's 422 for a data-level problem, located at ``body.rows.<row>[.<field>]`` like
    the errors pydantic reports for malformed bodies."""
    loc: tuple[str | int, ...] = ("body", "rows", row) + ((field,) if field else ())
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


class SeriesPublic(BaseModel):
    """One stored series: its variables, time range and number of timestamps."""

    dataset: str
    unique_id: str
    variables: list[str]
    first: datetime | None
    last: datetime | None
    rows: int


class ObservationRow(BaseModel):
    """``{"unique_id": "...", "ds": "2024-05-01T00:00:00Z", "<variable>": number | null}``."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Number | None] = Field(init=False)  # variable -> value

    unique_id: Key
    ds: Time


class ObservationsIn(BaseModel):
    """A batch of observations for one dataset, upserted all or nothing."""

    rows: Annotated[list[ObservationRow], BeforeValidator(_capped)] = Field(max_length=MAX_ROWS)


class ObservationsPublic(BaseModel):
    """One series' observations, wide by variable (the same rows the POST accepts)."""

    dataset: str
    unique_id: str
    variables: list[str]
    rows: list[ObservationRow]


class WriteResult(BaseModel):
    """What a bulk write did: rows received, and rows inserted or changed (0 on a replay)."""

    rows: int
    changed: int


class DeletionPublic(BaseModel):
    """The record of a deletion of observations: what was removed, by whom, and why."""

    id: int
    dataset: str
    unique_id: str
    variable: str | None
    start: datetime | None
    end: datetime | None
    rows: int
    deleted_by: str
    reason: str
    deleted_at: datetime


class ForecastPoint(BaseModel):
    """One step of a forecast; ``intervals`` maps a level to its ``[lo, hi]``."""

    step: int
    ds: datetime
    yhat: float | None
    intervals: dict[str, Band] = Field(default_factory=dict)


class ForecastPublic(BaseModel):
    """The forecast of one series issued at one origin."""

    forecaster: str
    unique_id: str
    origin: datetime
    model_version: int | None
    points: list[ForecastPoint]


class ForecastRow(BaseModel):
    """One forecast row as an external producer publishes it."""

    model_config = ConfigDict(extra="forbid")

    unique_id: Key
    origin: Time
    ds: Time
    step: int = Field(ge=1, le=1_000_000)
    yhat: Number | None
    model_version_id: int | None = Field(default=None, ge=1)
    intervals: dict[Level, Band] | None = None


class ForecastsIn(BaseModel):
    """A batch of forecasts of one forecaster, upserted all or nothing."""

    rows: Annotated[list[ForecastRow], BeforeValidator(_capped)] = Field(max_length=MAX_ROWS)


class ForecasterPublic(BaseModel):
    """A configured forecaster and the version serving as its champion in this profile."""

    name: str
    dataset: str
    target: str
    horizons: list[int]
    kind: str
    task: str
    granularity: str | None
    champion: int | None


class TrainingRunPublic(BaseModel):
    """The run that trained a version (how it was started, with which config)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    profile: str
    trigger: str
    status: str
    started_at: datetime
    config_hash: str


class ModelVersionPublic(BaseModel):
    """A trained model version and the aliases (``profile:alias``) pointing at it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    forecaster: str
    profile: str
    kind: str
    params: dict[str, Any]
    features: list[Any] | dict[str, Any]
    train_start: datetime
    train_end: datetime
    data_fingerprint: str
    metrics: dict[str, Any]
    library_versions: dict[str, Any]
    sha256: str
    run_id: int | None
    created_at: datetime
    aliases: list[str]
    run: TrainingRunPublic | None = None


class AliasMovePublic(BaseModel):
    """An alias moved: which forecaster, from which version to which."""

    forecaster: str
    alias: str
    old: int | None
    new: int


class PromoteIn(BaseModel):
    """Why a version is promoted by hand (kept in the alias history)."""

    reason: str = Field(default="", max_length=500)
