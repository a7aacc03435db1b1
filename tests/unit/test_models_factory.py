"""The kind registry: every kind names its class where it lives, and natives are the stats kinds."""

from __future__ import annotations

import pytest

from prevoir.models.base import Forecaster
from prevoir.models.factory import CLASSIFIERS, MODEL_KINDS, Family
from prevoir.models.stats import STATS_KINDS, StatsForecaster


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
