"""Prediction intervals: 95% coverage and MSIS on M4 Hourly, and what bands cost the store.

Part 1, accuracy: M4 Hourly (414 series, h = 48) scored as the M4 competition scored its
95% intervals: coverage (share of the 48 x 414 test values inside the band) and MSIS (mean
over series of the interval score over the in-sample seasonal MAE, m = 24; lower is
better). prevoir's conformal LightGBM and seasonal naive run through ``make_model`` as the
pipeline does; the peers are mlforecast's LightGBM with its own conformal intervals
(``PredictionIntervals(n_windows, h=48)``: its default 2 windows, and 4 windows = the same
calibration span as prevoir's default) and statsforecast's SeasonalNaive with native
intervals, called directly.

Part 2, storage: rows/s of ``upsert_forecasts`` for 24 steps x many origins, with no band
and with 80 + 95% bands, on SQLite and PostgreSQL (skipped when unreachable).

    python bench/intervals.py            # all 414 series, 1 M forecast rows
    python bench/intervals.py --quick    # 40 series, 100 k rows
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import replace

import lightgbm as lgb
import numpy as np
import pandas as pd
import sqlalchemy as sa

from m4 import FEATURES, H, M, load, long_frame, m4_spec
from prevoir.domain.specs import IntervalSpec
from prevoir.errors import StoreError
from prevoir.evaluation.metrics import coverage_terms, interval_score_terms, mase_scale
from prevoir.models.factory import make_model
from prevoir.storage.engine import create_store_engine, upgrade_schema
from prevoir.storage.forecasts import upsert_forecasts

LEVEL = 95
PG_URL = os.environ.get("PREVOIR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def score(
    series: list[np.ndarray], actuals: list[np.ndarray], bands: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[float, float]:
    """(coverage, MSIS) at ``LEVEL`` over every series, M4 style."""
    covered, msis = [], []
    for x, y, (lo, hi) in zip(series, actuals, bands, strict=True):
        covered.append(coverage_terms(y, lo, hi))
        msis.append(np.mean(interval_score_terms(y, lo, hi, LEVEL)) / mase_scale(x, M))
    return float(np.nanmean(np.concatenate(covered))), float(np.nanmean(msis))


def run_prevoir(kind: str, history: pd.DataFrame) -> tuple[list[tuple[np.ndarray, ...]], float]:
    spec = m4_spec(kind)
    spec = replace(spec, intervals=IntervalSpec(levels=(LEVEL,), method="conformal"))
    t0 = time.perf_counter()
    model = make_model(spec).fit(history)
    last = history.groupby("unique_id", sort=False)["ds"].max()
    forecasts = model.predict(history, pd.DataFrame({"unique_id": last.index, "origin": last}))
    seconds = time.perf_counter() - t0
    by_id = {uid: part.sort_values("step") for uid, part in forecasts.groupby("unique_id")}
    cols = (f"yhat_lo_{LEVEL}", f"yhat_hi_{LEVEL}")
    return [tuple(by_id[u][c].to_numpy(float) for c in cols) for u in last.index], seconds


def run_mlforecast(
    history: pd.DataFrame, n_windows: int
) -> tuple[list[tuple[np.ndarray, ...]], float]:
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.utils import PredictionIntervals

    frame = history.assign(ds=history["ds"].dt.tz_localize(None))
    t0 = time.perf_counter()
    fcst = MLForecast(
        models={"lgb": lgb.LGBMRegressor(n_estimators=300, verbose=-1, num_threads=2)},
        freq="h",
        lags=list(FEATURES.lags),
        lag_transforms={1: [RollingMean(24), RollingMean(168)]},
        date_features=["hour", "dayofweek"],
    )
    fcst.fit(frame, prediction_intervals=PredictionIntervals(n_windows=n_windows, h=H))
    out = fcst.predict(H, level=[LEVEL])
    seconds = time.perf_counter() - t0
    return _bands(out, history["unique_id"].unique(), "lgb"), seconds


def run_statsforecast(history: pd.DataFrame) -> tuple[list[tuple[np.ndarray, ...]], float]:
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    frame = history.assign(ds=history["ds"].dt.tz_localize(None))
    t0 = time.perf_counter()
    sf = StatsForecast(models=[SeasonalNaive(season_length=M)], freq="h", n_jobs=1)
    out = sf.forecast(df=frame, h=H, level=[LEVEL])
    seconds = time.perf_counter() - t0
    return _bands(out, history["unique_id"].unique(), "SeasonalNaive"), seconds


def _bands(out: pd.DataFrame, ids: np.ndarray, model: str) -> list[tuple[np.ndarray, ...]]:
    """Nixtla's ``<model>-lo-<level>``/``-hi-`` columns, per series in ``ids`` order."""
    by_id = dict(list(out.groupby("unique_id")))
    cols = (f"{model}-lo-{LEVEL}", f"{model}-hi-{LEVEL}")
    return [tuple(by_id[u][c].to_numpy(float) for c in cols) for u in ids]


