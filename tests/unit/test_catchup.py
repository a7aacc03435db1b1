"""plan_origins: which origins a catch-up run forecasts from."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.domain.specs import CatchupSpec
from prevoir.errors import DataValidationError
from prevoir.pipeline.catchup import plan_blocks, plan_origins

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
    with pytest.raises(ValidationError, match="stride"):
        CatchupSpec(stride=0)
    with pytest.raises(DataValidationError, match="naive"):
        plan_origins({"a": pd.Timestamp("2024-01-01")}, {}, freq="h", catchup=CatchupSpec())


# -- plan_blocks: which block each origin is forecast in, and with which model -------------


def _blocks(
    last_obs: dict[str, pd.Timestamp],
    last_issued: dict[str, pd.Timestamp],
    catchup: CatchupSpec,
    freq: str = "h",
) -> pd.DataFrame:
    origins = plan_origins(last_obs, last_issued, freq=freq, catchup=catchup)
    return plan_blocks(origins, last_issued, freq=freq, catchup=catchup)


def test_never_is_one_block_of_champion_origins() -> None:
    plan = _blocks({"a": NOW, "b": NOW}, {"a": NOW - 30 * H}, CatchupSpec())
    assert list(plan.columns) == ["unique_id", "origin", "block", "refit_at"]
    assert plan["block"].nunique() == 1
    assert plan["refit_at"].isna().all()
    assert len(plan) == 30 + 24


def test_every_refits_at_epoch_anchored_window_starts() -> None:
    catchup = CatchupSpec(refit="every", refit_every=6)
    plan = _blocks({"a": NOW}, {"a": NOW - 14 * H}, catchup)  # NOW is 12:00, windows 00/06/12/18
    a = plan.set_index("origin")
    assert a.loc[NOW - 13 * H, "refit_at"] is pd.NaT  # 23:00 shares 22:00's window: champion
    day = pd.Timestamp("2024-06-10", tz="UTC")
    for hour in range(6):
        assert a.loc[day + hour * H, "refit_at"] == day  # refit on data up to 00:00
        assert a.loc[day + (6 + hour) * H, "refit_at"] == day + 6 * H
    assert a.loc[NOW, "refit_at"] == NOW
    assert a["block"].is_monotonic_increasing
    assert a.groupby("block")["refit_at"].nunique(dropna=False).max() == 1
    assert (a["refit_at"].dropna() <= a.loc[a["refit_at"].notna()].index).all()  # no leakage


def test_every_boundaries_do_not_depend_on_where_a_run_stopped() -> None:
    catchup = CatchupSpec(refit="every", refit_every=5)
    whole = _blocks({"a": NOW, "b": NOW}, {}, catchup)
    stops = whole.groupby("block")["origin"].max().iloc[:-1]  # a run commits whole windows
    assert len(stops) >= 4
    for stop in stops:
        done = whole[whole["origin"] <= stop]
        rest = _blocks({"a": NOW, "b": NOW}, {"a": stop, "b": stop}, catchup)
        resumed = pd.concat([done, rest], ignore_index=True)
        pd.testing.assert_frame_equal(
            resumed.drop(columns="block"), whole.drop(columns="block"), check_dtype=False
        )
    first = whole.loc[whole["origin"] == NOW - 23 * H]
    assert first["refit_at"].isna().all()  # a never-forecast series starts with the champion


def test_every_window_spans_refit_every_origins_with_a_stride() -> None:
    catchup = CatchupSpec(refit="every", refit_every=2, stride=3)
    plan = _blocks({"a": NOW}, {"a": NOW - 24 * H}, catchup)
    assert plan.groupby("block").size().max() == 2  # windows of 2 origins = 6 hours
    refit = plan[plan["refit_at"].notna()]
    assert ((refit["origin"] - refit["refit_at"]) < 6 * H).all()
    assert (refit["refit_at"] <= refit["origin"]).all()


def test_always_is_one_block_per_origin_refit_at_the_origin() -> None:
    plan = _blocks({"a": NOW, "b": NOW - H}, {"a": NOW - 5 * H}, CatchupSpec(refit="always"))
    assert (plan["refit_at"] == plan["origin"]).all()
    assert plan.groupby("block")["origin"].nunique().max() == 1
    assert list(plan["origin"]) == sorted(plan["origin"])


def test_bad_refit_settings_are_refused_by_the_spec() -> None:
    with pytest.raises(ValidationError, match="refit_every"):
        CatchupSpec(refit="every", refit_every=0)
    with pytest.raises(ValidationError, match="'never', 'every' or 'always'"):
        CatchupSpec(refit="sometimes")  # type: ignore[arg-type]
