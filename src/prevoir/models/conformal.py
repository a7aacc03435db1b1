"""Split-conformal prediction intervals around any model, calibrated at fit time.

How mlforecast and statsforecast do it (``PredictionIntervals(n_windows, h)``,
``ConformalIntervals``): hold out the last ``n_windows`` windows of ``h`` periods, forecast
them with models fitted before each window, and take quantiles of the absolute residuals per
series and horizon step; bands are symmetric, ``yhat ± q``. prevoir keeps that shape and
adapts the calibration to catch-up forecasting:

- one calibration model is fitted on the data up to a cut-off ``windows × max horizon``
  origins before the end, and forecasts from *every* origin after the cut-off, as the
  champion does between refits (refit ``never``): errors that grow with the distance from
  the training end are part of the calibration, and each (series, step) gets up to
  ``windows × max horizon`` residuals instead of ``windows``;
- the quantile is the finite-sample conformal one (``conformal_margins``); a (series, step)
  with too few residuals for a level gets no band rather than an unfounded one;
- then the model itself is fitted on everything, and the margins are kept in the fitted
  object, so a model loaded from its artifact issues the very same bands.

Symmetric bands (absolute residuals) because they keep ``lo <= yhat <= hi`` by construction
and need half as many residuals per level as a two-sided quantile pair.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y, hi_column, lo_column
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import DataValidationError
from prevoir.models.bands import conformal_margins, order_bands
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.support import require_fitted, require_training_rows

__all__ = ["ConformalForecaster"]

_KEYS = [UNIQUE_ID, ORIGIN, STEP]


class ConformalForecaster(Forecaster):
    """``inner``'s point forecasts with split-conformal bands at ``spec.intervals.levels``.

    ``inner`` is built from the same spec with intervals switched off; a fresh instance of
    its class (same spec) is the calibration model.
    """

    def __init__(self, spec: ForecasterSpec, inner: Forecaster) -> None:
        super().__init__(spec)
        self.inner = inner
        self.levels = tuple(sorted(spec.intervals.levels))
        self.margins_: pd.DataFrame | None = None  # index (unique_id, step), column per level

    @property
    def is_fitted(self) -> bool:
        """Whether the model and its calibration have been fitted."""
        return self.margins_ is not None and self.inner.is_fitted

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Calibrate on the newest origins of ``history``, then fit ``inner`` on all of it."""
        require_training_rows(history, self.spec, model=self._name)
        known = history[history[Y].notna()]
        cutoff = self._cutoff(_sorted_times(known[DS])[:-1])
        calibration = self._calibration_model(lambda m: m.fit(history[history[DS] <= cutoff], exog))
        last = known.groupby(UNIQUE_ID)[DS].transform("max")
        origins = known.loc[(known[DS] >= cutoff) & (known[DS] < last), [UNIQUE_ID, DS]]
        forecasts = calibration.predict(history, origins.rename(columns={DS: ORIGIN}), exog)
        scored = forecasts.merge(known[[UNIQUE_ID, DS, Y]], on=[UNIQUE_ID, DS], how="inner")
        self.margins_ = conformal_margins(scored, self.levels)
        self.inner.fit(history, exog)
        return self

    def fit_design(self, design: pd.DataFrame) -> Self:
        """The same calibration on a design table: the calibration model learns from the rows
        whose target is at or before the cut-off and forecasts the origins after it."""
        known = design[design[Y].notna()]
        cutoff = self._cutoff(_sorted_times(known[ORIGIN]))
        calibration = self._calibration_model(lambda m: m.fit_design(design[design[DS] <= cutoff]))
        forecasts = calibration.predict_design(design, since=cutoff)
        scored = forecasts.merge(known[[*_KEYS, Y]], on=_KEYS, how="inner")
        self.margins_ = conformal_margins(scored, self.levels)
        self.inner.fit_design(design)
        return self

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """``inner``'s forecasts with ``yhat ± margin`` per level; NaN where uncalibrated."""
        require_fitted(self)
        assert self.margins_ is not None
        forecasts = self.inner.predict(history, origins, exog).reset_index(drop=True)
        keys = pd.MultiIndex.from_arrays([forecasts[UNIQUE_ID], forecasts[STEP]])
        where = self.margins_.index.get_indexer(keys)
        yhat = forecasts[YHAT].to_numpy(np.float64)
        bands = {}
        for level in self.levels:
            margin = self.margins_[level].to_numpy(np.float64)
            half = np.where(where >= 0, margin[where], np.nan)
            bands[lo_column(level)], bands[hi_column(level)] = yhat - half, yhat + half
        return order_bands(forecasts.assign(**bands), self.levels)

    @property
    def _name(self) -> str:
        return f"{type(self.inner).__name__} with conformal intervals"

    def _cutoff(self, origins: pd.Index) -> pd.Timestamp:
        """The origin ``windows × max horizon`` origins before the newest candidate."""
        span = self.spec.intervals.windows * self.spec.max_horizon
        if len(origins) <= span:
            raise DataValidationError(
                f"{self._name} for forecaster {self.spec.name!r}: {len(origins)} origins with "
                f"a known target, not more than the calibration span of {span} "
                f"(intervals.windows={self.spec.intervals.windows} x longest horizon "
                f"{self.spec.max_horizon}); load more history or lower intervals.windows"
            )
        return pd.Timestamp(origins[-span])

    def _calibration_model(self, fit: Callable[[Forecaster], Forecaster]) -> Forecaster:
        """A fresh ``inner`` fitted by ``fit`` on the data before the cut-off."""
        model = type(self.inner)(self.inner.spec)
        try:
            return fit(model)
        except DataValidationError as exc:
            raise DataValidationError(
                f"{self._name} for forecaster {self.spec.name!r}: the calibration model, "
                f"trained without the newest {self.spec.intervals.windows} x "
                f"{self.spec.max_horizon} origins, cannot be fitted: {exc}; load more "
                "history or lower intervals.windows"
            ) from exc


def _sorted_times(times: pd.Series) -> pd.Index:
    return pd.Index(times.unique()).sort_values()
