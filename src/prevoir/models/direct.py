"""Direct regression on ``build_design`` rows: the shared body of the ML forecasters.

Direct rather than recursive: each (origin, step) row already holds the step, so all horizons
from all origins are one ``predict`` call on one matrix, which is what makes catch-up cheap.
Series of different levels share one model because target-derived inputs and the target are
divided by the series' recent mean |y| at the origin (the design's ``scale``), and the
forecast is multiplied back. The same scaling is applied whatever the scope, so a
``per_series`` model sees the same inputs as the ``global`` one, only fewer rows.

With ``per_step`` the estimators are split by horizon step as well (mlforecast's and Darts'
one model per horizon): a global model becomes one estimator per step, a per-series one
one per (series, step). The step input is then constant within each estimator, which the
libraries ignore. It costs one fit per step; see docs/decisions.md.

Subclasses adapt one library (LightGBM, XGBoost, scikit-learn) through four small hooks:
``_library_params``, ``_train``, ``_predict_matrix`` and ``_importance``; the classifiers
(``prevoir.models.classify``) also replace what is learnt and returned, ``_target`` and
``_forecast_values``, and what inputs are relative to, ``_input_scale``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, FORECAST_COLUMNS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.specs import ForecasterSpec, ModelScope
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.design import build_design, feature_columns
from prevoir.features.lags import LAST_Y, SCALE, lag_columns, rolling_columns
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.support import require_fitted, require_training_rows

__all__ = [
    "GLOBAL",
    "ID_FEATURE",
    "OWN_OPTIONS",
    "DirectForecaster",
    "EstimatorKey",
]

# prevoir's own options in ``model.params``; read here and never passed to a library.
OWN_OPTIONS: dict[str, object] = {
    "target_scaling": "mean",
    "unique_id_feature": False,
    "per_step": False,
}
GLOBAL = ""  # key of the single estimator of a global model
ID_FEATURE = "unique_id"
# an estimator's key: the series id (GLOBAL for a global model), paired with the step when
# the model has one estimator per step
EstimatorKey = str | tuple[str, int]


class DirectForecaster(Forecaster):
    """One direct regression model over every series (``scope="global"``) or one per series.

    Options beside the library's, in ``model.params``: ``target_scaling`` (``"mean"``: divide
    by the design's ``scale``; ``"none"``), ``unique_id_feature`` (the series id as an
    input, for global panels whose series differ in shape, not only in level) and
    ``per_step`` (one estimator per horizon step, within each scope group). The scope comes
    from ``spec.model.scope``; a per-series model refuses series it was not fitted on, a
    per-step model steps it was not fitted on.
    """

    library: ClassVar[str] = "the library"

    def __init__(self, spec: ForecasterSpec) -> None:
        super().__init__(spec)
        options = {k: spec.model.params.get(k, v) for k, v in OWN_OPTIONS.items()}
        if options["target_scaling"] not in ("mean", "none"):
            raise ConfigError(
                f"forecaster {spec.name!r}: target_scaling must be 'mean' or 'none', "
                f"got {options['target_scaling']!r}"
            )
        self.scope: ModelScope = spec.model.scope
        self.scaled = options["target_scaling"] == "mean"
        self.unique_id_feature = bool(options["unique_id_feature"])
        if not isinstance(options["per_step"], bool):
            raise ConfigError(
                f"forecaster {spec.name!r}: per_step must be true or false, "
                f"got {options['per_step']!r}"
            )
        self.per_step: bool = options["per_step"]
        user = {k: v for k, v in spec.model.params.items() if k not in OWN_OPTIONS}
        self.params = self._library_params(user)
        self.features = feature_columns(spec) + ([ID_FEATURE] if self.unique_id_feature else [])
        self._level_columns = {LAST_Y, *lag_columns(spec.features.lags)}
        self._level_columns |= set(rolling_columns(spec.features.rolling))
        self.estimators_: dict[EstimatorKey, Any] | None = None
        self.series_: pd.Index | None = None
        self.steps_: pd.Index | None = None  # steps fitted on (a per-step model's groups)
        self.n_train_rows_: int | None = None

    # -- library hooks -------------------------------------------------------------------

    @abstractmethod
    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        """Library parameters: defaults overridden by the user's (own options removed)."""

    @abstractmethod
    def _train(self, matrix: np.ndarray, target: np.ndarray) -> Any:
        """One fitted estimator; library errors become ``ConfigError`` (see ``_refused``)."""

    @abstractmethod
    def _predict_matrix(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        """Predictions of one estimator for the rows of ``matrix``."""

    @abstractmethod
    def _importance(self, estimator: Any) -> np.ndarray:
        """Importance of each of ``self.features`` in one estimator."""

    # -- the contract ----------------------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        """Whether the estimators have been trained."""
        return self.estimators_ is not None

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Train on every training origin of ``history`` (see ``build_design``)."""
        require_training_rows(history, self.spec, model=type(self).__name__)
        return self.fit_design(build_design(history, self.spec, exog=exog))

    def fit_design(self, design: pd.DataFrame) -> Self:
        """Train on a design table; rows whose target is unknown are dropped first."""
        known, target = self._training_rows(design)
        self.series_ = pd.Index(pd.unique(known[UNIQUE_ID]))
        self.steps_ = pd.Index(pd.unique(known[STEP])).sort_values()
        matrix = self._matrix(known, self.series_)
        self.estimators_ = {
            key: self._train(matrix[rows], target[rows]) for key, rows in self._groups(known)
        }
        self.n_train_rows_ = len(known)
        return self

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Forecast every horizon from every origin: one estimator call per model."""
        require_fitted(self)
        design = build_design(history, self.spec, origins=origins, exog=exog, with_target=False)
        return self._predict_rows(design)

    def predict_design(self, design: pd.DataFrame, *, since: pd.Timestamp) -> pd.DataFrame:
        """Forecasts for the rows of a design table whose origin is at or after ``since``."""
        require_fitted(self)
        return self._predict_rows(design[design[ORIGIN] >= since])

    def _predict_rows(self, design: pd.DataFrame) -> pd.DataFrame:
        out = design[[UNIQUE_ID, ORIGIN, DS, STEP]].assign(**{YHAT: self.predict_values(design)})
        return out[list(FORECAST_COLUMNS)]

    def predict_values(self, design: pd.DataFrame) -> np.ndarray:
        """``yhat`` for every row of a design table (``unique_id``, ``scale`` and the
        features), on each series' scale: one estimator call per model. The recursive
        strategy calls this once per step."""
        require_fitted(self)
        assert self.estimators_ is not None and self.series_ is not None
        matrix = self._matrix(design, self.series_)
        yhat = np.empty(len(design), dtype=np.float64)
        for key, rows in self._groups(design):
            yhat[rows] = self._predict_matrix(self.estimators_[key], matrix[rows])
        return self._forecast_values(yhat, design)

    def feature_importance(self) -> pd.Series:
        """Importance per input (summed over the estimators), largest first."""
        require_fitted(self)
        assert self.estimators_ is not None
        total = np.zeros(len(self.features), dtype=np.float64)
        for estimator in self.estimators_.values():
            total += np.asarray(self._importance(estimator), dtype=np.float64)
        return pd.Series(total, index=self.features, name="importance").sort_values(ascending=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Load artifacts written before ``per_step`` existed: one estimator per scope group."""
        state.setdefault("per_step", False)
        state.setdefault("steps_", None)
        self.__dict__.update(state)

    # -- internals -------------------------------------------------------------------------

    def _refused(self, exc: Exception) -> ConfigError:
        """A library error about the parameters, as the config error users can act on."""
        return ConfigError(
            f"{self.library} refused the parameters of forecaster {self.spec.name!r}: {exc}; "
            "fix model.params"
        )

    def _target(self, design: pd.DataFrame) -> np.ndarray:
        """What the estimators learn per design row (NaN: unknown, the row is dropped).

        Regression: y, divided by the row's ``scale`` when scaled; classifiers override it.
        """
        target = design[Y].to_numpy(np.float64)
        return target / design[SCALE].to_numpy(np.float64) if self.scaled else target

    def _forecast_values(self, raw: np.ndarray, design: pd.DataFrame) -> np.ndarray:
        """``yhat`` from the estimators' outputs: back to the series' level when scaled."""
        return raw * design[SCALE].to_numpy(np.float64) if self.scaled else raw

    def _input_scale(self, design: pd.DataFrame) -> np.ndarray:
        """What level-bearing inputs are divided by when scaled: the design's ``scale``."""
        return design[SCALE].to_numpy(np.float64)

    def _training_rows(self, design: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        """Rows with a known target, and that target; too few of them is a data error."""
        name = type(self).__name__
        missing = [c for c in (UNIQUE_ID, Y, SCALE, *feature_columns(self.spec)) if c not in design]
        if missing:
            raise DataValidationError(
                f"{name} for forecaster {self.spec.name!r}: the design table lacks {missing}; "
                "rebuild it with the forecaster's current features (run the features step)"
            )
        target = self._target(design)
        keep = ~np.isnan(target)
        known = design[keep]
        if len(known) < self.spec.min_train_rows:
            raise DataValidationError(
                f"{name} for forecaster {self.spec.name!r}: {len(known)} training rows "
                f"(origin x step with a known target, out of {len(design)}), fewer than "
                f"min_train_rows={self.spec.min_train_rows}; every origin needs the longest "
                "lag or rolling window behind it: load more history or shorten lags/rolling"
            )
        return known, target[keep]

    def _groups(self, design: pd.DataFrame) -> list[tuple[EstimatorKey, np.ndarray]]:
        """Row positions of each estimator: one key per series (``per_series``) and per step
        (``per_step``), a single group otherwise; a row of a series or step no estimator
        was fitted for is a data error."""
        assert self.series_ is not None
        series = self.series_ if self.scope != "global" else None
        steps = self.steps_ if self.per_step else None
        series_codes = self._codes(design[UNIQUE_ID], series, what="series")
        step_codes = self._codes(design[STEP], steps, what="step")
        n_steps = 1 if steps is None else len(steps)
        groups: list[tuple[EstimatorKey, np.ndarray]] = []
        for code, rows in _rows_by_code(series_codes * n_steps + step_codes):
            s, t = divmod(code, n_steps)
            name = GLOBAL if series is None else str(series[s])
            groups.append((name if steps is None else (name, int(steps[t])), rows))
        return groups

    def _codes(self, values: pd.Series, fitted: pd.Index | None, *, what: str) -> np.ndarray:
        """Each row's position in ``fitted``, or zeros when the model is not split by it;
        a value the model was not fitted on is refused, saying to retrain."""
        if fitted is None:
            return np.zeros(len(values), dtype=np.int64)
        index = pd.Index(values)
        codes = fitted.get_indexer(index)
        unseen = [int(u) if what == "step" else str(u) for u in pd.unique(index[codes < 0])]
        if unseen:
            fix = "with horizons that include" if what == "step" else "on history that includes"
            raise DataValidationError(
                f"{type(self).__name__} for forecaster {self.spec.name!r} has one model per "
                f"{what} and was not fitted on {unseen[:5]}"
                f"{' and others' if len(unseen) > 5 else ''}; retrain the forecaster {fix} them"
            )
        return codes.astype(np.int64)

    def _matrix(self, design: pd.DataFrame, series: pd.Index) -> np.ndarray:
        """Inputs as one float64 matrix; level-bearing columns divided by the origin's scale."""
        matrix = np.empty((len(design), len(self.features)), dtype=np.float64)
        scale = self._input_scale(design) if self.scaled else None
        for j, name in enumerate(self.features):
            if name == ID_FEATURE:
                codes = series.get_indexer(pd.Index(design[UNIQUE_ID])).astype(np.float64)
                matrix[:, j] = np.where(codes >= 0, codes, np.nan)
                continue
            column = design[name].to_numpy(np.float64)
            matrix[:, j] = (
                column / scale if scale is not None and name in self._level_columns else column
            )
        return matrix


def _rows_by_code(codes: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Row positions of each non-negative code, in code order, in one sort."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    groups = np.split(order, starts[1:])
    return [(int(codes[g[0]]), g) for g in groups if len(g) and codes[g[0]] >= 0]
