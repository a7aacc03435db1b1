"""One global direct LightGBM model over (origin, step) rows of every series.

Direct rather than recursive: each row already holds the step, so all horizons from all
origins are one ``predict`` call on one matrix, which is what makes catch-up cheap. Series
of different levels share one model because target-derived inputs and the target are
divided by the series' recent mean |y| at the origin (the design's ``scale``), and the
forecast is multiplied back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, FORECAST_COLUMNS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.records import ForecasterSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.design import build_design, feature_columns
from prevoir.features.lags import LAST_Y, SCALE, lag_columns, rolling_columns
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.support import require_fitted, require_training_rows

__all__ = ["DEFAULT_PARAMS", "LightGBMForecaster", "lightgbm_params"]

DEFAULT_PARAMS: dict[str, object] = {
    "objective": "regression",
    "num_iterations": 300,
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_data_in_leaf": 20,
    "num_threads": 2,
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
# prevoir's own options; they are read here and never passed to LightGBM.
_OWN_OPTIONS: dict[str, object] = {"target_scaling": "mean", "unique_id_feature": False}
_ID_FEATURE = "unique_id"


def lightgbm_params(params: Mapping[str, object]) -> dict[str, object]:
    """LightGBM parameters: defaults overridden by ``params`` (aliases folded, own options out)."""
    merged = dict(DEFAULT_PARAMS)
    for key, value in params.items():
        if key not in _OWN_OPTIONS:
            merged[_ALIASES.get(key, key)] = value
    return merged


class LightGBMForecaster(Forecaster):
    """Global direct LightGBM on ``build_design`` rows; parameters from ``spec.model.params``.

    Options beside LightGBM's: ``target_scaling`` (``"mean"``: divide by the design's
    ``scale``; ``"none"``) and ``unique_id_feature`` (the series id as a categorical input,
    for panels whose series differ in shape, not only in level).
    """

    def __init__(self, spec: ForecasterSpec) -> None:
        super().__init__(spec)
        options = {k: spec.model.params.get(k, v) for k, v in _OWN_OPTIONS.items()}
        if options["target_scaling"] not in ("mean", "none"):
            raise ConfigError(
                f"forecaster {spec.name!r}: target_scaling must be 'mean' or 'none', "
                f"got {options['target_scaling']!r}"
            )
        self.scaled = options["target_scaling"] == "mean"
        self.unique_id_feature = bool(options["unique_id_feature"])
        self.params = lightgbm_params(spec.model.params)
        self.features = feature_columns(spec) + ([_ID_FEATURE] if self.unique_id_feature else [])
        self._level_columns = {LAST_Y, *lag_columns(spec.features.lags)}
        self._level_columns |= set(rolling_columns(spec.features.rolling))
        self.booster_: lgb.Booster | None = None
        self.series_: pd.Index | None = None
        self.n_train_rows_: int | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether a booster has been trained."""
        return self.booster_ is not None

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Train on every training origin of ``history`` (see ``build_design``)."""
        require_training_rows(history, self.spec, model=type(self).__name__)
        return self.fit_design(build_design(history, self.spec, exog=exog))

    def fit_design(self, design: pd.DataFrame) -> Self:
        """Train on a design table; rows whose target is unknown are dropped first."""
        name = type(self).__name__
        missing = [c for c in (UNIQUE_ID, Y, SCALE, *feature_columns(self.spec)) if c not in design]
        if missing:
            raise DataValidationError(
                f"{name} for forecaster {self.spec.name!r}: the design table lacks {missing}; "
                "rebuild it with the forecaster's current features (run the features step)"
            )
        known = design[design[Y].notna()]
        if len(known) < self.spec.min_train_rows:
            raise DataValidationError(
                f"{name} for forecaster {self.spec.name!r}: {len(known)} training rows "
                f"(origin x step with a known target, out of {len(design)}), fewer than "
                f"min_train_rows={self.spec.min_train_rows}; every origin needs the longest "
                "lag or rolling window behind it: load more history or shorten lags/rolling"
            )
        series = pd.Index(pd.unique(known[UNIQUE_ID]))
        target = known[Y].to_numpy(np.float64)
        if self.scaled:
            target = target / known[SCALE].to_numpy(np.float64)
        self.booster_ = self._train(self._matrix(known, series), target)
        self.series_, self.n_train_rows_ = series, len(known)
        return self

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Forecast every horizon from every origin in one booster call."""
        require_fitted(self)
        assert self.booster_ is not None and self.series_ is not None
        design = build_design(history, self.spec, origins=origins, exog=exog, with_target=False)
        threads = int(self.params["num_threads"])  # type: ignore[call-overload]
        matrix = self._matrix(design, self.series_)
        yhat = np.asarray(self.booster_.predict(matrix, num_threads=threads), dtype=np.float64)
        if self.scaled:
            yhat = yhat * design[SCALE].to_numpy(np.float64)
        out = design[[UNIQUE_ID, ORIGIN, DS, STEP]].assign(**{YHAT: yhat})
        return out[list(FORECAST_COLUMNS)]

    def feature_importance(self) -> pd.Series:
        """Total gain per input, largest first, for the evaluation report."""
        require_fitted(self)
        assert self.booster_ is not None
        gain = self.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=self.features, name="gain").sort_values(ascending=False)

    def _train(self, matrix: np.ndarray, target: np.ndarray) -> lgb.Booster:
        params = dict(self.params)
        rounds = int(params.pop("num_iterations"))  # type: ignore[call-overload]
        data = lgb.Dataset(
            matrix,
            label=target,
            feature_name=self.features,
            categorical_feature=[_ID_FEATURE] if self.unique_id_feature else [],
            params=params,
        )
        try:
            return lgb.train(params, data, num_boost_round=rounds)
        except lgb.basic.LightGBMError as exc:
            raise ConfigError(
                f"LightGBM refused the parameters of forecaster {self.spec.name!r}: {exc}; "
                "fix model.params"
            ) from exc

    def _matrix(self, design: pd.DataFrame, series: pd.Index) -> np.ndarray:
        """Inputs as one float64 matrix; level-bearing columns divided by the origin's scale."""
        matrix = np.empty((len(design), len(self.features)), dtype=np.float64)
        scale = design[SCALE].to_numpy(np.float64) if self.scaled else None
        for j, name in enumerate(self.features):
            if name == _ID_FEATURE:
                codes = series.get_indexer(pd.Index(design[UNIQUE_ID])).astype(np.float64)
                matrix[:, j] = np.where(codes >= 0, codes, np.nan)
                continue
            column = design[name].to_numpy(np.float64)
            matrix[:, j] = (
                column / scale if scale is not None and name in self._level_columns else column
            )
        return matrix
