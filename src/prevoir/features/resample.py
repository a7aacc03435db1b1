"""Coarser series from finer observations: OHLCV-style aggregation into complete buckets.

A forecaster may run at a coarser frequency than its dataset (daily from hourly candles).
Its series is computed on the fly from the stored base observations, never stored: the
base rows stay the single source of truth, and a bucket appears as soon as its last base
period is loaded.

- Buckets are labelled by their start, like the base periods (an hourly candle is dated by
  its open time, a daily one by its day). In UTC they are anchored at the Unix epoch.
- In another ``timezone`` buckets are whole local days (or multiples), 23 or 25 hours long
  around DST. Their label is the local start written as a UTC wall-clock time
  (``2024-03-31 00:00+00:00`` for the Paris day of 31 March): the forecasting core needs a
  fixed-step grid, which the UTC instants of local midnights are not; the label names the
  local day, and calendar features on it (in UTC) give that day's weekday and month.
- A bucket is *complete* for a column when every base period in it has a value. Incomplete
  buckets are not emitted (the forecaster sees a gap, never a partial day): the current day
  appears only once its last hour is loaded, and a day with a hole in the data stays out
  even after the hole's neighbours arrive. A column incomplete in an otherwise complete
  bucket is NaN there.

Everything is vectorised over all series: one sort, then ``ufunc.reduceat`` per column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, UNIQUE_ID
from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.grid import to_timestamps, utc_ns
from prevoir.domain.specs import ResampleSpec
from prevoir.errors import DataValidationError

__all__ = ["resample"]


def resample(
    frame: pd.DataFrame, spec: ResampleSpec, *, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """``unique_id, ds`` + ``columns`` aggregated into the complete buckets of ``spec.freq``.

    ``frame`` holds base observations (``unique_id, ds`` tz-aware UTC on the base grid, one
    row per series and time); ``columns`` default to every other column.
    """
    names = [c for c in frame.columns if c not in (UNIQUE_ID, DS)] if columns is None else columns
    codes, ids = pd.factorize(frame[UNIQUE_ID], sort=True)
    ns = utc_ns(frame[DS], what="observations column 'ds'")
    base = freq_to_ns(spec.base_freq)
    order = np.lexsort((ns, codes))
    codes, ns = codes[order], ns[order]
    _refuse_off_grid(codes, ns, base, ids)
    label, expected = _buckets(ns, spec, base)
    starts = np.flatnonzero(np.r_[True, (np.diff(codes) != 0) | (np.diff(label) != 0)])
    ends = np.r_[starts[1:], len(ns)]
    out: dict[str, object] = {
        UNIQUE_ID: ids.take(codes[starts]),
        DS: to_timestamps(label[starts]),
    }
    complete_any = np.zeros(len(starts), dtype=bool)
    for name in names:
        values = np.asarray(pd.to_numeric(frame[name]), dtype=np.float64)[order]
        present = np.add.reduceat(~np.isnan(values), starts) if len(starts) else np.zeros(0)
        complete = present == expected[starts]
        complete_any |= complete
        out[name] = np.where(complete, _aggregate(values, starts, ends, spec.rule(name)), np.nan)
    result = pd.DataFrame(out)
    return result[complete_any].reset_index(drop=True)


def _buckets(ns: np.ndarray, spec: ResampleSpec, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's bucket label (ns) and the number of base periods its bucket holds."""
    width = freq_to_ns(spec.freq)
    if spec.timezone == "UTC":
        label = ns - ns % width
        return label, np.full(len(ns), width // base, dtype=np.int64)
    utc = pd.DatetimeIndex(to_timestamps(ns))
    wall = np.asarray(utc.tz_convert(spec.timezone).tz_localize(None).asi8, dtype=np.int64)
    label = wall - wall % width
    distinct, inverse = np.unique(label, return_inverse=True)
    bounds = np.r_[distinct, distinct[-1:] + width] if len(distinct) else distinct
    starts = _local_instants(bounds, spec.timezone)
    if (starts % base).any():
        raise DataValidationError(
            f"local midnights in {spec.timezone!r} fall between {spec.base_freq!r} periods, so "
            "no base period belongs to one local day; resample in UTC instead"
        )
    lengths = np.diff(starts) // base
    return label, lengths[inverse]


def _local_instants(wall: np.ndarray, timezone: str) -> np.ndarray:
    """UTC ns of local wall-clock times; a midnight skipped by DST starts at the next instant."""
    naive = pd.DatetimeIndex(np.asarray(wall, dtype=np.int64).view("M8[ns]"))
    local = naive.tz_localize(
        timezone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    )
    return np.asarray(local.tz_convert("UTC").asi8, dtype=np.int64)


def _aggregate(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, rule: str) -> np.ndarray:
    """One value per bucket; buckets with a NaN are masked by the caller, whatever this gives."""
    if len(starts) == 0:
        return np.zeros(0)
    if rule == "first":
        return values[starts]
    if rule == "last":
        return values[ends - 1]
    if rule == "max":
        return np.maximum.reduceat(values, starts)
    if rule == "min":
        return np.minimum.reduceat(values, starts)
    total = np.add.reduceat(values, starts)
    if rule == "sum":
        return total
    return total / (ends - starts)  # "mean": the spec admits no other rule


def _refuse_off_grid(codes: np.ndarray, ns: np.ndarray, base: int, ids: pd.Index) -> None:
    """Counting base periods per bucket needs unique rows on the epoch-anchored base grid."""
    off = ns % base != 0
    dup = np.r_[False, (np.diff(codes) == 0) & (np.diff(ns) == 0)]
    bad = np.flatnonzero(off | dup)
    if len(bad):
        i = int(bad[0])
        what = "is a duplicate" if dup[i] else f"is not on the {pd.Timedelta(base)} grid"
        raise DataValidationError(
            f"cannot resample series {ids[codes[i]]!r}: the row at "
            f"{to_timestamps(ns[i : i + 1])[0]} {what}; clean the dataset (transform step)"
        )
