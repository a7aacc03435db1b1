"""Frozen records that describe the work; the config layer builds them, the core consumes them.

The core never sees the settings tree: it gets these plain specs, so it can be tested and
reused without a project file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FillRule = Literal["none", "zero", "ffill", "interpolate", "nan"]
Availability = Literal["known", "origin"]
ExogenousJoin = Literal["time", "date"]
ModelKind = Literal[
    "seasonal_naive",
    "lightgbm",
    "xgboost",
    "random_forest",
    "auto_ets",
    "auto_arima",
    "auto_theta",
    "mstl",
    "sf_seasonal_naive",
    "ensemble",
    "auto",
]
EnsembleCombine = Literal["mean", "median"]
ModelScope = Literal["global", "per_series"]
RefitPolicy = Literal["never", "every", "always"]
Aggregation = Literal["first", "last", "max", "min", "sum", "mean"]
Strategy = Literal["direct", "recursive"]


@dataclass(frozen=True)
class TimeSpec:
    """How to turn the raw time column into tz-aware UTC.

    ``unit`` set (``"s"``, ``"ms"``) means numeric Unix epochs; otherwise ``format`` (strptime
    syntax, or None to let pandas infer) parses text written in wall-clock ``timezone``.
    Local times are localised with DST rules: the spring-forward hour that does not exist is
    dropped when its values are empty and rejected otherwise; the repeated autumn hour is
    inferred from order.
    """

    column: str
    format: str | None = None
    unit: str | None = None
    timezone: str = "UTC"
    columns: tuple[str, ...] = ()  # several columns (year, month, day, hour) assembled into one


@dataclass(frozen=True)
class DerivedColumn:
    """``name`` computed from a pandas ``eval`` expression over other columns.

    With ``only_missing`` the expression fills only the rows where ``name`` is missing
    (e.g. ``avg_temp`` from ``(tmin + tmax) / 2`` when the station did not report it).
    """

    name: str
    expr: str
    only_missing: bool = True


@dataclass(frozen=True)
class TransformSpec:
    """Everything the transform step needs to clean one dataset's raw frame."""

    dataset: str
    time: TimeSpec
    keys: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    freq: str = "h"
    fill: FillRule = "none"
    derived: tuple[DerivedColumn, ...] = ()
    blacklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExogenousSpec:
    """Another dataset joined onto a forecaster's frame without leaking the future.

    ``join="date"`` matches the target's local calendar day (in ``timezone``) to a daily
    dataset; ``join="time"`` takes the latest exogenous row at or before the target time.
    ``availability="known"`` trusts values at the target time (calendar, published forecasts);
    ``availability="origin"`` only uses rows that were complete at the forecast origin.
    """

    dataset: str
    columns: tuple[str, ...]
    join: ExogenousJoin = "time"
    timezone: str = "UTC"
    availability: Availability = "origin"
    key_map: dict[str, str] = field(default_factory=dict)  # series id -> exogenous series id


@dataclass(frozen=True)
class FeatureSpec:
    """Features built per (origin, step): lags and rolling stats relative to the target time
    (used only when they are at or before the origin), calendar and cyclic encodings of the
    target time, and exogenous columns."""

    lags: tuple[int, ...] = ()
    rolling: tuple[int, ...] = ()
    calendar: tuple[str, ...] = ()
    cyclic: tuple[str, ...] = ()
    exogenous: tuple[ExogenousSpec, ...] = ()
    timezone: str = "UTC"  # calendar features are computed in this wall-clock zone


@dataclass(frozen=True)
class ModelSpec:
    """Which model and with what parameters.

    ``scope`` applies to the ML kinds: one model over every series (``"global"``) or one
    model per series (``"per_series"``); other kinds forecast each series on its own anyway.
    ``members`` and ``combine`` apply to ``kind="ensemble"``: the member models and whether
    their forecasts are averaged or their median taken (see ``prevoir.models.ensemble``).
    """

    kind: ModelKind
    season_length: int = 24
    params: dict[str, object] = field(default_factory=dict)
    scope: ModelScope = "global"
    members: tuple[ModelSpec, ...] = ()
    combine: EnsembleCombine = "mean"
    # ML kinds: one row per (origin, step) ("direct"), or a one-step model rolled forward
    # on its own predictions ("recursive", see ``prevoir.models.recursive``)
    strategy: Strategy = "direct"


@dataclass(frozen=True)
class CatchupSpec:
    """How far back and how densely catch-up forecasting issues origins, and when it refits.

    ``refit``: ``never`` forecasts every origin with the champion; ``every`` refits an
    ephemeral model every ``refit_every`` origins (epoch-anchored windows, see
    ``prevoir.pipeline.catchup``); ``always`` refits at every origin.
    """

    stride: int = 1
    max_catchup: int = 168
    initial_origins: int = 24  # origins issued on the very first predict, newest last
    refit: RefitPolicy = "never"
    refit_every: int = 24  # origins per refit window when refit = "every"


@dataclass(frozen=True)
class BacktestSpec:
    """Expanding-window backtest: ``folds`` cut-offs ``step`` periods apart, newest last."""

    folds: int = 3
    step: int = 24
    sample_series: int = 4  # series drawn for the forecast-vs-actual plots


@dataclass(frozen=True)
class ResampleSpec:
    """How a forecaster coarser than its dataset builds its series (see
    ``prevoir.features.resample``): ``base_freq`` periods grouped into ``freq`` buckets in
    ``timezone``, each value column aggregated by its rule (``default`` for the others).
    Only complete buckets are emitted."""

    base_freq: str
    freq: str
    timezone: str = "UTC"
    aggregate: dict[str, Aggregation] = field(default_factory=dict)
    default: Aggregation = "mean"

    def rule(self, column: str) -> Aggregation:
        """The aggregation of ``column``."""
        return self.aggregate.get(column, self.default)


@dataclass(frozen=True)
class ForecasterSpec:
    """What to forecast and how."""

    name: str
    dataset: str
    target: str
    freq: str
    horizons: tuple[int, ...]
    features: FeatureSpec
    model: ModelSpec
    catchup: CatchupSpec = CatchupSpec()
    backtest: BacktestSpec = BacktestSpec()
    min_train_rows: int = 48
    train_window: int | None = None  # newest periods used to train; None: the whole history
    train_stride: int = 1  # every n-th origin becomes a training row (dev profiles raise it)
    series: tuple[str, ...] = ()  # empty: every series of the dataset
    resample: ResampleSpec | None = None  # set when ``freq`` is coarser than the dataset's

    @property
    def max_horizon(self) -> int:
        """The furthest step forecast."""
        return max(self.horizons)


StepStatus = Literal["running", "succeeded", "failed", "skipped"]


@dataclass(frozen=True)
class StepRecord:
    """What one step of a run did, as the runner records it."""

    name: str
    status: StepStatus
    started_at: datetime
    duration_s: float
    rows_in: int = 0
    rows_out: int = 0
    files: tuple[str, ...] = ()
    error: str | None = None
