"""Model-specific behaviour: exact seasonal-naive values, ML accuracy, the factory."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.domain.specs import FeatureSpec, ModelSpec
from prevoir.errors import ArtifactIntegrityError, ConfigError
from prevoir.evaluation.metrics import mae
from prevoir.models import Forecaster, LightGBMForecaster, SeasonalNaive, make_model
from prevoir.models.gbm import lightgbm_params
from prevoir.testing import make_series, make_spec

H = pd.Timedelta(hours=1)


def _series(length: int = 24 * 10) -> pd.DataFrame:
    ds = pd.date_range("2024-05-01", periods=length, freq="h", tz="UTC")
    y = np.random.default_rng(5).uniform(0.0, 1000.0, length)
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})


def test_seasonal_naive_repeats_the_last_season_before_the_origin() -> None:
    history = _series()
    spec = make_spec("seasonal_naive", horizons=(1, 5, 24, 25, 48), season_length=24)
    origin = pd.Timestamp("2024-05-07 10:00", tz="UTC")
    origins = pd.DataFrame({"unique_id": ["a"], "origin": [origin]})
    forecasts = SeasonalNaive(spec).fit(history).predict(history, origins)
    y = history.set_index("ds")["y"]
    # step -> the time read: origin + step - 24 * ceil(step / 24)
    expected = {1: origin - 23 * H, 5: origin - 19 * H, 24: origin, 25: origin - 23 * H}
    expected[48] = origin
    assert forecasts["yhat"].tolist() == [y[expected[s]] for s in (1, 5, 24, 25, 48)]


def test_seasonal_naive_with_season_one_is_the_last_value() -> None:
    history = _series()
    spec = make_spec("seasonal_naive", horizons=(1, 7), season_length=1)
    origin = pd.Timestamp("2024-05-03 00:00", tz="UTC")
    origins = pd.DataFrame({"unique_id": ["a"], "origin": [origin]})
    forecasts = SeasonalNaive(spec).fit(history).predict(history, origins)
    assert forecasts["yhat"].tolist() == [history.set_index("ds")["y"][origin]] * 2


def test_seasonal_naive_falls_back_one_season_over_a_gap() -> None:
    history = _series()
    origin = pd.Timestamp("2024-05-07 10:00", tz="UTC")
    history.loc[history["ds"] == origin - 23 * H, "y"] = np.nan
    spec = make_spec("seasonal_naive", horizons=(1,), season_length=24)
    origins = pd.DataFrame({"unique_id": ["a"], "origin": [origin]})
    forecasts = SeasonalNaive(spec).fit(history).predict(history, origins)
    assert forecasts["yhat"].tolist() == [history.set_index("ds")["y"][origin - 47 * H]]
    strict = make_spec("seasonal_naive", horizons=(1,), params={"fallback_seasons": 0})
    assert SeasonalNaive(strict).fit(history).predict(history, origins)["yhat"].isna().all()


@pytest.mark.parametrize("kind", ["lightgbm", "xgboost", "random_forest"])
def test_ml_kind_beats_seasonal_naive_on_a_trending_panel(kind: str) -> None:
    history = make_series(n_series=6, length=24 * 42, seed=11)
    cut = history["ds"].max() - 72 * H
    train = history[history["ds"] <= cut]
    features = FeatureSpec(lags=(24, 48, 168), rolling=(24, 168), calendar=("hour",))
    horizons = tuple(range(1, 25))
    origins = pd.DataFrame(
        [(u, cut - k * H) for u in history["unique_id"].unique() for k in range(0, 48, 4)],
        columns=["unique_id", "origin"],
    )
    scores = {}
    for name in ("seasonal_naive", kind):
        spec = make_spec(name, horizons=horizons, features=features)  # type: ignore[arg-type]
        forecasts = make_model(spec).fit(train).predict(train, origins)
        scored = forecasts.merge(history, on=["unique_id", "ds"])
        assert len(scored) == len(forecasts)
        scores[name] = mae(scored["y"], scored["yhat"])
    assert scores[kind] < 0.9 * scores["seasonal_naive"], scores


def test_lightgbm_drops_rows_with_unknown_targets_and_reports_importance() -> None:
    history = make_series(n_series=2, length=24 * 14, seed=2)
    history.loc[history.index % 7 == 0, "y"] = np.nan
    spec = make_spec("lightgbm", params={"n_estimators": 10, "unique_id_feature": True})
    model = LightGBMForecaster(spec).fit(history)
    assert model.n_train_rows_ is not None and model.n_train_rows_ > 0
    importance = model.feature_importance()
    assert "unique_id" in importance.index
    assert set(importance.index) == set(model.features)
    origins = pd.DataFrame({"unique_id": ["s1"], "origin": [history["ds"].max()]})
    assert model.predict(history, origins)["yhat"].notna().all()


def test_lightgbm_params_fold_aliases_over_defaults() -> None:
    params = lightgbm_params({"n_estimators": 7, "n_jobs": 1, "target_scaling": "none"})
    assert params["num_iterations"] == 7
    assert params["num_threads"] == 1
    assert params["verbose"] == -1
    assert "n_estimators" not in params and "target_scaling" not in params
    with pytest.raises(ConfigError, match="target_scaling"):
        LightGBMForecaster(make_spec("lightgbm", params={"target_scaling": "log"}))


def test_unscaled_lightgbm_also_fits() -> None:
    history = make_series(n_series=2, length=24 * 10)
    spec = make_spec("lightgbm", params={"n_estimators": 5, "target_scaling": "none"})
    origins = pd.DataFrame({"unique_id": ["s0"], "origin": [history["ds"].max()]})
    assert LightGBMForecaster(spec).fit(history).predict(history, origins)["yhat"].notna().all()


def test_factory_dispatches_and_names_known_kinds() -> None:
    assert isinstance(make_model(make_spec("seasonal_naive")), SeasonalNaive)
    assert isinstance(make_model(make_spec("lightgbm")), LightGBMForecaster)
    with pytest.raises(ValidationError, match=r"'prophet'"):
        ModelSpec(kind="prophet")  # type: ignore[arg-type]


def test_an_artifact_whose_classes_are_gone_is_refused_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What an artifact of an older prevoir (its spec classes moved since) meets on load."""
    module = types.ModuleType("prevoir.models.gone")

    class Old:
        pass

    Old.__module__, Old.__qualname__ = "prevoir.models.gone", "Old"
    module.Old = Old  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prevoir.models.gone", module)
    data = pickle.dumps(Old())
    monkeypatch.delitem(sys.modules, "prevoir.models.gone")
    with pytest.raises(ArtifactIntegrityError, match=r"another version of prevoir.*retrain"):
        Forecaster.from_bytes(data)
