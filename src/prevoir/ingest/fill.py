"""Gap filling on a dataset's time grid, vectorised over all series.

Rows arrive as integer series codes and periods of a :class:`~prevoir.domain.grid.Grid`
(which refused rows off the grid). Filling inserts the missing periods of each series and
fills their values by the declared rule, on whole arrays with group boundaries, never with a
Python loop over rows or series, so ten million rows take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prevoir.domain.datasets import FillRule
from prevoir.domain.grid import Grid
from prevoir.errors import DataValidationError

__all__ = ["Filled", "fill_gaps", "group_bounds"]

# Guard against a stray timestamp (year 1900, ms read as s) turning into millions of rows.
_MAX_INSERT_FACTOR = 10
_MAX_INSERT_FLOOR = 1_000_000


def group_bounds(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of equal codes in a sorted code array."""
    if codes.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], codes.size]
    return starts, ends


@dataclass(frozen=True)
class Filled:
    """Rows after filling: codes, grid positions, values, and how many rows were inserted."""

    codes: np.ndarray
    pos: np.ndarray
    values: dict[str, np.ndarray]
    inserted: int


def fill_gaps(
    codes: np.ndarray,
    pos: np.ndarray,
    values: dict[str, np.ndarray],
    *,
    rule: FillRule,
    grid: Grid,
    labels: np.ndarray,
) -> Filled:
    """Insert missing grid slots per series (except for ``none``) and fill values by ``rule``.

    Rows must be sorted by (code, pos) without duplicates. ``interpolate`` is linear in time
    (calendar months differ in length); ``labels`` name series in the too-many-rows error.
    """
    if rule == "none" or codes.size == 0:
        return Filled(codes, pos, values, 0)
    starts, ends = group_bounds(codes)
    first, last = pos[starts], pos[ends - 1]
    spans = last - first + 1
    total = int(spans.sum())
    inserted = total - codes.size
    _check_insert_budget(
        inserted, n=codes.size, spans=spans, starts=starts, labels=labels, codes=codes
    )
    if inserted:
        offsets = np.r_[0, np.cumsum(spans)[:-1]]
        target = pos + np.repeat(offsets - first, ends - starts)
        codes = np.repeat(codes[starts], spans)
        pos = np.arange(total) + np.repeat(first - offsets, spans)
        values = {name: _scatter(arr, target, total) for name, arr in values.items()}
    if rule != "nan":
        starts, ends = group_bounds(codes)
        x = grid.times(pos) if rule == "interpolate" else pos
        values = {
            name: _fill(arr, rule, starts=starts, ends=ends, x=x) for name, arr in values.items()
        }
    return Filled(codes, pos, values, inserted)


def _scatter(arr: np.ndarray, target: np.ndarray, total: int) -> np.ndarray:
    out = np.full(total, np.nan)
    out[target] = arr
    return out


def _check_insert_budget(
    inserted: int,
    *,
    n: int,
    spans: np.ndarray,
    starts: np.ndarray,
    labels: np.ndarray,
    codes: np.ndarray,
) -> None:
    """Refuse to blow a frame up by more than ``_MAX_INSERT_FACTOR`` because of one bad row."""
    if inserted <= max(_MAX_INSERT_FACTOR * n, _MAX_INSERT_FLOOR):
        return
    sizes = np.diff(np.r_[starts, n])
    worst = int(np.argmax(spans - sizes))
    raise DataValidationError(
        f"filling gaps would insert {inserted} rows into {n}; series "
        f"{labels[codes[starts[worst]]]!r} spans {int(spans[worst])} grid slots but has "
        f"{int(sizes[worst])} rows; look for a stray timestamp or a wrong freq/time.unit"
    )


def _fill(
    arr: np.ndarray,
    rule: FillRule,
    *,
    starts: np.ndarray,
    ends: np.ndarray,
    x: np.ndarray,
) -> np.ndarray:
    """Fill NaN in one value column by ``rule`` without crossing series boundaries."""
    missing = np.isnan(arr)
    if not missing.any():
        return arr
    if rule == "zero":
        return np.where(missing, 0.0, arr)
    idx = np.arange(arr.size)
    group_start = np.repeat(starts, ends - starts)
    prev = np.where(missing, -1, idx)
    np.maximum.accumulate(prev, out=prev)
    has_prev = prev >= group_start
    if rule == "ffill":
        return np.where(missing & has_prev, arr[np.maximum(prev, 0)], arr)
    group_end = np.repeat(ends, ends - starts)
    nxt = np.where(missing, arr.size, idx)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    inner = missing & has_prev & (nxt < group_end)
    p, q = np.maximum(prev, 0), np.minimum(nxt, arr.size - 1)
    # Differences of int64 ns times before any division: float64 holds them exactly, not the
    # times themselves.
    span = np.where(inner, x[q] - x[p], 1)
    weight = np.where(inner, (x - x[p]) / span, 0.0)
    return np.where(inner, arr[p] + weight * (arr[q] - arr[p]), arr)
