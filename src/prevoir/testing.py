"""Synthetic panels for fast tests and examples: no files, no network, fully reproducible.

Real data belongs in the tests that depend on real quirks; these series only need a known
shape (trend, one seasonality, noise) so that a model's behaviour can be asserted.
``binance_closes`` reads the real hourly Binance candles for the tests and benchmarks that
need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, UNIQUE_ID, Y
from prevoir.domain.datasets import FillRule, TimeSpec, TransformSpec
from prevoir.domain.specs import FeatureSpec, ForecasterSpec, ModelKind, ModelScope, ModelSpec
from prevoir.ingest.files import read_files
from prevoir.ingest.transform import clean_frame

__all__ = [
    "FAST_LIGHTGBM",
    "FAST_PARAMS",
    "FAST_RANDOM_FOREST",
    "FAST_XGBOOST",
    "binance_closes",
    "make_series",
    "make_spec",
]

# Small enough to fit a test panel in well under a second on two cores.
FAST_LIGHTGBM: dict[str, object] = {
    "n_estimators": 60,
    "learning_rate": 0.1,
    "num_leaves": 15,
}
FAST_XGBOOST: dict[str, object] = {"n_estimators": 40, "learning_rate": 0.15, "max_depth": 5}
FAST_RANDOM_FOREST: dict[str, object] = {"n_estimators": 12, "max_depth": 8, "max_samples": 0.3}
# Test parameters per model kind; ``make_spec`` uses them when no params are given.
FAST_PARAMS: dict[str, dict[str, object]] = {
    "lightgbm": FAST_LIGHTGBM,
    "xgboost": FAST_XGBOOST,
    "random_forest": FAST_RANDOM_FOREST,
}


def make_series(
    n_series: int = 3,
    length: int = 500,
    *,
    freq: str = "h",
    seed: int = 0,
    season: int = 24,
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """A ``unique_id, ds, y`` panel of positive series: level + trend + seasonality + noise.

    Series ``s0, s1, ...`` differ in level, trend slope, seasonal amplitude and phase, so a
    global model has something to tell apart. ``ds`` is tz-aware UTC on the ``freq`` grid.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    ds = pd.date_range(start, periods=length, freq=freq, tz="UTC")
    noise = np.empty((n_series, length), dtype=np.float64)
    level, slope, amplitude, phase = np.empty((4, n_series, 1), dtype=np.float64)
    for i in range(n_series):  # draws in the same order as ever: same seed, same panel
        level[i] = rng.uniform(50.0, 150.0)
        slope[i] = rng.uniform(0.02, 0.1) * level[i] / 100.0
        amplitude[i] = rng.uniform(0.2, 0.4) * level[i]
        phase[i] = rng.uniform(0.0, 2.0 * np.pi)
        noise[i] = rng.normal(0.0, 0.03 * level[i, 0], size=length)
    seasonal = amplitude * np.sin(2.0 * np.pi * t / max(season, 1) + phase)
    y = np.maximum(level + slope * t + seasonal + noise, 1.0)
    ids = np.array([f"s{i}" for i in range(n_series)], dtype=object)
    return pd.DataFrame(
        {
            UNIQUE_ID: pd.Series(np.repeat(ids, length), dtype=str),
            DS: ds.take(np.tile(np.arange(length), n_series)),
            Y: y.ravel(),
        }
    )


def make_spec(
    kind: ModelKind = "lightgbm",
    *,
    horizons: tuple[int, ...] = (1, 2, 3, 6, 12, 24),
    features: FeatureSpec | None = None,
    season_length: int = 24,
    params: dict[str, object] | None = None,
    scope: ModelScope = "global",
    **overrides: object,
) -> ForecasterSpec:
    """An hourly spec for tests: D-1/D-2 lags, a daily window, hour of day, fast ML params.

    ``overrides`` set any other ``ForecasterSpec`` field (``min_train_rows``, ``backtest``...).
    """
    if features is None:
        features = FeatureSpec(
            lags=(24, 48), rolling=(24,), calendar=("hour", "dayofweek"), cyclic=("hour",)
        )
    if params is None:
        params = dict(FAST_PARAMS.get(kind, {}))
    fields: dict[str, object] = {
        "name": f"test_{kind}",
        "dataset": "synthetic",
        "target": "y",
        "freq": "h",
        "horizons": horizons,
        "features": features,
    }
    if "model" not in overrides:
        fields["model"] = ModelSpec(
            kind=kind, season_length=season_length, params=params, scope=scope
        )
    return ForecasterSpec(**(fields | overrides))  # type: ignore[arg-type]


def binance_closes(
    folder: Path, pairs: Sequence[str], *, fill: FillRule = "none", since: str | None = None
) -> pd.DataFrame:
    """``unique_id, ds, y`` hourly closes from CryptoDataDownload's ``Binance_<PAIR>_1h.csv``
    files in ``folder``, cleaned by the transform step as the crypto example declares them
    (``fill="none"`` keeps gaps as gaps); rows before ``since`` (ISO, UTC) are dropped."""
    spec = TransformSpec(
        dataset="candles",
        time=TimeSpec("Unix Timestamp", unit="s"),
        keys=("Symbol",),
        values=("close",),
        rename={"Close": "close"},
        freq="h",
        fill=fill,
    )
    frames = []
    for pair in pairs:
        name = f"Binance_{pair}_1h.csv"
        raw = read_files(name, base_dir=folder, csv_options={"skiprows": 1})
        frames.append(clean_frame(raw, spec, source=name).frame)
    closes = pd.concat(frames, ignore_index=True).rename(columns={"close": Y})
    if since is not None:
        closes = closes[closes[DS] >= pd.Timestamp(since, tz="UTC")]
    return closes[[UNIQUE_ID, DS, Y]].reset_index(drop=True)
