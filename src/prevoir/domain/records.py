"""Frozen records that describe the work; the config layer builds them, the core consumes them.

The core never sees the settings tree: it gets these plain specs, so it can be tested and
reused without a project file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

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
IntervalMethod = Literal["auto", "native", "conformal"]
Task = Literal["regression", "classification"]
LabelRule = Literal["up", "above"]
# Model kinds that can classify (binary objective): the config and the factory both check it.
ClassifierKind = Literal["lightgbm", "xgboost", "random_forest"]
CLASSIFIER_KINDS: tuple[str, ...] = get_args(ClassifierKind)
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
class GateSpec:
    """When a new version may replace the champion (see ``prevoir.pipeline.gates``).

    ``metric`` None means the task's default (MAE, or the Brier score for classifiers);
    ``compare = "same_folds"`` backtests the champion again on the candidate's folds, while
    ``"recorded"`` trusts the champion's stored score (cheaper, but from older data).
    """

    min_rows: int = 100  # training rows with a known target
    tolerance: float = 0.05  # candidate may be this much worse (relative) and still win
    metric: str | None = None
    compare: Literal["same_folds", "recorded"] = "same_folds"


@dataclass(frozen=True)
class IntervalSpec:
    """Prediction intervals issued with every forecast (see ``prevoir.models.intervals``).

    ``levels``: percentages in (0, 100), e.g. ``(80, 95)``; empty means point forecasts only.
    ``method``: ``native`` (the model's own intervals; only the statsforecast kinds have
    them), ``conformal`` (split-conformal from out-of-sample residuals), or ``auto`` (native
    where the kind has it, conformal otherwise). ``windows``: the conformal calibration
    span, in longest horizons, held out at the end of the training data.
    """

    levels: tuple[int, ...] = ()
    method: IntervalMethod = "auto"
    windows: int = 4


@dataclass(frozen=True)
class LabelSpec:
    """The binary label a classification forecaster predicts the probability of.

    ``rule="up"``: y at the target time is strictly above y at the origin ("the close in h
    hours is above this close"); ``rule="above"``: y at the target time is strictly above
    ``threshold``. The label is unknown (no training row, no score) wherever a value it needs
    is missing: past the end of the data, in gaps, or at an origin without a value.
    """

    rule: LabelRule
    threshold: float | None = None


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
    gates: GateSpec = GateSpec()
    intervals: IntervalSpec = IntervalSpec()
    task: Task = "regression"  # classification: yhat is the probability that ``label`` holds
    label: LabelSpec | None = None  # required for classification, absent for regression
    # threads each model fit/predict may use (LightGBM, XGBoost, scikit-learn);
    # None: the cores this process may run on (see ``prevoir.models.threads``)
    threads: int | None = None
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


@dataclass(frozen=True)
class MlflowSpec:
    """Where model versions, aliases and run results are mirrored (an optional MLflow store).

    ``tracking_uri`` is absolute (relative SQLite paths are resolved by the config layer);
    ``artifact_location`` is the root for new experiments' files (None: the server decides).
    Registered models are named ``<registered_model_prefix><profile>.<forecaster>``.
    """

    tracking_uri: str
    experiment: str = "prevoir"
    registered_model_prefix: str = ""
    artifact_location: str | None = None

    def registered_model(self, profile: str, forecaster: str) -> str:
        """The MLflow registered model that holds ``forecaster``'s versions in ``profile``."""
        return f"{self.registered_model_prefix}{profile}.{forecaster}"
