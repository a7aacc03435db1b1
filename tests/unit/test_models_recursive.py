"""The recursive strategy: a one-step ML model rolled forward on its own predictions.

The contract suite (tests/unit/test_models.py) also runs recursive models; these tests pin
what is specific to them: step 1 is exactly the direct one-step model, later steps feed on
predictions, any horizon set, batched origins, real-data accuracy, config errors.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import prevoir.examples
from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.specs import FeatureSpec, ForecasterSpec, ModelSpec, Strategy
from prevoir.errors import ConfigError
from prevoir.features.design import build_design, feature_columns, training_spec
from prevoir.models.factory import make_model
from prevoir.models.recursive import RecursiveForecaster
from prevoir.testing import make_series, make_spec
from tests.configs import DATASET_A_FORECASTER_F

H = pd.Timedelta(hours=1)
CRYPTO = Path(prevoir.examples.__file__).parent / "crypto" / "data"


def _with(spec: ForecasterSpec, strategy: Strategy, **changes: object) -> ForecasterSpec:
    return replace(spec, model=replace(spec.model, strategy=strategy), **changes)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 14, seed=11)


def _origins(history: pd.DataFrame, hours_back: list[int]) -> pd.DataFrame:
    last = history.groupby("unique_id")["ds"].max()
    return pd.DataFrame(
        [(sid, t - back * H) for sid, t in last.items() for back in hours_back],
        columns=["unique_id", "origin"],
    )


def _spy_on_steps(model: RecursiveForecaster) -> list[pd.DataFrame]:
    """The design rows of each step, in call order, as the one-step model receives them."""
    captured: list[pd.DataFrame] = []
    original = model.one_step.predict_values

    def spy(frame: pd.DataFrame) -> np.ndarray:
        captured.append(frame.copy())
        return original(frame)

    model.one_step.predict_values = spy
    return captured


def test_step_one_is_the_direct_one_step_model(history: pd.DataFrame) -> None:
    one_step = make_spec("lightgbm", horizons=(1,))
    direct = make_model(one_step).fit(history)
    recursive = make_model(_with(one_step, "recursive", horizons=tuple(range(1, 25))))
    recursive.fit(history)
    origins = _origins(history, [0, 5, 30])
    expected = direct.predict(history, origins)
    got = recursive.predict(history, origins)
    pd.testing.assert_frame_equal(got[got["step"] == 1].reset_index(drop=True), expected)


def test_step_one_rows_equal_the_direct_design(history: pd.DataFrame) -> None:
    """Design-wise: every input the rolled model sees at step 1 is the direct design's."""
    spec = _with(make_spec("lightgbm"), "recursive")
    model = make_model(spec).fit(history)
    assert isinstance(model, RecursiveForecaster)
    origins = _origins(history, [0, 7, 48])
    design = build_design(history, training_spec(spec), origins=origins, with_target=False)
    captured = _spy_on_steps(model)
    model.predict(history, origins)
    assert len(captured) == max(spec.horizons)  # one model call per step, all origins at once
    first = captured[0]
    assert list(first["unique_id"]) == list(design["unique_id"])
    for column in [*feature_columns(spec), "scale"]:
        np.testing.assert_allclose(
            first[column].to_numpy(float), design[column].to_numpy(float), rtol=1e-9, err_msg=column
        )


def test_later_steps_read_earlier_predictions(history: pd.DataFrame) -> None:
    """lag_1 at step s is the prediction of step s - 1, not an observation."""
    features = FeatureSpec(lags=(1, 24), rolling=(24,), calendar=("hour",))
    spec = _with(make_spec("lightgbm", features=features, horizons=(1, 2, 3)), "recursive")
    model = make_model(spec).fit(history)
    assert isinstance(model, RecursiveForecaster)
    captured = _spy_on_steps(model)
    origins = _origins(history, [10])
    forecasts = model.predict(history, origins)
    yhat = forecasts.pivot(index="unique_id", columns="step", values="yhat")
    np.testing.assert_allclose(captured[1]["lag_1"], yhat[1].to_numpy())
    np.testing.assert_allclose(captured[2]["lag_1"], yhat[2].to_numpy())
    np.testing.assert_allclose(captured[2]["last_y"], yhat[2].to_numpy())


