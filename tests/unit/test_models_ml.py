"""The direct ML family: scopes, parameter translation, importance, config and old artifacts."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.specs import FeatureSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.evaluation.metrics import mae
from prevoir.features import build_design
from prevoir.models import (
    DirectForecaster,
    Forecaster,
    LightGBMForecaster,
    RandomForestForecaster,
    XGBoostForecaster,
    make_model,
)
from prevoir.models.forest import FOREST_DEFAULTS
from prevoir.models.threads import available_cores
from prevoir.models.xgb import xgboost_params
from prevoir.testing import FAST_PARAMS, make_series, make_spec
from tests.configs import DATASET_A_FORECASTER_F

ML_KINDS = ["lightgbm", "xgboost", "random_forest"]


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 10, seed=7)


def _last_origins(history: pd.DataFrame) -> pd.DataFrame:
    last = history.groupby("unique_id")["ds"].max()
    return pd.DataFrame({"unique_id": last.index, "origin": last.to_numpy()})


@pytest.mark.parametrize("kind", ML_KINDS)
def test_per_series_fits_one_model_per_series_and_differs_from_global(
    kind: str, history: pd.DataFrame
) -> None:
    per_series = make_model(make_spec(kind, scope="per_series")).fit(history)  # type: ignore[arg-type]
    overall = make_model(make_spec(kind)).fit(history)  # type: ignore[arg-type]
    assert isinstance(per_series, DirectForecaster) and isinstance(overall, DirectForecaster)
    assert per_series.estimators_ is not None and overall.estimators_ is not None
    assert sorted(per_series.estimators_) == ["s0", "s1", "s2"]
    assert len(overall.estimators_) == 1
    origins = _last_origins(history)
    a = per_series.predict(history, origins)
    b = overall.predict(history, origins)
    assert a[["unique_id", "origin", "ds", "step"]].equals(b[["unique_id", "origin", "ds", "step"]])
    assert not np.allclose(a["yhat"], b["yhat"])


def test_per_series_matches_a_model_fitted_on_that_series_alone(history: pd.DataFrame) -> None:
    """Routing: each series is forecast by the model trained on its rows only."""
    spec = make_spec("xgboost", scope="per_series")
    panel = XGBoostForecaster(spec).fit(history)
    alone = XGBoostForecaster(spec).fit(history[history["unique_id"] == "s1"])
    origins = _last_origins(history)
    s1 = panel.predict(history, origins).query("unique_id == 's1'").reset_index(drop=True)
    pd.testing.assert_frame_equal(s1, alone.predict(history, origins.iloc[[1]]))


@pytest.mark.parametrize("kind", ML_KINDS)
def test_per_series_refuses_a_series_it_was_not_fitted_on(kind: str, history: pd.DataFrame) -> None:
    model = make_model(make_spec(kind, scope="per_series"))  # type: ignore[arg-type]
    model.fit(history[history["unique_id"] != "s2"])
    with pytest.raises(DataValidationError, match=r"not fitted on \['s2'\].*retrain"):
        model.predict(history, _last_origins(history))


def _per_step(kind: str, **overrides: object) -> dict[str, object]:
    return FAST_PARAMS[kind] | {"per_step": True} | overrides


@pytest.mark.parametrize("kind", ML_KINDS)
@pytest.mark.parametrize("scope", ["global", "per_series"])
def test_per_step_fits_one_estimator_per_step_and_scope_group(
    kind: str, scope: str, history: pd.DataFrame
) -> None:
    spec = make_spec(kind, scope=scope, horizons=(1, 6, 24), params=_per_step(kind))  # type: ignore[arg-type]
    model = make_model(spec).fit(history)
    assert isinstance(model, DirectForecaster) and model.estimators_ is not None
    groups = ["s0", "s1", "s2"] if scope == "per_series" else [""]
    assert sorted(model.estimators_) == [(g, s) for g in groups for s in (1, 6, 24)]
    importance = model.feature_importance()
    assert set(importance.index) == set(model.features) and importance.sum() > 0
    assert model.predict(history, _last_origins(history))["yhat"].notna().all()


def test_per_step_forecasts_each_step_with_that_step_s_estimator(history: pd.DataFrame) -> None:
    """Routing: step 6 of a (1, 6) model equals a model fitted on horizon 6 alone."""
    both = XGBoostForecaster(make_spec("xgboost", horizons=(1, 6), params=_per_step("xgboost")))
    alone = XGBoostForecaster(make_spec("xgboost", horizons=(6,), params=_per_step("xgboost")))
    origins = _last_origins(history)
    six = both.fit(history).predict(history, origins).query("step == 6").reset_index(drop=True)
    pd.testing.assert_frame_equal(six, alone.fit(history).predict(history, origins))


def test_per_step_fits_what_one_shared_estimator_cannot() -> None:
    """AR(1) with phi = -0.9: y one step ahead moves against the last value, two steps ahead
    with it. Additive stumps (one split per tree) cannot make the slope on ``last_y``
    depend on the step; one stump model per step can."""
    rng = np.random.default_rng(3)
    n = 24 * 30
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = -0.9 * y[t - 1] + rng.normal()
    ds = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC")
    series = pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})
    train, test = series.iloc[: n - 24 * 5], series
    stumps = {"n_estimators": 80, "learning_rate": 0.2, "num_leaves": 2, "target_scaling": "none"}
    errors = {}
    for per_step in (False, True):
        spec = make_spec(
            "lightgbm",
            horizons=(1, 2),
            features=FeatureSpec(),
            params=stumps | {"per_step": per_step},
        )
        model = LightGBMForecaster(spec).fit(train)
        origins = pd.DataFrame({"unique_id": "a", "origin": ds[n - 24 * 5 : n - 2]})
        scored = model.predict(test, origins).merge(series, on=["unique_id", "ds"])
        errors[per_step] = mae(scored["y"], scored["yhat"])
    assert errors[True] < 0.8 * errors[False]


def test_per_step_refuses_a_step_it_was_not_fitted_on(history: pd.DataFrame) -> None:
    model = LightGBMForecaster(make_spec("lightgbm", horizons=(1, 2), params=_per_step("lightgbm")))
    model.fit(history)
    wider = make_spec("lightgbm", horizons=(1, 3))
    design = build_design(history, wider, origins=_last_origins(history), with_target=False)
    with pytest.raises(
        DataValidationError, match=r"'test_lightgbm' has one model per step .* on \[3\].*retrain"
    ):
        model.predict_values(design)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_per_step_must_be_a_boolean(value: object) -> None:
    spec = make_spec("random_forest", params={"per_step": value})
    with pytest.raises(ConfigError, match=r"'test_random_forest': per_step must be true or false"):
        make_model(spec)


@pytest.mark.parametrize(
    ("kind", "params", "where"),
    [
        ("xgboost", {"bogus_depth": 3}, "bogus_depth"),
        ("xgboost", {"max_depth": -3}, "max_depth"),
        ("random_forest", {"max_features": "most"}, "max_features"),
        ("lightgbm", {"objective": "no_such_objective"}, "no_such_objective"),
    ],
)
def test_a_parameter_the_library_refuses_is_a_config_error(
    kind: str, params: dict[str, object], where: str, history: pd.DataFrame
) -> None:
    model = make_model(make_spec(kind, params=params))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=rf"(?s)forecaster 'test_{kind}'.*{where}.*model\.params"):
        model.fit(history)


def test_an_unknown_forest_parameter_is_refused_when_the_model_is_built() -> None:
    with pytest.raises(ConfigError, match=r"'test_random_forest'.*\['n_trees'\]"):
        RandomForestForecaster(make_spec("random_forest", params={"n_trees": 10}))


def test_defaults_threads_and_aliases() -> None:
    xgb = xgboost_params({"n_estimators": 7, "eta": 0.3, "n_jobs": 1})
    assert xgb["num_boost_round"] == 7 and xgb["learning_rate"] == 0.3 and xgb["nthread"] == 1
    assert "nthread" not in xgboost_params({}) and xgboost_params({})["tree_method"] == "hist"
    forest = RandomForestForecaster(make_spec("random_forest", params={}))
    assert forest.params == FOREST_DEFAULTS | {"n_jobs": available_cores()}
    with pytest.raises(ValidationError, match=r"'global' or 'per_series'"):
        make_spec("xgboost", scope="everywhere")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ML_KINDS)
@pytest.mark.parametrize("scope", ["global", "per_series"])
def test_feature_importance_covers_every_input(
    kind: str, scope: str, history: pd.DataFrame
) -> None:
    model = make_model(make_spec(kind, scope=scope)).fit(history)  # type: ignore[arg-type]
    assert isinstance(model, DirectForecaster)
    importance = model.feature_importance()
    assert set(importance.index) == set(model.features)
    assert (importance >= 0).all() and importance.sum() > 0


def test_missing_inputs_reach_the_forest_as_nan(history: pd.DataFrame) -> None:
    """Gaps make NaN lags; the forest learns with them rather than failing or imputing."""
    gappy = history.assign(y=history["y"].where(history.index % 5 != 0))
    model = RandomForestForecaster(make_spec("random_forest")).fit(gappy)
    assert model.predict(gappy, _last_origins(gappy))["yhat"].notna().all()


def test_a_lightgbm_artifact_from_before_scopes_still_loads(history: pd.DataFrame) -> None:
    model = LightGBMForecaster(make_spec("lightgbm")).fit(history)
    state = dict(model.__dict__)
    assert state.pop("estimators_") is not None
    state["booster_"] = model.estimators_[""]  # type: ignore[index]
    for newer in ("scope", "per_step", "steps_"):
        del state[newer]
    old = LightGBMForecaster.__new__(LightGBMForecaster)
    old.__dict__.update(state)
    loaded = Forecaster.from_bytes(pickle.dumps(old))
    origins = _last_origins(history)
    pd.testing.assert_frame_equal(loaded.predict(history, origins), model.predict(history, origins))


def test_kind_and_scope_round_trip_through_the_config(tmp_path: Path, no_prevoir_env: None) -> None:
    (tmp_path / "prevoir.toml").write_text(
        """
[store]
url = "sqlite:///x.db"
"""
        + DATASET_A_FORECASTER_F
        + """model = { kind = "xgboost", scope = "per_series", params = { n_estimators = 50 } }
"""
    )
    settings = load_settings(tmp_path)
    assert settings.forecasters["f"].model.scope == "per_series"
    spec = forecaster_spec("f", settings)
    assert spec.model.kind == "xgboost" and spec.model.scope == "per_series"
    assert spec.model.params == {"n_estimators": 50}
    model = make_model(spec)
    assert isinstance(model, XGBoostForecaster) and model.scope == "per_series"
    assert model.params["num_boost_round"] == 50


def test_an_unknown_scope_in_the_config_is_refused(tmp_path: Path, no_prevoir_env: None) -> None:
    (tmp_path / "prevoir.toml").write_text(
        '[forecasters.f]\ndataset = "a"\ntarget = "y"\n'
        'model = { kind = "xgboost", scope = "each" }\n'
    )
    with pytest.raises(ConfigError, match="scope"):
        load_settings(tmp_path)
