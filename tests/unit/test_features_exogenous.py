"""Oracle tests for exogenous joins: local-date and as-of joins under both availability rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.specs import ExogenousSpec, FeatureSpec
from prevoir.errors import DataValidationError
from prevoir.features import build_design
from prevoir.testing import make_spec

LA = "America/Los_Angeles"


def _hourly(start: str = "2024-03-01", periods: int = 24 * 20) -> pd.DataFrame:
    ds = pd.date_range(start, periods=periods, freq="h", tz="UTC")
    return pd.DataFrame({"unique_id": "bikes", "ds": ds, "y": np.arange(periods, dtype=float)})


def _daily_weather() -> pd.DataFrame:
    """One row per local LA day, stamped at local midnight; TMAX encodes the day (March d -> d)."""
    days = pd.date_range("2024-03-01", "2024-03-20", freq="D", tz=LA)
    return pd.DataFrame(
        {"unique_id": "weather", "ds": days.tz_convert("UTC"), "TMAX": days.day.astype(float)}
    )


def _design(availability: str, origin: str, steps: tuple[int, ...]) -> pd.DataFrame:
    weather = ExogenousSpec(
        dataset="weather", columns=("TMAX",), join="date", timezone=LA, availability=availability
    )  # type: ignore[arg-type]
    spec = make_spec(horizons=steps, features=FeatureSpec(), exogenous=(weather,))
    origins = pd.DataFrame({"unique_id": ["bikes"], "origin": [pd.Timestamp(origin)]})
    return build_design(_hourly(), spec, origins=origins, exog={"weather": _daily_weather()})


def test_known_date_join_reads_the_target_local_day() -> None:
    # Origin 2024-03-05 15:00 PST; steps land on 18:00 PST (5 March) and 03:00 PST (6 March).
    design = _design("known", "2024-03-05 15:00-08:00", (3, 12))
    assert design["weather_TMAX"].tolist() == [5.0, 6.0]


@pytest.mark.parametrize(
    ("origin", "day"),
    [
        ("2024-03-05 15:00-08:00", 4.0),  # 5 March is not over at 15:00: use the 4th
        ("2024-03-05 00:00-08:00", 4.0),  # the 4th ended exactly at the origin: usable
        ("2024-03-04 23:00-08:00", 3.0),  # one hour earlier the 4th was still running
        # After the DST switch 07:00 UTC is local midnight (-08:00 would say the 10th runs).
        ("2024-03-11 00:00-07:00", 10.0),
        ("2024-03-10 23:00-07:00", 9.0),  # 23:00 PDT: the 10th is still running
    ],
)
def test_origin_date_join_never_uses_a_day_not_complete_at_the_origin(
    origin: str, day: float
) -> None:
    design = _design("origin", origin, (1, 3, 24))
    # Every target day (the origin's day and the next) is later than ``day``: known-mode would
    # read it; origin-mode must fall back to the newest day complete at the origin.
    assert design["weather_TMAX"].tolist() == [day] * 3
    local_origin = pd.Timestamp(origin).tz_convert(LA)
    assert pd.Timestamp(f"2024-03-{int(day) + 1:02d}", tz=LA) <= local_origin


def test_origin_date_join_falls_back_over_missing_days() -> None:
    weather = _daily_weather()
    weather = weather[~weather["ds"].dt.tz_convert(LA).dt.day.isin([3, 4])]  # station outage
    spec = make_spec(
        horizons=(1,),
        features=FeatureSpec(),
        exogenous=(ExogenousSpec("weather", ("TMAX",), join="date", timezone=LA),),
    )
    origins = pd.DataFrame(
        {"unique_id": ["bikes"], "origin": [pd.Timestamp("2024-03-05 12:00-08:00")]}
    )
    design = build_design(_hourly(), spec, origins=origins, exog={"weather": weather})
    assert design["weather_TMAX"].tolist() == [2.0]


def test_time_join_reads_the_latest_row_at_or_before_the_allowed_time() -> None:
    obs = pd.DataFrame(
        {
            "unique_id": "station",
            "ds": pd.date_range("2024-03-01", periods=40, freq="3h", tz="UTC"),
            "t": np.arange(40, dtype=float),
        }
    )
    known = ExogenousSpec("obs", ("t",), join="time", availability="known")
    at_origin = ExogenousSpec("obs", ("t",), join="time", availability="origin")
    spec = make_spec(horizons=(1, 2, 4), features=FeatureSpec(), exogenous=(known,))
    origins = pd.DataFrame({"unique_id": ["bikes"], "origin": [pd.Timestamp("2024-03-02 04:00Z")]})
    design = build_design(_hourly(), spec, origins=origins, exog={"obs": obs})
    # targets 05:00, 06:00, 08:00 on 2 March -> rows 03:00 (9), 06:00 (10), 06:00 (10)
    assert design["obs_t"].tolist() == [9.0, 10.0, 10.0]
    spec = make_spec(horizons=(1, 2, 4), features=FeatureSpec(), exogenous=(at_origin,))
    design = build_design(_hourly(), spec, origins=origins, exog={"obs": obs})
    assert design["obs_t"].tolist() == [9.0, 9.0, 9.0]  # 06:00 is after the 04:00 origin


def test_key_map_joins_each_series_to_its_station() -> None:
    history = pd.concat([_hourly().assign(unique_id=u) for u in ("c1", "c2")], ignore_index=True)
    weather = pd.concat(
        [
            _daily_weather().assign(unique_id=s, TMAX=lambda d, k=k: d["TMAX"] + k)
            for s, k in (("north", 100.0), ("south", 200.0))
        ],
        ignore_index=True,
    )
    ex = ExogenousSpec(
        "weather",
        ("TMAX",),
        join="date",
        timezone=LA,
        availability="known",
        key_map={"c1": "south", "c2": "north"},
    )
    spec = make_spec(horizons=(1,), features=FeatureSpec(), exogenous=(ex,))
    when = pd.Timestamp("2024-03-05 15:00-08:00")
    origins = pd.DataFrame({"unique_id": ["c1", "c2"], "origin": [when, when]})
    design = build_design(history, spec, origins=origins, exog={"weather": weather})
    assert design["weather_TMAX"].tolist() == [205.0, 105.0]
    unmapped = ExogenousSpec("weather", ("TMAX",), key_map={"c1": "south"})
    with pytest.raises(DataValidationError, match="key_map"):
        build_design(
            history,
            make_spec(horizons=(1,), features=FeatureSpec(), exogenous=(unmapped,)),
            origins=origins,
            exog={"weather": weather},
        )


def test_a_declared_dataset_that_is_not_passed_is_refused() -> None:
    ex = ExogenousSpec("weather", ("TMAX",))
    spec = make_spec(horizons=(1,), features=FeatureSpec(), exogenous=(ex,))
    with pytest.raises(DataValidationError, match="'weather' is declared but was not passed"):
        build_design(_hourly(), spec, exog={})
    with pytest.raises(DataValidationError, match="lacks columns"):
        build_design(_hourly(), spec, exog={"weather": _daily_weather().drop(columns="TMAX")})
