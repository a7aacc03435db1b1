"""The declared specs check their own values once, whether built from prevoir.toml or in code."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.datasets import SourceSpec, TimeSpec, TransformSpec
from prevoir.domain.specs import (
    CalendarFeature,
    CyclicFeature,
    ExogenousSpec,
    FeatureSpec,
    ForecasterDecl,
    ResampleSpec,
)
from prevoir.errors import ConfigError
from prevoir.features.calendar import CALENDAR_FEATURES, CYCLIC_PERIODS
from prevoir.testing import make_spec
from tests.configs import DATASET_A_FORECASTER_F


def test_the_feature_names_the_spec_admits_are_the_ones_the_features_build() -> None:
    assert set(get_args(CalendarFeature)) == set(CALENDAR_FEATURES)
    assert set(get_args(CyclicFeature)) == set(CYCLIC_PERIODS)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SourceSpec(kind="sql", url="sqlite:///x.db"), "needs `url` and `query`"),
        (lambda: SourceSpec(kind="parquet"), 'a "parquet" source needs `path`'),
        (lambda: TimeSpec("t", timezone="Mars/Olympus"), "not an IANA zone"),
        (lambda: TransformSpec(dataset="d", values=("y",), freq="fortnightly"), "not a pandas"),
        (lambda: TransformSpec(dataset="d", values=()), "at least 1 item"),
        (lambda: ExogenousSpec("w", ()), "at least 1 item"),
        (lambda: FeatureSpec(lags=(24, 0)), r"lags and rolling windows are periods >= 1"),
        (lambda: FeatureSpec(cyclic=("minute",)), "'hour', 'dayofweek'"),  # type: ignore[arg-type]
        (lambda: ResampleSpec(base_freq="h", freq="90min"), "coarser multiple"),
        (lambda: make_spec(horizons=()), "non-empty list of steps"),
        (lambda: make_spec(horizons=(0, 1)), "steps >= 1"),
        (lambda: make_spec(train_stride=0), "greater than or equal to 1"),
        (lambda: make_spec(granularity_timezone="Asia/Tokyo"), "only with granularity"),
        (lambda: make_spec(granularity="MS"), "not a fixed duration"),
    ],
)
def test_a_bad_value_is_refused_where_the_spec_is_built(build: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()  # type: ignore[operator]


def test_horizons_are_kept_sorted_and_distinct() -> None:
    assert make_spec(horizons=(24, 1, 6, 1)).horizons == (1, 6, 24)
    decl = ForecasterDecl(dataset="d", target="y", horizons=[3, 2])  # type: ignore[arg-type]
    assert decl.horizons == (2, 3)


@pytest.mark.usefixtures("no_prevoir_env")
@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        ('features = { calendar = ["fortnight"] }', "forecasters.f.features.calendar.0", "hour"),
        ("features = { lags = [0] }", "forecasters.f.features.lags", ">= 1"),
        ('features = { timezone = "Mars/Olympus" }', "forecasters.f.features.timezone", "IANA"),
        ("catchup = { stride = 0 }", "forecasters.f.catchup.stride", "greater than or equal to 1"),
        ("horizons = []", "forecasters.f.horizons", "non-empty"),
        ("bogus = 1", "forecasters.f.bogus", "unknown key"),
    ],
)
def test_the_config_names_the_key_of_a_refused_value(
    tmp_path: Path, lines: str, key: str, message: str
) -> None:
    (tmp_path / "prevoir.toml").write_text(DATASET_A_FORECASTER_F + lines + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert f"`{key}`" in str(info.value) and message in str(info.value)


@pytest.mark.usefixtures("no_prevoir_env")
def test_a_forecaster_on_a_calendar_frequency_is_refused_naming_it(tmp_path: Path) -> None:
    toml = DATASET_A_FORECASTER_F.replace('values = ["y"]', 'values = ["y"]\nfreq = "MS"')
    (tmp_path / "prevoir.toml").write_text(toml)
    with pytest.raises(ConfigError, match=r"forecasters\.f: .* 'MS', which is not a fixed"):
        forecaster_spec("f", load_settings(tmp_path))
