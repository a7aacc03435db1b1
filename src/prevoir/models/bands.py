"""Interval bands shared by the native and the conformal path: ordering and conformal margins.

Whatever computed them, stored bands obey two rules that users read them by: the point
forecast lies inside every band (``lo <= yhat <= hi``), and a wider level's band contains
a narrower one's (80 inside 95). Native bands from a library can break either by a rounding
hair or by an asymmetric method, so ``order_bands`` widens them where needed; it never
narrows a band, which keeps the level's coverage claim intact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from prevoir.domain.columns import STEP, UNIQUE_ID, YHAT, Y, hi_column, lo_column

__all__ = ["SCORE", "conformal_margins", "order_bands"]

SCORE = "_score"


def order_bands(frame: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
    """``frame`` with each level's band widened to hold ``yhat`` and every narrower band.

    A NaN bound stays NaN (no band is better than a made-up one).
    """
    if not levels:
        return frame
    yhat = frame[YHAT].to_numpy(np.float64)
    inner_lo, inner_hi = yhat, yhat
    bands: dict[str, np.ndarray] = {}
    for level in sorted(levels):
        lo = frame[lo_column(level)].to_numpy(np.float64)
        hi = frame[hi_column(level)].to_numpy(np.float64)
        lo = np.where(np.isnan(lo), np.nan, np.fmin(lo, inner_lo))
        hi = np.where(np.isnan(hi), np.nan, np.fmax(hi, inner_hi))
        bands[lo_column(level)], bands[hi_column(level)] = lo, hi
        inner_lo, inner_hi = np.fmin(inner_lo, lo), np.fmax(inner_hi, hi)
    return frame.assign(**bands)


def conformal_margins(scored: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
    """Half-widths per ``(unique_id, step)`` (index) and level (columns, ascending).

    ``scored`` holds out-of-sample forecasts with their actuals (``unique_id, step, yhat,
    y``). The margin at level ``a`` is the ``ceil((n + 1) a / 100)``-th smallest of the
    ``n`` absolute residuals of the group: the split-conformal quantile, which covers a new
    exchangeable residual with probability at least ``a``. A group with too few residuals
    for that rank (fewer than ``100 / (100 - a) - 1``) gets NaN: no guarantee, no band.
    """
    score = np.abs(scored[Y].to_numpy(np.float64) - scored[YHAT].to_numpy(np.float64))
    rows = pd.DataFrame({UNIQUE_ID: scored[UNIQUE_ID].to_numpy(), STEP: scored[STEP], SCORE: score})
    rows = rows[np.isfinite(score)].sort_values([UNIQUE_ID, STEP, SCORE], ignore_index=True)
    sizes = rows.groupby([UNIQUE_ID, STEP], sort=True).size()
    n = sizes.to_numpy(np.int64)
    first = np.cumsum(n) - n
    values = rows[SCORE].to_numpy(np.float64)
    margins = {}
    for level in sorted(levels):
        rank = np.ceil((n + 1) * level / 100.0 - 1e-9).astype(np.int64)
        position = first + np.minimum(rank, n) - 1
        margins[level] = np.where(rank <= n, values[position], np.nan)
    return pd.DataFrame(margins, index=sizes.index)
