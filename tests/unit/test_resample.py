"""Resampling hourly candles into coarser buckets, checked by hand on the real Binance files.

The oracle is a plain loop over the raw CSV rows of one day (first open, max high, min low,
last close, summed volume); the quirks come from the real files: the partial first and last
days, the four missing hours of 2017-09-22, ETH's one missing volume, DST days in Paris and
Seattle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import prevoir.examples
from prevoir.config import forecaster_spec, load_settings, transform_spec
from prevoir.domain.frequency import check_granularity
from prevoir.domain.specs import ResampleSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.resample import resample
from prevoir.ingest.transform import clean_frame

HOURLY = Path("/work/shared/data/crypto_binance_ohlcv/hourly")
OHLCV = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
DAILY = ResampleSpec(base_freq="h", freq="1D", aggregate=OHLCV)
BIKES = Path(prevoir.examples.__file__).parent / "bikes"


def _raw(pair: str) -> pd.DataFrame:
    return pd.read_csv(HOURLY / f"Binance_{pair}_1h.csv", skiprows=1)


def _candles(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw file as the store returns it: UTC times, one row per candle."""
    frame = pd.DataFrame(
        {
            "unique_id": raw["Symbol"],
            "ds": pd.to_datetime(raw["Unix Timestamp"], unit="s", utc=True),
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume USDT"],
        }
    )
    return frame.drop_duplicates(["unique_id", "ds"]).reset_index(drop=True)


def _by_hand(raw: pd.DataFrame, start: pd.Timestamp, hours: int) -> dict[str, float]:
    """OHLCV of the candles opening in [start, start + hours) by a loop over raw rows."""
    lo = start.timestamp()
    near = raw[(raw["Unix Timestamp"] >= lo) & (raw["Unix Timestamp"] < lo + hours * 3600)]
    rows = [
        (pd.Timestamp(row["Unix Timestamp"], unit="s", tz="UTC"), row) for _, row in near.iterrows()
    ]
    rows.sort(key=lambda item: item[0])
    seen: dict[pd.Timestamp, pd.Series] = dict(rows)  # the file repeats some candles
    assert len(seen) == hours, f"{len(seen)} candles from {start}"
    candles = [seen[t] for t in sorted(seen)]
    return {
        "open": float(candles[0]["Open"]),
        "high": max(float(c["High"]) for c in candles),
        "low": min(float(c["Low"]) for c in candles),
        "close": float(candles[-1]["Close"]),
        "volume": sum(float(c["Volume USDT"]) for c in candles),
    }


@pytest.fixture(scope="module")
def btc_raw() -> pd.DataFrame:
    return _raw("BTCUSDT")


@pytest.fixture(scope="module")
def btc_daily(btc_raw: pd.DataFrame) -> pd.DataFrame:
    return resample(_candles(btc_raw), DAILY).set_index("ds")


@pytest.mark.parametrize("day", ["2018-08-12", "2019-03-25", "2020-03-12", "2020-09-27"])
def test_daily_ohlcv_matches_a_hand_computation(
    btc_raw: pd.DataFrame, btc_daily: pd.DataFrame, day: str
) -> None:
    start = pd.Timestamp(day, tz="UTC")
    expected = _by_hand(btc_raw, start, 24)
    got = btc_daily.loc[start]
    for column, value in expected.items():
        assert got[column] == pytest.approx(value, rel=1e-12), column


def test_only_complete_days_are_emitted(btc_daily: pd.DataFrame) -> None:
    days = btc_daily.index
    # the file starts at 2017-08-17 04:00 and ends at 2020-09-28 07:00 (a still-open candle)
    assert days.min() == pd.Timestamp("2017-08-18", tz="UTC")
    assert days.max() == pd.Timestamp("2020-09-27", tz="UTC")
    # 2017-09-22 lacks its 20:00-23:00 candles: left out, its neighbours kept
    assert pd.Timestamp("2017-09-22", tz="UTC") not in days
    assert {pd.Timestamp("2017-09-21", tz="UTC"), pd.Timestamp("2017-09-23", tz="UTC")} <= set(days)
    assert len(days) == (days.max() - days.min()).days  # every other day is there


