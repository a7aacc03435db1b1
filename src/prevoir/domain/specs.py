"""The declared specs: what ``prevoir.toml`` says, each field defined and validated here once.

The configuration schema (``prevoir.config``) is built from these classes, so a key of
``[forecasters.<name>]`` is a field of ``ForecasterDecl`` (``[datasets.<name>]``: of
``prevoir.domain.datasets.DatasetDecl``); the core receives ``ForecasterSpec``, the same
declaration plus what is derived from the whole project (the name, the frequency, threads,
resampling). Every spec checks its own values when it is built — from the file or in code —
so the core trusts them and checks nothing again.

They are pydantic dataclasses: frozen, unknown keys refused, lists coerced to tuples.
Validators raise ``ValueError`` (pydantic turns it into a ``ValidationError`` naming the
field; ``prevoir.config`` turns that into a ``ConfigError`` naming the key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.dataclasses import dataclass

from prevoir.domain.frequency import (
    check_granularity,
    check_timezone,
    freq_to_ns,
)
from prevoir.errors import ConfigError

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
# Kinds that take ML features and can run recursively or classify (binary objective).
MLKind = Literal["lightgbm", "xgboost", "random_forest"]
ML_KINDS: tuple[str, ...] = get_args(MLKind)
CLASSIFIER_KINDS = ML_KINDS
EnsembleCombine = Literal["mean", "median"]
ModelScope = Literal["global", "per_series"]
RefitPolicy = Literal["never", "every", "always"]
IntervalMethod = Literal["auto", "native", "conformal"]
GateCompare = Literal["same_folds", "recorded"]
Task = Literal["regression", "classification"]
LabelRule = Literal["up", "above"]
# The backtest metric that decides promotion by default (lower is better for both).
PROMOTION_METRIC: dict[Task, str] = {"regression": "mae", "classification": "brier"}
Aggregation = Literal["first", "last", "max", "min", "sum", "mean"]
Strategy = Literal["direct", "recursive"]
CalendarFeature = Literal[
    "hour",
    "minute",
    "dayofweek",
    "day",
    "dayofyear",
    "weekofyear",
    "month",
    "quarter",
    "year",
    "is_weekend",
    "is_month_start",
    "is_month_end",
]
CyclicFeature = Literal["hour", "dayofweek", "dayofyear", "month"]

STRICT = ConfigDict(extra="forbid")
DEFAULT_HORIZONS: tuple[int, ...] = tuple(range(1, 25))


def checked(check: Callable[[str], Any], value: str) -> str:
    """``value`` after ``check`` (a ``prevoir.domain.frequency`` check), its ConfigError as the
    ValueError a validator raises."""
    try:
        check(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc
    return value


@dataclass(frozen=True, config=STRICT)
class ExogenousSpec:
    """Another dataset joined onto a forecaster's frame without leaking the future.

    ``join="date"`` matches the target's local calendar day (in ``timezone``) to a daily
    dataset; ``join="time"`` takes the latest exogenous row at or before the target time.
    ``availability="known"`` trusts values at the target time (calendar, published forecasts);
    ``availability="origin"`` only uses rows that were complete at the forecast origin.
    """

    dataset: str
    columns: tuple[str, ...] = Field(min_length=1)
    join: ExogenousJoin = "time"
    timezone: str = "UTC"
    availability: Availability = "origin"
    key_map: dict[str, str] = Field(default_factory=dict)  # series id -> exogenous series id

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return checked(check_timezone, value)


@dataclass(frozen=True, config=STRICT)
class FeatureSpec:
    """Features built per (origin, step): lags and rolling stats relative to the target time
    (used only when they are at or before the origin), and calendar and cyclic encodings of the
    target time in the wall-clock ``timezone``. Exogenous joins are ``ForecasterDecl.exogenous``.
    """

    lags: tuple[int, ...] = ()
    rolling: tuple[int, ...] = ()
    calendar: tuple[CalendarFeature, ...] = ()
    cyclic: tuple[CyclicFeature, ...] = ()
    timezone: str = "UTC"

    @field_validator("lags", "rolling")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(size < 1 for size in value):
            raise ValueError(f"lags and rolling windows are periods >= 1, got {list(value)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return checked(check_timezone, value)


@dataclass(frozen=True, config=STRICT)
class ModelSpec:
    """Which model and with what parameters.

    ``scope`` applies to the ML kinds: one model over every series (``"global"``) or one
    model per series (``"per_series"``); other kinds forecast each series on its own anyway.
    ``members`` and ``combine`` apply to ``kind="ensemble"``: the member models and whether
    their forecasts are averaged or their median taken (see ``prevoir.models.ensemble``).
    ``strategy`` (ML kinds): one row per (origin, step) (``"direct"``), or a one-step model
    rolled forward on its own predictions (``"recursive"``, see ``prevoir.models.recursive``).
    """

    kind: ModelKind = "lightgbm"
    season_length: int = Field(default=24, ge=1)
    params: dict[str, Any] = Field(default_factory=dict)
    scope: ModelScope = "global"
    members: tuple[ModelSpec, ...] = ()
    combine: EnsembleCombine = "mean"
    strategy: Strategy = "direct"

    @model_validator(mode="after")
    def _recursive_only_for_ml(self) -> ModelSpec:
        if self.strategy == "recursive" and self.kind not in ML_KINDS:
            raise ValueError(
                f'strategy "recursive" applies only to kinds {", ".join(ML_KINDS)}, '
                f"not {self.kind!r}; remove strategy or pick one of those kinds"
            )
        return self

    @model_validator(mode="after")
    def _members_only_for_ensembles(self) -> ModelSpec:
        if self.kind == "ensemble" and not self.members:
            raise ValueError(
                'kind "ensemble" needs members, e.g. members = [{ kind = "lightgbm" }, '
                '{ kind = "seasonal_naive" }]'
            )
        if self.kind == "ensemble" and self.params:
            raise ValueError(
                f"an ensemble takes no params of its own (got {sorted(self.params)}); put "
                "them in its members' params"
            )
        if self.kind != "ensemble" and self.members:
            raise ValueError(f'members apply only to kind "ensemble", not {self.kind!r}')
        return self


@dataclass(frozen=True, config=STRICT)
class CatchupSpec:
    """How far back and how densely catch-up forecasting issues origins, and when it refits.

    ``refit``: ``never`` forecasts every origin with the champion; ``every`` refits an
    ephemeral model every ``refit_every`` origins (epoch-anchored windows, see
    ``prevoir.pipeline.catchup``); ``always`` refits at every origin.
    """

    stride: int = Field(default=1, ge=1)
    max_catchup: int = Field(default=168, ge=1)
    initial_origins: int = Field(default=24, ge=1)  # on the very first predict, newest last
    refit: RefitPolicy = "never"
    refit_every: int = Field(default=24, ge=1)  # origins per refit window when refit = "every"


@dataclass(frozen=True, config=STRICT)
class BacktestSpec:
    """Expanding-window backtest: ``folds`` cut-offs ``step`` periods apart, newest last."""

    folds: int = Field(default=3, ge=1)
    step: int = Field(default=24, ge=1)
    sample_series: int = Field(default=4, ge=1)  # series drawn for the forecast-vs-actual plots


@dataclass(frozen=True, config=STRICT)
class GateSpec:
    """When a new version may replace the champion (see ``prevoir.pipeline.gates``).

    ``metric`` None means the task's default (MAE, or the Brier score for classifiers);
    ``compare = "same_folds"`` backtests the champion again on the candidate's folds, while
    ``"recorded"`` trusts the champion's stored score (cheaper, but from older data).
    """

    min_rows: int = Field(default=100, ge=1)  # training rows with a known target
    tolerance: float = Field(default=0.05, ge=0)  # relative: candidate may be this much worse
    metric: str | None = None
    compare: GateCompare = "same_folds"


@dataclass(frozen=True, config=STRICT)
class IntervalSpec:
    """Prediction intervals issued with every forecast (see ``prevoir.models.bands``).

    ``levels``: percentages in (0, 100), e.g. ``(80, 95)``, kept sorted and distinct; empty
    means point forecasts only. ``method``: ``native`` (the model's own intervals; only the
    statsforecast kinds have them), ``conformal`` (split-conformal from out-of-sample
    residuals), or ``auto`` (native where the kind has it, conformal otherwise). ``windows``:
    the conformal calibration span, in longest horizons, held out at the end of training.
    """

    levels: tuple[int, ...] = ()
    method: IntervalMethod = "auto"
    windows: int = Field(default=4, ge=1)

    @field_validator("levels")
    @classmethod
    def _percent_levels(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 < level < 100 for level in value):
            raise ValueError("interval levels are percentages between 1 and 99, e.g. [80, 95]")
        return tuple(sorted(set(value)))


@dataclass(frozen=True, config=STRICT)
class LabelSpec:
    """The binary label a classification forecaster predicts the probability of.

    ``rule="up"``: y at the target time is strictly above y at the origin ("the close in h
    hours is above this close"); ``rule="above"``: y at the target time is strictly above
    ``threshold``. The label is unknown (no training row, no score) wherever a value it needs
    is missing: past the end of the data, in gaps, or at an origin without a value.
    """

    rule: LabelRule
    threshold: float | None = None

    @model_validator(mode="after")
    def _threshold_only_for_above(self) -> LabelSpec:
        if self.rule == "above" and self.threshold is None:
            raise ValueError(
                'rule "above" needs a threshold, e.g. label = { rule = "above", threshold = 100 }'
            )
        if self.rule != "above" and self.threshold is not None:
            raise ValueError(f'threshold applies only to rule "above", not {self.rule!r}')
        return self


@dataclass(frozen=True, config=STRICT)
class ResampleSpec:
    """How a forecaster coarser than its dataset builds its series (see
    ``prevoir.features.resample``): ``base_freq`` periods grouped into ``freq`` buckets in
    ``timezone``, each value column aggregated by its rule (``default`` for the others).
    Only complete buckets are emitted."""

    base_freq: str
    freq: str
    timezone: str = "UTC"
    aggregate: dict[str, Aggregation] = Field(default_factory=dict)
    default: Aggregation = "mean"

    @model_validator(mode="after")
    def _coarser_multiple(self) -> ResampleSpec:
        try:
            check_granularity(self.base_freq, self.freq, timezone=self.timezone)
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def rule(self, column: str) -> Aggregation:
        """The aggregation of ``column``."""
        return self.aggregate.get(column, self.default)


@dataclass(frozen=True, kw_only=True, config=STRICT)
class ForecasterDecl:
    """A ``[forecasters.<name>]`` table: what to forecast and how."""

    dataset: str
    target: str
    horizons: tuple[int, ...] = DEFAULT_HORIZONS  # steps of the forecaster's frequency
    model: ModelSpec = ModelSpec()
    features: FeatureSpec = FeatureSpec()
    exogenous: tuple[ExogenousSpec, ...] = ()
    catchup: CatchupSpec = CatchupSpec()
    backtest: BacktestSpec = BacktestSpec()
    min_train_rows: int = Field(default=48, ge=1)
    train_window: int | None = Field(default=None, ge=1)  # newest periods used; None: all
    train_stride: int = Field(default=1, ge=1)  # every n-th origin becomes a training row
    series: tuple[str, ...] = ()  # empty: every series of the dataset
    gates: GateSpec = GateSpec()
    intervals: IntervalSpec = IntervalSpec()
    task: Task = "regression"  # classification: yhat is the probability that ``label`` holds
    label: LabelSpec | None = None  # required for classification, absent for regression
    # a coarser frequency than the dataset's (e.g. "1D" on hourly candles), resampled on the
    # fly with the dataset's ``aggregate`` rules, in buckets of ``granularity_timezone``
    granularity: str | None = None
    granularity_timezone: str = "UTC"
    # free labels to select forecasters by: `prevoir run --tag granularity=hour`
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("horizons")
    @classmethod
    def _positive_horizons(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or min(value) < 1:
            raise ValueError("horizons must be a non-empty list of steps >= 1, e.g. [1, 6, 24]")
        return tuple(sorted(set(value)))

    @field_validator("granularity")
    @classmethod
    def _fixed_granularity(cls, value: str | None) -> str | None:
        return None if value is None else checked(freq_to_ns, value)

    @field_validator("granularity_timezone")
    @classmethod
    def _zone_of_a_granularity(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("granularity") is None and value != "UTC":
            raise ValueError("granularity_timezone applies only with granularity; set both")
        return checked(check_timezone, value)

    @model_validator(mode="after")
    def _label_matches_task(self) -> ForecasterDecl:
        if self.task == "regression":
            if self.label is not None:
                raise ValueError('label applies only to task = "classification"; remove it')
            return self
        if self.label is None:
            raise ValueError(
                'task = "classification" needs a label, e.g. label = { rule = "up" } or '
                'label = { rule = "above", threshold = 100 }'
            )
        if self.model.kind not in CLASSIFIER_KINDS:
            raise ValueError(
                f"model kind {self.model.kind!r} cannot classify; use one of "
                f"{list(CLASSIFIER_KINDS)} for a classification forecaster"
            )
        if self.intervals.levels:
            raise ValueError(
                "a classification forecaster issues probabilities, not intervals; remove "
                "intervals.levels"
            )
        if self.model.strategy == "recursive":
            raise ValueError(
                "a classification forecaster predicts each step directly; remove model.strategy "
                '= "recursive"'
            )
        return self


@dataclass(frozen=True, kw_only=True, config=STRICT)
class ForecasterSpec(ForecasterDecl):
    """A forecaster as the core runs it: its declaration plus what the project derives."""

    name: str
    freq: str  # the dataset's frequency, or the granularity when coarser
    # threads each model fit/predict may use (LightGBM, XGBoost, scikit-learn);
    # None: the cores this process may run on (see ``prevoir.models.threads``)
    threads: int | None = Field(default=None, ge=1, strict=True)  # no bool, no text
    resample: ResampleSpec | None = None  # set when ``freq`` is coarser than the dataset's

    @field_validator("freq")
    @classmethod
    def _fixed_frequency(cls, value: str) -> str:
        return checked(freq_to_ns, value)

    @property
    def max_horizon(self) -> int:
        """The furthest step forecast."""
        return max(self.horizons)


@dataclass(frozen=True, config=STRICT)
class MlflowSpec:
    """``[mlflow]``: mirror runs, model versions and aliases into MLflow (``prevoir[mlflow]``).

    prevoir's store stays the source of truth; the mirror is written after each store change.
    Relative SQLite ``tracking_uri`` paths are resolved against the project folder, and a local
    store keeps new experiments' files in ``artifact_location`` (default ``./mlartifacts``;
    None with a server: it decides). Registered models are named
    ``<registered_model_prefix><profile>.<forecaster>``.
    """

    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = "prevoir"
    registered_model_prefix: str = ""
    artifact_location: str | None = None

    def registered_model(self, profile: str, forecaster: str) -> str:
        """The MLflow registered model that holds ``forecaster``'s versions in ``profile``."""
        return f"{self.registered_model_prefix}{profile}.{forecaster}"
