"""The project settings tree and ``load_settings``: prevoir.toml < profile < env < CLI flags.

Nothing here runs at import. ``load_settings`` reads ``prevoir.toml``, deep-merges
``[profiles.<name>]`` over it, then lets ``PREVOIR_*`` environment variables (nested with
``__``, e.g. ``PREVOIR_STORE__URL``) and a ``.env`` file in the project override any key.
Every model forbids unknown keys, so a typo is an error that names the key.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from prevoir.domain.records import (
    CLASSIFIER_KINDS,
    Aggregation,
    BacktestSpec,
    CatchupSpec,
    DerivedColumn,
    ExogenousSpec,
    FeatureSpec,
    ForecasterSpec,
    GateSpec,
    IntervalSpec,
    LabelSpec,
    MlflowSpec,
    ModelKind,
    ModelSpec,
    ResampleSpec,
    Strategy,
    TimeSpec,
    TransformSpec,
)
from prevoir.errors import ConfigError
from prevoir.features.grid import freq_to_ns
from prevoir.features.resample import check_granularity

CONFIG_FILE = "prevoir.toml"
RECURSIVE_KINDS = ("lightgbm", "xgboost", "random_forest")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Strict):
    """Where observations, forecasts, runs and model versions live (one SQLAlchemy URL)."""

    url: str = "sqlite:///prevoir.db"
    password: SecretStr | None = None  # set through PREVOIR_STORE__PASSWORD, never the file


class SourceSettings(_Strict):
    """Where a dataset's raw rows come from."""

    kind: Literal["csv", "parquet", "sql"] = "csv"
    path: str | None = None  # glob, relative to the project folder
    url: str | None = None  # SQLAlchemy URL of a sql source
    query: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)  # passed to the CSV reader


class TimeSettings(_Strict):
    """The time column and how to read it (see ``prevoir.domain.records.TimeSpec``)."""

    column: str = "ds"
    format: str | None = None
    unit: Literal["s", "ms", "us", "ns"] | None = None
    timezone: str = "UTC"
    columns: list[str] = Field(default_factory=list)


class DerivedSettings(_Strict):
    """A column computed from others when missing (``avg_temp = (tmin + tmax) / 2``)."""

    name: str
    expr: str
    only_missing: bool = True


class DatasetSettings(_Strict):
    """A named table of observations."""

    source: SourceSettings
    time: TimeSettings = TimeSettings()
    keys: list[str] = Field(default_factory=list)
    values: list[str]
    rename: dict[str, str] = Field(default_factory=dict)
    freq: str = "h"
    fill: Literal["none", "zero", "ffill", "interpolate", "nan"] = "none"
    derived: list[DerivedSettings] = Field(default_factory=list)
    blacklist: list[str] = Field(default_factory=list)
    since: str | None = None  # ISO time; earlier rows are ignored (dev samples)
    # how each value column aggregates into a coarser forecaster granularity (default: mean)
    aggregate: dict[str, Aggregation] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _aggregate_value_columns(self) -> DatasetSettings:
        unknown = sorted(set(self.aggregate) - set(self.values))
        if unknown:
            raise ValueError(
                f"aggregate names {unknown}, which are not value columns "
                f"(values: {', '.join(self.values)})"
            )
        return self


class ExogenousSettings(_Strict):
    """Another dataset joined onto the forecaster's frame."""

    dataset: str
    columns: list[str]
    join: Literal["time", "date"] = "time"
    timezone: str = "UTC"
    availability: Literal["known", "origin"] = "origin"
    key_map: dict[str, str] = Field(default_factory=dict)


class FeatureSettings(_Strict):
    """Which features the forecaster builds."""

    lags: list[int] = Field(default_factory=list)
    rolling: list[int] = Field(default_factory=list)
    calendar: list[str] = Field(default_factory=list)
    cyclic: list[str] = Field(default_factory=list)
    timezone: str = "UTC"


