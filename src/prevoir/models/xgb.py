"""XGBoost as a direct forecaster over (origin, step) rows (see ``prevoir.models.direct``),
and as a classifier (see ``prevoir.models.classify``).

Trained with ``xgboost.train`` on a ``DMatrix`` whose NaN cells are missing values (lags
before the start of a series, gaps), with the ``hist`` tree method.

Threads: ``nthread`` is the forecaster's ``threads`` (``prevoir.models.threads``) for
building the matrix, training and ``inplace_predict``, unless ``params`` set it; XGBoost's
own default (every core) oversubscribes a small box that several processes share.
Per-series models run one after another, each with all of them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import xgboost

from prevoir.models.classify import DirectClassifier
from prevoir.models.direct import DirectForecaster
from prevoir.models.threads import thread_count

__all__ = ["XGBOOST_DEFAULTS", "XGBoostClassifier", "XGBoostForecaster", "xgboost_params"]

XGBOOST_DEFAULTS: dict[str, object] = {
    "objective": "reg:squarederror",
    "num_boost_round": 300,
    "learning_rate": 0.05,
    "max_depth": 8,
    "min_child_weight": 5,
    "tree_method": "hist",
    "seed": 0,
    # XGBoost's own default; it is what reports unused parameters, turned into ConfigError.
    "verbosity": 1,
}
# sklearn-style and native aliases, folded so a user value never fights a default.
_ALIASES = {
    "n_estimators": "num_boost_round",
    "num_round": "num_boost_round",
    "num_iterations": "num_boost_round",
    "eta": "learning_rate",
    "n_jobs": "nthread",
    "num_threads": "nthread",
    "random_state": "seed",
    "reg_alpha": "alpha",
    "reg_lambda": "lambda",
}
_UNUSED = re.compile(r"Parameters: \{(?P<names>[^}]*)\} are not used")


def xgboost_params(params: Mapping[str, object]) -> dict[str, object]:
    """XGBoost parameters: ``XGBOOST_DEFAULTS`` overridden by ``params`` (aliases folded)."""
    merged = dict(XGBOOST_DEFAULTS)
    for key, value in params.items():
        merged[_ALIASES.get(key, key)] = value
    return merged


class XGBoostForecaster(DirectForecaster):
    """Direct XGBoost on ``build_design`` rows; parameters from ``spec.model.params``.

    Defaults: ``XGBOOST_DEFAULTS`` (300 rounds, learning rate 0.05, depth 8, ``hist``),
    ``nthread`` from the forecaster's ``threads``. A parameter XGBoost does not use, or a
    value it rejects, is a ``ConfigError``.
    """

    library = "XGBoost"

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        merged = xgboost_params(params)
        merged.setdefault("nthread", thread_count(self.spec))
        return merged

    def _train(self, matrix: np.ndarray, target: np.ndarray) -> xgboost.Booster:
        params = dict(self.params)
        rounds = int(params.pop("num_boost_round"))  # type: ignore[call-overload]
        data = xgboost.DMatrix(
            matrix,
            label=target,
            missing=np.nan,
            feature_names=self.features,
            nthread=int(params["nthread"]),  # type: ignore[call-overload]
        )
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                booster = xgboost.train(params, data, num_boost_round=rounds)
        except xgboost.core.XGBoostError as exc:
            raise self._refused(exc) from exc
        for warning in caught:
            unused = _UNUSED.search(str(warning.message))
            if unused:
                names = unused.group("names").replace('"', "").strip()
                raise self._refused(ValueError(f"unknown parameter(s) {names}"))
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        return booster

    def _predict_matrix(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(estimator.inplace_predict(matrix, missing=np.nan), dtype=np.float64)

    def _importance(self, estimator: Any) -> np.ndarray:
        gain = estimator.get_score(importance_type="total_gain")
        return np.array([gain.get(name, 0.0) for name in self.features], dtype=np.float64)


class XGBoostClassifier(DirectClassifier, XGBoostForecaster):
    """XGBoost with the ``binary:logistic`` objective; predictions are probabilities."""

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        objective = self._objective(params, default="binary:logistic", allowed={"binary:logistic"})
        return super()._library_params({**params, "objective": objective})
