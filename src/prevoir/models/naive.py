"""Seasonal naive: repeat the last observed season. The baseline every model must beat.

For step ``h`` and season ``m`` the forecast is y at ``ds - m * ceil(h / m)``, the newest
value of the same phase at or before the origin. It is pure index arithmetic on the dense
panel, so thousands of origins cost a few array look-ups.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, UNIQUE_ID, Y
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.design import horizons_of
from prevoir.features.grid import Panel
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.support import forecast_frame, require_fitted, require_training_rows

__all__ = ["SeasonalNaive"]


class SeasonalNaive(Forecaster):
    """``yhat = y[ds - m * ceil(step / m)]``; ``m = spec.model.season_length``.

    A missing value at that time (an outage, a DST gap) falls back to the same phase one
    season earlier, up to ``params["fallback_seasons"]`` times (default 4), because one
    empty hour should not blank a forecast; beyond that the forecast is NaN.
    """

    def __init__(self, spec: ForecasterSpec) -> None:
        super().__init__(spec)
        if spec.model.season_length < 1:
            raise ConfigError(
                f"forecaster {spec.name!r}: season_length must be >= 1, "
                f"got {spec.model.season_length}"
            )
        fallback = spec.model.params.get("fallback_seasons", 4)
        if not isinstance(fallback, int) or fallback < 0:
            raise ConfigError(
                f"forecaster {spec.name!r}: fallback_seasons must be an integer >= 0, "
                f"got {fallback!r}"
            )
        self.fallback_seasons = fallback
        self.n_obs_: int | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` has run (there is nothing to learn, but the data is checked)."""
        return self.n_obs_ is not None

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Check that history is usable; a baseline that accepts broken data hides it."""
        n_obs = require_training_rows(history, self.spec, model=type(self).__name__)
        Panel.from_history(history, freq=self.spec.freq)
        self.n_obs_ = n_obs
        return self

    def fit_design(self, design: pd.DataFrame) -> Self:
        """Accept a design table from the features step; only its known targets are counted."""
        name = type(self).__name__
        known = int(design[Y].notna().sum()) if Y in design.columns else 0
        if known < self.spec.min_train_rows:
            raise DataValidationError(
                f"{name} for forecaster {self.spec.name!r}: the design table has {known} rows "
                f"with a known target, fewer than min_train_rows={self.spec.min_train_rows}; "
                "load more history or lower min_train_rows"
            )
        self.n_obs_ = known
        return self

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Forecast every horizon from every origin, reading only values at or before it."""
        require_fitted(self)
        m = self.spec.model.season_length
        panel = Panel.from_history(history, freq=self.spec.freq)
        codes_o, origin_idx = panel.locate_origins(origins)
        steps = horizons_of(self.spec)
        codes = np.repeat(codes_o, len(steps))
        row_origin = np.repeat(origin_idx, len(steps))
        row_step = np.tile(steps, len(codes_o))
        source = row_origin + row_step - m * ((row_step + m - 1) // m)
        yhat = panel.lookup(codes, source)
        for seasons_back in range(1, self.fallback_seasons + 1):
            missing = np.isnan(yhat)
            if not missing.any():
                break
            yhat[missing] = panel.lookup(codes[missing], source[missing] - seasons_back * m)
        return forecast_frame(panel, codes, row_origin, row_step, yhat)

    def predict_design(self, design: pd.DataFrame, *, since: pd.Timestamp) -> pd.DataFrame:
        """Forecasts from the design's origins at or after ``since``; the known targets of
        every row are the history (each origin still reads only values at or before it)."""
        history = design.loc[design[Y].notna(), [UNIQUE_ID, DS, Y]].drop_duplicates([UNIQUE_ID, DS])
        origins = design.loc[design[ORIGIN] >= since, [UNIQUE_ID, ORIGIN]].drop_duplicates()
        return self.predict(history, origins)
