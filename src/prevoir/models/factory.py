"""Build a model from its spec: the one place that knows which kinds exist.

Each kind names the module and class that implement it, and that module is imported only
when the kind is built: a LightGBM forecaster never loads XGBoost, statsforecast or
scikit-learn's ensembles, and importing this module loads none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import NamedTuple, cast

from prevoir.domain.specs import ForecasterSpec, IntervalSpec
from prevoir.errors import ConfigError
from prevoir.models.base import Forecaster
from prevoir.models.conformal import ConformalForecaster
from prevoir.models.recursive import RecursiveForecaster

__all__ = [
    "CLASSIFIERS",
    "MODEL_KINDS",
    "Family",
    "interval_method",
    "make_classifier",
    "make_model",
]


class Family(NamedTuple):
    """Where a kind's class lives, and whether it computes its own intervals at
    ``spec.intervals.levels`` (otherwise ``interval_method`` wraps it in conformal bands)."""

    module: str
    name: str
    native_intervals: bool = False

    def load(self) -> type[Forecaster]:
        """The class, importing its module (and its library) now."""
        return cast(type[Forecaster], getattr(importlib.import_module(self.module), self.name))


_STATS = Family("prevoir.models.stats", "StatsForecaster", native_intervals=True)

MODEL_KINDS: Mapping[str, Family] = MappingProxyType(
    {
        "auto": Family("prevoir.models.ensemble", "AutoForecaster"),
        "ensemble": Family("prevoir.models.ensemble", "EnsembleForecaster"),
        "lightgbm": Family("prevoir.models.gbm", "LightGBMForecaster"),
        "random_forest": Family("prevoir.models.forest", "RandomForestForecaster"),
        "seasonal_naive": Family("prevoir.models.naive", "SeasonalNaive"),
        "xgboost": Family("prevoir.models.xgb", "XGBoostForecaster"),
        # statsforecast's kinds, one class for all (``prevoir.models.stats.STATS_KINDS``)
        **dict.fromkeys(
            ("auto_arima", "auto_ets", "auto_theta", "mstl", "sf_seasonal_naive"), _STATS
        ),
    }
)
"""Every regression kind; the config's ``ModelKind`` lists the same names."""

CLASSIFIERS: Mapping[str, Family] = MappingProxyType(
    {
        "lightgbm": Family("prevoir.models.gbm", "LightGBMClassifier"),
        "random_forest": Family("prevoir.models.forest", "ForestClassifier"),
        "xgboost": Family("prevoir.models.xgb", "XGBoostClassifier"),
    }
)
"""Every kind that can classify (``CLASSIFIER_KINDS``), each next to its regressor."""


def make_model(spec: ForecasterSpec) -> Forecaster:
    """An unfitted model for ``spec.model.kind`` and ``spec.model.strategy``, issuing the
    intervals of ``spec.intervals`` (native or conformal, see ``interval_method``). The spec
    admits only known kinds, and a recursive strategy only for the ML kinds.

    Classification forecasters get a classifier of that kind (``make_classifier``); they
    issue probabilities, never intervals.
    """
    if spec.task == "classification":
        return make_classifier(spec)
    method = interval_method(spec)
    build = MODEL_KINDS[spec.model.kind].load()
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


def make_classifier(spec: ForecasterSpec) -> Forecaster:
    """An unfitted classifier for ``spec.model.kind`` (the spec admits only kinds that can)."""
    return CLASSIFIERS[spec.model.kind].load()(spec)


def interval_method(spec: ForecasterSpec) -> str:
    """``"none"``, ``"native"`` or ``"conformal"``: how ``spec``'s model issues intervals.

    ``auto`` is native where the kind has native intervals, conformal otherwise; ``native``
    on a kind without them is a config error.
    """
    intervals = spec.intervals
    if not intervals.levels:
        return "none"
    native = MODEL_KINDS[spec.model.kind].native_intervals
    if intervals.method == "native" and not native:
        natives = sorted(kind for kind, f in MODEL_KINDS.items() if f.native_intervals)
        raise ConfigError(
            f"forecaster {spec.name!r}: model kind {spec.model.kind!r} has no native "
            f"prediction intervals (kinds that have: {natives}); set intervals.method "
            'to "conformal" or "auto"'
        )
    if intervals.method == "conformal" or not native:
        return "conformal"
    return "native"
