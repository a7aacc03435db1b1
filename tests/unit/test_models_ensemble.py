"""Ensembles and ``auto``: exact combines, NaN handling, config round-trip, refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.columns import FORECAST_COLUMNS
from prevoir.domain.specs import FeatureSpec, ForecasterSpec, ModelSpec
from prevoir.errors import ConfigError
from prevoir.features import build_design
from prevoir.models import (
    AutoForecaster,
    EnsembleForecaster,
    Forecaster,
    LightGBMForecaster,
    SeasonalNaive,
    XGBoostForecaster,
    make_model,
)
from prevoir.models.ensemble import auto_members, combine_forecasts
from prevoir.testing import make_series, make_spec
from tests.configs import DATASET_A_FORECASTER_F

NAIVE_24 = ModelSpec(kind="seasonal_naive", season_length=24)
NAIVE_168 = ModelSpec(kind="seasonal_naive", season_length=168)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 21, seed=4)


def _origins(history: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    last = history.groupby("unique_id")["ds"].max()
    hours = pd.Timedelta(hours=1) * np.arange(n)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(last.index.to_numpy(), n),
            "origin": np.concatenate([t - hours for t in last]),
        }
    )


def _ensemble_spec(*members: ModelSpec, combine: str = "mean") -> ForecasterSpec:
    model = ModelSpec(kind="ensemble", members=members, combine=combine)  # type: ignore[arg-type]
    return make_spec("seasonal_naive", name="ens", model=model)


@pytest.mark.parametrize("combine", ["mean", "median"])
def test_combine_of_two_seasonal_naives_is_exact(history: pd.DataFrame, combine: str) -> None:
    origins = _origins(history)
    spec = _ensemble_spec(NAIVE_24, NAIVE_168, combine=combine)
    got = EnsembleForecaster(spec).fit(history).predict(history, origins)
    a = SeasonalNaive(replace(spec, model=NAIVE_24)).fit(history).predict(history, origins)
    b = SeasonalNaive(replace(spec, model=NAIVE_168)).fit(history).predict(history, origins)
    assert list(got.columns) == list(FORECAST_COLUMNS)
    pd.testing.assert_frame_equal(got.drop(columns="yhat"), a.drop(columns="yhat"))
    # the median of two values is their mean; both are (a + b) / 2 computed the same way
    np.testing.assert_array_equal(got["yhat"], (a["yhat"] + b["yhat"]) / 2)
    assert not np.array_equal(a["yhat"], b["yhat"])


def _frame(values: list[float], steps: list[int] | None = None) -> pd.DataFrame:
    steps = steps or list(range(1, len(values) + 1))
    origin = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "unique_id": "s0",
            "origin": origin,
            "ds": origin + pd.to_timedelta(steps, unit="h"),
            "step": steps,
            "yhat": values,
        }
    )


def test_mean_and_median_ignore_nan_members() -> None:
    nan = np.nan
    frames = [
        _frame([1.0, nan, nan, 4.0]),
        _frame([3.0, 2.0, nan, 8.0]),
        _frame([8.0, 6.0, nan, 9.0]),
    ]
    mean = combine_forecasts(frames, "mean")["yhat"].to_numpy()
    median = combine_forecasts(frames, "median")["yhat"].to_numpy()
    np.testing.assert_array_equal(mean, [4.0, 4.0, nan, 7.0])
    np.testing.assert_array_equal(median, [3.0, 4.0, nan, 8.0])


def test_combine_aligns_rows_on_keys_not_position() -> None:
    a = _frame([1.0, 2.0, 3.0])
    b = _frame([30.0, 10.0], steps=[3, 1])  # reordered and missing step 2
    out = combine_forecasts([a, b], "mean")
    assert out["step"].tolist() == [1, 2, 3]
    np.testing.assert_array_equal(out["yhat"], [5.5, 2.0, 16.5])


def test_fit_design_refuses_members_that_need_raw_history(history: pd.DataFrame) -> None:
    spec = _ensemble_spec(NAIVE_24, ModelSpec(kind="auto_ets", season_length=24))
    model = EnsembleForecaster(spec)
    with pytest.raises(ConfigError, match=r"ens\[1:auto_ets\].*raw history"):
        model.fit_design(build_design(history, spec))
    assert not model.is_fitted
    model.fit(history)  # the same ensemble trains from history
    assert model.is_fitted


def test_the_spec_refuses_unknown_members_empty_ensembles_and_bad_combines() -> None:
    with pytest.raises(ValidationError, match="'prophet'"):
        ModelSpec(kind="prophet")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs members"):
        _ensemble_spec()
    with pytest.raises(ValidationError, match="'mean' or 'median'"):
        _ensemble_spec(NAIVE_24, combine="max")
    with pytest.raises(ValidationError, match="no params of its own"):
        ModelSpec(kind="ensemble", members=(NAIVE_24,), params={"n_estimators": 5})


def test_auto_picks_members_by_frequency() -> None:
    def kinds(freq: str) -> list[str]:
        spec = make_spec("auto", params={}, freq=freq)  # type: ignore[arg-type]
        return [m.model.kind for m in auto_members(spec)]

    assert kinds("h") == ["lightgbm", "xgboost", "seasonal_naive"]
    assert kinds("15min") == ["lightgbm", "xgboost", "seasonal_naive"]
    assert kinds("D") == ["lightgbm", "auto_ets"]
    assert kinds("7D") == ["auto_ets"]
    assert AutoForecaster(make_spec("auto", params={})).combine == "median"  # type: ignore[arg-type]
    daily = AutoForecaster(make_spec("auto", params={}, freq="D"))  # type: ignore[arg-type]
    assert daily.combine == "mean"
    quarter = auto_members(make_spec("auto", params={}, freq="15min"))  # type: ignore[arg-type]
    assert quarter[0].model.season_length == 96
    assert quarter[0].features.lags == (24, 48)  # the declared features are kept


def test_auto_defaults_features_when_none_declared_and_refuses_unknown_params() -> None:
    spec = make_spec("auto", params={}, features=FeatureSpec())  # type: ignore[arg-type]
    lgbm = auto_members(spec)[0]
    assert lgbm.features.lags == (24, 48, 72, 168)
    assert lgbm.features.calendar == ("hour", "dayofweek")
    with pytest.raises(ConfigError, match="auto_ets"):
        AutoForecaster(make_spec("auto", params={"auto_ets": {}}))  # type: ignore[arg-type]


def test_auto_passes_member_params_through() -> None:
    params = {"lightgbm": {"n_estimators": 7}, "xgboost": {"n_estimators": 5}}
    model = AutoForecaster(make_spec("auto", params=params))  # type: ignore[arg-type]
    lgbm, xgb, _ = model.members
    assert isinstance(lgbm, LightGBMForecaster) and isinstance(xgb, XGBoostForecaster)
    assert lgbm.params["num_iterations"] == 7


def test_nested_members_round_trip_through_the_config(
    tmp_path: Path, no_prevoir_env: None, history: pd.DataFrame
) -> None:
    (tmp_path / "prevoir.toml").write_text(
        DATASET_A_FORECASTER_F
        + """features = { lags = [24, 48], rolling = [24], calendar = ["hour"] }
