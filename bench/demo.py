"""Wall time of every step of the bikes demo (profiles dev and prod), next to the glue
script users write by hand for the same job.

The peer is the classic hourly cron script: read the CSV with pandas, replace a SQLite table
with ``DataFrame.to_sql``, then for each of the last 24 hours refit a LightGBM model on lag
and calendar features and predict the next 24 hours. prevoir does the same job (plus
validation, backtest, plots and versioning) with one fit and catch-up prediction.

    python bench/demo.py            # dev and prod
    python bench/demo.py --quick    # dev only
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from prevoir.config import load_settings
from prevoir.workflows import init_project, open_project, run_pipeline

ORIGINS = 24
GLUE_PARAMS = {"learning_rate": 0.05, "num_leaves": 63, "num_threads": 2, "verbose": -1}
HORIZON = 24


def time_prevoir(profile: str, folder: Path) -> dict[str, float]:
    """Seconds per step of one full run of the bikes example on a fresh SQLite store."""
    project = folder / f"bikes-{profile}"
    init_project(project, example="bikes", force=True)
    settings = load_settings(project, profile=profile)
    t0 = time.perf_counter()
    with open_project(settings, migrate=True) as opened:
        summary = run_pipeline(opened)
    total = time.perf_counter() - t0
    if summary.status != "succeeded":
        raise SystemExit(f"prevoir run failed: {summary.error}")
    timings = {record.name: record.duration_s for record in summary.steps}
    return timings | {"total": total}


def time_glue_script(folder: Path) -> dict[str, float]:
    """The hand-made equivalent: to_sql, then refit LightGBM for each of the last 24 hours."""
    project = folder / "bikes-glue"
    init_project(project, example="bikes", force=True)
    t0 = time.perf_counter()
    raw = pd.read_csv(project / "data" / "FremontBridge.csv")
    raw.columns = ["ds", "total", "west", "east"]
    raw["ds"] = pd.to_datetime(raw["ds"], format="%m/%d/%Y %I:%M:%S %p")
    raw = raw.sort_values("ds").drop_duplicates("ds")
    with sqlite3.connect(project / "glue.db") as conn:
        raw.to_sql("counts", conn, if_exists="replace", index=False)
    t_load = time.perf_counter()
    y = raw.set_index("ds")["total"].asfreq("h")
    frame = pd.DataFrame({"y": y})
    for lag in (24, 48, 168):
        frame[f"lag_{lag}"] = y.shift(lag)
    frame["hour"] = frame.index.hour
    frame["dow"] = frame.index.day_of_week
    frame = frame.dropna(subset=["lag_168"])
    for origin in frame.index[-ORIGINS - HORIZON : -HORIZON]:
        train = frame.loc[:origin].dropna(subset=["y"])
        data = lgb.Dataset(train.drop(columns="y"), train["y"])
        model = lgb.train(GLUE_PARAMS, data, num_boost_round=300)
        future = frame.loc[origin:].iloc[1 : HORIZON + 1].drop(columns="y")
        model.predict(future)
    t_end = time.perf_counter()
    return {"load": t_load - t0, "refit+predict": t_end - t_load, "total": t_end - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="dev profile only")
    args = parser.parse_args()
    profiles = ["dev"] if args.quick else ["dev", "prod"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {profile: time_prevoir(profile, folder) for profile in profiles}
        glue = time_glue_script(folder)
    steps = ["extract", "transform", "load", "features", "train", "evaluate", "predict", "total"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}"
    )
    print(f"{'step':<12}" + "".join(f"{p:>12}" for p in profiles))
    for step in steps:
        print(f"{step:<12}" + "".join(f"{results[p].get(step, np.nan):>12.2f}" for p in profiles))
    print(
        f"glue script (to_sql + refit LightGBM at each of {ORIGINS} origins): "
        f"load {glue['load']:.2f}s, refit+predict {glue['refit+predict']:.2f}s, "
        f"total {glue['total']:.2f}s"
    )
    # like for like: producing the 24 origins' forecasts from the loaded data
    last = profiles[-1]
    fit_predict = results[last]["train"] + results[last]["predict"]
    ratio = glue["refit+predict"] / fit_predict
    print(
        f"forecasts for {ORIGINS} origins x {HORIZON} h: prevoir {last} train+predict "
        f"{fit_predict:.2f}s vs glue refit+predict {glue['refit+predict']:.2f}s "
        f"-> prevoir {ratio:.1f}x faster"
    )
    fields = " ".join(f"{p}_total_s={results[p]['total']:.2f}" for p in profiles)
    print(
        f"RESULT {fields} {last}_train_predict_s={fit_predict:.2f} "
        f"glue_refit_predict_s={glue['refit+predict']:.2f} speedup_vs_glue={ratio:.2f}"
    )


if __name__ == "__main__":
    main()
