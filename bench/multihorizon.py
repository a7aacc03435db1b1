"""Direct vs recursive multi-horizon LightGBM on M4 Hourly (414 series, h = 48), with
mlforecast's recursive LightGBM as the peer, and the catch-up cost of each strategy.

Accuracy: fit on the training part, forecast 48 steps from its end, score with the official
sMAPE, MASE (m = 24) and OWA against Naive2 (``bench/m4.py``'s helpers, same features and
parameters as its ``lightgbm`` row). Catch-up: the fitted models forecast every one of the
newest 168 hours of every series as an origin (168 x 414 origins), as the predict step
does after a week without runs: direct is one model call over all (origin, step) rows,
recursive one call per step over all origins.

    python bench/multihorizon.py            # all 414 series
    python bench/multihorizon.py --quick    # 40 series, 24 catch-up origins
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean, RollingStd
from mlforecast.target_transforms import LocalStandardScaler

from m4 import H, M, load, long_frame, m4_spec
from prevoir.domain.specs import ForecasterSpec, Strategy
from prevoir.evaluation.m4 import naive2, owa, score_m4
from prevoir.models.base import Forecaster
from prevoir.models.factory import make_model

CATCHUP_ORIGINS = 168


def prevoir_spec(strategy: Strategy) -> ForecasterSpec:
    """bench/m4.py's LightGBM forecaster, direct or recursive.

    The recursive design has one row per origin (not one per origin and step), so it trains
    on every origin of the window (``train_stride = 1``) as mlforecast trains on every row.
    """
    base = m4_spec("lightgbm")
    return replace(
        base,
        name=f"m4_lightgbm_{strategy}",
        model=replace(base.model, strategy=strategy),
        train_stride=base.train_stride if strategy == "direct" else 1,
    )


def run_prevoir(
    strategy: Strategy, history: pd.DataFrame
) -> tuple[list[np.ndarray], float, Forecaster]:
    """Fit + forecast from the last training hour; (forecasts per series, seconds, model)."""
    t0 = time.perf_counter()
    model = make_model(prevoir_spec(strategy)).fit(history)
    last = history.groupby("unique_id", sort=False)["ds"].max()
    origins = pd.DataFrame({"unique_id": last.index, "origin": last.to_numpy()})
    forecasts = model.predict(history, origins)
    seconds = time.perf_counter() - t0
    wide = forecasts.pivot(index="unique_id", columns="step", values="yhat")
    return [wide.loc[uid].to_numpy(float) for uid in last.index], seconds, model


def run_mlforecast(history: pd.DataFrame) -> tuple[list[np.ndarray], float]:
    """The peer: mlforecast's recursive LightGBM, configured as its documentation shows."""
    frame = history.assign(ds=history["ds"].dt.tz_localize(None))
    t0 = time.perf_counter()
    forecaster = MLForecast(
        models={"lgbm": lgb.LGBMRegressor(n_estimators=300, n_jobs=2, verbose=-1)},
        freq="h",
        lags=[1, 24, 48, 72, 168],
        lag_transforms={1: [RollingMean(24), RollingStd(24), RollingMean(168), RollingStd(168)]},
        date_features=["hour", "dayofweek"],
        target_transforms=[LocalStandardScaler()],
    )
    forecaster.fit(frame, keep_last_n=24 * 28 + 168)
    out = forecaster.predict(H)
    seconds = time.perf_counter() - t0
    by_id = {uid: part["lgbm"].to_numpy(float) for uid, part in out.groupby("unique_id")}
    return [by_id[uid] for uid in history["unique_id"].unique()], seconds


def catchup_seconds(model: Forecaster, history: pd.DataFrame, n_origins: int) -> float:
    """Seconds to forecast 48 steps from each of the newest ``n_origins`` hours of every series."""
    last = history.groupby("unique_id", sort=False)["ds"].max()
    back = pd.to_timedelta(np.arange(n_origins), unit="h")
    origins = pd.DataFrame(
        {
            "unique_id": np.repeat(last.index.to_numpy(), n_origins),
            "origin": np.concatenate([(t - back).to_numpy() for t in last]),
        }
    )
    t0 = time.perf_counter()
    forecasts = model.predict(history, origins)
    seconds = time.perf_counter() - t0
    assert len(forecasts) == len(origins) * H
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 series, 24 catch-up origins")
    args = parser.parse_args()
    ids, series, actuals = load(40 if args.quick else None)
    n_origins = 24 if args.quick else CATCHUP_ORIGINS
    history = long_frame(ids, series)
    print(
        f"M4 Hourly: {len(ids)} series, h={H}; catch-up {n_origins} origins per series; "
        f"machine {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    reference = score_m4(series, actuals, [naive2(x, H, M) for x in series], m=M)
    rows: list[tuple[str, float, float, float, float | None]] = []
    for strategy in ("direct", "recursive"):
        forecasts, seconds, model = run_prevoir(strategy, history)  # type: ignore[arg-type]
        catchup = catchup_seconds(model, history, n_origins)
        scores = score_m4(series, actuals, forecasts, m=M)
        rows.append((f"prevoir {strategy}", *scores, seconds, catchup))
    forecasts, seconds = run_mlforecast(history)
    rows.append(("mlforecast recursive", *score_m4(series, actuals, forecasts, m=M), seconds, None))
    print(f"{'model':<24}{'sMAPE':>9}{'MASE':>9}{'OWA':>8}{'fit+h48 s':>11}{'catch-up s':>12}")
    result = [f"series={len(ids)}", f"catchup_origins={len(ids) * n_origins}"]
    for name, smape, mase, seconds, catchup in rows:
        value = owa(
            round(smape, 3),
            round(mase, 3),
            smape_naive2=round(reference[0], 3),
            mase_naive2=round(reference[1], 3),
        )
        shown = f"{catchup:>12.1f}" if catchup is not None else f"{'—':>12}"
        print(f"{name:<24}{smape:>9.3f}{mase:>9.3f}{value:>8.3f}{seconds:>11.1f}{shown}")
        key = name.replace(" ", "_")
        result.append(f"{key}_owa={value:.3f} {key}_s={seconds:.1f}")
        if catchup is not None:
            result.append(f"{key}_catchup_s={catchup:.1f}")
    print("RESULT " + " ".join(result))


if __name__ == "__main__":
    main()