def test_a_day_appears_once_its_last_hour_is_loaded(btc_raw: pd.DataFrame) -> None:
    candles = _candles(btc_raw)
    cut = candles[candles["ds"] <= pd.Timestamp("2020-09-26 22:00", tz="UTC")]
    assert resample(cut, DAILY)["ds"].max() == pd.Timestamp("2020-09-25", tz="UTC")
    one_more = candles[candles["ds"] <= pd.Timestamp("2020-09-26 23:00", tz="UTC")]
    assert resample(one_more, DAILY)["ds"].max() == pd.Timestamp("2020-09-26", tz="UTC")


def test_a_missing_value_blanks_only_its_column() -> None:
    daily = resample(_candles(_raw("ETHUSDT")), DAILY).set_index("ds")
    day = daily.loc[pd.Timestamp("2019-11-07", tz="UTC")]  # one NaN 'Volume USDT' at 03:00
    assert np.isnan(day["volume"])
    assert np.isfinite(day[["open", "high", "low", "close"]].astype(float)).all()


def test_several_series_and_six_hour_buckets(btc_raw: pd.DataFrame) -> None:
    both = pd.concat([_candles(btc_raw), _candles(_raw("LTCUSDT"))], ignore_index=True)
    spec = ResampleSpec(base_freq="h", freq="6h", aggregate=OHLCV)
    out = resample(both.sample(frac=1.0, random_state=0), spec)  # row order does not matter
    ltc = out[out["unique_id"] == "LTCUSDT"].set_index("ds")
    start = pd.Timestamp("2019-06-01 06:00", tz="UTC")
    expected = _by_hand(_raw("LTCUSDT"), start, 6)
    assert ltc.loc[start, "close"] == pytest.approx(expected["close"])
    assert ltc.loc[start, "volume"] == pytest.approx(expected["volume"])
    assert set(out["ds"].dt.hour) == {0, 6, 12, 18}


@pytest.mark.parametrize(
    ("day", "first_utc", "hours"),
    [("2020-03-29", "2020-03-28 23:00", 23), ("2019-10-27", "2019-10-26 22:00", 25)],
)
def test_local_days_follow_dst(btc_raw: pd.DataFrame, day: str, first_utc: str, hours: int) -> None:
    spec = ResampleSpec(
        base_freq="h",
        freq="1D",
        timezone="Europe/Paris",
        aggregate=OHLCV,
    )
    paris = resample(_candles(btc_raw), spec).set_index("ds")
    expected = _by_hand(btc_raw, pd.Timestamp(first_utc, tz="UTC"), hours)
    got = paris.loc[pd.Timestamp(day, tz="UTC")]  # labelled by the local day
    assert got["volume"] == pytest.approx(expected["volume"])
    assert got["open"] == expected["open"] and got["close"] == expected["close"]


def test_local_days_of_the_seattle_counter() -> None:
    """Fremont counts are written in Seattle time: the 23-hour spring day sums its 23 rows;
    the autumn day lacks its repeated 1 AM hour in the file, so it is incomplete."""
    settings = load_settings(BIKES)
    spec = transform_spec("fremont", settings.datasets["fremont"])
    raw = pd.read_csv(BIKES / "data" / "FremontBridge.csv")
    clean = clean_frame(raw, spec, source="FremontBridge.csv").frame
    daily_spec = ResampleSpec(
        base_freq="h", freq="1D", timezone="America/Los_Angeles", aggregate={"total": "sum"}
    )
    daily = resample(clean[["unique_id", "ds", "total"]], daily_spec).set_index("ds")
    text = raw.rename(columns={raw.columns[1]: "total"})
    on_day = text[text["Date"].str.startswith("03/12/2023")]
    assert daily.loc[pd.Timestamp("2023-03-12", tz="UTC"), "total"] == on_day["total"].sum()
    assert on_day["total"].notna().sum() == 23
    assert pd.Timestamp("2023-11-05", tz="UTC") not in daily.index
    assert pd.Timestamp("2023-04-18", tz="UTC") not in daily.index  # an 11-hour outage
    assert pd.Timestamp("2023-11-06", tz="UTC") in daily.index


