"""Prediction intervals: the band contract every kind keeps, native and conformal alike."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.domain.columns import FORECAST_COLUMNS, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.specs import ForecasterSpec, IntervalMethod, IntervalSpec, ModelSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features import build_design
from prevoir.models import Forecaster, make_model
from prevoir.models.bands import conformal_margins, order_bands
from prevoir.models.conformal import ConformalForecaster
from prevoir.models.stats import StatsForecaster
from prevoir.testing import FAST_LIGHTGBM, make_series, make_spec

H = pd.Timedelta(hours=1)
LEVELS = (80, 95)
BANDS = ["yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]
# case id -> (kind, scope, method); the conformal kinds also train from a design table
CASES: dict[str, tuple[str, str, IntervalMethod]] = {
    "seasonal_naive": ("seasonal_naive", "global", "auto"),
    "lightgbm": ("lightgbm", "global", "auto"),
    "lightgbm-per_series": ("lightgbm", "per_series", "auto"),
    "lightgbm-per_step": ("lightgbm", "global", "auto"),
    "ensemble": ("ensemble", "global", "auto"),
    "sf_seasonal_naive-native": ("sf_seasonal_naive", "global", "native"),
    "sf_seasonal_naive-conformal": ("sf_seasonal_naive", "global", "conformal"),
    "auto_ets-native": ("auto_ets", "global", "auto"),
}
DESIGN_CASES = [
    "seasonal_naive",
    "lightgbm",
    "lightgbm-per_series",
    "lightgbm-per_step",
    "ensemble",
]
FAST_ENSEMBLE = ModelSpec(
    kind="ensemble",
    members=(ModelSpec(kind="lightgbm", params=FAST_LIGHTGBM), ModelSpec(kind="seasonal_naive")),
    combine="median",
)


@cache
def _history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 21, seed=4)


def _spec(case: str) -> ForecasterSpec:
    kind, scope, method = CASES[case]
    params = FAST_LIGHTGBM | {"per_step": True} if case.endswith("-per_step") else None
    model = {"model": FAST_ENSEMBLE} if kind == "ensemble" else {}
    spec = make_spec(kind, scope=scope, params=params, **model)  # type: ignore[arg-type]
    return replace(spec, intervals=IntervalSpec(levels=LEVELS, method=method))


@cache
def _fitted(case: str) -> Forecaster:
    return make_model(_spec(case)).fit(_history())


def _origins(n: int) -> pd.DataFrame:
    last = _history().groupby(UNIQUE_ID)["ds"].max()
    return pd.DataFrame(
        {
            UNIQUE_ID: np.repeat(last.index.to_numpy(), n),
            "origin": np.concatenate([t - H * np.arange(n)[::-1] for t in last]),
        }
    )


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_bands_hold_the_forecast_and_nest(case: str) -> None:
    forecasts = _fitted(case).predict(_history(), _origins(6))
    assert list(forecasts.columns) == [*FORECAST_COLUMNS, *BANDS]
    assert forecasts[BANDS].notna().all().all()
    lo80, hi80, lo95, hi95 = (forecasts[c].to_numpy() for c in BANDS)
    yhat = forecasts[YHAT].to_numpy()
    assert (lo80 <= yhat).all() and (yhat <= hi80).all()
    assert (lo95 <= lo80).all() and (hi80 <= hi95).all()
    assert (hi95 - lo95 > hi80 - lo80).mean() > 0.9  # a wider level is really wider
    assert (hi80 > lo80).all()


def test_loaded_model_gives_identical_bands(case: str) -> None:
    model = _fitted(case)
    loaded = Forecaster.from_bytes(model.to_bytes())
    origins = _origins(3)
    pd.testing.assert_frame_equal(
        model.predict(_history(), origins), loaded.predict(_history(), origins), check_exact=True
    )


def test_changing_the_future_changes_no_band(case: str) -> None:
    history = _history()
    cut = pd.Timestamp("2024-01-18 09:00", tz="UTC")
    origins = pd.DataFrame({UNIQUE_ID: ["s0", "s1", "s2"], "origin": cut})
    before = _fitted(case).predict(history, origins)
    future = history.copy()
    after = future["ds"] > cut
    future.loc[after, Y] = np.random.default_rng(1).uniform(-1e4, 1e4, after.sum())
    pd.testing.assert_frame_equal(before, _fitted(case).predict(future, origins))


@pytest.mark.parametrize("case", DESIGN_CASES)
def test_training_from_the_design_table_gives_the_same_bands(case: str) -> None:
    """The train step fits from the stored design; its calibration must match fit(history)."""
    spec = _spec(case)
    staged = make_model(spec).fit_design(build_design(_history(), spec))
    origins = _origins(2)
    pd.testing.assert_frame_equal(
        _fitted(case).predict(_history(), origins),
        staged.predict(_history(), origins),
        check_exact=True,
    )


def test_method_picks_native_where_the_kind_has_it() -> None:
    def built(kind: str, method: IntervalMethod, levels: tuple[int, ...] = LEVELS) -> Forecaster:
        spec = make_spec(kind)  # type: ignore[arg-type]
        return make_model(replace(spec, intervals=IntervalSpec(levels=levels, method=method)))

    assert type(built("auto_arima", "auto")) is StatsForecaster
    assert type(built("auto_arima", "native")) is StatsForecaster
    assert type(built("lightgbm", "auto")) is ConformalForecaster
    conformal = built("auto_arima", "conformal")
    assert type(conformal) is ConformalForecaster
    assert isinstance(conformal, ConformalForecaster)
    assert conformal.inner.spec.intervals.levels == ()  # the inner model issues no bands
    assert type(built("lightgbm", "auto", levels=())).__name__ == "LightGBMForecaster"
    with pytest.raises(ConfigError, match=r"'xgboost' has no native prediction intervals"):
        built("xgboost", "native")
    with pytest.raises(ValidationError, match="between 1 and 99"):
        IntervalSpec(levels=(80, 100))
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        IntervalSpec(levels=(80,), windows=0)


def test_point_forecasts_are_those_of_the_model_without_intervals() -> None:
    plain = make_model(make_spec("lightgbm")).fit(_history())
    origins = _origins(2)
    with_bands = _fitted("lightgbm").predict(_history(), origins)
    pd.testing.assert_frame_equal(
        with_bands[list(FORECAST_COLUMNS)], plain.predict(_history(), origins), check_exact=True
    )


def test_conformal_margins_of_the_seasonal_naive_match_a_hand_computation() -> None:
    """Season 1: the residual from origin o at step s is |y[o + s] - y[o]|. With windows=2 and
    horizons (1, 3) the calibration origins are the 6 before the newest value."""
    history = make_series(n_series=1, length=60, seed=2)
    spec = replace(
        make_spec("seasonal_naive", horizons=(1, 3), season_length=1),
        intervals=IntervalSpec(levels=(50, 80, 95), windows=2),
        min_train_rows=10,
    )
    model = make_model(spec).fit(history)
    assert isinstance(model, ConformalForecaster) and model.margins_ is not None
    y = history[Y].to_numpy()
    n = len(y)
    for step in (1, 3):
        origins = [o for o in range(n - 7, n - 1) if o + step < n]
        scores = np.sort([abs(y[o + step] - y[o]) for o in origins])
        k = len(scores)  # 6 for step 1, 4 for step 3
        margins = model.margins_.loc[("s0", step)]
        assert margins[50] == scores[int(np.ceil((k + 1) * 0.5)) - 1]
        assert margins[80] == scores[min(int(np.ceil((k + 1) * 0.8)), k) - 1]
        assert np.isnan(margins[95])  # 95% needs at least 19 residuals


def test_conformal_margins_rank_and_too_few_residuals() -> None:
    scored = pd.DataFrame(
        {
            UNIQUE_ID: ["a"] * 19 + ["b"] * 3,
            STEP: 1,
            YHAT: 0.0,
            Y: np.r_[np.arange(1.0, 20.0) * np.where(np.arange(19) % 2, -1, 1), [5.0, 1.0, 3.0]],
        }
    )
    margins = conformal_margins(scored, [50, 95])
    assert margins.loc[("a", 1), 50] == 10.0  # ceil(20 * 0.5) = 10th of |1..19|
    assert margins.loc[("a", 1), 95] == 19.0  # ceil(20 * 0.95) = 19th: the largest
    assert margins.loc[("b", 1), 50] == 3.0  # ceil(4 * 0.5) = 2nd of 1, 3, 5
    assert np.isnan(margins.loc[("b", 1), 95])


def test_order_bands_widens_and_never_narrows() -> None:
    frame = pd.DataFrame(
        {
            YHAT: [10.0, 10.0, 10.0],
            "yhat_lo_80": [11.0, 8.0, np.nan],  # above yhat, fine, missing
            "yhat_hi_80": [12.0, 13.0, 12.0],
            "yhat_lo_95": [9.0, 9.0, 7.0],  # inside the 80% band in row 2
            "yhat_hi_95": [15.0, 12.0, 14.0],
        }
    )
    out = order_bands(frame, [95, 80])
    assert out["yhat_lo_80"].tolist()[:2] == [10.0, 8.0] and np.isnan(out["yhat_lo_80"][2])
    assert out["yhat_lo_95"].tolist() == [9.0, 8.0, 7.0]
    assert out["yhat_hi_95"].tolist() == [15.0, 13.0, 14.0]


def test_history_too_short_for_the_calibration_span_is_refused() -> None:
    spec = replace(make_spec("seasonal_naive"), intervals=IntervalSpec(levels=(80,), windows=8))
    with pytest.raises(DataValidationError, match=r"calibration span of 192 .*intervals\.windows"):
        make_model(spec).fit(_history().groupby(UNIQUE_ID).head(150))


def test_calibration_model_that_cannot_fit_names_the_windows() -> None:
    spec = replace(
        make_spec("lightgbm"), intervals=IntervalSpec(levels=(80,), windows=10), min_train_rows=48
    )
    short = _history().groupby(UNIQUE_ID).head(24 * 12)  # 288 h: 240 held out, lags need 48
    with pytest.raises(DataValidationError, match=r"calibration model.*intervals\.windows"):
        make_model(spec).fit(short)