class ModelSettings(_Strict):
    """The model kind and its parameters."""

    kind: ModelKind = "lightgbm"
    season_length: int = Field(default=24, ge=1)
    params: dict[str, Any] = Field(default_factory=dict)
    scope: Literal["global", "per_series"] = "global"  # ML kinds: one model, or one per series
    # kind = "ensemble": the member models (nested tables) and how forecasts are combined
    members: list[ModelSettings] = Field(default_factory=list)
    combine: Literal["mean", "median"] = "mean"
    strategy: Strategy = "direct"  # ML kinds: direct (one row per step) or recursive

    @model_validator(mode="after")
    def _recursive_only_for_ml(self) -> ModelSettings:
        if self.strategy == "recursive" and self.kind not in RECURSIVE_KINDS:
            raise ValueError(
                f'strategy "recursive" applies only to kinds {", ".join(RECURSIVE_KINDS)}, '
                f"not {self.kind!r}; remove strategy or pick one of those kinds"
            )
        return self

    @model_validator(mode="after")
    def _members_only_for_ensembles(self) -> ModelSettings:
        if self.kind == "ensemble" and not self.members:
            raise ValueError(
                'kind "ensemble" needs members, e.g. members = [{ kind = "lightgbm" }, '
                '{ kind = "seasonal_naive" }]'
            )
        if self.kind != "ensemble" and self.members:
            raise ValueError(f'members apply only to kind "ensemble", not {self.kind!r}')
        return self

    def spec(self) -> ModelSpec:
        """The core's view of this model (members converted recursively)."""
        return ModelSpec(
            kind=self.kind,
            season_length=self.season_length,
            params=dict(self.params),
            scope=self.scope,
            members=tuple(m.spec() for m in self.members),
            combine=self.combine,
            strategy=self.strategy,
        )


class CatchupSettings(_Strict):
    """Which origins the predict step issues."""

    stride: int = Field(default=1, ge=1)
    max_catchup: int = Field(default=168, ge=1)
    initial_origins: int = Field(default=24, ge=1)
    refit: Literal["never", "every", "always"] = "never"
    refit_every: int = Field(default=24, ge=1)


class BacktestSettings(_Strict):
    """The expanding-window backtest of the evaluate step."""

    folds: int = Field(default=3, ge=1)
    step: int = Field(default=24, ge=1)
    sample_series: int = Field(default=4, ge=1)


class GateSettings(_Strict):
    """Promotion gates: a new version becomes champion only when all pass."""

    min_rows: int = Field(default=100, ge=1)
    tolerance: float = Field(default=0.05, ge=0)
    metric: str | None = None
    compare: Literal["same_folds", "recorded"] = "same_folds"


class IntervalSettings(_Strict):
    """Prediction intervals stored with the forecasts (see ``IntervalSpec``)."""

    levels: list[int] = Field(default_factory=list)  # empty: point forecasts only
    method: Literal["auto", "native", "conformal"] = "auto"
    windows: int = Field(default=4, ge=1)  # conformal calibration span, in longest horizons

    @field_validator("levels")
    @classmethod
    def _percent_levels(cls, value: list[int]) -> list[int]:
        if any(not 0 < level < 100 for level in value):
            raise ValueError("interval levels are percentages between 1 and 99, e.g. [80, 95]")
        return sorted(set(value))

    def spec(self) -> IntervalSpec:
        """The core's view of these settings."""
        return IntervalSpec(levels=tuple(self.levels), method=self.method, windows=self.windows)


class LabelSettings(_Strict):
    """The binary label of a classification forecaster (see ``domain.records.LabelSpec``)."""

    rule: Literal["up", "above"]
    threshold: float | None = None  # rule "above" only: y strictly above this value

    @model_validator(mode="after")
    def _threshold_only_for_above(self) -> LabelSettings:
        if self.rule == "above" and self.threshold is None:
            raise ValueError(
                'rule "above" needs a threshold, e.g. label = { rule = "above", threshold = 100 }'
            )
        if self.rule != "above" and self.threshold is not None:
            raise ValueError(f'threshold applies only to rule "above", not {self.rule!r}')
        return self

    def spec(self) -> LabelSpec:
        """The core's view of this label."""
        return LabelSpec(rule=self.rule, threshold=self.threshold)


