"""Classification forecasters on real hourly crypto candles: "will the close in h hours be
above this close?", scored on the same backtest rows as two peers.

prevoir's LightGBM, XGBoost and RandomForest classifiers (global, lag/rolling/calendar
features, ``classification_backtest``: a fresh model per fold, every origin up to the next
cut-off) against (1) the base rate: the share of "up" moves per step before the cut-off, the
reference of the Brier skill score, and (2) the glue script people write by hand: a
scikit-learn logistic regression per step on past log returns and the hour of day, refit at
every cut-off. Data: Binance BTC, ETH, LTC, NEO hourly closes from ``../shared/data``.

    python bench/classify.py            # 4 pairs, 20 folds of 24 origins, horizons 1/6/12/24
    python bench/classify.py --quick    # 2 pairs, 4 folds
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from prevoir.domain.specs import (
    BacktestSpec,
    FeatureSpec,
    ForecasterSpec,
    LabelSpec,
    ModelKind,
    ModelSpec,
)
from prevoir.evaluation.classification import classification_backtest, classification_metrics
from prevoir.models.factory import make_model
from prevoir.testing import binance_closes

SHARED = next(p / "shared" / "data" for p in Path(__file__).parents if (p / "shared").is_dir())
HOURLY = SHARED / "crypto_binance_ohlcv" / "hourly"
HORIZONS = (1, 6, 12, 24)
RETURNS = (1, 2, 3, 6, 12, 24)
# One thread per model: the benchmark machine is shared, and OpenMP threads spinning against
# other processes made a 5 s LightGBM backtest take 200 s; the logistic peer is single-threaded.
MODELS: dict[str, tuple[ModelKind, dict[str, object]]] = {
    "lightgbm": (
        "lightgbm",
        {"n_estimators": 200, "learning_rate": 0.03, "num_leaves": 15, "min_data_in_leaf": 200},
    ),
    # the crypto example's close_up_1h: fewer, smaller, regularised trees (better calibrated)
    "lightgbm_example": (
        "lightgbm",
        {
            "n_estimators": 100,
            "learning_rate": 0.02,
            "num_leaves": 7,
            "min_data_in_leaf": 1000,
            "feature_fraction": 0.5,
            "lambda_l2": 10.0,
        },
    ),
    "xgboost": (
        "xgboost",
        {"n_estimators": 200, "learning_rate": 0.03, "max_depth": 4, "min_child_weight": 50},
    ),
    "random_forest": (
        "random_forest",
        {"n_estimators": 100, "min_samples_leaf": 100, "max_samples": 0.3},
    ),
}


def spec_for(name: str, *, folds: int, window: int) -> ForecasterSpec:
    kind, params = MODELS[name]
    return ForecasterSpec(
        name=f"close_up_{name}",
        dataset="candles",
        target="close",
        freq="h",
        horizons=HORIZONS,
        features=FeatureSpec(
            lags=(1, 2, 3, 6, 12, 24, 168),
            rolling=(6, 24, 168),
            calendar=("hour", "dayofweek"),
            cyclic=("hour",),
        ),
        model=ModelSpec(kind=kind, params=params | {"n_jobs": 1}),
        backtest=BacktestSpec(folds=folds, step=24),
        train_window=window,
        task="classification",
        label=LabelSpec(rule="up"),
    )


def peer_probabilities(
    closes: pd.DataFrame, rows: pd.DataFrame, cutoffs: tuple[pd.Timestamp, ...], window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Base rate and logistic-regression probabilities for each backtest row."""
    wide = closes.pivot(index="ds", columns="unique_id", values="y").asfreq("h")
    log = np.log(wide)
    parts = {f"r{k}": log - log.shift(k) for k in RETURNS}
    hour = wide.index.hour.to_numpy()
    features = pd.concat(parts, axis=1).stack(level=1, future_stack=True)
    features.index = features.index.set_names(["ds", "unique_id"])
    features["hour_sin"] = np.sin(2 * np.pi * np.repeat(hour, wide.shape[1]) / 24)
    features["hour_cos"] = np.cos(2 * np.pi * np.repeat(hour, wide.shape[1]) / 24)
    base = np.full(len(rows), np.nan)
    logistic = np.full(len(rows), np.nan)
    ds = features.index.get_level_values("ds")
    moves = {}
    for step in HORIZONS:
        ahead = (log.shift(-step) - log).stack(future_stack=True)
        moves[step] = ahead.reindex(features.index)
    for fold, cutoff in enumerate(cutoffs):
        for step in HORIZONS:
            ahead = moves[step]
            usable = (ds + pd.Timedelta(hours=step) <= cutoff) & (
                ds > cutoff - pd.Timedelta(hours=window)
            )
            train = features[usable].assign(up=(ahead[usable] > 0).astype(int))
            train = train[ahead[usable].notna().to_numpy()].dropna()
            mine = ((rows["fold"] == fold) & (rows["step"] == step)).to_numpy()
            keys = pd.MultiIndex.from_arrays(
                [rows.loc[mine, "origin"], rows.loc[mine, "unique_id"]]
            )
            x = features.reindex(keys).fillna(0.0).to_numpy()
            model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))
            model.fit(train.drop(columns="up").to_numpy(), train["up"].to_numpy())
            logistic[mine] = model.predict_proba(x)[:, 1]
            base[mine] = train["up"].mean()
    return base, logistic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 pairs, 4 folds")
    args = parser.parse_args()
    pairs = ["BTCUSDT", "ETHUSDT"] if args.quick else ["BTCUSDT", "ETHUSDT", "LTCUSDT", "NEOUSDT"]
    folds, window = (4, 720) if args.quick else (20, 2160)
    closes = binance_closes(HOURLY, pairs, fill="ffill", since="2019-09-01")
    scores: dict[str, dict[str, float]] = {}
    result = None
    for name in MODELS:
        t0 = time.perf_counter()
        spec = spec_for(name, folds=folds, window=window)
        result = classification_backtest(make_model, closes, spec)
        seconds = time.perf_counter() - t0
        scores[name] = result.metrics | {"seconds": seconds}
    assert result is not None
    rows = result.forecasts.reset_index(drop=True)
    t0 = time.perf_counter()
    base, logistic = peer_probabilities(closes, rows, result.cutoffs, window)
    seconds = time.perf_counter() - t0
    label = rows["label"].to_numpy()
    scores["base rate"] = classification_metrics(label, base) | {"seconds": float("nan")}
    scores["logistic glue"] = classification_metrics(label, logistic) | {"seconds": seconds}
    reference = scores["base rate"]["brier"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; pairs {','.join(pairs)}; {folds} folds x 24 "
        f"origins; horizons {HORIZONS}; train window {window} h; "
        f"scored rows {int(scores['lightgbm']['n'])}"
    )
    header = ["model", "accuracy", "f1", "roc_auc", "log_loss", "brier", "brier_skill", "seconds"]
    print(f"{header[0]:>18}" + "".join(f"{h:>14}" for h in header[1:]))
    for name, m in scores.items():
        skill = 1 - m["brier"] / reference
        values = [
            m["accuracy"],
            m["f1"],
            m["roc_auc"],
            m["log_loss"],
            m["brier"],
            skill,
            m["seconds"],
        ]
        print(f"{name:>18}" + "".join(f"{v:>14.4f}" for v in values))
    best = min(MODELS, key=lambda k: scores[k]["brier"])
    fields = " ".join(
        f"{k.replace(' ', '_')}_auc={m['roc_auc']:.4f} {k.replace(' ', '_')}_brier={m['brier']:.4f}"
        for k, m in scores.items()
    )
    print(f"RESULT rows={int(scores['lightgbm']['n'])} best={best} {fields}")


if __name__ == "__main__":
    main()
