"""Recursive multi-horizon forecasting: a one-step ML model rolled forward on its own output.

``strategy = "recursive"`` trains the direct body (``prevoir.models.direct``) on step-1 rows
only (``prevoir.features.design.training_spec``), then forecasts step ``s`` from the
*virtual origin* ``origin + s - 1``: lags, ``last_y``, rolling windows and the scale read a
per-origin buffer that holds the observations up to the real origin followed by the
predictions of steps ``1 .. s - 1``. Any horizon set works: every step up to the longest
horizon is predicted and the requested ones are kept.

Vectorised over series and origins: one buffer row per (series, origin) and one
``predict`` call per step over all of them, so catch-up of many origins costs
``max(horizons)`` model calls, not one per origin.

No leakage: the buffer is filled from history at or before each real origin only.
Exogenous columns ``known`` in advance are read at each step's target time, as in training.
Columns available only up to the ``origin`` are frozen at the real origin for every step
(their values at later virtual origins are not known when the forecast is made), which is
a persistence assumption the direct strategy does not need.

The direct body's ``per_step`` option is refused here: the one-step model has one step, so
one estimator per step would silently be the same single estimator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

import numpy as np
import pandas as pd

from prevoir.domain.columns import STEP, UNIQUE_ID
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import ConfigError
from prevoir.features.design import (
    horizons_of,
    origin_exogenous,
    scale_window,
    target_features,
    training_spec,
)
from prevoir.features.grid import Panel
from prevoir.features.lags import LAST_Y, SCALE, warmup_periods
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.direct import DirectForecaster
from prevoir.models.support import forecast_frame, require_fitted

__all__ = ["RecursiveForecaster"]


class RecursiveForecaster(Forecaster):
    """A one-step ``DirectForecaster`` (LightGBM, XGBoost, random forest) applied recursively."""

    def __init__(
        self, spec: ForecasterSpec, *, one_step: Callable[[ForecasterSpec], Forecaster]
    ) -> None:
        super().__init__(spec)
        model = one_step(training_spec(spec))
        if not isinstance(model, DirectForecaster):
            raise ConfigError(
                f"forecaster {spec.name!r}: strategy 'recursive' needs an ML model kind "
                f"(lightgbm, xgboost, random_forest), not {spec.model.kind!r}; "
                "remove model.strategy"
            )
        if model.per_step:
            raise ConfigError(
                f"forecaster {spec.name!r}: per_step does not apply to strategy 'recursive', "
                "whose one-step model has a single step; remove model.params.per_step or "
                "model.strategy"
            )
        self.one_step = model
        f = spec.features
        # periods of observations each origin's buffer holds before its forecasts
        self.window = max(warmup_periods(f.lags, f.rolling) + 1, scale_window(self.one_step.spec))

    @property
    def is_fitted(self) -> bool:
        """Whether the one-step model has been trained."""
        return self.one_step.is_fitted

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Train the one-step model on every step-1 row of ``history``."""
        self.one_step.fit(history, exog)
        return self

    def fit_design(self, design: pd.DataFrame) -> Self:
        """Train on the step-1 rows of a design table (the features step builds only those)."""
        self.one_step.fit_design(design[design[STEP] == 1] if STEP in design else design)
        return self

    def feature_importance(self) -> pd.Series:
        """Importance per input of the one-step model."""
        return self.one_step.feature_importance()

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Every step up to the longest horizon, one model call per step; requested kept."""
        require_fitted(self)
        panel = Panel.from_history(history, freq=self.spec.freq)
        codes, origin_idx = panel.locate_origins(origins)
        steps = horizons_of(self.spec)
        longest = int(steps[-1])
        back = np.arange(-self.window + 1, 1)
        buffer = np.full((len(codes), self.window + longest), np.nan)
        cells = (origin_idx[:, None] + back).ravel()
        observed = panel.lookup(np.repeat(codes, self.window), cells)
        buffer[:, : self.window] = observed.reshape(len(codes), self.window)
        frozen = origin_exogenous(panel, self.spec, exog, codes, origin_idx)
        for step in range(1, longest + 1):
            rows = self._step_rows(panel, exog, buffer, codes, origin_idx, step=step)
            rows |= frozen
            design = pd.DataFrame(rows, copy=False)
            buffer[:, self.window + step - 1] = self.one_step.predict_values(design)
        kept = buffer[:, self.window - 1 + steps].ravel()
        n_steps = len(steps)
        return forecast_frame(
            panel,
            np.repeat(codes, n_steps),
            np.repeat(origin_idx, n_steps),
            np.tile(steps, len(codes)),
            kept,
        )

    def _step_rows(
        self,
        panel: Panel,
        exog: Exogenous | None,
        buffer: np.ndarray,
        codes: np.ndarray,
        origin_idx: np.ndarray,
        *,
        step: int,
    ) -> dict[str, object]:
        """The one-step design columns of every origin at its virtual origin for ``step``."""
        f = self.spec.features
        last = self.window + step - 2  # buffer column of the virtual origin
        rows: dict[str, object] = {
            UNIQUE_ID: panel.ids.take(codes),
            STEP: np.ones(len(codes), dtype=np.int64),
            LAST_Y: buffer[:, last],
        }
        for k in sorted(set(f.lags)):
            rows[f"lag_{k}"] = buffer[:, last + 1 - k]
        for w in sorted(set(f.rolling)):
            rows[f"rolling_mean_{w}"], rows[f"rolling_std_{w}"] = _mean_std(
                buffer[:, last + 1 - w : last + 1]
            )
        width = scale_window(self.one_step.spec)
        level, _ = _mean_std(np.abs(buffer[:, last + 1 - width : last + 1]))
        rows[SCALE] = np.where(np.isfinite(level) & (level > 0), level, 1.0)
        return rows | target_features(panel, self.spec, exog, codes, origin_idx + step)


def _mean_std(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise mean (>= 1 value) and sample std (>= 2 values) skipping NaN, like the
    training design's pandas rolling windows (``min_periods=1``)."""
    present = ~np.isnan(window)
    count = present.sum(axis=1)
    filled = np.where(present, window, 0.0)
    mean = np.divide(filled.sum(axis=1), count, out=np.full(len(window), np.nan), where=count >= 1)
    deviation = np.where(present, window - mean[:, None], 0.0)
    variance = np.divide(
        (deviation**2).sum(axis=1), count - 1, out=np.full(len(window), np.nan), where=count >= 2
    )
    return mean, np.sqrt(variance)
