"""Classifiers beyond the shared contract: what they learn, their defaults and their refusals."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.domain.specs import CLASSIFIER_KINDS, ForecasterSpec, LabelSpec, ModelKind, ModelSpec
from prevoir.errors import ConfigError
from prevoir.features import build_design
from prevoir.features.labels import label_values
from prevoir.models import ForestClassifier, LightGBMClassifier, XGBoostClassifier, make_model
from prevoir.models.classify import DirectClassifier
from prevoir.models.factory import CLASSIFIERS
from prevoir.testing import make_series, make_spec

H = pd.Timedelta(hours=1)
UP = LabelSpec(rule="up")
ABOVE_100 = LabelSpec(rule="above", threshold=100.0)
CLASSES: dict[str, type[DirectClassifier]] = {
    "lightgbm": LightGBMClassifier,
    "xgboost": XGBoostClassifier,
    "random_forest": ForestClassifier,
}


def _spec(kind: ModelKind, label: LabelSpec = UP, **overrides: object) -> ForecasterSpec:
    return make_spec(kind, task="classification", label=label, **overrides)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 21, seed=11)


def _held_out(history: pd.DataFrame, hours: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training history without the last ``hours`` days, and origins inside those hours."""
    end = history["ds"].max()
    cut = end - hours * H
    origins = [
        {"unique_id": sid, "origin": cut + k * H} for sid in ("s0", "s1", "s2") for k in range(48)
    ]
    return history[history["ds"] <= cut], pd.DataFrame(origins)


def _actual_labels(history: pd.DataFrame, forecasts: pd.DataFrame, label: LabelSpec) -> np.ndarray:
    y = history.set_index(["unique_id", "ds"])["y"]
    at_target = y.reindex(pd.MultiIndex.from_frame(forecasts[["unique_id", "ds"]])).to_numpy()
    keys = forecasts[["unique_id", "origin"]].rename(columns={"origin": "ds"})
    at_origin = y.reindex(pd.MultiIndex.from_frame(keys)).to_numpy()
    return label_values(label, at_target=at_target, at_origin=at_origin)


@pytest.mark.parametrize("kind", sorted(CLASSES))
@pytest.mark.parametrize("label", [UP, ABOVE_100], ids=["up", "above"])
def test_probabilities_predict_held_out_labels(
    kind: ModelKind, label: LabelSpec, history: pd.DataFrame
) -> None:
    """A daily sine makes both labels predictable: up from the hour, above from the level."""
    train, origins = _held_out(history, 72)
    model = make_model(_spec(kind, label))
    assert isinstance(model, CLASSES[kind])
    forecasts = model.fit(train).predict(history, origins)
    p = forecasts["yhat"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    truth = _actual_labels(history, forecasts, label)
    known = ~np.isnan(truth)
    assert known.sum() > 300 and 0.1 < truth[known].mean() < 0.9  # both classes present
    accuracy = ((p[known] >= 0.5) == (truth[known] == 1)).mean()
    assert accuracy > 0.8, accuracy


def test_inputs_are_scaled_for_up_and_kept_in_units_for_above() -> None:
    assert LightGBMClassifier(_spec("lightgbm", UP)).scaled
    assert not LightGBMClassifier(_spec("lightgbm", ABOVE_100)).scaled
    explicit = _spec("lightgbm", ABOVE_100, params={"target_scaling": "mean"})
    assert LightGBMClassifier(explicit).scaled


def test_up_probabilities_depend_on_moves_relative_to_the_origin_not_on_the_level(
    history: pd.DataFrame,
) -> None:
    """Rule up divides inputs by y at the origin: doubling a series (exact in binary floating
    point) changes no probability; rule above compares levels, so the same doubling does."""
    _, origins = _held_out(history, 24)
    doubled = history.assign(y=history["y"] * 2.0)
    up = LightGBMClassifier(_spec("lightgbm", UP)).fit(history)
    pd.testing.assert_frame_equal(up.predict(history, origins), up.predict(doubled, origins))
    above = LightGBMClassifier(_spec("lightgbm", ABOVE_100)).fit(history)
    assert (above.predict(doubled, origins)["yhat"] > above.predict(history, origins)["yhat"]).any()
    # the inputs are ratios to y at the origin: last_y / last_y is exactly 1 on every row
    design = build_design(history, up.spec)
    matrix = up._matrix(design, pd.Index(["s0", "s1", "s2"]))
    assert (matrix[:, up.features.index("last_y")] == 1.0).all()
    lag_24 = matrix[:, up.features.index("lag_24")]
    expected = (design["lag_24"] / design["last_y"]).to_numpy()
    np.testing.assert_array_equal(lag_24, expected)


def test_the_binary_objective_is_the_default_and_regression_objectives_are_refused() -> None:
    assert LightGBMClassifier(_spec("lightgbm")).params["objective"] == "binary"
    assert XGBoostClassifier(_spec("xgboost")).params["objective"] == "binary:logistic"
    xentropy = _spec("lightgbm", params={"objective": "cross_entropy"})
    assert LightGBMClassifier(xentropy).params["objective"] == "cross_entropy"
    for kind, objective in (("lightgbm", "regression"), ("xgboost", "reg:squarederror")):
        spec = _spec(kind, params={"objective": objective})  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match=rf"objective '{objective}' does not give prob"):
            make_model(spec)


@pytest.mark.parametrize("kind", ["seasonal_naive", "auto_ets", "ensemble", "auto"])
def test_kinds_that_cannot_classify_are_refused_by_the_spec(kind: ModelKind) -> None:
    members = (ModelSpec(kind="lightgbm"),) if kind == "ensemble" else ()
    with pytest.raises(ValidationError, match=rf"model kind '{kind}' cannot classify.*lightgbm"):
        _spec(kind, model=ModelSpec(kind=kind, members=members))


def test_every_classifier_kind_has_a_classifier() -> None:
    assert sorted(CLASSIFIERS) == sorted(CLASSIFIER_KINDS)


def test_a_classification_spec_without_a_label_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"needs a label, e.g. label = \{ rule = \"up\" \}"):
        replace(_spec("lightgbm"), label=None)


def test_class_weights_pass_through_and_unknown_forest_params_are_refused(
    history: pd.DataFrame,
) -> None:
    balanced = ForestClassifier(_spec("random_forest", params={"class_weight": "balanced"}))
    assert balanced.params["class_weight"] == "balanced"
    assert balanced.fit(history).estimators_[""].class_weight == "balanced"  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"RandomForestClassifier.*\['n_trees'\]"):
        ForestClassifier(_spec("random_forest", params={"n_trees": 5}))


def test_a_forest_that_saw_one_class_predicts_probability_zero(history: pd.DataFrame) -> None:
    never = LabelSpec(rule="above", threshold=1e9)
    model = ForestClassifier(_spec("random_forest", never)).fit(history)
    _, origins = _held_out(history, 24)
    assert (model.predict(history, origins)["yhat"] == 0.0).all()


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_feature_importance_of_a_classifier(kind: ModelKind, history: pd.DataFrame) -> None:
    model = CLASSES[kind](_spec(kind, scope="per_series")).fit(history)
    importance = model.feature_importance()
    assert set(importance.index) == set(model.features) and importance.sum() > 0
