"""The statsforecast adapters: the Forecaster contract, the catch-up contract, and parity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.columns import FORECAST_COLUMNS
from prevoir.domain.specs import ForecasterSpec, ModelSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.models.base import Forecaster, NotFittedError
from prevoir.models.naive import SeasonalNaive
from prevoir.models.stats import STATS_KINDS, StatsForecaster
from prevoir.testing import make_series, make_spec

H = pd.Timedelta(hours=1)
# Small enough for the whole file to run in seconds; AutoARIMA's full search takes ~5 s/series.
FAST_PARAMS: dict[str, dict[str, object]] = {"auto_arima": {"approximation": True}}


def _spec(kind: str, **overrides: object) -> ForecasterSpec:
    params = overrides.pop("params", FAST_PARAMS.get(kind, {}))
    spec = make_spec("seasonal_naive", **overrides)  # type: ignore[arg-type]
    model = ModelSpec(kind=kind, season_length=24, params=dict(params))  # type: ignore[arg-type]
    return dataclasses.replace(spec, name=f"test_{kind}", model=model)


def _origins(history: pd.DataFrame, n: int, *, back: int = 0) -> pd.DataFrame:
    """``n`` hourly origins per series, the newest ``back`` hours before its last row."""
    last = history.groupby("unique_id")["ds"].max()
    return pd.DataFrame(
        {
            "unique_id": np.repeat(last.index.to_numpy(), n),
            "origin": np.concatenate([t - H * (np.arange(n)[::-1] + back) for t in last]),
        }
    )


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=2, length=24 * 14, seed=7)


@pytest.fixture(scope="module", params=sorted(STATS_KINDS))
def fitted(request: pytest.FixtureRequest, history: pd.DataFrame) -> StatsForecaster:
    """One fit per kind for the whole module: fitting is the slow part."""
    return StatsForecaster(_spec(str(request.param))).fit(history)


def test_fit_returns_self_and_keeps_one_model_per_series(
    fitted: StatsForecaster, history: pd.DataFrame
) -> None:
    fresh = StatsForecaster(fitted.spec)
    assert not fresh.is_fitted
    assert fitted.is_fitted
    assert fitted.models_ is not None
    assert sorted(fitted.models_) == ["s0", "s1"]
    assert fitted.train_end_["s0"] == history["ds"].max().value


def test_forecast_rows_and_columns(fitted: StatsForecaster, history: pd.DataFrame) -> None:
    spec = fitted.spec
    forecasts = fitted.predict(history, _origins(history, 3))
    assert list(forecasts.columns) == list(FORECAST_COLUMNS)
    assert len(forecasts) == 2 * 3 * len(spec.horizons)
    assert forecasts["yhat"].notna().all()
    assert str(forecasts["ds"].dt.tz) == "UTC"
    assert (forecasts["ds"] == forecasts["origin"] + forecasts["step"] * H).all()
    assert (forecasts["origin"] < forecasts["ds"]).all()
    per_origin = forecasts.groupby(["unique_id", "origin"])["step"].apply(tuple)
    assert set(per_origin) == {spec.horizons}


def test_predict_before_fit_raises(history: pd.DataFrame) -> None:
    for kind in STATS_KINDS:
        with pytest.raises(NotFittedError, match="not fitted"):
            StatsForecaster(_spec(kind)).predict(history, _origins(history, 1))


def test_bytes_round_trip_gives_identical_predictions(
    fitted: StatsForecaster, history: pd.DataFrame
) -> None:
    origins = _origins(history, 2, back=5)
    loaded = Forecaster.from_bytes(fitted.to_bytes())
    pd.testing.assert_frame_equal(
        loaded.predict(history, origins), fitted.predict(history, origins)
    )


def test_empty_or_short_history_is_refused(history: pd.DataFrame) -> None:
    for kind in STATS_KINDS:
        with pytest.raises(DataValidationError, match="empty history"):
            StatsForecaster(_spec(kind)).fit(history.iloc[:0])
        with pytest.raises(DataValidationError, match="min_train_rows"):
            StatsForecaster(_spec(kind)).fit(history.groupby("unique_id").head(10))


def test_no_leakage_after_the_origin(fitted: StatsForecaster, history: pd.DataFrame) -> None:
    origins = _origins(history, 2, back=30)
    before = fitted.predict(history, origins)
    changed = history.copy()
    after_origin = changed["ds"] > origins["origin"].max()
    changed.loc[after_origin, "y"] = changed.loc[after_origin, "y"] * 3.0 + 100.0
    pd.testing.assert_frame_equal(fitted.predict(changed, origins), before)


def test_origin_at_training_end_reproduces_statsforecast_predict(
    fitted: StatsForecaster, history: pd.DataFrame
) -> None:
    assert fitted.models_ is not None
    forecasts = fitted.predict(history, _origins(history, 1))
    h = fitted.spec.max_horizon
    for uid, model in fitted.models_.items():
        own = np.asarray(model.predict(h=h)["mean"])
        rows = forecasts[forecasts["unique_id"] == uid]
        np.testing.assert_allclose(
            rows["yhat"].to_numpy(), own[rows["step"].to_numpy() - 1], rtol=1e-9
        )


def test_catch_up_uses_newer_data_without_refitting(history: pd.DataFrame) -> None:
    train = history[history["ds"] < history["ds"].max() - 47 * H]
    model = StatsForecaster(_spec("auto_ets")).fit(train)
    assert model.models_ is not None
    params = {uid: m.model_["par"].copy() for uid, m in model.models_.items()}
    late = model.predict(history, _origins(history, 1))
    early = model.predict(history, _origins(history, 1, back=47))
    assert late["yhat"].notna().all()
    assert not np.allclose(late["yhat"].to_numpy(), early["yhat"].to_numpy())
    for uid, m in model.models_.items():
        np.testing.assert_array_equal(m.model_["par"], params[uid])


def test_train_window_keeps_the_newest_periods(history: pd.DataFrame) -> None:
    model = StatsForecaster(_spec("auto_theta", train_window=24 * 7)).fit(history)
    assert model.train_start_["s0"] == (history["ds"].max() - (24 * 7 - 1) * H).value
    forecasts = model.predict(history, _origins(history, 1, back=24 * 7 + 1))
    assert forecasts["yhat"].isna().all()  # before the training window: no values to filter


def test_unseen_series_and_origins_without_data(history: pd.DataFrame) -> None:
    model = StatsForecaster(_spec("auto_theta")).fit(history[history["unique_id"] == "s0"])
    with pytest.raises(DataValidationError, match="s1"):
        model.predict(history, _origins(history, 1))
    s0 = history[history["unique_id"] == "s0"]
    origins = pd.DataFrame({"unique_id": ["s0"], "origin": [s0["ds"].min() - 5 * H]})
    forecasts = model.predict(s0, origins)
    assert len(forecasts) == len(model.spec.horizons)
    assert forecasts["yhat"].isna().all()


def test_interior_gaps_are_interpolated(history: pd.DataFrame) -> None:
    holed = history.copy()
    holed.loc[holed.index[100:110], "y"] = np.nan
    model = StatsForecaster(_spec("auto_ets")).fit(holed)
    forecasts = model.predict(holed, _origins(holed, 2))
    assert forecasts["yhat"].notna().all()


def test_bad_parameter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"test_auto_ets.*'nonsense'"):
        StatsForecaster(_spec("auto_ets", params={"nonsense": 1}))
    with pytest.raises(ConfigError, match="seasonalities"):
        StatsForecaster(_spec("mstl", params={"seasonalities": [24, "week"]}))
    with pytest.raises(ConfigError, match="'lightgbm' is not a statsforecast kind"):
        StatsForecaster(_spec("lightgbm"))


def test_sf_seasonal_naive_equals_prevoir_seasonal_naive(history: pd.DataFrame) -> None:
    origins = _origins(history, 30, back=3)
    ours = SeasonalNaive(make_spec("seasonal_naive")).fit(history).predict(history, origins)
    theirs = StatsForecaster(_spec("sf_seasonal_naive")).fit(history).predict(history, origins)
    pd.testing.assert_frame_equal(theirs, ours)


def test_mstl_beats_seasonal_naive_on_daily_and_weekly_seasonality() -> None:
    t = np.arange(24 * 7 * 6, dtype=np.float64)
    rng = np.random.default_rng(3)
    frames = []
    for i, level in enumerate((80.0, 140.0)):
        y = (
            level
            + 0.2 * level * np.sin(2 * np.pi * t / 24 + i)
            + 0.3 * level * np.sin(2 * np.pi * t / 168)
            + rng.normal(0.0, 0.04 * level, size=len(t))
        )
        ds = pd.date_range("2024-01-01", periods=len(t), freq="h", tz="UTC")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    panel = pd.concat(frames, ignore_index=True)
    cut = panel["ds"].max() - 7 * 24 * H
    train = panel[panel["ds"] <= cut]
    origins = pd.DataFrame(
        {
            "unique_id": np.repeat(["s0", "s1"], 6),
            "origin": np.tile([cut + k * 24 * H for k in range(6)], 2),
        }
    )

    def mae(model: Forecaster) -> float:
        forecasts = model.fit(train).predict(panel, origins)
        joined = forecasts.merge(panel, on=["unique_id", "ds"])
        return float((joined["yhat"] - joined["y"]).abs().mean())

    naive = mae(SeasonalNaive(make_spec("seasonal_naive")))
    mstl = mae(StatsForecaster(_spec("mstl")))
    assert mstl < 0.8 * naive
