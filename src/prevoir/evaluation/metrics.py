"""Forecast accuracy measures, pure numpy, as the M4 competition defines them: point
measures, and for prediction intervals the coverage and the interval (Winkler) score whose
scaled mean is M4's MSIS.

Pairs where the actual or the forecast is missing are left out (an outage is not an error
of the model); a measure over no pair is NaN rather than a warning or a zero that would look
like a perfect score.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "coverage_terms",
    "interval_score_terms",
    "mae",
    "mase",
    "mase_scale",
    "rmse",
    "smape",
    "smape_terms",
]


def mae(y: ArrayLike, yhat: ArrayLike) -> float:
    """Mean absolute error."""
    a, f = _pairs(y, yhat)
    return float(np.mean(np.abs(a - f))) if len(a) else float("nan")


def rmse(y: ArrayLike, yhat: ArrayLike) -> float:
    """Root mean squared error."""
    a, f = _pairs(y, yhat)
    return float(np.sqrt(np.mean((a - f) ** 2))) if len(a) else float("nan")


def smape_terms(y: ArrayLike, yhat: ArrayLike) -> np.ndarray:
    """Per-pair sMAPE in percent, ``200 |y - f| / (|y| + |f|)``; 0 where both are 0."""
    a = np.asarray(y, dtype=np.float64)
    f = np.asarray(yhat, dtype=np.float64)
    denominator = np.abs(a) + np.abs(f)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, 200.0 * np.abs(a - f) / safe, 0.0)


def smape(y: ArrayLike, yhat: ArrayLike) -> float:
    """Symmetric MAPE in percent (M4): ``200/h * sum |y - f| / (|y| + |f|)``."""
    a, f = _pairs(y, yhat)
    return float(np.mean(smape_terms(a, f))) if len(a) else float("nan")


def mase_scale(insample: ArrayLike, m: int) -> float:
    """In-sample mean absolute seasonal difference ``mean |y_t - y_{t-m}|`` (NaN-aware).

    NaN when fewer than ``m + 1`` values or when the series never changes, because a zero
    scale would make every error infinite.
    """
    if m < 1:
        raise ValueError(f"season length m must be >= 1, got {m}")
    x = np.asarray(insample, dtype=np.float64)
    if len(x) <= m:
        return float("nan")
    diffs = np.abs(x[m:] - x[:-m])
    diffs = diffs[~np.isnan(diffs)]
    if not len(diffs):
        return float("nan")
    scale = float(np.mean(diffs))
    return scale if scale > 0 else float("nan")


def mase(y: ArrayLike, yhat: ArrayLike, insample: ArrayLike, m: int) -> float:
    """Mean absolute scaled error (M4): out-of-sample MAE over ``mase_scale(insample, m)``."""
    scale = mase_scale(insample, m)
    error = mae(y, yhat)
    if np.isnan(scale) or np.isnan(error):
        return float("nan")
    return error / scale


def interval_score_terms(y: ArrayLike, lo: ArrayLike, hi: ArrayLike, level: float) -> np.ndarray:
    """Per-row interval (Winkler) score at ``level`` percent: the width, plus ``2 / alpha``
    times the distance by which ``y`` falls outside ``[lo, hi]`` (``alpha = 1 - level/100``).

    Lower is better; it rewards narrow bands only as long as they keep covering. NaN where
    any of ``y``, ``lo``, ``hi`` is missing.
    """
    if not 0 < level < 100:
        raise ValueError(f"level is a percentage between 0 and 100, got {level}")
    a = np.asarray(y, dtype=np.float64)
    low = np.asarray(lo, dtype=np.float64)
    high = np.asarray(hi, dtype=np.float64)
    penalty = 200.0 / (100.0 - level)  # 2 / alpha, exact for whole percentages
    below = np.maximum(low - a, 0.0)
    above = np.maximum(a - high, 0.0)
    return (high - low) + penalty * (below + above)


def coverage_terms(y: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> np.ndarray:
    """Per row 1.0 when ``lo <= y <= hi``, 0.0 when outside, NaN where any is missing; the
    mean over known rows is the empirical coverage."""
    a = np.asarray(y, dtype=np.float64)
    low = np.asarray(lo, dtype=np.float64)
    high = np.asarray(hi, dtype=np.float64)
    inside = ((low <= a) & (a <= high)).astype(np.float64)
    return np.where(np.isnan(a) | np.isnan(low) | np.isnan(high), np.nan, inside)


def _pairs(y: ArrayLike, yhat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y, dtype=np.float64).ravel()
    f = np.asarray(yhat, dtype=np.float64).ravel()
    if a.shape != f.shape:
        raise ValueError(f"y and yhat differ in length: {a.shape[0]} vs {f.shape[0]}")
    keep = ~(np.isnan(a) | np.isnan(f))
    return a[keep], f[keep]