def accuracy(n_series: int | None) -> dict[str, tuple[float, float, float]]:
    ids, series, actuals = load(n_series)
    history = long_frame(ids, series)
    runs = {
        "prevoir lightgbm (conformal)": lambda: run_prevoir("lightgbm", history),
        "prevoir seasonal_naive (conformal)": lambda: run_prevoir("seasonal_naive", history),
        "mlforecast lightgbm (conformal, 2 windows)": lambda: run_mlforecast(history, 2),
        "mlforecast lightgbm (conformal, 4 windows)": lambda: run_mlforecast(history, 4),
        "statsforecast SeasonalNaive (native)": lambda: run_statsforecast(history),
    }
    results = {}
    for name, run in runs.items():
        bands, seconds = run()
        cov, msis = score(series, actuals, bands)  # type: ignore[arg-type]
        results[name] = (cov, msis, seconds)
        print(f"{name:<44} coverage {cov:6.3f}  MSIS {msis:7.2f}  {seconds:7.1f} s", flush=True)
    return results


def forecast_rows(n_rows: int, levels: tuple[int, ...]) -> pd.DataFrame:
    """``n_rows`` forecasts: 100 series x origins x 24 steps, bands at ``levels``."""
    steps, n_series = 24, 100
    n_origins = max(n_rows // (steps * n_series), 1)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    origin = start + pd.to_timedelta(np.tile(np.repeat(np.arange(n_origins), steps), n_series), "h")
    step = np.tile(np.arange(1, steps + 1), n_origins * n_series)
    yhat = np.random.default_rng(0).normal(100.0, 10.0, len(step))
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i}" for i in range(n_series)], n_origins * steps),
            "origin": origin,
            "ds": origin + pd.to_timedelta(step, "h"),
            "step": step,
            "yhat": yhat,
        }
    )
    for level in levels:
        half = level / 10.0 * np.sqrt(step)
        frame[f"yhat_lo_{level}"], frame[f"yhat_hi_{level}"] = yhat - half, yhat + half
    return frame


def storage(n_rows: int) -> dict[str, float]:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        urls = {"sqlite": f"sqlite:///{folder}/bench.db", "postgresql": PG_URL}
        for backend, url in urls.items():
            try:
                engine = create_store_engine(url)
            except StoreError as exc:
                print(f"{backend}: skipped ({exc})")
                continue
            upgrade_schema(engine)
            for label, levels in (("no bands", ()), ("80+95 bands", (80, 95))):
                frame = forecast_rows(n_rows, levels)
                name = f"bench_{label.replace(' ', '_').replace('+', '_')}"
                with engine.begin() as conn:
                    conn.execute(
                        sa.text("DELETE FROM forecasts WHERE forecaster = :f"), {"f": name}
                    )
                t0 = time.perf_counter()
                with engine.begin() as conn:
                    upsert_forecasts(conn, name, frame, model_version_id=None, run_id=None)
                rate = len(frame) / (time.perf_counter() - t0)
                results[f"{backend} {label}"] = rate
                print(f"{backend:<11} {label:<12} {len(frame):>9,} rows  {rate:>11,.0f} rows/s")
                with engine.begin() as conn:
                    conn.execute(
                        sa.text("DELETE FROM forecasts WHERE forecaster = :f"), {"f": name}
                    )
            engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 series, 100 k rows")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"== M4 Hourly, {LEVEL}% intervals ==")
    acc = accuracy(40 if args.quick else None)
    print("== forecast writes ==")
    rates = storage(100_000 if args.quick else 1_000_000)
    keys = {
        "prevoir lightgbm (conformal)": "lgb",
        "prevoir seasonal_naive (conformal)": "snaive",
        "mlforecast lightgbm (conformal, 2 windows)": "mlf_lgb",
        "mlforecast lightgbm (conformal, 4 windows)": "mlf4_lgb",
        "statsforecast SeasonalNaive (native)": "sf_snaive",
    }
    parts = [f"{keys[k]}_coverage={v[0]:.3f} {keys[k]}_msis={v[1]:.2f}" for k, v in acc.items()]
    parts += [f"{k.replace(' ', '_').replace('+', '_')}={v:.0f}" for k, v in rates.items()]
    print("RESULT " + " ".join(parts))


if __name__ == "__main__":
    main()
