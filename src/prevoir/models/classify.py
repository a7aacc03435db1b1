"""Classification forecasters: the probability that a derived label holds at each horizon.

They are the direct ML forecasters (``prevoir.models.direct``) with a binary objective: the
same design rows, features, scopes and catch-up path, but the estimators learn the label of
``spec.label`` (``prevoir.features.labels``) instead of y, and ``yhat`` is the probability
that the label holds at ``ds``, in [0, 1]. Forecasts are therefore stored, upserted and
resumed exactly like regression forecasts.

Inputs: with rule ``up`` the level-bearing inputs (lags, last value, rolling statistics) are
divided by |y| at the origin, so they read as past moves relative to the value the label is
compared with (a tree cannot subtract two level columns; it can split on their ratio).
Measured on hourly crypto closes (``bench/classify.py --quick``), this lifted LightGBM's ROC
AUC from 0.54 to 0.61 against dividing by the regression's mean-|y| scale. With rule
``above`` inputs stay in the series' units, because the label compares against a fixed
level. ``target_scaling = "none"`` in ``model.params`` turns the division off,
``"mean"`` turns it on for ``above`` (by the regression's scale).

Class imbalance is left to the libraries' own parameters, passed through unchanged:
``is_unbalance`` / ``scale_pos_weight`` (LightGBM), ``scale_pos_weight`` (XGBoost),
``class_weight`` (random forest). Nothing is reweighted by default, so probabilities stay
calibrated to the base rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from prevoir.domain.columns import Y
from prevoir.domain.specs import CLASSIFIER_KINDS, ForecasterSpec, MLKind
from prevoir.errors import ConfigError
from prevoir.features.labels import label_of, label_values
from prevoir.features.lags import LAST_Y
from prevoir.models.base import Forecaster
from prevoir.models.direct import DirectForecaster
from prevoir.models.forest import RandomForestForecaster
from prevoir.models.gbm import LightGBMForecaster
from prevoir.models.xgb import XGBoostForecaster

__all__ = [
    "CLASSIFIERS",
    "DirectClassifier",
    "ForestClassifier",
    "LightGBMClassifier",
    "XGBoostClassifier",
    "make_classifier",
]


class DirectClassifier(DirectForecaster):
    """A direct forecaster whose target is ``spec.label`` and whose ``yhat`` is P(label)."""

    def __init__(self, spec: ForecasterSpec) -> None:
        self.label = label_of(spec)
        super().__init__(spec)
        if "target_scaling" not in spec.model.params:
            self.scaled = self.label.rule == "up"

    def _target(self, design: pd.DataFrame) -> np.ndarray:
        """The label per design row (NaN where y at ``ds`` or at the origin is unknown)."""
        return label_values(self.label, at_target=design[Y], at_origin=design[LAST_Y])

    def _input_scale(self, design: pd.DataFrame) -> np.ndarray:
        """Rule ``up``: |y at the origin| (inputs become ratios to it, i.e. past returns);
        otherwise, or where that is missing or zero, the design's ``scale``."""
        scale = super()._input_scale(design)
        if self.label.rule != "up":
            return scale
        origin = np.abs(design[LAST_Y].to_numpy(np.float64))
        return np.where(np.isfinite(origin) & (origin > 0), origin, scale)

    def _forecast_values(self, raw: np.ndarray, design: pd.DataFrame) -> np.ndarray:
        """Probabilities as they come (never rescaled), clipped to [0, 1] against rounding."""
        return np.clip(raw, 0.0, 1.0)

    def _objective(self, params: Mapping[str, object], *, default: str, allowed: set[str]) -> str:
        """The user's objective if it yields probabilities, else a ``ConfigError``."""
        objective = str(params.get("objective", default))
        if objective not in allowed:
            raise ConfigError(
                f"forecaster {self.spec.name!r} is a classification forecaster: objective "
                f"{objective!r} does not give probabilities; use one of {sorted(allowed)} "
                "or leave model.params.objective out"
            )
        return objective


class LightGBMClassifier(DirectClassifier, LightGBMForecaster):
    """LightGBM with the ``binary`` objective (log loss); ``cross_entropy`` is accepted too."""

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        objective = self._objective(
            params, default="binary", allowed={"binary", "cross_entropy", "xentropy"}
        )
        return super()._library_params({**params, "objective": objective})


class XGBoostClassifier(DirectClassifier, XGBoostForecaster):
    """XGBoost with the ``binary:logistic`` objective; predictions are probabilities."""

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        objective = self._objective(params, default="binary:logistic", allowed={"binary:logistic"})
        return super()._library_params({**params, "objective": objective})


class ForestClassifier(DirectClassifier, RandomForestForecaster):
    """scikit-learn ``RandomForestClassifier``: the share of trees' votes for the label."""

    library = "scikit-learn RandomForestClassifier"
    estimator_class = RandomForestClassifier

    def _predict_chunk(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        """P(label) from ``predict_proba``; a model that saw one class only gives 0 or 1."""
        classes = list(estimator.classes_)
        if 1.0 not in classes:
            return np.zeros(len(matrix), dtype=np.float64)
        proba = estimator.predict_proba(matrix)
        return np.asarray(proba[:, classes.index(1.0)], dtype=np.float64)


CLASSIFIERS: dict[MLKind, Callable[[ForecasterSpec], Forecaster]] = {
    "lightgbm": LightGBMClassifier,
    "random_forest": ForestClassifier,
    "xgboost": XGBoostClassifier,
}


def make_classifier(spec: ForecasterSpec) -> Forecaster:
    """An unfitted classifier for ``spec.model.kind``; a kind that cannot classify is refused."""
    build = CLASSIFIERS.get(spec.model.kind)  # type: ignore[arg-type]
    if build is None:
        raise ConfigError(
            f"forecaster {spec.name!r} is a classification forecaster but model kind "
            f"{spec.model.kind!r} cannot classify; use one of {list(CLASSIFIER_KINDS)}"
        )
    return build(spec)
