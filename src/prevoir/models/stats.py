"""Local statistical models from statsforecast: one model per series, applied from any origin.

``fit`` estimates one model per series on its whole history. ``predict`` never re-estimates
(the catch-up contract): for each origin it hands the series up to that origin to the
model's ``forward``, which keeps the fitted parameters and only re-runs the filter over the
newer data, then forecasts. What ``forward`` does per model (statsforecast 2.1):

- AutoETS: same components, smoothing parameters and initial states; states re-filtered.
- AutoARIMA: same orders and coefficients; the Kalman filter re-run over ``y``.
- AutoTheta: same model type, alpha, theta, initial level; the seasonality test and the
  classical decomposition are recomputed on ``y`` (they only read ``y``, so no leakage).
- MSTL: the STL decomposition is recomputed on ``y`` (a smoother, not estimated), and the
  trend model's ``forward`` is applied to the deseasonalised series.
- SeasonalNaive: nothing is learnt; ``forward`` is its forecast of ``y``.

The series handed to ``forward`` starts where training started (or at the first value of
``history`` if that is later: the initial states then apply to a later start, an
approximation) and ends at the newest observed value at or before the origin. A gap between
that value and the origin is bridged by forecasting further ahead. Interior missing values
are filled by linear interpolation, at fit and at predict, because these models need a
gapless series.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

import numpy as np
import pandas as pd
from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

from prevoir.domain.columns import YHAT, hi_column, lo_column
from prevoir.domain.grid import freq_to_ns
from prevoir.domain.records import ForecasterSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.design import horizons_of
from prevoir.features.grid import Panel
from prevoir.models.bands import order_bands
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.support import forecast_frame, require_fitted, require_training_rows

__all__ = ["STATS_KINDS", "StatsForecaster", "default_seasonalities"]

logger = logging.getLogger(__name__)

_DAY_NS = 86_400 * 10**9
_MSTL_OWN_PARAMS = ("seasonalities", "trend_model")

Builder = Callable[[ForecasterSpec, dict[str, Any]], Any]


def default_seasonalities(spec: ForecasterSpec) -> list[int]:
    """``[m, 7 m]`` (daily and weekly) when one season of ``spec.freq`` is a day, else ``[m]``."""
    m = spec.model.season_length
    if m * freq_to_ns(spec.freq) == _DAY_NS:
        return [m, 7 * m]
    return [m]


def _build_mstl(spec: ForecasterSpec, params: dict[str, Any]) -> MSTL:
    own = {k: params.pop(k) for k in _MSTL_OWN_PARAMS if k in params}
    seasonalities = own.get("seasonalities") or default_seasonalities(spec)
    if not isinstance(seasonalities, list | tuple) or not all(
        isinstance(s, int) and s >= 2 for s in seasonalities
    ):
        raise ConfigError(
            f"forecaster {spec.name!r}: parameter 'seasonalities' must be a list of integers "
            f">= 2, got {seasonalities!r}"
        )
    trend = AutoETS(model=str(own.get("trend_model", "ZZN")))
    return MSTL(season_length=list(seasonalities), trend_forecaster=trend, **params)


def _simple(cls: type) -> Builder:
    def build(spec: ForecasterSpec, params: dict[str, Any]) -> Any:
        return cls(season_length=spec.model.season_length, **params)

    return build


# kind -> (statsforecast class whose constructor takes the params, builder)
_MODELS: dict[str, tuple[type, Builder]] = {
    "auto_arima": (AutoARIMA, _simple(AutoARIMA)),
    "auto_ets": (AutoETS, _simple(AutoETS)),
    "auto_theta": (AutoTheta, _simple(AutoTheta)),
    "mstl": (MSTL, _build_mstl),
    "sf_seasonal_naive": (SeasonalNaive, _simple(SeasonalNaive)),
}


@contextmanager
def _library_warnings(what: str, level: int) -> Iterator[None]:
    """Log statsforecast's warnings (convergence of candidate models) instead of raising them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for message in {str(w.message) for w in caught}:
        logger.log(level, "statsforecast warned while %s: %s", what, message)


