"""LightGBM as a direct forecaster over (origin, step) rows (see ``prevoir.models.direct``),
and as a classifier (see ``prevoir.models.classify``).

Threads: ``num_threads`` is the forecaster's ``threads`` (``prevoir.models.threads``) for
training and prediction alike, unless ``params`` set it; LightGBM's own default (every
logical core) oversubscribes a small box that several processes share. Per-series models
run one after another, each with all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightgbm as lgb
import numpy as np

from prevoir.models.classify import DirectClassifier
from prevoir.models.direct import GLOBAL, ID_FEATURE, OWN_OPTIONS, DirectForecaster
from prevoir.models.threads import thread_count

__all__ = ["DEFAULT_PARAMS", "LightGBMClassifier", "LightGBMForecaster", "lightgbm_params"]

DEFAULT_PARAMS: dict[str, object] = {
    "objective": "regression",
    "num_iterations": 300,
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_data_in_leaf": 20,
    "verbose": -1,
    "seed": 0,
    "deterministic": True,
}
# sklearn-style and LightGBM aliases, folded so a user value never fights a default.
_ALIASES = {
    "n_estimators": "num_iterations",
    "num_boost_round": "num_iterations",
    "num_trees": "num_iterations",
    "num_round": "num_iterations",
    "n_iter": "num_iterations",
    "n_jobs": "num_threads",
    "nthread": "num_threads",
    "verbosity": "verbose",
    "random_state": "seed",
    "min_child_samples": "min_data_in_leaf",
    "subsample": "bagging_fraction",
    "subsample_freq": "bagging_freq",
    "colsample_bytree": "feature_fraction",
    "reg_alpha": "lambda_l1",
    "reg_lambda": "lambda_l2",
}


def lightgbm_params(params: Mapping[str, object]) -> dict[str, object]:
    """LightGBM parameters: defaults overridden by ``params`` (aliases folded, own options out)."""
    merged = dict(DEFAULT_PARAMS)
    for key, value in params.items():
        if key not in OWN_OPTIONS:
            merged[_ALIASES.get(key, key)] = value
    return merged


class LightGBMForecaster(DirectForecaster):
    """Direct LightGBM on ``build_design`` rows; parameters from ``spec.model.params``.

    Defaults: ``DEFAULT_PARAMS`` (300 rounds, learning rate 0.05, 63 leaves), ``num_threads``
    from the forecaster's ``threads``.
    """

    library = "LightGBM"

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        merged = lightgbm_params(params)
        merged.setdefault("num_threads", thread_count(self.spec))
        return merged

    def _train(self, matrix: np.ndarray, target: np.ndarray) -> lgb.Booster:
        params = dict(self.params)
        rounds = int(params.pop("num_iterations"))  # type: ignore[call-overload]
        data = lgb.Dataset(
            matrix,
            label=target,
            feature_name=self.features,
            categorical_feature=[ID_FEATURE] if self.unique_id_feature else [],
            params=params,
        )
        try:
            return lgb.train(params, data, num_boost_round=rounds)
        except lgb.basic.LightGBMError as exc:
            raise self._refused(exc) from exc

    def _predict_matrix(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        threads = int(self.params["num_threads"])  # type: ignore[call-overload]
        return np.asarray(estimator.predict(matrix, num_threads=threads), dtype=np.float64)

    def _importance(self, estimator: Any) -> np.ndarray:
        return np.asarray(estimator.feature_importance(importance_type="gain"), dtype=np.float64)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Load artifacts written before the direct family existed (one ``booster_``)."""
        if "booster_" in state:
            booster = state.pop("booster_")
            state["estimators_"] = None if booster is None else {GLOBAL: booster}
        state.setdefault("scope", "global")
        super().__setstate__(state)


class LightGBMClassifier(DirectClassifier, LightGBMForecaster):
    """LightGBM with the ``binary`` objective (log loss); ``cross_entropy`` is accepted too."""

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        objective = self._objective(
            params, default="binary", allowed={"binary", "cross_entropy", "xentropy"}
        )
        return super()._library_params({**params, "objective": objective})
