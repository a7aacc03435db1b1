"""The kind registry: every kind names its class where it lives, and old pickles still load."""

from __future__ import annotations

import numpy as np
import pytest

from prevoir.domain.records import LabelSpec
from prevoir.models.base import Forecaster
from prevoir.models.factory import CLASSIFIERS, MODEL_KINDS, Family, make_model
from prevoir.models.gbm import LightGBMClassifier
from prevoir.models.stats import STATS_KINDS, StatsForecaster
from prevoir.testing import make_series, make_spec


@pytest.mark.parametrize(
    ("kind", "family"),
    [*MODEL_KINDS.items(), *(("classify " + k, f) for k, f in CLASSIFIERS.items())],
)
def test_every_kind_names_a_forecaster_defined_in_its_module(kind: str, family: Family) -> None:
    cls = family.load()
    assert issubclass(cls, Forecaster)
    assert cls.__module__ == family.module  # where pickles look for it


def test_the_statsforecast_kinds_and_only_they_have_native_intervals() -> None:
    natives = {kind for kind, family in MODEL_KINDS.items() if family.native_intervals}
    assert natives == set(STATS_KINDS)
    assert {MODEL_KINDS[kind].load() for kind in natives} == {StatsForecaster}


def test_a_classifier_pickled_under_its_module_before_the_split_still_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = make_series(n_series=2, length=24 * 14, seed=5)
    model = make_model(make_spec("lightgbm", task="classification", label=LabelSpec("up")))
    model.fit(history)
    with monkeypatch.context() as patch:  # how the class was named when it lived there
        patch.setattr(LightGBMClassifier, "__module__", "prevoir.models.classify")
        old = model.to_bytes()
    assert b"prevoir.models.classify" in old and b"prevoir.models.gbm" not in old
    loaded = Forecaster.from_bytes(old)
    assert type(loaded) is LightGBMClassifier
    last = history.groupby("unique_id")["ds"].max().rename("origin").reset_index()
    np.testing.assert_array_equal(
        loaded.predict(history, last)["yhat"], model.predict(history, last)["yhat"]
    )
