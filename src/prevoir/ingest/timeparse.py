"""Turn a raw time column (or year/month/day/hour columns) into UTC instants.

Local wall-clock times are localised with the zone's real DST rules. Two hours a year need a
rule of ours:

* spring forward: the skipped local hour does not exist. Exports such as Seattle's Fremont
  counter still carry a row for it, always empty. Such rows are dropped when every declared
  value is missing (they hold nothing) and rejected otherwise (they hold a count we cannot
  place in time).
* fall back: the repeated local hour is ambiguous. pandas' ``ambiguous="infer"`` needs both
  copies and fails when an export has only one. Our rule, per series and wall time, in row
  order of the raw frame: the first occurrence is daylight time (the earlier instant), the
  second standard time; a single occurrence is daylight time. Fremont writes the hour once,
  so its standard-time hour becomes a gap in UTC, filled like any other gap.

Parsing works in microseconds, the resolution pandas 3 gives parsed timestamps and the
store keeps; instants are returned as int64 nanoseconds since the Unix epoch, the unit of
:class:`~prevoir.domain.grid.Grid`. A time outside what that unit holds (1677-09-21 to
2262-04-11) is refused here rather than wrapped around by int64 arithmetic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
)
from pandas.tseries.api import guess_datetime_format

from prevoir.domain.datasets import TimeSpec
from prevoir.errors import DataValidationError
from prevoir.ingest.rows import display
from prevoir.ingest.source import Provenance

__all__ = ["ParsedTime", "parse_time", "time_columns"]

_UNIT_TO_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1e-3}
_PARTS = ("year", "month", "day", "hour", "minute", "second")
_NS_RANGE_US = (pd.Timestamp.min.value // 1_000 + 1, pd.Timestamp.max.value // 1_000)


@dataclass(frozen=True)
class ParsedTime:
    """UTC instants (int64 ns) per row, and the rows to drop as empty nonexistent local times."""

    ds: np.ndarray
    dst_gap: np.ndarray  # bool per row
    ambiguous: int = 0  # fall-back wall times resolved by the order rule


def time_columns(spec: TimeSpec) -> tuple[str, ...]:
    """The raw columns the time is read from."""
    return spec.columns or (spec.column,)


def parse_time(
    frame: pd.DataFrame,
    spec: TimeSpec,
    *,
    source: Provenance,
    rows: np.ndarray,
    series: np.ndarray,
    empty: np.ndarray,
) -> ParsedTime:
    """Parse ``frame``'s time column(s) per ``spec`` into UTC nanoseconds.

    ``rows`` are 1-based raw row numbers for messages, ``series`` integer series codes (the
    ambiguous-hour rule works per series), ``empty`` marks rows whose values are all missing.
    """
    if frame.empty:
        return ParsedTime(np.empty(0, dtype=np.int64), np.zeros(0, dtype=bool))
    utc_or_wall = _read_us(frame, spec, source=source, rows=rows)
    if isinstance(utc_or_wall, pd.Series):
        tz = spec.timezone
        parsed = _localize(utc_or_wall, tz, source=source, rows=rows, series=series, empty=empty)
    else:
        parsed = ParsedTime(utc_or_wall, np.zeros(len(frame), dtype=bool))
    return _in_ns(parsed, spec, source=source, rows=rows)


def _read_us(
    frame: pd.DataFrame, spec: TimeSpec, *, source: Provenance, rows: np.ndarray
) -> np.ndarray | pd.Series:
    """UTC µs where the data says the instant (epochs, offsets), else naive wall-clock times."""
    if spec.columns:
        return _assemble(frame, spec.columns, source=source, rows=rows)
    if spec.unit is not None:
        return _from_epoch(frame[spec.column], spec.unit, source=source, rows=rows)
    parsed = _parse_text(frame[spec.column], spec, source=source, rows=rows)
    return _as_utc_us(parsed) if parsed.dt.tz is not None else parsed


def _from_epoch(col: pd.Series, unit: str, *, source: Provenance, rows: np.ndarray) -> np.ndarray:
    """Numeric Unix epochs (Binance writes seconds as floats, ``1601276400.0``) to µs."""
    if is_numeric_dtype(col.dtype) and not is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(num)
    if bad.any():
        _raise_bad_time(col, bad, source=source, rows=rows, hint=f"Unix time in {unit}")
    us = num * _UNIT_TO_US[unit]
    if np.abs(us).max() >= 2**62:
        first = int(np.argmax(np.abs(us) >= 2**62))
        raise DataValidationError(
            f"{source.row(rows[first])}: Unix time {display(col.iloc[first])} in "
            f"{col.name!r} is out of range for unit {unit!r}; check time.unit (seconds vs "
            "milliseconds)"
        )
    return np.rint(us).astype(np.int64)


def _parse_text(
    col: pd.Series, spec: TimeSpec, *, source: Provenance, rows: np.ndarray
) -> pd.Series:
    """Text (or already datetime) values to timestamps, naive or tz-aware as written."""
    if is_datetime64_any_dtype(col.dtype):
        parsed, fmt = col, "a timestamp"
    else:
        parsed, fmt = _parse_strings(col, spec, source=source, rows=rows)
    bad = parsed.isna().to_numpy()
    if bad.any():
        _raise_bad_time(col, bad, source=source, rows=rows, hint=fmt)
    return parsed


def _parse_strings(
    col: pd.Series, spec: TimeSpec, *, source: Provenance, rows: np.ndarray
) -> tuple[pd.Series, str]:
    """Strings (or digits with a declared format) to timestamps; NaT where they do not parse."""
    if is_numeric_dtype(col.dtype):
        if spec.format is None:
            raise DataValidationError(
                f"{source}: time column {col.name!r} is numeric ({col.dtype}); declare "
                "time.unit for Unix epochs or time.format for numbers such as 20240131"
            )
        col = col.astype("Int64").astype("str")
    fmt = spec.format or _guess_format(col, source=source, rows=rows)
    try:
        with warnings.catch_warnings():
            # pandas 2 warns (pandas 3 raises) when offsets differ between rows
            warnings.simplefilter("error", FutureWarning)
            parsed = pd.to_datetime(col, format=fmt, errors="coerce")
    except (ValueError, FutureWarning):  # offsets differ (e.g. +01:00 and +02:00)
        parsed = pd.to_datetime(col, format=fmt, errors="coerce", utc=True)
    return parsed, f"format {fmt!r}"


def _guess_format(col: pd.Series, *, source: Provenance, rows: np.ndarray) -> str:
    """The strptime format of the first value, widened to ISO 8601 variants when it is ISO."""
    present = col.notna().to_numpy()
    if not present.any():
        raise DataValidationError(f"{source}: time column {col.name!r} has no values")
    first = int(np.argmax(present))
    value = str(col.iloc[first])
    fmt = guess_datetime_format(value)
    if fmt is None:
        raise DataValidationError(
            f"{source.row(rows[first])}: cannot infer the time format of {value!r} in column "
            f"{col.name!r}; declare time.format (strptime syntax, e.g. '%m/%d/%Y %I:%M:%S %p')"
        )
    return "ISO8601" if fmt.startswith("%Y-%m-%d") else fmt


def _raise_bad_time(
    col: pd.Series, bad: np.ndarray, *, source: Provenance, rows: np.ndarray, hint: str
) -> None:
    """Name the first unparseable or missing time and how many more there are."""
    first = int(np.argmax(bad))
    value = col.iloc[first]
    more = int(bad.sum()) - 1
    tail = f" ({more} more row(s) like it)" if more else ""
    what = (
        "has no time"
        if pd.isna(value)
        else f"has time {display(value)} that does not parse as {hint}"
    )
    raise DataValidationError(
        f"{source.row(rows[first])}: column {col.name!r} {what}{tail}; fix the value or "
        "declare the right time.format / time.unit"
    )


def _assemble(
    frame: pd.DataFrame, columns: tuple[str, ...], *, source: Provenance, rows: np.ndarray
) -> pd.Series:
    """year/month/day[/hour/minute/second] columns to naive timestamps, fully vectorised.

    Columns named like the parts are matched by name, others by position (year first).
    """
    lowered = [c.lower() for c in columns]
    names = lowered if set(lowered) <= set(_PARTS) else list(_PARTS[: len(columns)])
    if not {"year", "month", "day"} <= set(names) or len(columns) > len(_PARTS):
        raise DataValidationError(
            f"{source}: time.columns {list(columns)} must give year, month and day (then "
            "optionally hour, minute, second); fix time.columns"
        )
    parts = {
        name: pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        for name, col in zip(names, columns, strict=True)
    }
    year, month, day = (parts[p] for p in ("year", "month", "day"))
    bad = ~(np.isfinite(year) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31))
    for name, top in (("hour", 23), ("minute", 59), ("second", 59)):
        if name in parts:
            bad |= ~((parts[name] >= 0) & (parts[name] <= top))
    safe = {k: np.where(bad, 1, v).astype(np.int64) for k, v in parts.items()}
    months = (safe["year"] - 1970) * 12 + safe["month"] - 1
    days = months.astype("M8[M]").astype("M8[D]") + (safe["day"] - 1)
    bad |= days.astype("M8[M]") != months.astype("M8[M]")  # 31 April rolls into May
    if bad.any():
        first = int(np.argmax(bad))
        shown = ", ".join(f"{c}={display(frame[c].iloc[first])}" for c in columns)
        raise DataValidationError(
            f"{source.row(rows[first])}: time columns ({shown}) do not form a valid date/time "
            f"({int(bad.sum())} row(s) like it); fix the values or time.columns"
        )
    us = days.astype("M8[us]").astype(np.int64)
    for name, scale in (("hour", 3_600_000_000), ("minute", 60_000_000), ("second", 1_000_000)):
        if name in safe:
            us += safe[name] * scale
    return pd.Series(us.view("M8[us]"), index=frame.index, name="+".join(columns))


def _localize(
    naive: pd.Series,
    tz: str,
    *,
    source: Provenance,
    rows: np.ndarray,
    series: np.ndarray,
    empty: np.ndarray,
) -> ParsedTime:
    """Wall-clock times in ``tz`` to UTC µs, with the DST rules of the module docstring."""
    index = pd.DatetimeIndex(naive).as_unit("us")
    dst_gap = np.zeros(len(index), dtype=bool)
    local = index.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")  # TimeSpec checked tz
    out = local.tz_convert("UTC").asi8.copy()
    unresolved = np.flatnonzero(local.isna())
    if unresolved.size == 0:
        return ParsedTime(out, dst_gap)
    wall = index[unresolved]
    as_dst = wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="NaT")
    gap = np.asarray(as_dst.isna(), dtype=bool)
    ambiguous = unresolved[~gap]
    if ambiguous.size:
        out[ambiguous] = _resolve_ambiguous(index[ambiguous], tz, series=series[ambiguous])
    nonexistent = unresolved[gap]
    filled = nonexistent[~empty[nonexistent]]
    if filled.size:
        first = int(filled[0])
        raise DataValidationError(
            f"{source.row(rows[first])}: local time {index[first]} does not exist in {tz} "
            f"(skipped by the DST change) but the row has values ({filled.size} row(s) like "
            "it); fix the time, or declare the zone the file is really written in"
        )
    dst_gap[nonexistent] = True
    return ParsedTime(out, dst_gap, int(ambiguous.size))


def _resolve_ambiguous(wall: pd.DatetimeIndex, tz: str, *, series: np.ndarray) -> np.ndarray:
    """Repeated fall-back hours: first occurrence per (series, wall time) is DST, then standard."""
    occurrence = (
        pd.DataFrame({"series": series, "wall": wall.asi8}).groupby(["series", "wall"]).cumcount()
    )
    is_dst = occurrence.to_numpy() == 0
    return np.asarray(wall.tz_localize(tz, ambiguous=is_dst).tz_convert("UTC").asi8)


def _in_ns(
    parsed: ParsedTime, spec: TimeSpec, *, source: Provenance, rows: np.ndarray
) -> ParsedTime:
    """µs instants as ns; rows dropped as DST gaps hold no instant and are not checked."""
    us = parsed.ds
    lo, hi = _NS_RANGE_US
    outside = ((us < lo) | (us > hi)) & ~parsed.dst_gap
    if outside.any():
        first = int(np.argmax(outside))
        when = np.datetime_as_string(np.datetime64(int(us[first]), "us"), unit="s")
        raise DataValidationError(
            f"{source.row(rows[first])}: time {when} UTC "
            f"(from {list(time_columns(spec))}) is outside {pd.Timestamp.min:%Y-%m-%d} to "
            f"{pd.Timestamp.max:%Y-%m-%d}, the range prevoir computes with "
            f"({int(outside.sum())} row(s) like it); fix the time, or time.unit for epochs"
        )
    return replace(parsed, ds=us * 1_000)


def _as_utc_us(parsed: pd.Series) -> np.ndarray:
    """tz-aware timestamps as UTC µs."""
    index = pd.DatetimeIndex(parsed).tz_convert("UTC").as_unit("us")
    return np.asarray(index.asi8)
