"""Target-derived features: lags at the target time and statistics anchored at the origin.

A lag ``k`` for step ``h`` reads y at ``ds - k`` periods, which is at or before the origin
only when ``h <= k``; for larger steps the lag would be a future value, so it is NaN.
Rolling statistics end at the origin, never after it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from prevoir.features.grid import Panel

__all__ = [
    "LAST_Y",
    "SCALE",
    "lag_columns",
    "lag_features",
    "origin_features",
    "rolling_columns",
    "warmup_periods",
]

LAST_Y = "last_y"
SCALE = "scale"  # not a feature: the level a model may divide by to compare series


def lag_columns(lags: Iterable[int]) -> list[str]:
    """Names of the lag features, in increasing lag order."""
    return [f"lag_{k}" for k in sorted(set(lags))]


def rolling_columns(windows: Iterable[int]) -> list[str]:
    """Names of the rolling features: mean then std for each window, smallest first."""
    names: list[str] = []
    for w in sorted(set(windows)):
        names += [f"rolling_mean_{w}", f"rolling_std_{w}"]
    return names


def warmup_periods(lags: Iterable[int], windows: Iterable[int]) -> int:
    """Periods of history an origin needs behind it so every lag and window is defined."""
    return max([*lags, *windows], default=1) - 1


def lag_features(
    panel: Panel,
    codes: np.ndarray,
    origin_idx: np.ndarray,
    steps: np.ndarray,
    *,
    lags: Iterable[int],
) -> dict[str, np.ndarray]:
    """``lag_k`` per (origin, step) row: y at ``ds - k`` when that is at or before the origin."""
    out: dict[str, np.ndarray] = {}
    for k, name in zip(sorted(set(lags)), lag_columns(lags), strict=True):
        values = np.full(len(codes), np.nan)
        known = steps <= k
        values[known] = panel.lookup(codes[known], origin_idx[known] + steps[known] - k)
        out[name] = values
    return out


def origin_features(
    panel: Panel,
    codes: np.ndarray,
    origin_idx: np.ndarray,
    *,
    windows: Iterable[int],
    scale_window: int,
) -> dict[str, np.ndarray]:
    """Per-origin ``last_y``, rolling mean/std over windows ending at the origin, and scale
    (mean |y| over ``scale_window``; 1 where it is zero or undefined).

    Windows skip missing values (at least one value for the mean, two for the std), so a
    gap in the data thins a window instead of blanking it.
    """
    needed = max([*windows, scale_window])
    if panel.pad < needed - 1:
        raise ValueError(f"panel pad {panel.pad} is too small for a window of {needed}")
    out = {LAST_Y: panel.lookup(codes, origin_idx)}
    flat = pd.Series(panel.values, copy=False)
    for w in sorted(set(windows)):
        rolling = flat.rolling(w, min_periods=1)
        out[f"rolling_mean_{w}"] = panel.take(rolling.mean().to_numpy(), codes, origin_idx)
        out[f"rolling_std_{w}"] = panel.take(rolling.std().to_numpy(), codes, origin_idx)
    level = flat.abs().rolling(scale_window, min_periods=1).mean().to_numpy()
    scale = panel.take(level, codes, origin_idx)
    out[SCALE] = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return out
