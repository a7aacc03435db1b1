"""Observations: idempotent bulk upsert, NULLs, reads and transactions on both backends."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.errors import DataValidationError
from prevoir.storage.observations import (
    count_observations,
    last_observation_times,
    list_series,
    read_observations,
    upsert_observations,
)

T0 = pd.Timestamp("2024-03-30 22:00", tz="UTC")


def make_frame(ids: tuple[str, ...] = ("b", "a"), hours: int = 6, start: int = 0) -> pd.DataFrame:
    """A long frame; ``y`` = 10 * series index + hours since T0 (stable across windows), x = -y."""
    ds = pd.date_range(T0 + pd.Timedelta(hours=start), periods=hours, freq="h")
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, hours),
            "ds": np.tile(ds, len(ids)),
            "y": [10.0 * i + start + h for i in range(len(ids)) for h in range(hours)],
        }
    )
    frame["x"] = -frame["y"]
    return frame


def dump(engine: sa.Engine) -> list[tuple[object, ...]]:
    """Every stored row of the two observation tables, in key order."""
    with engine.connect() as conn:
        series_rows = conn.exec_driver_sql("SELECT * FROM series ORDER BY id").all()
        obs_rows = conn.exec_driver_sql("SELECT * FROM observations ORDER BY 1, 2").all()
    return [tuple(r) for r in (*series_rows, *obs_rows)]


def test_second_load_changes_nothing(engine: sa.Engine) -> None:
    frame = make_frame()
    with engine.begin() as conn:
        assert upsert_observations(conn, "shop", frame, ["y", "x"]) == 24
    before = dump(engine)
    with engine.begin() as conn:
        assert upsert_observations(conn, "shop", frame, ["y", "x"]) == 0
    assert dump(engine) == before
    with engine.connect() as conn:
        assert count_observations(conn) == 24
        assert count_observations(conn, "shop") == 24
        assert count_observations(conn, "other") == 0


def test_changed_values_update_exactly_those_rows(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(), ["y"])
    changed = make_frame()
    changed.loc[[1, 7], "y"] = [100.0, 200.0]
    with engine.begin() as conn:
        assert upsert_observations(conn, "shop", changed, ["y"]) == 2
        stored = read_observations(conn, "shop")
    expected = changed.drop(columns="x").sort_values(["unique_id", "ds"], ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


def test_overlapping_load_appends_and_updates(engine: sa.Engine) -> None:
    """New rows after the stored history and changed rows inside it, in one frame."""
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(hours=6), ["y"])
    later = make_frame(hours=6, start=3)  # hours 3..8: 3..5 are stored already, 6..8 are new
    later.loc[later["ds"] == T0 + pd.Timedelta(hours=4), "y"] = -1.0
    with engine.begin() as conn:
        changed = upsert_observations(conn, "shop", later, ["y"])
        stored = read_observations(conn, "shop")
    assert changed == 2 * (3 + 1)  # per series: 3 new hours and the one rewritten hour
    assert len(stored) == 2 * 9
    assert stored.loc[stored["ds"] == T0 + pd.Timedelta(hours=4), "y"].tolist() == [-1.0, -1.0]


def test_backfill_and_new_series_in_any_order(engine: sa.Engine) -> None:
    """Rows before, inside and after the stored history, series ids not in frame order."""
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(ids=("b", "a"), hours=3, start=3), ["y"])
    wider = make_frame(ids=("c", "a", "b"), hours=9)  # hours 0..8 for three series
    wider = wider.sample(frac=1.0, random_state=1)  # unsorted input
    with engine.begin() as conn:
        changed = upsert_observations(conn, "shop", wider, ["y"])
        stored = read_observations(conn, "shop")
    # 27 rows minus a's 3 stored hours, whose y (series position 1 both times) is unchanged
    assert changed == 24
    expected = wider.drop(columns="x").sort_values(["unique_id", "ds"], ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


def test_nan_is_stored_as_null_and_read_back_as_nan(engine: sa.Engine) -> None:
    frame = make_frame()
    frame.loc[[0, 5], "y"] = np.nan
    with engine.begin() as conn:
        upsert_observations(conn, "shop", frame, ["y"])
        nulls = conn.exec_driver_sql(
            "SELECT count(*) FROM observations WHERE value IS NULL"
        ).scalar_one()
        stored = read_observations(conn, "shop", series=["b"])
        assert upsert_observations(conn, "shop", frame, ["y"]) == 0  # NULL vs NaN is no change
    assert nulls == 2
    assert stored["y"].isna().tolist() == [True, False, False, False, False, True]


def test_a_missing_value_never_replaces_a_stored_number(engine: sa.Engine) -> None:
    frame = make_frame()
    later = frame.copy()
    later.loc[[1, 2], "y"] = np.nan  # a later export without those values
    later.loc[3, "y"] = 99.0  # and one real correction
    with engine.begin() as conn:
        upsert_observations(conn, "shop", frame, ["y"])
    # PostgreSQL: rows newer than the stored ones take the COPY path, older the upsert
    with engine.begin() as conn:
        assert upsert_observations(conn, "shop", later, ["y"]) == 1
        stored = read_observations(conn, "shop", series=["b"])
    expected = frame[frame["unique_id"] == "b"]["y"].tolist()
    expected[3] = 99.0
    assert stored["y"].tolist() == expected


def test_read_filters_and_shape(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(), ["y", "x"])
        upsert_observations(conn, "other", make_frame(ids=("z",)), ["y"])
        everything = read_observations(conn, "shop")
        nothing = read_observations(conn, "no-such-dataset", variables=["y"])
        window = read_observations(
            conn,
            "shop",
            variables=["y", "missing"],
            series=["a"],
            start=T0 + pd.Timedelta(hours=1),  # pandas Timestamps are datetimes too
            end=(T0 + pd.Timedelta(hours=3)).to_pydatetime(),
        )
    assert list(everything.columns) == ["unique_id", "ds", "x", "y"]
    assert list(nothing.columns) == ["unique_id", "ds", "y"] and nothing.empty
    assert everything["unique_id"].tolist() == ["a"] * 6 + ["b"] * 6
    assert str(everything["ds"].dtype) == "datetime64[us, UTC]"
    assert list(window.columns) == ["unique_id", "ds", "y", "missing"]
    assert window["y"].tolist() == [11.0, 12.0, 13.0]
    assert window["missing"].isna().all()
    assert window["ds"].iloc[0] == T0 + pd.Timedelta(hours=1)


def test_last_observation_times_ignore_null_values(engine: sa.Engine) -> None:
    frame = make_frame()
    frame.loc[(frame["unique_id"] == "a") & (frame["ds"] > T0 + pd.Timedelta(hours=2)), "y"] = None
    with engine.begin() as conn:
        upsert_observations(conn, "shop", frame, ["y", "x"])
        last_y = last_observation_times(conn, "shop", "y")
        last_x = last_observation_times(conn, "shop", "x")
        series = list_series(conn, "shop")
    assert last_y == {"a": T0 + pd.Timedelta(hours=2), "b": T0 + pd.Timedelta(hours=5)}
    assert last_x == {"a": T0 + pd.Timedelta(hours=5), "b": T0 + pd.Timedelta(hours=5)}
    assert series[["unique_id", "variable", "n_obs"]].values.tolist() == [
        ["a", "x", 6],
        ["a", "y", 6],
        ["b", "x", 6],
        ["b", "y", 6],
    ]
    assert (series["last_ds"] == T0 + pd.Timedelta(hours=5)).all()


def test_failed_transaction_leaves_nothing(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"), engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(), ["y"])
        assert count_observations(conn) == 12
        raise RuntimeError("boom")
    assert dump(engine) == []


def test_invalid_frames_are_refused(engine: sa.Engine) -> None:
    naive = make_frame()
    naive["ds"] = naive["ds"].dt.tz_localize(None)
    duplicated = pd.concat([make_frame(), make_frame().iloc[:1]])
    with engine.begin() as conn:
        with pytest.raises(DataValidationError, match="tz-aware"):
            upsert_observations(conn, "shop", naive, ["y"])
        with pytest.raises(DataValidationError, match="1 rows repeat"):
            upsert_observations(conn, "shop", duplicated, ["y"])
        with pytest.raises(DataValidationError, match="lacks columns"):
            upsert_observations(conn, "shop", make_frame(), ["sales"])
        with pytest.raises(DataValidationError, match="naive"):
            read_observations(conn, "shop", start=datetime(2024, 1, 1))
    assert dump(engine) == []


def test_a_batch_of_more_series_than_postgresql_binds_parameters(engine: sa.Engine) -> None:
    """PostgreSQL refuses more than 65,535 bound parameters: looking the newest stored row
    of every series of a batch up with one IN list failed at 65,536 series."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's limit is not reached by this path")
    n = 65_600
    frame = pd.DataFrame({"unique_id": [f"s{i}" for i in range(n)], "ds": T0, "y": 1.0})
    with engine.begin() as conn:
        assert upsert_observations(conn, "wide", frame, ["y"]) == n
        assert count_observations(conn, "wide") == n
