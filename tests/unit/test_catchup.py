"""plan_origins: which origins a catch-up run forecasts from."""

from __future__ import annotations

import pandas as pd
import pytest

from prevoir.domain.records import CatchupSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.pipeline.catchup import plan_origins

H = pd.Timedelta(hours=1)
NOW = pd.Timestamp("2024-06-10 12:00", tz="UTC")


def _origins(frame: pd.DataFrame, uid: str) -> list[pd.Timestamp]:
    return list(frame.loc[frame["unique_id"] == uid, "origin"])


def test_first_run_issues_the_newest_initial_origins() -> None:
    plan = plan_origins({"a": NOW}, {}, freq="h", catchup=CatchupSpec(initial_origins=3))
    assert list(plan.columns) == ["unique_id", "origin"]
    assert _origins(plan, "a") == [NOW - 2 * H, NOW - H, NOW]
    assert str(plan["origin"].dt.tz) == "UTC"


def test_every_new_observation_time_after_the_last_issued_origin() -> None:
    plan = plan_origins({"a": NOW}, {"a": NOW - 4 * H}, freq="h", catchup=CatchupSpec())
    assert _origins(plan, "a") == [NOW - 3 * H, NOW - 2 * H, NOW - H, NOW]


def test_stride_counts_back_from_the_newest_observation() -> None:
    catchup = CatchupSpec(stride=3)
    plan = plan_origins({"a": NOW}, {"a": NOW - 7 * H}, freq="h", catchup=catchup)
    assert _origins(plan, "a") == [NOW - 6 * H, NOW - 3 * H, NOW]
    plan = plan_origins({"a": NOW}, {"a": NOW - 6 * H}, freq="h", catchup=catchup)
    assert _origins(plan, "a") == [NOW - 3 * H, NOW]  # NOW - 6h was already issued


def test_catch_up_is_capped_to_the_newest_origins() -> None:
    catchup = CatchupSpec(max_catchup=2)
    plan = plan_origins({"a": NOW}, {"a": NOW - 100 * H}, freq="h", catchup=catchup)
    assert _origins(plan, "a") == [NOW - H, NOW]


def test_no_new_observation_gives_no_origin() -> None:
    catchup = CatchupSpec()
    plan = plan_origins({"a": NOW, "b": NOW - H}, {"a": NOW, "b": NOW}, freq="h", catchup=catchup)
    assert plan.empty
    assert list(plan.columns) == ["unique_id", "origin"]


def test_series_are_planned_independently_and_sorted() -> None:
    last_obs = {"b": NOW, "a": NOW - 2 * H, "c": NOW}
    last_issued = {"b": NOW - H, "a": NOW - 3 * H, "gone": NOW}
    plan = plan_origins(last_obs, last_issued, freq="h", catchup=CatchupSpec(initial_origins=1))
    assert plan.to_records(index=False).tolist() == [
        ("a", NOW - 2 * H),
        ("b", NOW),
        ("c", NOW),
    ]


def test_daily_frequency_and_bad_inputs() -> None:
    day = pd.Timedelta(days=1)
    plan = plan_origins({"a": NOW}, {"a": NOW - 3 * day}, freq="D", catchup=CatchupSpec())
    assert _origins(plan, "a") == [NOW - 2 * day, NOW - day, NOW]
    with pytest.raises(ConfigError, match="stride"):
        plan_origins({"a": NOW}, {}, freq="h", catchup=CatchupSpec(stride=0))
    with pytest.raises(DataValidationError, match="naive"):
        plan_origins({"a": pd.Timestamp("2024-01-01")}, {}, freq="h", catchup=CatchupSpec())
