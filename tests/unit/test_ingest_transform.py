"""clean_frame: real-data quirks (DST, duplicates, unsorted files), fill rules, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.datasets import DerivedColumn, FillRule, TimeSpec, TransformSpec
from prevoir.errors import DataValidationError
from prevoir.ingest.files import read_files
from prevoir.ingest.transform import CleanResult, clean_frame

BROKEN = Path(__file__).parents[1] / "data" / "broken"
SHARED = Path(__file__).parents[2].parent / "shared" / "data"
FREMONT = SHARED / "seattle_fremont_bike"
BINANCE = SHARED / "crypto_binance_ohlcv"
BEIJING = SHARED / "beijing_hourly_weather"
NAN = np.nan


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _spec(**overrides: object) -> TransformSpec:
    """The small hourly counter dataset most synthetic tests use."""
    base: dict[str, object] = {
        "dataset": "counts",
        "time": TimeSpec("time"),
        "keys": ("site",),
        "values": ("count",),
    }
    return TransformSpec(**{**base, **overrides})  # type: ignore[arg-type]


def _broken(name: str, spec: TransformSpec | None = None) -> CleanResult:
    raw = read_files(name, base_dir=BROKEN)
    return clean_frame(raw, spec or _spec(), source=name)


# --- real files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fremont_raw() -> pd.DataFrame:
    if not FREMONT.is_dir():
        pytest.skip("shared Fremont data not present")
    return read_files("FremontBridge.csv", base_dir=FREMONT)


def _fremont(raw: pd.DataFrame, fill: FillRule) -> CleanResult:
    prefix = "Fremont Bridge Sidewalks, south of N 34th St "
    spec = TransformSpec(
        dataset="fremont",
        time=TimeSpec("Date", format="%m/%d/%Y %I:%M:%S %p", timezone="America/Los_Angeles"),
        values=("total", "west", "east"),
        rename={
            f"{prefix}Total": "total",
            f"{prefix}Cyclist West Sidewalk": "west",
            f"{prefix}Cyclist East Sidewalk": "east",
        },
        fill=fill,
    )
    return clean_frame(raw, spec, source="FremontBridge.csv")


def test_fremont_local_times_become_sorted_utc(fremont_raw: pd.DataFrame) -> None:
    result = _fremont(fremont_raw, "none")
    frame, report = result.frame, result.report
    assert list(frame.columns) == ["unique_id", "ds", "total", "west", "east"]
    assert str(frame["ds"].dtype) == "datetime64[us, UTC]"
    assert (frame["unique_id"] == "fremont").all()
    assert frame["ds"].is_unique and frame["ds"].is_monotonic_increasing
    assert not fremont_raw["Date"].is_monotonic_increasing  # the file itself is not sorted
    assert report.rows_dropped_dst_gap == 13
    assert report.rows_out == 112_440 - 13 == len(frame)
    by_ds = frame.set_index("ds")
    raw_by_date = fremont_raw.set_index("Date")
    # PST (UTC-8) in winter, PDT (UTC-7) in summer
    for local, utc in [
        ("01/01/2019 08:00:00 AM", "2019-01-01 16:00"),
        ("07/01/2019 08:00:00 AM", "2019-07-01 15:00"),
    ]:
        assert by_ds.loc[_utc(utc), "total"] == raw_by_date.loc[local].iloc[0]
    # spring forward: 01:00 PST = 09:00 UTC, then 03:00 PDT = 10:00 UTC, no hole in UTC
    assert _utc("2019-03-10 09:00") in by_ds.index and _utc("2019-03-10 10:00") in by_ds.index
    # fall back: the single 01:00 row is read as PDT (08:00 UTC), 02:00 PST is 10:00 UTC
    assert by_ds.loc[_utc("2019-11-03 08:00"), "total"] == 2.0
    assert by_ds.loc[_utc("2019-11-03 10:00"), "total"] == 3.0
    assert _utc("2019-11-03 09:00") not in by_ds.index
    complete = frame.dropna()
    assert (complete["total"] == complete["west"] + complete["east"]).all()


def test_fremont_fill_nan_completes_the_utc_grid(fremont_raw: pd.DataFrame) -> None:
    result = _fremont(fremont_raw, "nan")
    frame = result.frame
    # 11 absent hours (2024-09-30 13:00-23:00 local) + the unwritten PST hour of 13 autumns
    assert result.report.rows_filled == 11 + 13
    assert len(frame) == 112_451
    assert (frame["ds"].diff().dropna() == pd.Timedelta(hours=1)).all()
    assert frame.loc[frame["ds"] == _utc("2019-11-03 09:00"), "total"].isna().all()


@pytest.mark.skipif(not BINANCE.is_dir(), reason="shared Binance data not present")
def test_binance_btc_epochs_duplicates_and_order() -> None:
    raw = read_files("hourly/Binance_BTCUSDT_1h.csv", base_dir=BINANCE, csv_options={"skiprows": 1})
    spec = TransformSpec(
        dataset="binance",
        time=TimeSpec("Unix Timestamp", unit="s"),
        keys=("Symbol",),
        values=("Open", "High", "Low", "Close", "Volume USDT"),
    )
    result = clean_frame(raw, spec, source="Binance_BTCUSDT_1h.csv")
    frame = result.frame
    assert result.report.exact_duplicates_dropped == 4  # copies differ only in `Date` text
    assert len(frame) == 27_316 - 4
    assert frame["ds"].is_monotonic_increasing and frame["ds"].is_unique
    assert frame["ds"].iloc[0] == _utc("2017-08-17 04:00")
    assert frame["ds"].iloc[-1] == _utc("2020-09-28 07:00")
    assert (frame["ds"].dt.minute == 0).all() and (frame["ds"].dt.second == 0).all()
    assert frame["Close"].iloc[-1] == 10845.48
    assert set(frame["unique_id"]) == {"BTCUSDT"}


@pytest.mark.skipif(not BINANCE.is_dir(), reason="shared Binance data not present")
def test_binance_changed_duplicate_is_a_conflict() -> None:
    raw = read_files("hourly/Binance_BTCUSDT_1h.csv", base_dir=BINANCE, csv_options={"skiprows": 1})
    copies = raw.index[raw["Unix Timestamp"].duplicated(keep="first")]
    raw.loc[copies[0], "Close"] += 1.0
    spec = TransformSpec(
        dataset="binance",
        time=TimeSpec("Unix Timestamp", unit="s"),
        keys=("Symbol",),
        values=("Close",),
    )
    with pytest.raises(DataValidationError, match=r"\(BTCUSDT, 2017-09-26T\d\d:00:00\+00:00\)"):
        clean_frame(raw, spec, source="btc")


@pytest.mark.skipif(not BEIJING.is_dir(), reason="shared Beijing data not present")
def test_beijing_assembled_local_columns() -> None:
    raw = read_files("PRSA_Data_*.csv", base_dir=BEIJING)
    spec = TransformSpec(
        dataset="beijing",
        time=TimeSpec("time", columns=("year", "month", "day", "hour"), timezone="Asia/Shanghai"),
        keys=("station",),
        values=("TEMP", "PRES", "WSPM"),
    )
    result = clean_frame(raw, spec, source="beijing")
    frame = result.frame
    counts = frame.groupby("unique_id")["ds"].agg(["min", "max", "count"])
    assert list(counts.index) == ["Aotizhongxin", "Changping", "Dongsi"]
    assert (counts["count"] == 35_064).all()
    assert (counts["min"] == _utc("2013-02-28 16:00")).all()  # 2013-03-01 00:00 CST
    assert (counts["max"] == _utc("2017-02-28 15:00")).all()
    assert frame.loc[frame["unique_id"] == "Aotizhongxin", "TEMP"].isna().sum() == 20


# --- broken fixtures --------------------------------------------------------------------


def test_non_numeric_value_names_row_column_and_value() -> None:
    with pytest.raises(DataValidationError) as info:
        _broken("non_numeric.csv")
    message = str(info.value)
    assert message.startswith(
        "non_numeric.csv row 3: column 'count' value '12 bikes' is not a number"
    )
    assert "fix the value" in message


def test_unparseable_time_names_row_and_value() -> None:
    with pytest.raises(DataValidationError) as info:
        _broken("bad_time.csv", _spec(time=TimeSpec("time", format="%Y-%m-%d %H:%M")))
    message = str(info.value)
    assert message.startswith("bad_time.csv row 3: column 'time' has time '2024-13-01 02:00'")
    assert "declare the right time.format" in message


def test_conflicting_duplicates_list_pairs_and_values() -> None:
    with pytest.raises(DataValidationError) as info:
        _broken("conflicting_duplicates.csv")
    message = str(info.value)
    assert "(a, 2024-01-01T01:00:00+00:00) rows 2 and 4: count: 2.0 vs 5.0" in message
    assert "remove one of each pair or fix the source" in message


def test_missing_declared_column_in_transform() -> None:
    with pytest.raises(DataValidationError) as info:
        _broken("missing_column.csv")
    message = str(info.value)
    assert message.startswith("missing_column.csv: column(s) ['count'] not found")
    assert "columns present: ['time', 'site', 'cnt']" in message


def test_off_grid_time_is_named_with_the_nearest_valid_times() -> None:
    with pytest.raises(DataValidationError) as info:
        _broken("off_grid.csv")
    assert str(info.value).startswith(
        "off_grid.csv row 2 (a): time 2024-01-01T01:30:00+00:00 is not on the dataset's 'h' "
        "grid (nearest valid: 2024-01-01T01:00:00+00:00 or 2024-01-01T02:00:00+00:00)"
    )


def test_value_at_nonexistent_local_time_is_rejected() -> None:
    spec = _spec(
        keys=(),
        time=TimeSpec("Date", format="%m/%d/%Y %I:%M:%S %p", timezone="America/Los_Angeles"),
    )
    with pytest.raises(DataValidationError, match=r"dst_gap_with_value\.csv row 2: local time"):
        _broken("dst_gap_with_value.csv", spec)


# --- synthetic frames ------------------------------------------------------------------


def _gappy() -> pd.DataFrame:
    """Series a: 00 1, [01 absent], 02 NaN, 03 4, [04 absent], 05 10; b: 00 NaN, 01 5, 03 7.

    Rows are shuffled and b comes first in the file, so order must come from the data.
    """
    return pd.DataFrame(
        {
            "time": ["2024-01-01 03:00", "2024-01-01 01:00", "2024-01-01 00:00",
                     "2024-01-01 05:00", "2024-01-01 00:00", "2024-01-01 02:00",
                     "2024-01-01 03:00"],
            "site": ["b", "b", "a", "a", "b", "a", "a"],
            "count": [7.0, 5.0, 1.0, 10.0, NAN, NAN, 4.0],
        }
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fill", "expected_a", "expected_b", "inserted"),
    [
        ("none", [1, NAN, 4, 10], [NAN, 5, 7], 0),
        ("nan", [1, NAN, NAN, 4, NAN, 10], [NAN, 5, NAN, 7], 3),
        ("zero", [1, 0, 0, 4, 0, 10], [0, 5, 0, 7], 3),
        ("ffill", [1, 1, 1, 4, 4, 10], [NAN, 5, 5, 7], 3),
        ("interpolate", [1, 2, 3, 4, 7, 10], [NAN, 5, 6, 7], 3),
    ],
)
def test_fill_rules_per_series(
    fill: FillRule, expected_a: list[float], expected_b: list[float], inserted: int
) -> None:
    result = clean_frame(_gappy(), _spec(fill=fill), source="gappy")
    frame = result.frame
    assert result.report.rows_filled == inserted
    assert frame["unique_id"].tolist() == ["a"] * len(expected_a) + ["b"] * len(expected_b)
    np.testing.assert_array_equal(frame["count"].to_numpy(), expected_a + expected_b)
    for uid, group in frame.groupby("unique_id"):
        assert group["ds"].is_monotonic_increasing, uid
    if fill != "none":
        assert frame.loc[frame["unique_id"] == "a", "ds"].iloc[1] == _utc("2024-01-01 01:00")


def test_interpolate_is_linear_in_time_on_a_calendar_grid() -> None:
    raw = pd.DataFrame({"time": ["2021-01-01", "2021-03-01"], "count": [0.0, 59.0]})
    spec = _spec(keys=(), freq="MS", fill="interpolate")
    frame = clean_frame(raw, spec, source="monthly").frame
    assert frame["ds"].tolist() == [_utc("2021-01-01"), _utc("2021-02-01"), _utc("2021-03-01")]
    assert frame["count"].tolist() == pytest.approx([0.0, 31.0, 59.0])  # 31 of the 59 days


def test_exact_duplicates_dropped_nan_equals_nan() -> None:
    raw = pd.DataFrame(
        {
            "time": ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 00:00"],
            "site": ["a", "a", "a"],
            "count": [NAN, 2.0, NAN],
            "label": ["x", "y", "z"],  # undeclared: does not make rows differ
        }
    )
    result = clean_frame(raw, _spec(), source="dups")
    assert result.report.exact_duplicates_dropped == 1
    assert len(result.frame) == 2
    assert list(result.frame.columns) == ["unique_id", "ds", "count"]


def test_conflict_message_lists_at_most_five() -> None:
    times = [f"2024-01-01 {h:02d}:00" for h in range(7)]
    raw = pd.DataFrame({"time": times * 2, "site": "a", "count": [1.0] * 7 + [2.0] * 7})
    with pytest.raises(DataValidationError) as info:
        clean_frame(raw, _spec(), source="conf")
    message = str(info.value)
    assert message.startswith("conf: 7 (unique_id, ds) pair(s)")
    assert message.count("count: 1.0 vs 2.0") == 5
    assert "rows 1 and 8" in message


def test_keys_joined_sorted_and_blacklisted() -> None:
    raw = pd.DataFrame(
        {
            "when": ["2024-01-01 00:00"] * 4,
            "site": [20, 3, 3, 99],
            "dir": ["N", "S", "N", "N"],
            "n": ["1", "2", "3", "broken"],
        }
    )
    spec = _spec(
        time=TimeSpec("t"),
        keys=("site", "dir"),
        values=("count",),
        rename={"when": "t", "n": "count"},
        blacklist=("99/N", "7/S"),
    )
    result = clean_frame(raw, spec, source="keys")
    assert result.frame["unique_id"].tolist() == ["20/N", "3/N", "3/S"]
    assert result.frame["count"].tolist() == [1.0, 3.0, 2.0]
    assert result.frame["count"].dtype == np.float64
    assert result.report.series_blacklisted == 1
    assert any("not present: ['7/S']" in note for note in result.report.notes)


def test_no_keys_uses_dataset_name_and_empty_result_keeps_columns() -> None:
    raw = pd.DataFrame({"time": ["2024-01-01 00:00"], "site": ["a"], "count": [1]})
    assert clean_frame(raw, _spec(keys=()), source="s").frame["unique_id"].tolist() == ["counts"]
    empty = clean_frame(raw, _spec(blacklist=("a",)), source="s")
    assert list(empty.frame.columns) == ["unique_id", "ds", "count"]
    assert empty.report.rows_out == 0 and empty.report.rows_in == 1


def test_missing_key_value_names_row() -> None:
    raw = pd.DataFrame({"time": ["2024-01-01 00:00"] * 2, "site": ["a", None], "count": [1, 2]})
    with pytest.raises(DataValidationError, match=r"s row 2: key column 'site' is empty"):
        clean_frame(raw, _spec(), source="s")


def test_missing_time_names_row() -> None:
    raw = pd.DataFrame({"time": ["2024-01-01 00:00", None], "site": "a", "count": [1, 2]})
    with pytest.raises(DataValidationError, match=r"s row 2: column 'time' has no time"):
        clean_frame(raw, _spec(), source="s")


def test_uninferable_format_asks_for_one() -> None:
    raw = pd.DataFrame({"time": ["01/02/2024 1 PM"], "site": "a", "count": [1]})
    with pytest.raises(DataValidationError, match=r"s row 1: cannot infer the time format"):
        clean_frame(raw, _spec(), source="s")


def test_explicit_offsets_and_millisecond_epochs() -> None:
    raw = pd.DataFrame(
        {"time": ["2024-03-30 23:00+01:00", "2024-03-31 01:00+02:00"], "site": "a", "count": 1}
    )
    frame = clean_frame(raw, _spec(time=TimeSpec("time", timezone="Europe/Paris")), source="s")
    assert frame.frame["ds"].tolist() == [_utc("2024-03-30 22:00"), _utc("2024-03-30 23:00")]
    raw = pd.DataFrame({"ms": [1_704_067_200_000, 1_704_070_800_000], "count": [1, 2]})
    spec = _spec(keys=(), time=TimeSpec("ms", unit="ms"))
    assert clean_frame(raw, spec, source="s").frame["ds"].iloc[1] == _utc("2024-01-01 01:00")


def test_ambiguous_hour_twice_is_daylight_then_standard() -> None:
    raw = pd.DataFrame(
        {
            "time": ["2019-11-03 00:00", "2019-11-03 01:00", "2019-11-03 01:00",
                     "2019-11-03 02:00"],
            "count": [1, 2, 3, 4],
        }
    )  # fmt: skip
    spec = _spec(keys=(), time=TimeSpec("time", timezone="America/Los_Angeles"))
    result = clean_frame(raw, spec, source="s")
    assert result.frame["ds"].tolist() == [
        _utc("2019-11-03 07:00"),
        _utc("2019-11-03 08:00"),
        _utc("2019-11-03 09:00"),
        _utc("2019-11-03 10:00"),
    ]
    assert result.frame["count"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert any("resolved by order" in note for note in result.report.notes)


def _weather() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "DATE": ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"],
            "TMIN": [2.0, 4.0, 0.0, 6.0],
            "TMAX": [10.0, 8.0, 4.0, 12.0],
            "TAVG": [5.0, NAN, NAN, 9.5],
        }
    )


def _weather_spec(**overrides: object) -> TransformSpec:
    base: dict[str, object] = {
        "dataset": "weather",
        "time": TimeSpec("DATE", format="%Y-%m-%d"),
        "values": ("tmin", "tmax", "avg_temp"),
        "rename": {"TMIN": "tmin", "TMAX": "tmax", "TAVG": "avg_temp"},
        "freq": "D",
        "derived": (DerivedColumn("avg_temp", "(tmin + tmax) / 2"),),
    }
    return TransformSpec(**{**base, **overrides})  # type: ignore[arg-type]


def test_derived_fills_only_missing_before_gap_filling() -> None:
    frame = clean_frame(_weather(), _weather_spec(fill="ffill"), source="w").frame
    # reported averages stay (5.0, 9.5); missing ones come from the same day's tmin/tmax,
    # not from the previous day; the absent 3 January is forward-filled afterwards
    assert frame["avg_temp"].tolist() == [5.0, 6.0, 6.0, 2.0, 9.5]
    assert list(frame.columns) == ["unique_id", "ds", "tmin", "tmax", "avg_temp"]


def test_derived_column_created_when_absent_and_recomputed_when_asked() -> None:
    raw = _weather().drop(columns="TAVG")
    spec = _weather_spec(
        values=("tmin", "tmax"),
        derived=(
            DerivedColumn("avg_temp", "(tmin + tmax) / 2"),
            DerivedColumn("tmin", "tmin * 0", only_missing=False),
        ),
    )
    frame = clean_frame(raw, spec, source="w").frame
    assert list(frame.columns) == ["unique_id", "ds", "tmin", "tmax", "avg_temp"]
    assert frame["avg_temp"].tolist() == [6.0, 6.0, 2.0, 9.0]
    assert frame["tmin"].tolist() == [0.0] * 4
    declared = clean_frame(raw, _weather_spec(), source="w").frame  # declared but not in file
    assert declared["avg_temp"].tolist() == [6.0, 6.0, 2.0, 9.0]


def test_bad_derived_expression_names_column_and_expression() -> None:
    spec = _weather_spec(derived=(DerivedColumn("avg_temp", "(tmin + tmaks) / 2"),))
    with pytest.raises(DataValidationError) as info:
        clean_frame(_weather(), spec, source="w")
    message = str(info.value)
    assert "derived column 'avg_temp' = '(tmin + tmaks) / 2' cannot be computed" in message
    assert "fix the expression" in message


def test_stray_timestamp_cannot_explode_the_frame() -> None:
    raw = pd.DataFrame({"time": ["1900-01-01 00:00", "2024-01-01 00:00"], "count": [1, 2]})
    with pytest.raises(DataValidationError, match=r"look for a stray timestamp"):
        clean_frame(raw, _spec(keys=(), fill="nan"), source="s")


def test_assembled_columns_reject_impossible_dates() -> None:
    raw = pd.DataFrame({"Y": [2023, 2023], "M": [2, 2], "D": [28, 29], "H": [0, 0], "v": [1, 2]})
    spec = _spec(keys=(), values=("v",), time=TimeSpec("t", columns=("Y", "M", "D", "H")))
    with pytest.raises(
        DataValidationError, match=r"s row 2: time columns \(Y=2023, M=2, D=29, H=0\)"
    ):
        clean_frame(raw, spec, source="s")


@pytest.mark.parametrize(
    ("time", "column", "message"),
    [
        (TimeSpec("time"), [1_704_067_200], "declare time.unit for Unix epochs"),
        (TimeSpec("time", unit="s"), [1.7e18], "out of range for unit 's'"),
        (TimeSpec("time", unit="s"), ["soon"], "s row 1: column 'time' has time 'soon'"),
    ],
)
def test_time_declaration_errors(time: TimeSpec, column: list[object], message: str) -> None:
    raw = pd.DataFrame({"time": column, "site": "a", "count": [1.0]})
    with pytest.raises(DataValidationError, match=message):
        clean_frame(raw, _spec(time=time), source="s")


@pytest.mark.parametrize(
    ("time", "raw"),
    [
        (TimeSpec("time", unit="s"), {"time": [1.7e9, 253_402_214_400]}),  # 9999-12-31
        (
            TimeSpec("t", columns=("year", "month", "day")),
            {"year": [2024, 1500], "month": [1, 1], "day": [1, 1]},
        ),
    ],
)
def test_times_beyond_what_nanoseconds_hold_are_refused_not_wrapped(
    time: TimeSpec, raw: dict[str, list[object]]
) -> None:
    frame = pd.DataFrame({**raw, "count": [1.0, 2.0]})
    with pytest.raises(
        DataValidationError,
        match=r"^s row 2: time (9999|1500)-.* UTC \(from .*\) "
        r"is outside 1677-09-21 to 2262-04-11",
    ):
        clean_frame(frame, _spec(keys=(), time=time), source="s")


def test_datetime_columns_naive_in_zone_or_aware() -> None:
    naive = pd.DataFrame({"time": pd.to_datetime(["2024-07-01 12:00"]), "count": [1.0]})
    spec = _spec(keys=(), time=TimeSpec("time", timezone="Europe/Paris"))
    assert clean_frame(naive, spec, source="s").frame["ds"].iloc[0] == _utc("2024-07-01 10:00")
    aware = naive.assign(time=naive["time"].dt.tz_localize("Asia/Tokyo"))
    assert clean_frame(aware, spec, source="s").frame["ds"].iloc[0] == _utc("2024-07-01 03:00")


def test_rename_onto_an_existing_column_is_refused() -> None:
    raw = pd.DataFrame({"time": ["2024-01-01 00:00"], "n": [1.0], "count": [2.0], "site": "a"})
    with pytest.raises(DataValidationError, match=r"\['count'\] occur more than once"):
        clean_frame(raw, _spec(rename={"n": "count"}), source="s")


def test_daily_dates_in_a_local_zone_sit_on_local_midnights_across_dst() -> None:
    """The Sea-Tac weather file is dated in Seattle time: its grid is local midnights."""
    path = SHARED / "seattle_fremont_bike" / "BicycleWeather.csv"
    if not path.is_file():
        pytest.skip("shared data not present")
    raw = pd.read_csv(path)
    raw = raw[raw["DATE"].between("2013-03-01", "2013-03-31")]
    raw = raw[raw["DATE"] != "2013-03-12"]  # a missing day right after the DST change
    spec = TransformSpec(
        dataset="weather",
        time=TimeSpec(column="DATE", format="%Y-%m-%d", timezone="America/Los_Angeles"),
        values=("TMAX", "TMIN"),
        freq="D",
        fill="ffill",
    )
    out = clean_frame(raw, spec, source="BicycleWeather.csv").frame
    local = out["ds"].dt.tz_convert("America/Los_Angeles")
    assert (local.dt.hour == 0).all() and len(out) == 31
    assert out["ds"].iloc[9].hour == 8 and out["ds"].iloc[10].hour == 7  # PST, then PDT
    filled = out[local.dt.strftime("%Y-%m-%d") == "2013-03-12"]
    previous = raw[raw["DATE"] == "2013-03-11"]
    assert filled["TMAX"].item() == previous["TMAX"].item()
