"""The contract every Forecaster adapter passes, whatever library is behind it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.columns import FORECAST_COLUMNS
from prevoir.domain.specs import ExogenousSpec, FeatureSpec, ForecasterSpec, LabelSpec, ModelSpec
from prevoir.errors import DataValidationError
from prevoir.features import build_design
from prevoir.models import (
    AutoForecaster,
    EnsembleForecaster,
    Forecaster,
    ForestClassifier,
    LightGBMClassifier,
    LightGBMForecaster,
    NotFittedError,
    RandomForestForecaster,
    SeasonalNaive,
    XGBoostClassifier,
    XGBoostForecaster,
    make_model,
)
from prevoir.models.recursive import RecursiveForecaster
from prevoir.testing import FAST_LIGHTGBM, FAST_PARAMS, FAST_XGBOOST, make_series, make_spec

H = pd.Timedelta(hours=1)
# case id -> (model class, scope); ML kinds run both as one global model and per series.
KINDS: dict[str, tuple[type[Forecaster], str]] = {
    "seasonal_naive": (SeasonalNaive, "global"),
    "lightgbm": (LightGBMForecaster, "global"),
    "lightgbm-per_series": (LightGBMForecaster, "per_series"),
    "xgboost": (XGBoostForecaster, "global"),
    "xgboost-per_series": (XGBoostForecaster, "per_series"),
    # per_step: one estimator per horizon step (per (series, step) with per_series)
    "lightgbm-per_step": (LightGBMForecaster, "global"),
    "xgboost-per_series-per_step": (XGBoostForecaster, "per_series"),
    "random_forest": (RandomForestForecaster, "global"),
    "random_forest-per_series": (RandomForestForecaster, "per_series"),
    "ensemble": (EnsembleForecaster, "global"),
    "auto": (AutoForecaster, "global"),
    # classification forecasters (yhat = probability of a label), see models/classify.py
    "lightgbm-classify": (LightGBMClassifier, "global"),
    "xgboost-classify": (XGBoostClassifier, "global"),
    "random_forest-per_series-classify": (ForestClassifier, "per_series"),
    "lightgbm-per_step-classify": (LightGBMClassifier, "global"),
    "lightgbm-recursive": (RecursiveForecaster, "global"),
    "xgboost-recursive-per_series": (RecursiveForecaster, "per_series"),
}
# fast members: a small LightGBM and a seasonal naive, median of the two; auto's own members
# (hourly: LightGBM + XGBoost) with small parameters
FAST_ENSEMBLE = ModelSpec(
    kind="ensemble",
    members=(ModelSpec(kind="lightgbm", params=FAST_LIGHTGBM), ModelSpec(kind="seasonal_naive")),
    combine="median",
)
FAST_AUTO: dict[str, object] = {"lightgbm": FAST_LIGHTGBM, "xgboost": FAST_XGBOOST}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 21, seed=4)


def _spec(kind: str, **overrides: object) -> ForecasterSpec:
    model_kind = kind.split("-")[0]
    if model_kind == "ensemble":
        overrides.setdefault("model", FAST_ENSEMBLE)
    if model_kind == "auto":
        overrides.setdefault("params", FAST_AUTO)
    if "-per_step" in kind:
        overrides.setdefault("params", FAST_PARAMS[model_kind] | {"per_step": True})
    if kind.endswith("-classify"):
        overrides.setdefault("task", "classification")
        overrides.setdefault("label", LabelSpec(rule="up"))
    spec = make_spec(model_kind, scope=KINDS[kind][1], **overrides)  # type: ignore[arg-type]
    if "-recursive" in kind:
        spec = replace(spec, model=replace(spec.model, strategy="recursive"))
    return spec


def _model(kind: str, spec: ForecasterSpec | None = None, **overrides: object) -> Forecaster:
    spec = spec if spec is not None else _spec(kind, **overrides)
    model = make_model(spec)
    assert type(model) is KINDS[kind][0]
    return model


@pytest.fixture(scope="module")
def fitted(history: pd.DataFrame) -> Callable[[str], Forecaster]:
    """``fitted(kind)``: the kind's model with its default spec, fitted on ``history`` once
    for the module (fitting is the slow part; the tests of ``fit`` itself fit their own).
    Each call gives a deep copy, so no test sees what another did to its model."""
    models: dict[str, Forecaster] = {}

    def get(kind: str) -> Forecaster:
        if kind not in models:
            models[kind] = _model(kind).fit(history)
        return copy.deepcopy(models[kind])

    return get


def _origins(history: pd.DataFrame, n: int) -> pd.DataFrame:
    """The newest ``n`` hours of every series as origins."""
    last = history.groupby("unique_id")["ds"].max()
    return pd.DataFrame(
        {
            "unique_id": np.repeat(last.index.to_numpy(), n),
            "origin": np.concatenate([t - H * np.arange(n)[::-1] for t in last]),
        }
    )


def test_fit_returns_self_and_marks_fitted(kind: str, history: pd.DataFrame) -> None:
    model = _model(kind)
    assert not model.is_fitted
    assert model.fit(history) is model
    assert model.is_fitted


def test_forecast_shape_and_columns(
    kind: str, history: pd.DataFrame, fitted: Callable[[str], Forecaster]
) -> None:
    spec = _spec(kind)
    model = fitted(kind)
    origins = _origins(history, 5)
    forecasts = model.predict(history, origins)
    assert list(forecasts.columns) == list(FORECAST_COLUMNS)
    assert len(forecasts) == 3 * 5 * len(spec.horizons)
    assert forecasts["yhat"].notna().all()
    assert str(forecasts["ds"].dt.tz) == "UTC"
    assert (forecasts["ds"] == forecasts["origin"] + forecasts["step"] * H).all()
    assert (forecasts["origin"] < forecasts["ds"]).all()
    per_origin = forecasts.groupby(["unique_id", "origin"])["step"].apply(tuple)
    assert set(per_origin) == {spec.horizons}


def test_no_origin_gives_an_empty_forecast_frame(
    kind: str, history: pd.DataFrame, fitted: Callable[[str], Forecaster]
) -> None:
    model = fitted(kind)
    forecasts = model.predict(history, _origins(history, 1).iloc[:0])
    assert forecasts.empty
    assert list(forecasts.columns) == list(FORECAST_COLUMNS)


def test_predict_before_fit_raises(kind: str, history: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        _model(kind).predict(history, _origins(history, 1))


def test_bytes_round_trip_gives_identical_predictions(
    kind: str, history: pd.DataFrame, fitted: Callable[[str], Forecaster]
) -> None:
    model = fitted(kind)
    loaded = Forecaster.from_bytes(model.to_bytes())
    assert type(loaded) is type(model)
    origins = _origins(history, 3)
    pd.testing.assert_frame_equal(
        model.predict(history, origins), loaded.predict(history, origins), check_exact=True
    )


def test_empty_history_is_refused(kind: str, history: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match=r"empty history \(0 rows\)"):
        _model(kind).fit(history.iloc[:0])


def test_too_short_history_is_refused(kind: str, history: pd.DataFrame) -> None:
    short = history[history["unique_id"] == "s0"].iloc[:30]
    with pytest.raises(DataValidationError, match=r"30 usable rows .* min_train_rows=48"):
        _model(kind).fit(short)


def test_missing_targets_do_not_count_as_usable(kind: str, history: pd.DataFrame) -> None:
    blank = history.assign(y=np.where(np.arange(len(history)) % 50 == 0, history["y"], np.nan))
    with pytest.raises(DataValidationError, match="usable rows"):
        _model(kind, min_train_rows=100).fit(blank)


def test_fit_design_matches_fit(
    kind: str, history: pd.DataFrame, fitted: Callable[[str], Forecaster]
) -> None:
    spec = _spec(kind)
    origins = _origins(history, 2)
    direct = fitted(kind)
    staged = _model(kind, spec).fit_design(build_design(history, spec))
    pd.testing.assert_frame_equal(
        direct.predict(history, origins), staged.predict(history, origins), check_exact=True
    )


def test_changing_the_future_changes_no_prediction(kind: str, history: pd.DataFrame) -> None:
    """Every y after an origin, and every exogenous row not complete at it, is scrambled."""
    weather = ExogenousSpec("weather", ("temp",), join="date", timezone="Europe/Paris")
    features = FeatureSpec(lags=(1, 24, 48), rolling=(6, 24), calendar=("hour",))
    spec = _spec(kind, features=features, exogenous=(weather,))
    days = pd.date_range("2023-12-25", "2024-02-01", freq="D", tz="Europe/Paris")
    rng = np.random.default_rng(0)
    exog = {
        "weather": pd.DataFrame(
            {"unique_id": "paris", "ds": days.tz_convert("UTC"), "temp": rng.normal(size=len(days))}
        )
    }
    model = _model(kind, spec).fit(history, exog)
    cut = pd.Timestamp("2024-01-18 09:00", tz="UTC")
    origins = pd.DataFrame({"unique_id": ["s0", "s1", "s2"], "origin": cut})
    before = model.predict(history, origins, exog)
    future = history.copy()
    after = future["ds"] > cut
    future.loc[after, "y"] = rng.uniform(-1e4, 1e4, after.sum())
    scrambled = exog["weather"].copy()
    day_end = scrambled["ds"].dt.tz_convert("Europe/Paris") + pd.Timedelta(days=1)
    scrambled.loc[day_end > cut, "temp"] = 1e6  # rows not complete at the origin
    pd.testing.assert_frame_equal(before, model.predict(future, origins, {"weather": scrambled}))
    truncated = model.predict(history[history["ds"] <= cut], origins, exog)
    pd.testing.assert_frame_equal(before, truncated)
