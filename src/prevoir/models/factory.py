"""Build a model from its spec: the one place that knows which kinds exist."""

from __future__ import annotations

from collections.abc import Callable

from prevoir.domain.records import ForecasterSpec
from prevoir.errors import ConfigError
from prevoir.models.base import Forecaster
from prevoir.models.classify import make_classifier
from prevoir.models.ensemble import AutoForecaster, EnsembleForecaster
from prevoir.models.forest import RandomForestForecaster
from prevoir.models.gbm import LightGBMForecaster
from prevoir.models.naive import SeasonalNaive
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
    """An unfitted model for ``spec.model.kind``; an unknown kind is a config error.

    Classification forecasters get a classifier of that kind (``prevoir.models.classify``).
    """
    if spec.task == "classification":
        return make_classifier(spec)
    try:
        build = MODEL_KINDS[spec.model.kind]
    except KeyError:
        raise ConfigError(
            f"forecaster {spec.name!r} asks for model kind {spec.model.kind!r}; "
            f"known kinds: {sorted(MODEL_KINDS)}"
        ) from None
    return build(spec)
