"""Grid: one concept for fixed steps (features, UTC data) and explicit times (calendar, DST)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.grid import Grid, to_timestamps, utc_ns
from prevoir.errors import ConfigError, DataValidationError

HOUR = 3_600_000_000_000


def _ns(*times: str, tz: str = "UTC") -> np.ndarray:
    return utc_ns(pd.DatetimeIndex(list(times)).tz_localize(tz), what="test times")


def test_fixed_grid_is_epoch_anchored_and_its_periods_invert() -> None:
    grid = Grid.covering("h", _ns("1970-01-01 02:00", "2024-01-01 00:00"), what="d")
    assert (grid.step, grid.anchor) == (HOUR, 0)
    period, on_grid = grid.positions(
        _ns("1970-01-01 02:00", "1969-12-31 23:00", "1970-01-01 00:30")
    )
    assert period[:2].tolist() == [2, -1] and on_grid.tolist() == [True, True, False]
    assert grid.times(np.array([2, -1])).tolist() == [2 * HOUR, -HOUR]


def test_an_anchored_grid_refuses_times_between_its_periods() -> None:
    grid = Grid("h", freq_to_ns("h"), anchor=int(_ns("2024-01-01 00:30")[0]))
    assert grid.index(_ns("2024-01-01 02:30"), what="history time").tolist() == [2]
    with pytest.raises(
        DataValidationError,
        match=r"history time 2024-01-01 02:00:00\+00:00 is "
        r"not on the regular grid of step 0 days 01:00:00 starting 2024-01-01 00:30",
    ):
        grid.index(_ns("2024-01-01 02:00"), what="history time")


def test_calendar_frequencies_get_explicit_times() -> None:
    grid = Grid.covering("MS", _ns("2021-01-01", "2021-03-01"), what="d")
    assert grid.step == 0
    assert list(to_timestamps(grid.times(np.arange(3))).strftime("%m-%d")) == [
        "01-01",
        "02-01",
        "03-01",
    ]
    _, on_grid = grid.positions(_ns("2021-02-01", "2021-02-15"))
    assert on_grid.tolist() == [True, False]
    with pytest.raises(DataValidationError, match=r"not on the 'MS' grid"):
        grid.index(_ns("2021-02-15"), what="time")


@pytest.mark.parametrize(("day", "hours"), [("2024-03-10", 23), ("2024-11-03", 25)])
def test_daily_data_in_a_local_zone_sits_on_local_midnights(day: str, hours: int) -> None:
    zone = "America/Los_Angeles"
    ns = _ns("2024-03-01", "2024-11-30", tz=zone)
    grid = Grid.covering("D", ns, timezone=zone, what="d")
    assert grid.step == 0
    period = grid.index(_ns(day, tz=zone), what="day")
    assert int(np.diff(grid.times(np.r_[period, period + 1]))[0]) == hours * HOUR


def test_a_bad_frequency_names_the_data_or_is_a_config_error() -> None:
    with pytest.raises(DataValidationError, match=r"dataset 'w': frequency 'fortnightly' is not"):
        Grid.covering("fortnightly", _ns("2024-01-01"), what="dataset 'w'")
    with pytest.raises(ConfigError, match="'MS' is not a fixed duration"):
        freq_to_ns("MS")


def test_unit_is_the_nanosecond_at_both_ends_of_its_range() -> None:
    first, last = pd.Timestamp("1677-09-22", tz="UTC"), pd.Timestamp("2262-04-10", tz="UTC")
    grid = Grid.covering("D", utc_ns(pd.DatetimeIndex([first, last]), what="t"), what="d")
    period = grid.index(utc_ns(pd.DatetimeIndex([first, last]), what="t"), what="day")
    assert list(to_timestamps(grid.times(period))) == [first, last]