class ForecasterSettings(_Strict):
    """What to forecast and how."""

    dataset: str
    target: str
    horizons: list[int] = Field(default_factory=lambda: list(range(1, 25)))
    model: ModelSettings = ModelSettings()
    features: FeatureSettings = FeatureSettings()
    exogenous: list[ExogenousSettings] = Field(default_factory=list)
    catchup: CatchupSettings = CatchupSettings()
    backtest: BacktestSettings = BacktestSettings()
    min_train_rows: int = Field(default=48, ge=1)
    train_window: int | None = Field(default=None, ge=1)
    train_stride: int = Field(default=1, ge=1)
    series: list[str] = Field(default_factory=list)
    gates: GateSettings = GateSettings()
    intervals: IntervalSettings = IntervalSettings()
    # classification: yhat is the probability that ``label`` holds (kinds in CLASSIFIER_KINDS)
    task: Literal["regression", "classification"] = "regression"
    label: LabelSettings | None = None
    # a coarser frequency than the dataset's (e.g. "1D" on hourly candles), resampled on the
    # fly with the dataset's ``aggregate`` rules, in buckets of ``granularity_timezone``
    granularity: str | None = None
    granularity_timezone: str = "UTC"

    @field_validator("horizons")
    @classmethod
    def _positive_horizons(cls, value: list[int]) -> list[int]:
        if not value or min(value) < 1:
            raise ValueError("horizons must be a non-empty list of steps >= 1, e.g. [1, 6, 24]")
        return sorted(set(value))

    @model_validator(mode="after")
    def _label_matches_task(self) -> ForecasterSettings:
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


class MlflowSettings(_Strict):
    """Mirror runs, model versions and aliases into MLflow (needs ``prevoir[mlflow]``).

    prevoir's store stays the source of truth; the mirror is written after each store change.
    """

    tracking_uri: str = "sqlite:///mlflow.db"  # relative SQLite paths: from the project folder
    experiment: str = "prevoir"
    registered_model_prefix: str = ""  # registered models: <prefix><profile>.<forecaster>
    artifact_location: str | None = None  # new experiments' files; default ./mlartifacts


DEV_SECRET = "prevoir-dev-secret-do-not-use-in-production"


class ScheduledJobSettings(_Strict):
    """One scheduled run: a crontab line (UTC unless ``timezone``) and the steps it runs."""

    cron: str  # five fields: minute hour day month weekday, e.g. "0 */6 * * *"
    steps: list[str] | None = None  # None: every step
    timezone: str = "UTC"
    # a firing missed while no server ran: "run_once" runs it once at start, "skip" logs it
    missed: Literal["run_once", "skip"] = "skip"


