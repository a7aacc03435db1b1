"""The core's specs from the settings: each declaration plus what the whole project says.

A declaration was validated when the file was read; what is checked here is what one table
cannot know alone: that a forecaster's dataset, target and exogenous columns are declared,
and the frequency it runs at (its dataset's, or a coarser granularity built from it).
"""

from __future__ import annotations

from dataclasses import fields

from pydantic import ValidationError

from prevoir.config.schema import Settings, resolve_sqlite
from prevoir.domain.datasets import DatasetDecl, TransformSpec
from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.specs import ForecasterDecl, ForecasterSpec, MlflowSpec, ResampleSpec
from prevoir.errors import ConfigError

__all__ = ["forecaster_spec", "mlflow_spec", "transform_spec"]


def transform_spec(name: str, dataset: DatasetDecl) -> TransformSpec:
    """What the transform step needs of dataset ``name``."""
    shape = {f.name: getattr(dataset, f.name) for f in fields(TransformSpec) if f.name != "dataset"}
    return TransformSpec(dataset=name, **shape)


def forecaster_spec(name: str, settings: Settings) -> ForecasterSpec:
    """The core's view of forecaster ``name``, checked against the datasets it names."""
    key = f"forecasters.{name}"
    decl = settings.forecasters[name]
    dataset = _declared_dataset(settings, decl.dataset, f"{key}.dataset")
    if decl.target not in dataset.values:
        raise ConfigError(
            f"{key}.target: {decl.target!r} is not a value column of dataset "
            f"{decl.dataset!r} (values: {', '.join(dataset.values)})"
        )
    for i, ex in enumerate(decl.exogenous):
        other = _declared_dataset(settings, ex.dataset, f"{key}.exogenous.{i}")
        unknown = sorted(set(ex.columns) - set(other.values))
        if unknown:
            raise ConfigError(
                f"{key}.exogenous.{i}.columns: {unknown} are not value columns of "
                f"dataset {ex.dataset!r} (values: {', '.join(other.values)})"
            )
    resample = _resample_spec(key, decl, dataset)
    freq = dataset.freq if resample is None else resample.freq
    try:
        freq_to_ns(freq)
    except ConfigError as exc:
        raise ConfigError(
            f"{key}: its dataset {decl.dataset!r} has frequency {freq!r}, which is not a fixed "
            "duration; forecasters need one ('h', '15min', 'D'), or set granularity"
        ) from exc
    declared = {f.name: getattr(decl, f.name) for f in fields(ForecasterDecl)}
    return ForecasterSpec(
        **declared, name=name, freq=freq, threads=settings.threads, resample=resample
    )


def _resample_spec(key: str, decl: ForecasterDecl, dataset: DatasetDecl) -> ResampleSpec | None:
    """The forecaster's resampling, or None when it runs at the dataset's own frequency."""
    if decl.granularity is None or freq_to_ns(decl.granularity) == _fixed_or_zero(dataset.freq):
        return None
    try:
        return ResampleSpec(
            base_freq=dataset.freq,
            freq=decl.granularity,
            timezone=decl.granularity_timezone,
            aggregate=dict(dataset.aggregate),
        )
    except ValidationError as exc:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise ConfigError(f"{key}.granularity: {message}") from exc


def _fixed_or_zero(freq: str) -> int:
    try:
        return freq_to_ns(freq)
    except ConfigError:
        return 0


def _declared_dataset(settings: Settings, name: str, key: str) -> DatasetDecl:
    if name not in settings.datasets:
        known = ", ".join(sorted(settings.datasets)) or "none"
        raise ConfigError(f"{key}: dataset {name!r} is not declared (datasets: {known})")
    return settings.datasets[name]


def mlflow_spec(settings: Settings) -> MlflowSpec | None:
    """``[mlflow]`` with its paths resolved, or None when the section is absent.

    A local (SQLite) tracking store keeps new experiments' files in ``mlartifacts/`` of the
    project unless ``artifact_location`` says otherwise; a server picks its own.
    """
    declared = settings.mlflow
    if declared is None:
        return None
    uri = resolve_sqlite(declared.tracking_uri, settings.project_dir)
    location = declared.artifact_location
    if location is None and uri.startswith("sqlite:"):
        location = "mlartifacts"
    if location is not None and "://" not in location:
        location = (settings.project_dir / location).resolve().as_uri()
    return MlflowSpec(
        tracking_uri=uri,
        experiment=declared.experiment,
        registered_model_prefix=declared.registered_model_prefix,
        artifact_location=location,
    )
