"""Build a model from its spec: the one place that knows which kinds exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from prevoir.domain.specs import ForecasterSpec, IntervalSpec
from prevoir.errors import ConfigError
from prevoir.models.base import Forecaster
from prevoir.models.classify import make_classifier
from prevoir.models.conformal import ConformalForecaster
from prevoir.models.ensemble import AutoForecaster, EnsembleForecaster
from prevoir.models.forest import RandomForestForecaster
from prevoir.models.gbm import LightGBMForecaster
from prevoir.models.naive import SeasonalNaive
from prevoir.models.recursive import RecursiveForecaster
from prevoir.models.stats import STATS_KINDS
from prevoir.models.xgb import XGBoostForecaster

__all__ = ["MODEL_KINDS", "interval_method", "make_model"]

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
    """An unfitted model for ``spec.model.kind`` and ``spec.model.strategy``, issuing the
    intervals of ``spec.intervals`` (native or conformal, see ``interval_method``); an unknown
    kind, or a recursive strategy on a kind that is not ML, is a config error.

    Classification forecasters get a classifier of that kind (``prevoir.models.classify``);
    they issue probabilities, never intervals.
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
    if spec.model.strategy not in ("direct", "recursive"):
        raise ConfigError(
            f"forecaster {spec.name!r}: model strategy must be 'direct' or 'recursive', "
            f"got {spec.model.strategy!r}"
        )
    method = interval_method(spec)
    if spec.model.strategy == "recursive":
        if method == "conformal":
            raise ConfigError(
                f"forecaster {spec.name!r}: conformal intervals are not available with "
                "strategy 'recursive' yet; use strategy 'direct' or remove intervals.levels"
            )
        return RecursiveForecaster(spec, one_step=build)
    if method == "conformal":
        return ConformalForecaster(spec, build(replace(spec, intervals=IntervalSpec())))
    return build(spec)


def interval_method(spec: ForecasterSpec) -> str:
    """``"none"``, ``"native"`` or ``"conformal"``: how ``spec``'s model issues intervals.

    ``auto`` is native where the kind has native intervals, conformal otherwise; ``native``
    on a kind without them is a config error.
    """
    intervals = spec.intervals
    if not intervals.levels:
        return "none"
    bad = [level for level in intervals.levels if not 0 < level < 100]
    if bad or intervals.windows < 1:
        raise ConfigError(
            f"forecaster {spec.name!r}: interval levels are percentages between 1 and 99 "
            f"and windows is at least 1, got levels {list(intervals.levels)}, windows "
            f"{intervals.windows}"
        )
    natives = sorted(k for k, b in MODEL_KINDS.items() if getattr(b, "native_intervals", False))
    native = spec.model.kind in natives
    if intervals.method == "native" and not native:
        raise ConfigError(
            f"forecaster {spec.name!r}: model kind {spec.model.kind!r} has no native "
            f"prediction intervals (kinds that have: {natives}); set intervals.method "
            'to "conformal" or "auto"'
        )
    if intervals.method == "conformal" or not native:
        return "conformal"
    return "native"