[forecasters.f.model]
kind = "ensemble"
combine = "median"
members = [
  { kind = "lightgbm", params = { n_estimators = 20, num_leaves = 7 } },
  { kind = "seasonal_naive", season_length = 168 },
  { kind = "ensemble", members = [{ kind = "xgboost", params = { n_estimators = 10 } }] },
]
"""
    )
    spec = forecaster_spec("f", load_settings(tmp_path))
    assert spec.model.kind == "ensemble" and spec.model.combine == "median"
    lgbm, naive, inner = spec.model.members
    assert lgbm == ModelSpec(kind="lightgbm", params={"n_estimators": 20, "num_leaves": 7})
    assert naive.season_length == 168
    assert inner.members == (ModelSpec(kind="xgboost", params={"n_estimators": 10}),)
    model = make_model(spec)
    assert isinstance(model, EnsembleForecaster) and len(model.members) == 3
    model.fit_design(build_design(history, spec))  # all members train from the design
    origins = _origins(history)
    loaded = Forecaster.from_bytes(model.to_bytes())
    pd.testing.assert_frame_equal(
        model.predict(history, origins), loaded.predict(history, origins), check_exact=True
    )


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ('{ kind = "ensemble", members = [{ kind = "prophet" }] }', "members.0.kind"),
        ('{ kind = "ensemble" }', "needs members"),
        ('{ kind = "lightgbm", members = [{ kind = "xgboost" }] }', "only to kind"),
        ('{ kind = "ensemble", combine = "max", members = [{ kind = "xgboost" }] }', "combine"),
    ],
)
def test_config_refuses_bad_ensembles(
    tmp_path: Path, no_prevoir_env: None, model: str, message: str
) -> None:
    (tmp_path / "prevoir.toml").write_text(
        f"""
[datasets.a]
source = {{ kind = "csv", path = "data/*.csv" }}
values = ["y"]
[forecasters.f]
dataset = "a"
target = "y"
model = {model}
"""
    )
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)