class ServiceSettings(_Strict):
    """``prevoir serve``: where it listens, how it signs tokens, what it schedules."""

    # "dev" allows the built-in signing secret; anything else needs PREVOIR_SERVICE__SECRET_KEY
    environment: str = "dev"
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    token_minutes: int = Field(default=60, ge=1)
    max_body_bytes: int = Field(default=10_000_000, ge=1024)  # larger bodies get 413
    scheduler: bool = True  # False: serve the API and dashboard only
    schedule: dict[str, ScheduledJobSettings] = Field(default_factory=dict)

    def signing_secret(self) -> str:
        """The secret that signs tokens; the built-in one only in ``dev``."""
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if self.environment == "dev" and not secret:
            return DEV_SECRET
        if not secret or secret == DEV_SECRET or len(secret) < 32:
            raise ConfigError(
                f"the service runs in environment {self.environment!r} without a signing "
                "secret of its own: set PREVOIR_SERVICE__SECRET_KEY to a random string of 32 "
                "characters or more (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return secret


class Settings(BaseSettings):
    """The effective configuration of one project under one profile."""

    model_config = SettingsConfigDict(
        env_prefix="PREVOIR_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    project_dir: Path = Path()
    profile: str = "default"
    store: StoreSettings = StoreSettings()
    artifacts_dir: str = "artifacts"
    # where model versions' bytes go: a folder (relative to the project) or any fsspec URL
    # (s3://bucket/prefix, gs://…, file:///…); default: <artifacts_dir>/models
    model_store: str | None = None
    # threads per model fit/predict; unset: the cores this process may run on
    threads: int | None = Field(default=None, ge=1)
    datasets: dict[str, DatasetSettings] = Field(default_factory=dict)
    forecasters: dict[str, ForecasterSettings] = Field(default_factory=dict)
    mlflow: MlflowSettings | None = None  # absent: no MLflow mirror
    service: ServiceSettings = ServiceSettings()

    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the project folder."""
        url = self.store.url
        if self.store.password is not None:
            url = _with_password(url, self.store.password.get_secret_value())
        return _resolve_sqlite(url, self.project_dir)

    def artifacts_path(self) -> Path:
        """Folder where steps write feature tables, plots and model artifacts."""
        return (self.project_dir / self.artifacts_dir).resolve()

    def model_store_location(self) -> str:
        """Model artifact root: an fsspec URL as given, or an absolute local folder."""
        if self.model_store is None:
            return str(self.artifacts_path() / "models")
        if "://" in self.model_store:
            return self.model_store.rstrip("/")
        return str((self.project_dir / self.model_store).resolve())

    def config_hash(self) -> str:
        """sha256 of the effective config, recorded with runs so results trace to it."""
        # where results are stored or mirrored does not change them
        shown = self.model_dump(mode="json", exclude={"store", "mlflow", "service"})
        text = json.dumps(shown, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def masked(self) -> dict[str, Any]:
        """The effective config as plain data with secrets and URL passwords hidden."""
        data = self.model_dump(mode="json")
        data["store"]["url"] = mask_url(self.store.url)
        if self.store.password is not None:
            data["store"]["password"] = "**********"
        for dataset in data["datasets"].values():
            if dataset["source"].get("url"):
                dataset["source"]["url"] = mask_url(dataset["source"]["url"])
        if data["mlflow"] is not None:
            data["mlflow"]["tracking_uri"] = mask_url(data["mlflow"]["tracking_uri"])
        return data


def _resolve_sqlite(url: str, project_dir: Path) -> str:
    """``url`` with a relative SQLite path made absolute against ``project_dir``."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((project_dir / url[len(prefix) :]).resolve())
    return url


def mask_url(url: str) -> str:
    """Hide the password of ``scheme://user:password@host`` URLs."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _with_password(url: str, password: str) -> str:
    """Put ``password`` into a ``scheme://user@host`` URL that has none."""
    quoted = quote(password, safe="")
    return re.sub(r"(://[^:/@]+)@", lambda m: f"{m.group(1)}:{quoted}@", url, count=1)


def find_project_dir(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds a ``prevoir.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_FILE} in {start} or any parent folder; "
        "create a project with `prevoir init DIR --example bikes` or pass --project DIR"
    )


def load_settings(
    project_dir: Path, *, profile: str | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read ``prevoir.toml`` under ``profile`` with env and ``overrides`` applied on top."""
    path = project_dir / CONFIG_FILE
    data = _read_toml(path)
    profiles = data.pop("profiles", {})
    name = profile or "default"
    if profile is not None and profile != "default":
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"{path}: profile {profile!r} is not declared (known profiles: {known}); "
                f"add a [profiles.{profile}] table"
            )
        data = _deep_merge(data, profiles[profile])
    data.update({"project_dir": project_dir.resolve(), "profile": name})
    env_file = project_dir / ".env"
    try:
        return _layered(data)(
            _env_file=env_file if env_file.is_file() else None, **dict(overrides or {})
        )
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc


def _layered(file_data: dict[str, Any]) -> type[Settings]:
    """A Settings class whose sources are: flags > environment > .env > ``file_data``."""

    class LayeredSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            file_source = _DictSource(settings_cls, file_data)
            return init_settings, env_settings, dotenv_settings, file_source

    return LayeredSettings


class _DictSource(PydanticBaseSettingsSource):
    """A settings source over an already-parsed mapping (the merged TOML)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            f"{path} does not exist; create a project with `prevoir init DIR --example bikes`"
        )
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError, path: Path) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s) in the configuration"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"  - unknown key `{key}`: remove it or check its spelling")
        elif error["type"] == "missing":
            lines.append(f"  - missing key `{key}`: add it")
        else:
            lines.append(f"  - `{key}`: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)


def transform_spec(name: str, dataset: DatasetSettings) -> TransformSpec:
    """The core's view of a dataset declaration."""
    time = dataset.time
    return TransformSpec(
        dataset=name,
        time=TimeSpec(
            column=time.column,
            format=time.format,
            unit=time.unit,
            timezone=time.timezone,
            columns=tuple(time.columns),
        ),
        keys=tuple(dataset.keys),
        values=tuple(dataset.values),
        rename=dict(dataset.rename),
        freq=dataset.freq,
        fill=dataset.fill,
        derived=tuple(DerivedColumn(d.name, d.expr, d.only_missing) for d in dataset.derived),
        blacklist=tuple(dataset.blacklist),
    )


def forecaster_spec(name: str, settings: Settings) -> ForecasterSpec:
    """The core's view of a forecaster declaration, checked against the datasets it names."""
    fc = settings.forecasters[name]
    dataset = _declared_dataset(settings, fc.dataset, f"forecasters.{name}.dataset")
    if fc.target not in dataset.values:
        raise ConfigError(
            f"forecasters.{name}.target: {fc.target!r} is not a value column of dataset "
            f"{fc.dataset!r} (values: {', '.join(dataset.values)})"
        )
    exogenous = []
    for i, ex in enumerate(fc.exogenous):
        other = _declared_dataset(settings, ex.dataset, f"forecasters.{name}.exogenous.{i}")
        unknown = sorted(set(ex.columns) - set(other.values))
        if unknown:
            raise ConfigError(
                f"forecasters.{name}.exogenous.{i}.columns: {unknown} are not value columns of "
                f"dataset {ex.dataset!r} (values: {', '.join(other.values)})"
            )
        exogenous.append(
            ExogenousSpec(
                dataset=ex.dataset,
                columns=tuple(ex.columns),
                join=ex.join,
                timezone=ex.timezone,
                availability=ex.availability,
                key_map=dict(ex.key_map),
            )
        )
    features = fc.features
    resample = _resample_spec(name, fc, dataset)
    return ForecasterSpec(
        name=name,
        dataset=fc.dataset,
        target=fc.target,
        freq=dataset.freq if resample is None else resample.freq,
        horizons=tuple(fc.horizons),
        features=FeatureSpec(
            lags=tuple(features.lags),
            rolling=tuple(features.rolling),
            calendar=tuple(features.calendar),
            cyclic=tuple(features.cyclic),
            exogenous=tuple(exogenous),
            timezone=features.timezone,
        ),
        model=fc.model.spec(),
        catchup=CatchupSpec(**fc.catchup.model_dump()),
        backtest=BacktestSpec(**fc.backtest.model_dump()),
        min_train_rows=fc.min_train_rows,
        gates=GateSpec(**fc.gates.model_dump()),
        train_window=fc.train_window,
        train_stride=fc.train_stride,
        series=tuple(fc.series),
        intervals=fc.intervals.spec(),
        task=fc.task,
        label=fc.label.spec() if fc.label is not None else None,
        threads=settings.threads,
        resample=resample,
    )


def _resample_spec(
    name: str, fc: ForecasterSettings, dataset: DatasetSettings
) -> ResampleSpec | None:
    """The forecaster's resampling, or None when it runs at the dataset's own frequency."""
    key = f"forecasters.{name}.granularity"
    if fc.granularity is None:
        if fc.granularity_timezone != "UTC":
            raise ConfigError(f"{key}_timezone applies only with {key}; set both or neither")
        return None
    try:
        if freq_to_ns(fc.granularity) == freq_to_ns(dataset.freq):
            return None
        check_granularity(dataset.freq, fc.granularity, timezone=fc.granularity_timezone)
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}") from exc
    return ResampleSpec(
        base_freq=dataset.freq,
        freq=fc.granularity,
        timezone=fc.granularity_timezone,
        aggregate=dict(dataset.aggregate),
    )


def _declared_dataset(settings: Settings, name: str, key: str) -> DatasetSettings:
    if name not in settings.datasets:
        known = ", ".join(sorted(settings.datasets)) or "none"
        raise ConfigError(f"{key}: dataset {name!r} is not declared (datasets: {known})")
    return settings.datasets[name]


def mlflow_spec(settings: Settings) -> MlflowSpec | None:
    """The MLflow mirror's target with paths resolved, or None when ``[mlflow]`` is absent.

    A local (SQLite) tracking store keeps new experiments' files in ``mlartifacts/`` of the
    project unless ``artifact_location`` says otherwise; a server picks its own.
    """
    cfg = settings.mlflow
    if cfg is None:
        return None
    uri = _resolve_sqlite(cfg.tracking_uri, settings.project_dir)
    location = cfg.artifact_location
    if location is None and uri.startswith("sqlite:"):
        location = "mlartifacts"
    if location is not None and "://" not in location:
        location = (settings.project_dir / location).resolve().as_uri()
    return MlflowSpec(
        tracking_uri=uri,
        experiment=cfg.experiment,
        registered_model_prefix=cfg.registered_model_prefix,
        artifact_location=location,
    )
