"""The direct ML family: scopes, parameter translation, importance, config and old artifacts."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prevoir.config import forecaster_spec, load_settings
from prevoir.errors import ConfigError, DataValidationError
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
from prevoir.testing import make_series, make_spec
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
    everywhere = make_spec("xgboost", scope="everywhere")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"scope must be one of \['global', 'per_series'\]"):
        XGBoostForecaster(everywhere)


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
    del state["scope"]
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
