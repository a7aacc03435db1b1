"""Build a model from its spec: the one place that knows which kinds exist."""

from __future__ import annotations

from collections.abc import Callable

from prevoir.domain.records import ForecasterSpec
from prevoir.errors import ConfigError
from prevoir.models.base import Forecaster
from prevoir.models.ensemble import AutoForecaster, EnsembleForecaster
from prevoir.models.forest import RandomForestForecaster
from prevoir.models.gbm import LightGBMForecaster
from prevoir.models.naive import SeasonalNaive
from prevoir.models.recursive import RecursiveForecaster
from prevoir.models.stats import STATS_KINDS
from prevoir.models.xgb import XGBoostForecaster

__all__ = ["MODEL_KINDS", "make_model"]

MODEL_KINDS: dict[str, Callable[[ForecasterSpec], Forecaster]] = {
    "auto": AutoForecaster,
    "ensemble": EnsembleForecaster,
    "lightgbm": LightGBMForecaster,
    "random_forest": RandomForestForecaster,
    "seasonal_naive": SeasonalNaive,
    "xgboost": XGBoostForecaster,
    **STATS_KINDS,
}


def make_model(spec: ForecasterSpec) -> Forecaster:
    """An unfitted model for ``spec.model.kind`` and ``spec.model.strategy``; an unknown
    kind, or a recursive strategy on a kind that is not ML, is a config error."""
    try:
        build = MODEL_KINDS[spec.model.kind]
    except KeyError:
        raise ConfigError(
            f"forecaster {spec.name!r} asks for model kind {spec.model.kind!r}; "
            f"known kinds: {sorted(MODEL_KINDS)}"
        ) from None
    if spec.model.strategy == "recursive":
        return RecursiveForecaster(spec, one_step=build)
    if spec.model.strategy != "direct":
        raise ConfigError(
            f"forecaster {spec.name!r}: model strategy must be 'direct' or 'recursive', "
            f"got {spec.model.strategy!r}"
        )
    return build(spec)
