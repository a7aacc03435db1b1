"""The crypto example's hourly and daily forecasters through the CLI (in-process), SQLite and
PostgreSQL.

The daily forecaster (``close_1d``: UTC days resampled from the hourly candles, recursive
LightGBM) must issue daily origins only, and a day only once its 23:00 candle is loaded.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import Cli
from tests.integration.helpers import stored_forecasts

pytestmark = pytest.mark.slow

PAIRS = ("BTCUSDT", "ETHUSDT", "LTCUSDT")
HEADER_LINES = 2  # banner, then the header; rows follow newest first


def _hold_back_newest(project: Path, n: int) -> dict[Path, list[str]]:
    held = {}
    for path in sorted((project / "data").glob("*.csv")):
        lines = path.read_text().splitlines(keepends=True)
        held[path] = lines[HEADER_LINES : HEADER_LINES + n]
        path.write_text("".join(lines[:HEADER_LINES] + lines[HEADER_LINES + n :]))
    return held


def _give_back(held: dict[Path, list[str]], n: int) -> None:
    """Put back the oldest ``n`` held rows of each file (the next candles in time)."""
    for path, rows in held.items():
        lines = path.read_text().splitlines(keepends=True)
        back, held[path] = rows[-n:], rows[:-n]
        path.write_text("".join(lines[:HEADER_LINES] + back + lines[HEADER_LINES:]))


def _origins(frame: pd.DataFrame, forecaster: str) -> pd.Series:
    return pd.to_datetime(frame.loc[frame["forecaster"] == forecaster, "origin"], utc=True)


def test_hourly_and_daily_forecasters_catch_up_on_their_own_grids(
    tmp_path: Path, store_url: str
) -> None:
    project = tmp_path / "crypto"
    Cli(tmp_path, store_url)("init", str(project), "--example", "crypto")
    cli = Cli(project, store_url)
    # the files end at 2020-09-28 07:00; keep the data up to 2020-09-27 22:00
    held = _hold_back_newest(project, 9)

    cli("run", "--profile", "dev")
    first = stored_forecasts(store_url)
    daily = first[first["forecaster"] == "close_1d"]
    assert sorted(daily["unique_id"].unique()) == list(PAIRS)
    origins = _origins(first, "close_1d")
    assert (origins.dt.hour == 0).all()  # daily origins only
    assert origins.max() == pd.Timestamp("2020-09-26", tz="UTC")  # the 27th is not complete
    assert len(daily) == len(PAIRS) * 7 * 7  # 7 initial origins x horizons 1..7
    ds = pd.to_datetime(daily["ds"], utc=True)
    assert (
        (ds - pd.to_datetime(daily["origin"], utc=True)) == daily["step"] * pd.Timedelta("1D")
    ).all()
    assert daily["yhat"].between(20, 20_000).all()  # LTC to BTC price levels
    assert _origins(first, "close_1h").max() == pd.Timestamp("2020-09-27 22:00", tz="UTC")

    _give_back(held, 1)  # the 23:00 candle completes 2020-09-27
    cli("run", "--profile", "dev", "--steps", "extract", "transform", "load", "predict")
    second = stored_forecasts(store_url)
    new = second.merge(first, how="left", indicator=True, on=list(first.columns))
    new = new[new["_merge"] == "left_only"]
    assert set(_origins(new, "close_1d")) == {pd.Timestamp("2020-09-27", tz="UTC")}
    assert set(_origins(new, "close_1h")) == {pd.Timestamp("2020-09-27 23:00", tz="UTC")}
    per_forecaster = new.groupby("forecaster").size().to_dict()
    hourly = {"close_1h", "close_naive", "close_up_1h"}  # one new origin, 4 horizons each
    assert per_forecaster == {"close_1d": len(PAIRS) * 7} | {f: len(PAIRS) * 4 for f in hourly}

    _give_back(held, 8)  # 2020-09-28 00:00-07:00: a partial day, no daily origin
    third = cli("run", "--profile", "dev", "--steps", "extract", "transform", "load", "predict")
    assert "close_1d: forecasts are up to date" in third.stdout
    after = stored_forecasts(store_url)
    assert _origins(after, "close_1d").max() == pd.Timestamp("2020-09-27", tz="UTC")
    assert _origins(after, "close_1h").max() == pd.Timestamp("2020-09-28 07:00", tz="UTC")
    assert len(after) == len(second) + len(PAIRS) * 8 * 4 * len(hourly)  # 8 hours, 4 steps
