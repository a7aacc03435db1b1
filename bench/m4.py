"""M4 Hourly (414 series, h = 48), scored with the official sMAPE, MASE (m = 24) and OWA.

Every prevoir model family runs through the same Forecaster contract the pipeline uses
(fit on the training part, forecast 48 steps from the last training time); the peers a
user would otherwise pick run beside them in the same process: statsforecast's AutoETS and
MSTL called directly. Naive2 (the OWA reference) is recomputed and must give OWA 1.000.

Threads: every model gets ``--threads`` (default: the cores this process may use) — prevoir
through the forecaster's ``threads``, statsforecast as ``n_jobs`` worker processes. prevoir's
statsforecast kinds (``auto_ets``, ``auto_arima``, ``auto_theta``, ``mstl``) fit one series
after another in this process, so they use one core whatever ``--threads`` says.
First-run cost is reported, not hidden: before a statsforecast model's timed run, a warm-up
fit + forecast of the same model on one short series runs in this process and its seconds
are the ``jit s`` column (``<model>_jit_s`` in the RESULT line). statsforecast 1.x compiled
its models with numba on first use (seconds per model); 2.x ships compiled C++, so the
warm-up then measures only first-call set-up.

    python bench/m4.py             # all 414 series
    python bench/m4.py --quick     # the first 40 series, fast models only
    python bench/m4.py --models seasonal_naive lightgbm
    python bench/m4.py --models auto ensemble   # the default model and an explicit ensemble
    python bench/m4.py --models random_forest auto_ets auto_arima auto_theta mstl
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prevoir.domain.specs import FeatureSpec, ForecasterSpec, ModelSpec
from prevoir.evaluation.m4 import naive2, owa, score_m4
from prevoir.models.factory import make_model

M4 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "m4"
H = 48
M = 24
START = pd.Timestamp("2000-01-01", tz="UTC")  # M4 gives no dates: a common fake start


def load(n_series: int | None) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Series ids, training arrays and the 48 test values of M4 Hourly."""
    train = pd.read_csv(M4 / "Hourly-train.csv", index_col="V1")
    test = pd.read_csv(M4 / "Hourly-test.csv", index_col="V1")
    if n_series is not None:
        train, test = train.iloc[:n_series], test.iloc[:n_series]
    ids = list(train.index)
    series = [row.dropna().to_numpy(float) for _, row in train.iterrows()]
    actuals = [row.to_numpy(float) for _, row in test.iterrows()]
    return ids, series, actuals


def long_frame(ids: list[str], series: list[np.ndarray]) -> pd.DataFrame:
    """``unique_id, ds, y`` with every series ending at the same fake hour."""
    longest = max(len(x) for x in series)
    frames = []
    for uid, x in zip(ids, series, strict=True):
        offset = longest - len(x)
        ds = START + pd.to_timedelta(np.arange(offset, offset + len(x)), unit="h")
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": x}))
    return pd.concat(frames, ignore_index=True)


SPECS: dict[str, ModelSpec] = {
    "seasonal_naive": ModelSpec(kind="seasonal_naive", season_length=M),
    "lightgbm": ModelSpec(kind="lightgbm", season_length=M, params={"n_estimators": 300}),
    "xgboost": ModelSpec(kind="xgboost", season_length=M),
    # the default model: for hourly data the median of LightGBM, XGBoost and seasonal naive
    "auto": ModelSpec(kind="auto", season_length=M),
    # an explicit ensemble: the mean of the two boosters (auto's first rule, measured worse)
    "ensemble": ModelSpec(
        kind="ensemble",
        season_length=M,
        members=(
            ModelSpec(kind="lightgbm", season_length=M),
            ModelSpec(kind="xgboost", season_length=M),
        ),
    ),
    # scikit-learn's forest, bounded so it fits in minutes on 2 cores: 100 trees of depth
    # at most 16, each grown on a 10 % bootstrap sample of the training rows
    "random_forest": ModelSpec(
        kind="random_forest",
        season_length=M,
        params={"n_estimators": 100, "max_depth": 16, "max_samples": 0.1},
    ),
    # prevoir's statsforecast kinds: one model per series, library defaults, m = 24
    "auto_ets": ModelSpec(kind="auto_ets", season_length=M),
    "auto_arima": ModelSpec(kind="auto_arima", season_length=M),
    "auto_theta": ModelSpec(kind="auto_theta", season_length=M),
    "mstl": ModelSpec(kind="mstl", season_length=M, params={"seasonalities": [M, 7 * M]}),
}
# kinds fitted on each series' whole history, as the statsforecast peers are; the ML kinds
# train on the newest 28 days (every 6th origin), which bounds their design matrix
LOCAL_KINDS = ("auto_ets", "auto_arima", "auto_theta", "mstl")
FEATURES = FeatureSpec(
    lags=(24, 48, 72, 168),
    rolling=(24, 168),
    calendar=("hour", "dayofweek"),
    cyclic=("hour",),
)


Run = tuple[list[np.ndarray], float, float | None]  # forecasts per series, seconds, warm-up s