def test_a_pure_seasonal_series_is_reproduced_over_48_steps() -> None:
    """A daily profile repeated exactly; from step 25 on every lag is a fed-back prediction.

    The profile's hours take distinct values (a shuffled ramp, not a sine whose rising and
    falling halves repeat values), so a tree's split thresholds lie between well separated
    values and the small error of a fed-back prediction cannot flip a split.
    """
    rng = np.random.default_rng(3)
    t = np.arange(24 * 30)
    ds = pd.date_range("2024-01-01", periods=len(t), freq="h", tz="UTC")
    ranges = {"s0": 40.0, "s1": 8.0}
    profiles = {"s0": 100 + 40 * rng.permutation(24) / 23, "s1": 20 + 8 * rng.permutation(24) / 23}
    series = pd.concat(
        [pd.DataFrame({"unique_id": s, "ds": ds, "y": p[t % 24]}) for s, p in profiles.items()],
        ignore_index=True,
    )
    features = FeatureSpec(lags=(1, 24), rolling=(24,))
    spec = _with(
        make_spec("lightgbm", features=features, horizons=tuple(range(1, 49))), "recursive"
    )
    cut = ds[-49]
    model = make_model(spec).fit(series[series["ds"] <= cut])
    origins = pd.DataFrame({"unique_id": ["s0", "s1"], "origin": cut})
    forecasts = model.predict(series, origins).merge(series, on=["unique_id", "ds"])
    assert len(forecasts) == 2 * 48
    relative = np.abs(forecasts["yhat"] - forecasts["y"]) / forecasts["unique_id"].map(ranges)
    assert relative.mean() < 0.01  # of the profile's range
    assert relative.max() < 0.1
    late = relative[forecasts["step"] > 24]
    assert late.mean() < 0.01


def test_any_horizon_set_keeps_the_requested_steps(history: pd.DataFrame) -> None:
    every = _with(make_spec("xgboost", horizons=tuple(range(1, 25))), "recursive")
    some = _with(make_spec("xgboost", horizons=(6, 12, 18, 24)), "recursive")
    origins = _origins(history, [0, 3])
    full = make_model(every).fit(history).predict(history, origins)
    part = make_model(some).fit(history).predict(history, origins)
    assert sorted(part["step"].unique()) == [6, 12, 18, 24]
    wanted = full[full["step"].isin([6, 12, 18, 24])].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, wanted)


def test_batched_origins_equal_one_origin_at_a_time(history: pd.DataFrame) -> None:
    spec = _with(make_spec("random_forest", scope="per_series"), "recursive")
    model = make_model(spec).fit(history)
    origins = _origins(history, [0, 1, 25, 60])
    together = model.predict(history, origins)
    alone = pd.concat(
        [model.predict(history, origins.iloc[[i]]) for i in range(len(origins))],
        ignore_index=True,
    )
    order = ["unique_id", "origin", "step"]
    pd.testing.assert_frame_equal(
        together.sort_values(order, ignore_index=True), alone.sort_values(order, ignore_index=True)
    )


def _crypto_close() -> pd.DataFrame:
    frames = []
    for path in sorted(CRYPTO.glob("*.csv")):
        raw = pd.read_csv(path, skiprows=1)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": raw["Symbol"],
                    "ds": pd.to_datetime(raw["Unix Timestamp"], unit="s", utc=True),
                    "y": raw["Close"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True).drop_duplicates(["unique_id", "ds"])


