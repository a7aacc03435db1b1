"""Interval accuracy: coverage and interval score, in the backtest on real data, and config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.specs import BacktestSpec, IntervalSpec
from prevoir.errors import ConfigError
from prevoir.evaluation.backtest import backtest
from prevoir.evaluation.metrics import coverage_terms, interval_score_terms
from prevoir.models import make_model
from prevoir.testing import make_spec
from tests.configs import DATASET_A_FORECASTER_F

CRYPTO = Path(__file__).parents[2] / "src/prevoir/examples/crypto/data"


def test_interval_score_is_width_plus_scaled_miss() -> None:
    y = [5.0, 0.0, 12.0, np.nan]
    lo = [4.0, 1.0, 8.0, 0.0]
    hi = [6.0, 3.0, 10.0, 1.0]
    # alpha = 0.2 at 80%: a miss costs 2 / 0.2 = 10 per unit outside
    scores = interval_score_terms(y, lo, hi, 80)
    assert scores[:3].tolist() == [2.0, 2.0 + 10.0 * 1.0, 2.0 + 10.0 * 2.0]
    assert np.isnan(scores[3])
    with pytest.raises(ValueError, match="percentage"):
        interval_score_terms(y, lo, hi, 100)


def test_coverage_terms_count_bounds_as_inside() -> None:
    terms = coverage_terms([1.0, 2.0, 3.5, np.nan, 1.0], [1.0, 0.0, 0.0, 0.0, np.nan], [2.0] * 5)
    assert terms[:3].tolist() == [1.0, 1.0, 0.0]
    assert np.isnan(terms[3:]).all()


def _crypto_closes() -> pd.DataFrame:
    frames = []
    for path in sorted(CRYPTO.glob("Binance_*_1h.csv")):
        raw = pd.read_csv(path, skiprows=1, usecols=["Unix Timestamp", "Symbol", "Close"])
        ds = pd.to_datetime(raw["Unix Timestamp"], unit="s", utc=True)
        frames.append(pd.DataFrame({"unique_id": raw["Symbol"], "ds": ds, "y": raw["Close"]}))
    history = pd.concat(frames).drop_duplicates(["unique_id", "ds"])
    return history.sort_values(["unique_id", "ds"], ignore_index=True)


def test_conformal_coverage_on_the_crypto_backtest_is_near_nominal() -> None:
    """Hourly closes of BTC, ETH, LTC; last-value forecast with conformal bands, 100 daily folds.

    Scored rows: 100 folds x 3 pairs x 4 steps = 1200, but rows of one fold and pair share
    the same shock, so about 300 are independent: the binomial standard error of an 80%
    coverage is then sqrt(0.8 x 0.2 / 300) = 0.023, and three of them span 0.73..0.87.
    Conformal coverage is guaranteed only for exchangeable residuals; crypto volatility
    comes in regimes, which costs a few points when a calm calibration window precedes a
    turbulent day, so the lower bounds get 3 points more slack: 80% in [0.70, 0.90], 95% in
    [0.88, 0.99]. A bug that drops the finite-sample rank, mixes steps or series, or
    calibrates in-sample lands far outside (in-sample residuals of a last-value forecast at
    step 1 are ~0 wide).
    """
    spec = replace(
        make_spec("seasonal_naive", horizons=(1, 6, 12, 24), season_length=1),
        intervals=IntervalSpec(levels=(80, 95)),
        backtest=BacktestSpec(folds=100, step=24),
    )
    result = backtest(make_model, _crypto_closes(), spec)
    metrics = result.metrics
    assert metrics["n"] == 100 * 3 * 4
    assert 0.70 <= metrics["coverage_80"] <= 0.90
    assert 0.88 <= metrics["coverage_95"] <= 0.99
    assert metrics["coverage_95"] > metrics["coverage_80"]
    assert 0 < metrics["msis_80"] < metrics["msis_95"]  # the 95% score penalises harder
    assert {"coverage_80", "msis_95"} <= set(result.to_dict()["by_step"][0])
    assert {"yhat_lo_80", "yhat_hi_95"} <= set(result.forecasts.columns)


def test_backtest_without_intervals_reports_no_interval_metrics() -> None:
    spec = replace(
        make_spec("seasonal_naive", horizons=(1, 24), season_length=1),
        backtest=BacktestSpec(folds=2, step=24),
    )
    result = backtest(make_model, _crypto_closes(), spec)
    assert not [k for k in result.metrics if k.startswith(("coverage", "msis"))]


def _project(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "prevoir.toml").write_text(DATASET_A_FORECASTER_F + extra)
    return tmp_path


def test_intervals_config_becomes_the_spec(tmp_path: Path, no_prevoir_env: None) -> None:
    project = _project(tmp_path, 'intervals = { levels = [95, 80, 95], method = "conformal" }\n')
    spec = forecaster_spec("f", load_settings(project))
    assert spec.intervals == IntervalSpec(levels=(80, 95), method="conformal", windows=4)
    plain = forecaster_spec("f", load_settings(_project(tmp_path, "")))
    assert plain.intervals.levels == ()  # default: point forecasts only


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("intervals = { levels = [80, 100] }\n", r"forecasters\.f\.intervals\.levels.*1 and 99"),
        ('intervals = { method = "bootstrap" }\n', r"forecasters\.f\.intervals\.method"),
        ("intervals = { windows = 0 }\n", r"forecasters\.f\.intervals\.windows"),
        ("intervals = { level = [80] }\n", r"unknown key `forecasters\.f\.intervals\.level`"),
    ],
)
def test_bad_intervals_config_names_the_key(
    tmp_path: Path, no_prevoir_env: None, extra: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_project(tmp_path, extra))
