"""M4 competition scoring: the Naive2 benchmark and the Overall Weighted Average (OWA).

Follows the organisers' definitions (Makridakis et al. 2020): Naive2 is the last value of
the seasonally adjusted series, re-seasonalised; the adjustment is a classical
multiplicative decomposition applied only when the lag-m autocorrelation passes a 90 % test.
OWA averages sMAPE and MASE relative to Naive2's, from set-level means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from prevoir.evaluation.metrics import mase, smape

__all__ = ["naive2", "owa", "score_m4", "seasonal_indices", "seasonality_test"]

_T_CRITICAL = 1.645


def _acf(x: np.ndarray, lag: int) -> float:
    centred = x - x.mean()
    return float(np.dot(centred[:-lag], centred[lag:]) / np.dot(centred, centred))


def seasonality_test(x: np.ndarray, m: int) -> bool:
    """Whether the lag-``m`` autocorrelation is significant at 90 % (M4's rule)."""
    n = len(x)
    if m <= 1 or n < 3 * m:
        return False
    partial = sum(_acf(x, k) ** 2 for k in range(1, m))
    limit = _T_CRITICAL * np.sqrt((1 + 2 * partial) / n)
    return abs(_acf(x, m)) > limit


def seasonal_indices(x: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative seasonal indices by position ``t % m`` (ones if not seasonal)."""
    if not seasonality_test(x, m):
        return np.ones(m)
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.full(len(x), np.nan)
    half = len(weights) // 2
    trend[half : len(x) - half] = np.convolve(x, weights, mode="valid")
    ratio = x / trend
    indices = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    return indices / indices.mean()


def naive2(x: np.ndarray, h: int, m: int) -> np.ndarray:
    """The Naive2 forecast of ``h`` steps for the series ``x`` with season length ``m``."""
    x = np.asarray(x, dtype=np.float64)
    indices = seasonal_indices(x, m)
    n = len(x)
    adjusted_last = x[-1] / indices[(n - 1) % m]
    return adjusted_last * indices[(n + np.arange(h)) % m]


def owa(smape_value: float, mase_value: float, *, smape_naive2: float, mase_naive2: float) -> float:
    """Overall Weighted Average of set-level sMAPE and MASE relative to Naive2's."""
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


def score_m4(
    train: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    forecasts: Sequence[np.ndarray],
    *,
    m: int,
) -> tuple[float, float]:
    """Set-level (mean over series) sMAPE and MASE, each series scaled by its own history."""
    smapes = [smape(y, f) for y, f in zip(test, forecasts, strict=True)]
    mases = [mase(y, f, x, m) for x, y, f in zip(train, test, forecasts, strict=True)]
    return float(np.mean(smapes)), float(np.mean(mases))
