"""Interval bands in the store: exact round trip, idempotent upsert, the 0001 -> 0002 upgrade."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.errors import DataValidationError
from prevoir.storage.engine import create_store_engine, head_revision, upgrade_schema
from prevoir.storage.forecasts import read_forecasts, upsert_forecasts
from tests.integration.test_storage_forecasts import make_forecasts

ISSUED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
BANDS = ["yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]


def with_bands(frame: pd.DataFrame) -> pd.DataFrame:
    """Bands with awkward floats (thirds, tiny and huge magnitudes) and one missing bound."""
    yhat = frame["yhat"].to_numpy()
    half = (np.arange(len(frame)) + 1) / 3.0
    out = frame.assign(
        yhat_lo_80=yhat - half,
        yhat_hi_80=yhat + half * 1e-9 + 1e-12,
        yhat_lo_95=yhat - 2 * half * 1e15,
        yhat_hi_95=yhat + 2 * half,
    )
    out.loc[1, "yhat_hi_95"] = np.nan
    return out


def _write(engine: sa.Engine, frame: pd.DataFrame, run_id: int = 1) -> int:
    with engine.begin() as conn:
        return upsert_forecasts(
            conn, "f1", frame, model_version_id=None, run_id=run_id, issued_at=ISSUED
        )


def _read(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return read_forecasts(conn, forecaster="f1")


def test_bands_round_trip_exactly(engine: sa.Engine) -> None:
    frame = with_bands(make_forecasts())
    assert _write(engine, frame) == len(frame)
    stored = _read(engine)
    assert list(stored.columns[-4:]) == BANDS
    expected = frame.sort_values(["unique_id", "origin", "step"], ignore_index=True)
    for column in ["yhat", *BANDS]:
        np.testing.assert_array_equal(stored[column].to_numpy(), expected[column].to_numpy())
    assert stored[BANDS].isna().sum().sum() == 1


def test_identical_bands_are_not_rewritten_and_changed_ones_are(engine: sa.Engine) -> None:
    frame = with_bands(make_forecasts())
    _write(engine, frame)
    assert _write(engine, frame, run_id=2) == 0  # same bands, same text / JSONB: no change
    wider = frame.copy()
    wider.loc[[0, 5], "yhat_hi_80"] += 1.0
    assert _write(engine, wider, run_id=3) == 2  # only the bands moved
    stored = _read(engine).set_index(["unique_id", "origin", "step"])
    changed = wider.set_index(["unique_id", "origin", "step"]).loc[stored.index]
    np.testing.assert_array_equal(stored["yhat_hi_80"], changed["yhat_hi_80"])
    assert set(stored["run_id"]) == {1, 3}
    # the same forecasts without bands drop them: that is a change too
    assert _write(engine, frame[["unique_id", "origin", "ds", "step", "yhat"]], run_id=4) == 24
    assert not [c for c in _read(engine).columns if c.startswith("yhat_")]


def test_reads_mix_forecasters_with_and_without_bands(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_forecasts(conn, "plain", make_forecasts(), model_version_id=None, run_id=1)
        only_80 = make_forecasts().assign(yhat_lo_80=0.0, yhat_hi_80=1e6)
        upsert_forecasts(conn, "banded", only_80, model_version_id=None, run_id=1)
    with engine.connect() as conn:
        both = read_forecasts(conn)
    plain = both[both["forecaster"] == "plain"]
    banded = both[both["forecaster"] == "banded"]
    assert plain["yhat_lo_80"].isna().all() and "yhat_lo_95" not in both.columns
    assert (banded["yhat_hi_80"] == 1e6).all()


def test_non_numeric_band_is_refused_and_nothing_is_written(engine: sa.Engine) -> None:
    frame = with_bands(make_forecasts()).astype({"yhat_lo_80": object})
    frame.loc[3, "yhat_lo_80"] = "wide"
    with pytest.raises(DataValidationError, match="'yhat_lo_80' must hold numbers"):
        _write(engine, frame)
    assert _read(engine).empty


def test_upgrading_a_0001_store_keeps_its_forecasts(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        assert upgrade_schema(engine, "0001") == "0001"
        row = "('f1', 'a', {t}, 1, {t2}, 42.5, NULL, {t}, 7)"
        if engine.dialect.name == "sqlite":  # times as epoch microseconds on SQLite
            values = row.format(t="1704067200000000", t2="1704070800000000")
        else:
            values = row.format(t="'2024-01-01T00:00Z'", t2="'2024-01-01T01:00Z'")
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO forecasts VALUES {values}")
            assert "intervals" not in {c["name"] for c in sa.inspect(conn).get_columns("forecasts")}
        assert upgrade_schema(engine) == head_revision()
        old = _read(engine)
        assert old[["unique_id", "step", "yhat", "run_id"]].to_dict("records") == [
            {"unique_id": "a", "step": 1, "yhat": 42.5, "run_id": 7}
        ]
        assert old["ds"].tolist() == [pd.Timestamp("2024-01-01 01:00", tz="UTC")]
        assert not [c for c in old.columns if c.startswith("yhat_lo")]
        banded = with_bands(make_forecasts(ids=("b",)))
        assert _write(engine, banded) == len(banded)
        assert len(_read(engine)) == 1 + len(banded)
    finally:
        engine.dispose()