def m4_spec(kind: str, threads: int | None = None) -> ForecasterSpec:
    """The forecaster spec every M4 Hourly run of ``kind`` uses (also ``bench/intervals.py``)."""
    return ForecasterSpec(
        name=f"m4_{kind}",
        dataset="m4",
        target="y",
        freq="h",
        horizons=tuple(range(1, H + 1)),
        features=FEATURES,
        model=SPECS[kind],
        train_window=None if kind in LOCAL_KINDS else 24 * 28,
        train_stride=6,
        threads=threads,
    )


def run_prevoir(kind: str, history: pd.DataFrame, threads: int) -> Run:
    """Fit + forecast with a prevoir model; no warm-up (no JIT on these paths)."""
    spec = m4_spec(kind, threads)
    t0 = time.perf_counter()
    model = make_model(spec).fit(history)
    last = history.groupby("unique_id", sort=False)["ds"].max()
    origins = pd.DataFrame({"unique_id": last.index, "origin": last.to_numpy()})
    forecasts = model.predict(history, origins)
    seconds = time.perf_counter() - t0
    wide = forecasts.pivot(index="unique_id", columns="step", values="yhat")
    return [wide.loc[uid].to_numpy(float) for uid in last.index], seconds, None


def statsforecast_model(name: str) -> Any:
    from statsforecast.models import MSTL, AutoETS

    if name == "sf_autoets":
        return AutoETS(season_length=M)
    return MSTL(season_length=[24, 168])


def run_statsforecast(name: str, history: pd.DataFrame, threads: int) -> Run:
    """The peer: statsforecast called directly, as its documentation shows."""
    from statsforecast import StatsForecast

    frame = history.assign(ds=history["ds"].dt.tz_localize(None))
    t0 = time.perf_counter()  # warm-up: one short series, in this process
    first = frame[frame["unique_id"] == frame["unique_id"].iloc[0]].tail(24 * 21)
    StatsForecast(models=[statsforecast_model(name)], freq="h", n_jobs=1).forecast(df=first, h=H)
    warm_up = time.perf_counter() - t0
    t0 = time.perf_counter()
    sf = StatsForecast(models=[statsforecast_model(name)], freq="h", n_jobs=threads)
    out = sf.forecast(df=frame, h=H)
    seconds = time.perf_counter() - t0
    column = next(c for c in out.columns if c not in ("unique_id", "ds"))
    by_id = {uid: part[column].to_numpy(float) for uid, part in out.groupby("unique_id")}
    return [by_id[uid] for uid in history["unique_id"].unique()], seconds, warm_up


RUNNERS: dict[str, Callable[[str, pd.DataFrame, int], Run]] = {
    "seasonal_naive": run_prevoir,
    "lightgbm": run_prevoir,
    "xgboost": run_prevoir,
    "auto": run_prevoir,
    "ensemble": run_prevoir,
    "random_forest": run_prevoir,
    "auto_ets": run_prevoir,
    "auto_arima": run_prevoir,
    "auto_theta": run_prevoir,
    "mstl": run_prevoir,
    "sf_autoets": run_statsforecast,
    "sf_mstl": run_statsforecast,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 series, fast models")
    parser.add_argument("--models", nargs="*", default=None, choices=sorted(RUNNERS))
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    n_series = 40 if args.quick else None
    # auto_arima (statsforecast's stepwise search with m = 24) did not finish 40 series in
    # 15 minutes on 2 cores: asked for by name only, not part of the default run
    default = [name for name in RUNNERS if name != "auto_arima"]
    models = args.models or (["seasonal_naive", "lightgbm"] if args.quick else default)
    ids, series, actuals = load(n_series)
    history = long_frame(ids, series)
    print(
        f"M4 Hourly: {len(ids)} series, h={H}; machine {platform.machine()}, "
        f"{os.cpu_count()} cores, {args.threads} thread(s), python {platform.python_version()}"
    )
    rows = []
    naive2_forecasts = [naive2(x, H, M) for x in series]
    reference = score_m4(series, actuals, naive2_forecasts, m=M)
    rows: list[tuple[str, float, float, float, float | None]] = [
        ("naive2 (reference)", *reference, 0.0, None)
    ]
    for name in models:
        forecasts, seconds, warm_up = RUNNERS[name](name, history, args.threads)
        rows.append((name, *score_m4(series, actuals, forecasts, m=M), seconds, warm_up))
    # OWA against Naive2 on the same series: on the full set this is M4's 18.383 / 2.395
    naive2_scores = {"smape_naive2": round(reference[0], 3), "mase_naive2": round(reference[1], 3)}
    print(f"{'model':<22}{'sMAPE':>9}{'MASE':>9}{'OWA':>8}{'seconds':>10}{'jit s':>8}")
    result = []
    for name, s, m, seconds, warm_up in rows:
        value = owa(round(s, 3), round(m, 3), **naive2_scores)
        jit = "" if warm_up is None else f"{warm_up:>8.2f}"
        print(f"{name:<22}{s:>9.3f}{m:>9.3f}{value:>8.3f}{seconds:>10.1f}{jit}")
        key = name.split(" ")[0]
        result.append(f"{key}_owa={value:.3f} {key}_s={seconds:.1f}")
        if warm_up is not None:
            result.append(f"{key}_jit_s={warm_up:.2f}")
    print(f"RESULT series={len(ids)} " + " ".join(result))


if __name__ == "__main__":
    main()