def test_duplicate_rows_are_refused(btc_raw: pd.DataFrame) -> None:
    candles = _candles(btc_raw)
    doubled = pd.concat([candles, candles.tail(1)], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"BTCUSDT.*duplicate"):
        resample(doubled, DAILY)


@pytest.mark.parametrize(
    ("base", "freq", "timezone", "message"),
    [
        ("h", "30min", "UTC", "coarser multiple"),
        ("h", "h", "UTC", "coarser multiple"),
        ("h", "90min", "UTC", "coarser multiple"),
        ("h", "6h", "Europe/Paris", "whole days"),
        ("h", "1D", "Mars/Olympus", "not an IANA zone"),
        ("h", "MS", "UTC", "not a fixed duration"),
    ],
)
def test_bad_granularities_are_config_errors(
    base: str, freq: str, timezone: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        check_granularity(base, freq, timezone=timezone)


CRYPTO_TOML = """
[datasets.candles]
source = {{ kind = "csv", path = "data/*.csv" }}
keys = ["Symbol"]
values = ["open", "close", "volume"]
freq = "h"
aggregate = {aggregate}
[forecasters.f]
dataset = "candles"
target = "close"
{forecaster}
"""


def _settings(tmp_path: Path, *, aggregate: str = "{}", forecaster: str = "") -> ConfigError:
    (tmp_path / "prevoir.toml").write_text(
        CRYPTO_TOML.format(aggregate=aggregate, forecaster=forecaster)
    )
    with pytest.raises(ConfigError) as info:
        forecaster_spec("f", load_settings(tmp_path))
    return info.value


@pytest.mark.usefixtures("no_prevoir_env")
def test_config_names_the_bad_field(tmp_path: Path) -> None:
    error = _settings(tmp_path, aggregate='{ close = "median" }', forecaster='granularity = "1D"')
    assert "datasets.candles.aggregate.close" in str(error)
    error = _settings(tmp_path, aggregate='{ high = "max" }', forecaster='granularity = "1D"')
    assert "datasets.candles" in str(error) and "'high'" in str(error)
    error = _settings(tmp_path, forecaster='granularity = "90min"')
    assert "forecasters.f.granularity" in str(error) and "multiple" in str(error)
    error = _settings(tmp_path, forecaster='granularity_timezone = "Europe/Paris"')
    assert "forecasters.f.granularity_timezone" in str(error)


@pytest.mark.usefixtures("no_prevoir_env")
def test_config_builds_the_resample_spec(tmp_path: Path) -> None:
    toml = CRYPTO_TOML.format(
        aggregate='{ open = "first", volume = "sum" }',
        forecaster='granularity = "1D"\ngranularity_timezone = "Asia/Tokyo"',
    )
    (tmp_path / "prevoir.toml").write_text(toml)
    spec = forecaster_spec("f", load_settings(tmp_path))
    assert spec.freq == "1D" and spec.resample is not None
    assert spec.resample.base_freq == "h" and spec.resample.timezone == "Asia/Tokyo"
    assert spec.resample.rule("volume") == "sum" and spec.resample.rule("close") == "mean"
    same = toml.replace('granularity = "1D"', 'granularity = "60min"').replace(
        'granularity_timezone = "Asia/Tokyo"', ""
    )
    (tmp_path / "prevoir.toml").write_text(same)
    plain = forecaster_spec("f", load_settings(tmp_path))
    assert plain.resample is None and plain.freq == "h"