def test_recursive_accuracy_is_close_to_direct_on_real_candles() -> None:
    """BTC/ETH/LTC hourly closes, 48 origins over the last two weeks, 1..24 h ahead."""
    close = _crypto_close()
    features = FeatureSpec(lags=(1, 2, 3, 24), rolling=(6, 24), calendar=("hour",))
    base = make_spec("lightgbm", features=features, horizons=tuple(range(1, 25)))
    cut = close["ds"].max() - pd.Timedelta(days=14)
    train = close[close["ds"] <= cut]
    origins = pd.DataFrame(
        [(sid, cut + k * 6 * H) for sid in sorted(close["unique_id"].unique()) for k in range(48)],
        columns=["unique_id", "origin"],
    )
    errors = {}
    for strategy in ("direct", "recursive"):
        model = make_model(_with(base, strategy)).fit(train)
        rows = model.predict(close, origins).merge(close, on=["unique_id", "ds"])
        errors[strategy] = (rows["yhat"] - rows["y"]).abs() / rows.groupby("unique_id")[
            "y"
        ].transform("mean")
    naive = _naive_error(close, origins)
    assert errors["recursive"].mean() < 1.5 * errors["direct"].mean()
    assert errors["recursive"].mean() < 1.25 * naive  # no worse than repeating the last close


def _naive_error(close: pd.DataFrame, origins: pd.DataFrame) -> float:
    last = origins.merge(
        close.rename(columns={"ds": "origin", "y": "last"}), on=["unique_id", "origin"]
    )
    steps = pd.DataFrame({"step": np.arange(1, 25)})
    rows = last.merge(steps, how="cross")
    rows["ds"] = rows["origin"] + rows["step"] * H
    rows = rows.merge(close, on=["unique_id", "ds"])
    scale = rows.groupby("unique_id")["y"].transform("mean")
    return float(((rows["last"] - rows["y"]).abs() / scale).mean())


@pytest.mark.parametrize("kind", ["seasonal_naive", "auto_ets", "ensemble"])
def test_recursive_needs_an_ml_kind(kind: str) -> None:
    members = (ModelSpec(kind="seasonal_naive"),) if kind == "ensemble" else ()
    with pytest.raises(ValidationError, match='strategy "recursive" applies only to kinds'):
        ModelSpec(kind=kind, members=members, strategy="recursive")  # type: ignore[arg-type]


def test_per_step_is_refused_with_the_recursive_strategy() -> None:
    """The one-step model has a single step: per_step would silently change nothing."""
    spec = make_spec("lightgbm", params={"n_estimators": 5, "per_step": True})
    with pytest.raises(ConfigError, match=r"'test_lightgbm': per_step .* 'recursive'"):
        make_model(_with(spec, "recursive"))


def test_an_unknown_strategy_is_refused_by_the_spec() -> None:
    with pytest.raises(ValidationError, match="'direct' or 'recursive'"):
        ModelSpec(kind="lightgbm", strategy="sideways")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_prevoir_env")
def test_config_names_the_strategy_field(tmp_path: Path) -> None:
    toml = tmp_path / "prevoir.toml"
    toml.write_text(
        DATASET_A_FORECASTER_F + 'model = { kind = "auto_ets", strategy = "recursive" }\n'
    )
    with pytest.raises(ConfigError, match=r"forecasters\.f\.model.*recursive.*auto_ets"):
        load_settings(tmp_path)
    toml.write_text(DATASET_A_FORECASTER_F + 'model = { kind = "xgboost", strategy = "rolling" }\n')
    with pytest.raises(ConfigError, match=r"forecasters\.f\.model\.strategy"):
        load_settings(tmp_path)
    toml.write_text(
        DATASET_A_FORECASTER_F + 'model = { kind = "xgboost", strategy = "recursive" }\n'
    )
    spec = forecaster_spec("f", load_settings(tmp_path))
    assert spec.model.strategy == "recursive"
    assert training_spec(spec).horizons == (1,) and training_spec(spec).model.strategy == "direct"
