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

Each library's classifier lives next to its regressor (``LightGBMClassifier`` in
``prevoir.models.gbm``, ``XGBoostClassifier`` in ``prevoir.models.xgb``, ``ForestClassifier``
in ``prevoir.models.forest``), so a LightGBM classifier loads neither XGBoost nor
scikit-learn's ensembles; ``prevoir.models.factory.CLASSIFIERS`` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from prevoir.domain.columns import Y
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import ConfigError
from prevoir.features.labels import label_of, label_values
from prevoir.features.lags import LAST_Y
from prevoir.models.direct import DirectForecaster

__all__ = ["DirectClassifier"]


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