class StatsForecaster(Forecaster):
    """One statsforecast model per series; ``spec.model.kind`` picks it (see ``STATS_KINDS``).

    Native intervals: every level of ``spec.intervals`` comes from the model's ``forward``
    (``level=``), the library's analytic (ETS, ARIMA, Theta, MSTL) or residual-based
    (seasonal naive) bands. ``spec.model.params`` go to the model's constructor;
    ``season_length`` comes from the spec. ``mstl`` also takes ``seasonalities`` (default
    ``default_seasonalities``) and ``trend_model`` (the AutoETS model string of the trend
    forecaster, default ``"ZZN"``).
    """

    native_intervals = True

    def __init__(self, spec: ForecasterSpec) -> None:
        super().__init__(spec)
        kind = spec.model.kind
        if kind not in _MODELS:
            raise ConfigError(
                f"forecaster {spec.name!r}: {kind!r} is not a statsforecast kind; "
                f"known kinds: {sorted(_MODELS)}"
            )
        if spec.model.season_length < 1:
            raise ConfigError(
                f"forecaster {spec.name!r}: season_length must be >= 1, "
                f"got {spec.model.season_length}"
            )
        self.kind: str = kind
        seasons = self._check_params().season_length
        seasons = seasons if isinstance(seasons, list) else [seasons]
        self.min_forward_obs = max(spec.min_train_rows, 2, *seasons)
        self.models_: dict[str, Any] | None = None
        self.train_start_: dict[str, int] = {}  # ns since the epoch of each series' first value
        self.train_end_: dict[str, int] = {}  # ns since the epoch of each series' last value

    def _check_params(self) -> Any:
        """Refuse unknown or invalid parameters now, not at fit; returns an unfitted model."""
        cls, _ = _MODELS[self.kind]
        allowed = set(inspect.signature(cls).parameters) - {"season_length"}
        if self.kind == "mstl":
            allowed = (allowed | set(_MSTL_OWN_PARAMS)) - {"trend_forecaster"}
        for name in self.spec.model.params:
            if name not in allowed:
                raise ConfigError(
                    f"forecaster {self.spec.name!r}: parameter {name!r} is not accepted by "
                    f"{self.kind}; accepted: {sorted(allowed)} (season_length is set on the "
                    "model, not in params)"
                )
        return self._new_model()

    def _new_model(self) -> Any:
        _, build = _MODELS[self.kind]
        try:
            return build(self.spec, dict(self.spec.model.params))
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"forecaster {self.spec.name!r}: {self.kind} refuses its parameters "
                f"{self.spec.model.params!r}: {exc}"
            ) from exc

    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` has run."""
        return self.models_ is not None

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Fit one model per series on its values (the newest ``spec.train_window`` periods
        when set), leading and trailing gaps dropped."""
        name = f"{type(self).__name__}({self.kind})"
        require_training_rows(history, self.spec, model=name)
        panel = Panel.from_history(history, freq=self.spec.freq)
        models: dict[str, Any] = {}
        ends = panel.series_end()
        for code, uid in enumerate(panel.ids):
            lo = panel.start[code]
            if self.spec.train_window is not None:  # the newest periods only
                lo = max(lo, ends[code] - self.spec.train_window + 1)
            window = _observed(panel, code, lo, ends[code])
            n_obs = 0 if window is None else int(np.isfinite(window[1]).sum())
            if window is None or n_obs < self.spec.min_train_rows:
                raise DataValidationError(
                    f"{name} for forecaster {self.spec.name!r}: series {uid!r} has {n_obs} "
                    f"values, fewer than min_train_rows={self.spec.min_train_rows}; "
                    "drop the series or load more of its history"
                )
            first, y = window
            try:
                with _library_warnings(f"fitting series {uid!r}", logging.INFO):
                    models[str(uid)] = self._new_model().fit(y=_interpolate(y))
            except (ValueError, np.linalg.LinAlgError) as exc:
                raise DataValidationError(
                    f"{name} for forecaster {self.spec.name!r} could not fit series {uid!r} "
                    f"({len(y)} periods): {exc}; check the series or choose another model"
                ) from exc
            self.train_start_[str(uid)] = int(panel.grid.times(np.array([first]))[0])
            self.train_end_[str(uid)] = int(panel.grid.times(np.array([first + len(y) - 1]))[0])
        self.models_ = models
        return self

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Forecast every horizon from every origin with the fitted models, not re-estimated.

        An origin with fewer than ``min_forward_obs`` values at or before it (since the
        training start) gets NaN forecasts.
        """
        require_fitted(self)
        assert self.models_ is not None
        panel = Panel.from_history(history, freq=self.spec.freq)
        codes_o, origin_idx = panel.locate_origins(origins)
        unseen = sorted({str(panel.ids[c]) for c in np.unique(codes_o)} - set(self.models_))
        if unseen:
            raise DataValidationError(
                f"{type(self).__name__}({self.kind}) for forecaster {self.spec.name!r} was not "
                f"fitted on series {unseen[:5]}; retrain the forecaster with them"
            )
        steps = horizons_of(self.spec)
        outputs = _outputs(self.spec.intervals.levels)
        values = np.full((len(outputs), len(codes_o), len(steps)), np.nan)
        with _library_warnings("forecasting", logging.DEBUG):
            for row, (code, origin) in enumerate(zip(codes_o, origin_idx, strict=True)):
                values[:, row] = self._forecast_one(panel, int(code), int(origin), steps)
        frame = forecast_frame(
            panel,
            np.repeat(codes_o, len(steps)),
            np.repeat(origin_idx, len(steps)),
            np.tile(steps, len(codes_o)),
            values[0].ravel(),
        )
        bands = {column: values[i].ravel() for i, column in enumerate(outputs) if i}
        return order_bands(frame.assign(**bands), self.spec.intervals.levels)

    def _forecast_one(self, panel: Panel, code: int, origin: int, steps: np.ndarray) -> np.ndarray:
        """The mean then each requested bound (rows, see ``_outputs``) at ``steps``."""
        assert self.models_ is not None
        levels = list(self.spec.intervals.levels)
        uid = str(panel.ids[code])
        start = (self.train_start_[uid] - panel.grid.anchor) // panel.grid.step
        window = _observed(panel, code, max(start, panel.start[code]), origin)
        if window is None or np.isfinite(window[1]).sum() < self.min_forward_obs:
            return np.full((1 + 2 * len(levels), len(steps)), np.nan)
        first, y = window
        gap = origin - (first + len(y) - 1)
        out = self.models_[uid].forward(
            y=_interpolate(y), h=gap + int(steps[-1]), level=levels or None
        )
        keys = ["mean"] + [f"{side}-{level}" for level in levels for side in ("lo", "hi")]
        return np.stack([np.asarray(out[k], dtype=np.float64)[gap + steps - 1] for k in keys])


def _outputs(levels: tuple[int, ...]) -> list[str]:
    """Forecast columns in the order ``_forecast_one`` returns them."""
    return [YHAT] + [c for level in levels for c in (lo_column(level), hi_column(level))]


def _observed(panel: Panel, code: int, lo: int, hi: int) -> tuple[int, np.ndarray] | None:
    """Values of series ``code`` on periods ``lo..hi`` trimmed to the first and last observed
    value, with the period index of the first; None when nothing is observed there."""
    s = int(panel.start[code])
    lo, hi = max(int(lo), s), min(int(hi), s + int(panel.length[code]) - 1)
    if hi < lo:
        return None
    off = int(panel.offset[code])
    values = panel.values[off + lo - s : off + hi - s + 1]
    seen = np.flatnonzero(np.isfinite(values))
    if len(seen) == 0:
        return None
    return lo + int(seen[0]), values[seen[0] : seen[-1] + 1]


def _interpolate(y: np.ndarray) -> np.ndarray:
    """Fill interior NaN linearly between their observed neighbours."""
    missing = ~np.isfinite(y)
    if not missing.any():
        return np.ascontiguousarray(y, dtype=np.float64)
    t = np.arange(len(y))
    out = np.array(y, dtype=np.float64)
    out[missing] = np.interp(t[missing], t[~missing], y[~missing])
    return out


STATS_KINDS: dict[str, Callable[[ForecasterSpec], Forecaster]] = dict.fromkeys(
    _MODELS, StatsForecaster
)
