"""Forecasts: idempotent upsert, first-issue time kept, last origins and reads."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.errors import DataValidationError
from prevoir.storage.forecasts import (
    count_forecasts,
    last_origins,
    read_forecasts,
    upsert_forecasts,
)

T0 = pd.Timestamp("2024-01-01", tz="UTC")
ISSUED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = datetime(2024, 2, 1, tzinfo=UTC)


def make_forecasts(
    origins: int = 3, steps: int = 4, ids: tuple[str, ...] = ("a", "b")
) -> pd.DataFrame:
    """Forecasts from ``origins`` hourly origins, ``steps`` steps ahead, per series."""
    rows = [
        (uid, T0 + pd.Timedelta(hours=o), T0 + pd.Timedelta(hours=o + s), s, float(o * 10 + s))
        for uid in ids
        for o in range(origins)
        for s in range(1, steps + 1)
    ]
    frame = pd.DataFrame(rows, columns=["unique_id", "origin", "ds", "step", "yhat"])
    frame["model"] = "naive"  # extra columns are ignored
    return frame


def dump(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.exec_driver_sql("SELECT * FROM forecasts ORDER BY 1, 2, 3, 4")
        ]


def test_rewriting_identical_forecasts_changes_nothing(engine: sa.Engine) -> None:
    frame = make_forecasts()
    with engine.begin() as conn:
        assert (
            upsert_forecasts(conn, "f1", frame, model_version_id=None, run_id=1, issued_at=ISSUED)
            == 24
        )
    before = dump(engine)
    with engine.begin() as conn:
        n = upsert_forecasts(conn, "f1", frame, model_version_id=None, run_id=2, issued_at=LATER)
    assert n == 0
    assert dump(engine) == before
    with engine.connect() as conn:
        stored = read_forecasts(conn, forecaster="f1")
    assert (stored["issued_at"] == ISSUED).all()
    assert (stored["run_id"] == 1).all()


def test_changed_forecasts_are_reissued(engine: sa.Engine) -> None:
    frame = make_forecasts()
    with engine.begin() as conn:
        upsert_forecasts(conn, "f1", frame, model_version_id=None, run_id=1, issued_at=ISSUED)
    frame.loc[[0, 5], "yhat"] = [np.nan, 99.0]
    with engine.begin() as conn:
        n = upsert_forecasts(conn, "f1", frame, model_version_id=None, run_id=2, issued_at=LATER)
        stored = read_forecasts(conn, forecaster="f1")
    assert n == 2
    assert stored["yhat"].isna().sum() == 1
    assert sorted(stored.loc[stored["run_id"] == 2, "yhat"].fillna(-1).tolist()) == [-1.0, 99.0]
    assert (stored["issued_at"] == LATER).sum() == 2


def test_last_origins_and_counts(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        assert last_origins(conn, "f1") == {}
        upsert_forecasts(conn, "f1", make_forecasts(origins=3), model_version_id=None, run_id=None)
        upsert_forecasts(
            conn, "f1", make_forecasts(origins=5, ids=("b",)), model_version_id=None, run_id=None
        )
        upsert_forecasts(conn, "f2", make_forecasts(origins=9), model_version_id=None, run_id=None)
        assert last_origins(conn, "f1") == {
            "a": T0 + pd.Timedelta(hours=2),
            "b": T0 + pd.Timedelta(hours=4),
        }
        assert count_forecasts(conn, "f1") == 3 * 4 + 5 * 4
        assert count_forecasts(conn) == 3 * 4 + 5 * 4 + 2 * 9 * 4


def test_read_forecasts_filters(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_forecasts(
            conn, "f1", make_forecasts(), model_version_id=None, run_id=7, issued_at=ISSUED
        )
        upsert_forecasts(
            conn, "f2", make_forecasts(), model_version_id=None, run_id=8, issued_at=ISSUED
        )
        window = read_forecasts(
            conn,
            forecaster="f1",
            series=["b"],
            start=(T0 + pd.Timedelta(hours=2)).to_pydatetime(),
            end=(T0 + pd.Timedelta(hours=3)).to_pydatetime(),
        )
        newest = read_forecasts(conn, forecaster="f2", limit=4)
    assert list(window.columns[:5]) == ["unique_id", "origin", "ds", "step", "yhat"]
    assert window["unique_id"].unique().tolist() == ["b"]
    assert window["ds"].between(T0 + pd.Timedelta(hours=2), T0 + pd.Timedelta(hours=3)).all()
    assert len(window) == 5  # ds 2h: origins 0,1 ; ds 3h: origins 0,1,2
    assert str(window["origin"].dtype) == "datetime64[us, UTC]"
    assert len(newest) == 4
    assert (newest["origin"] == T0 + pd.Timedelta(hours=2)).all()


def test_bad_forecast_frames_are_refused(engine: sa.Engine) -> None:
    frame = make_forecasts()
    with engine.begin() as conn:
        with pytest.raises(DataValidationError, match="repeat"):
            upsert_forecasts(
                conn, "f1", pd.concat([frame, frame.iloc[:2]]), model_version_id=None, run_id=None
            )
        with pytest.raises(DataValidationError, match="lacks columns"):
            upsert_forecasts(
                conn, "f1", frame.drop(columns="step"), model_version_id=None, run_id=None
            )
        with pytest.raises(DataValidationError, match="naive"):
            upsert_forecasts(
                conn,
                "f1",
                frame,
                model_version_id=None,
                run_id=None,
                issued_at=datetime(2024, 1, 1),
            )
        assert count_forecasts(conn) == 0


def test_failed_transaction_writes_no_forecasts(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        upsert_forecasts(conn, "f1", make_forecasts(), model_version_id=None, run_id=None)
        raise RuntimeError("killed mid-run")
    assert dump(engine) == []
