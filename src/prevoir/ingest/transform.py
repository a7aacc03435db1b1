"""Clean one dataset's raw frame into the long ``unique_id, ds, <values>`` contract.

The transform step is where real exports stop being trusted: names are mapped, times become
UTC (with the DST rules of :mod:`prevoir.ingest.timeparse`), values become float64, exact
duplicate rows go, conflicting ones stop the run, blacklisted series are dropped, gaps on the
regular grid are filled by the declared rule, and derived columns are computed. Every problem
a user can fix is a :class:`~prevoir.errors.DataValidationError` naming ``source``, the
1-based data row of the raw frame, the column and the value.

Two deliberate departures from the naive order of those steps:

* blacklisted series are dropped first, so a counter blacklisted *because* its data is broken
  cannot fail the load;
* derived columns are computed before gap filling, from the values actually observed in the
  same row (``avg_temp = (tmin + tmax) / 2`` beats a forward-filled ``avg_temp``); inserted
  rows then get the fill rule like every other column.

Everything is vectorised over rows; the only Python loops run over columns, series labels or
a handful of offending rows in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from prevoir.domain.admission import off_grid_problem
from prevoir.domain.columns import DS, UNIQUE_ID
from prevoir.domain.datasets import TransformSpec
from prevoir.domain.grid import Grid
from prevoir.errors import DataValidationError
from prevoir.ingest.fill import fill_gaps
from prevoir.ingest.rows import (
    Rows,
    check_series_ids,
    coerce_values,
    derive_columns,
    iso,
    series_codes,
    sort_and_dedupe,
)
from prevoir.ingest.source import Provenance, RawColumns
from prevoir.ingest.timeparse import parse_time, time_columns

__all__ = ["CleanResult", "TransformReport", "clean_frame", "raw_columns"]


@dataclass(frozen=True)
class TransformReport:
    """What cleaning did to one dataset, for the run record and the CLI summary."""

    rows_in: int
    rows_out: int
    exact_duplicates_dropped: int = 0
    rows_filled: int = 0
    rows_dropped_dst_gap: int = 0
    series_blacklisted: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanResult:
    """The clean long frame and the report of how it was obtained."""

    frame: pd.DataFrame
    report: TransformReport


def clean_frame(raw: pd.DataFrame, spec: TransformSpec, *, source: str) -> CleanResult:
    """Validate and clean ``raw`` per ``spec``; ``source`` names the input in error messages.

    Output columns: ``unique_id`` (key values joined with ``/``, or ``spec.dataset`` without
    keys), ``ds`` (``datetime64[us, UTC]``), the declared values, then derived columns that are
    not declared values, all float64; sorted by ``unique_id, ds`` with unique pairs.
    """
    where = Provenance.of(raw, source)
    frame = _select(raw, spec, source=where)
    notes: list[str] = []
    codes, labels = series_codes(frame, spec.keys, dataset=spec.dataset, source=where)
    frame, codes, rows, blacklisted = _drop_blacklisted(frame, codes, labels, spec, notes)
    check_series_ids(labels, codes, source=where, rows=rows)
    present = [v for v in spec.values if v in frame.columns]
    values = coerce_values(frame, present, source=where, rows=rows)
    state, dst_dropped = _timed_rows(
        frame, spec, codes=codes, rows=rows, values=values, source=where, notes=notes
    )
    grid = Grid.covering(
        spec.freq, state.ds, timezone=spec.time.timezone, what=f"dataset {spec.dataset!r}"
    )
    pos = _on_grid(state, grid, labels=labels, source=where)
    state, pos, duplicates = sort_and_dedupe(state, pos, labels=labels, source=where)
    if duplicates:
        notes.append(f"dropped {duplicates} exact duplicate row(s)")
    derived = derive_columns(state.values, spec.derived, n=len(pos), source=where)
    filled = fill_gaps(
        state.codes,
        pos,
        _ordered(state.values, derived, spec),
        rule=spec.fill,
        grid=grid,
        labels=labels,
    )
    if filled.inserted:
        notes.append(f"inserted {filled.inserted} missing grid row(s) (fill={spec.fill!r})")
    out = _to_frame(filled.codes, grid.times(filled.pos), filled.values, labels=labels)
    report = TransformReport(
        rows_in=len(raw),
        rows_out=len(out),
        exact_duplicates_dropped=duplicates,
        rows_filled=filled.inserted,
        rows_dropped_dst_gap=dst_dropped,
        series_blacklisted=blacklisted,
        notes=tuple(notes),
    )
    return CleanResult(out, report)


def _timed_rows(
    frame: pd.DataFrame,
    spec: TransformSpec,
    *,
    codes: np.ndarray,
    rows: np.ndarray,
    values: dict[str, np.ndarray],
    source: Provenance,
    notes: list[str],
) -> tuple[Rows, int]:
    """Rows with UTC instants; empty rows at DST-skipped local times dropped (counted)."""
    empty = np.ones(len(frame), dtype=bool)  # every declared value missing (vacuous if none)
    for arr in values.values():
        empty &= np.isnan(arr)
    parsed = parse_time(frame, spec.time, source=source, rows=rows, series=codes, empty=empty)
    state = Rows(codes=codes, rows=rows, ds=parsed.ds, values=values)
    dropped = int(parsed.dst_gap.sum())
    if dropped:
        state = state.take(~parsed.dst_gap)
        notes.append(
            f"dropped {dropped} empty row(s) at local times skipped by DST in {spec.time.timezone}"
        )
    if parsed.ambiguous:
        notes.append(
            f"{parsed.ambiguous} ambiguous fall-back local time(s) in {spec.time.timezone} "
            "resolved by order (first or only occurrence daylight time, second standard)"
        )
    return state, dropped


def _ordered(
    values: dict[str, np.ndarray], derived: dict[str, np.ndarray], spec: TransformSpec
) -> dict[str, np.ndarray]:
    """Declared values in declared order (derived ones included), then extra derived ones."""
    merged = {**values, **derived}
    return {name: merged[name] for name in dict.fromkeys((*spec.values, *derived))}


def raw_columns(spec: TransformSpec) -> RawColumns:
    """The raw (pre-rename) columns cleaning ``spec`` reads: the time, the keys and the values,
    a value that a derived column of the same name computes being optional."""
    raw_name = {new: old for old, new in spec.rename.items()}
    derived = {d.name for d in spec.derived}
    required = (*time_columns(spec.time), *spec.keys, *(v for v in spec.values if v not in derived))
    optional = (v for v in spec.values if v in derived)
    return RawColumns(
        required=tuple(dict.fromkeys(raw_name.get(c, c) for c in required)),
        optional=tuple(raw_name.get(c, c) for c in optional),
    )


def _select(raw: pd.DataFrame, spec: TransformSpec, *, source: Provenance) -> pd.DataFrame:
    """Rename, check that every declared column exists once, keep only those columns.

    A declared value that a derived column of the same name computes may be absent.
    """
    frame = raw.rename(columns=spec.rename) if spec.rename else raw
    reserved = [c for c in (*spec.values, *(d.name for d in spec.derived)) if c in (UNIQUE_ID, DS)]
    if reserved:
        raise DataValidationError(
            f"dataset {spec.dataset!r}: value column(s) {reserved} use a reserved name "
            f"({UNIQUE_ID!r}, {DS!r}); rename them"
        )
    derived = {d.name for d in spec.derived}
    present = set(frame.columns)
    needed = list(
        dict.fromkeys(
            (
                *time_columns(spec.time),
                *spec.keys,
                *(v for v in spec.values if v not in derived or v in present),
            )
        )
    )
    missing = [c for c in needed if c not in present]
    if missing:
        raise DataValidationError(
            f"{source}: column(s) {missing} not found; columns present: "
            f"{[str(c) for c in frame.columns]}; fix the dataset's time/keys/values/rename "
            "declaration or the source"
        )
    counts = frame.columns.value_counts()
    clashes = [c for c in needed if counts[c] > 1]
    if clashes:
        raise DataValidationError(
            f"{source}: column name(s) {clashes} occur more than once (after renaming); fix "
            "the dataset's rename mapping or the source header"
        )
    return frame[needed]


def _drop_blacklisted(
    frame: pd.DataFrame,
    codes: np.ndarray,
    labels: np.ndarray,
    spec: TransformSpec,
    notes: list[str],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Rows of blacklisted series removed; returns frame, codes, 1-based raw rows, count."""
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    if not spec.blacklist:
        return frame, codes, rows, 0
    listed = set(spec.blacklist)
    hit = np.flatnonzero(np.isin(labels, list(listed)))
    absent = sorted(listed - {str(labels[c]) for c in hit})
    if absent:
        notes.append(f"blacklisted series not present: {absent}")
    if hit.size == 0:
        return frame, codes, rows, 0
    keep = ~np.isin(codes, hit)
    notes.append(
        f"dropped {int((~keep).sum())} row(s) of blacklisted series "
        f"{sorted(str(labels[c]) for c in hit)}"
    )
    return frame.loc[keep], codes[keep], rows[keep], int(hit.size)


def _on_grid(state: Rows, grid: Grid, *, labels: np.ndarray, source: Provenance) -> np.ndarray:
    """Grid positions of every row; rows off the grid are an error, not something to fill."""
    pos, on_grid = grid.positions(state.ds)
    off = np.flatnonzero(~on_grid)
    if off.size:
        first = off[0]
        nearest = tuple(iso(t) for t in grid.neighbours(int(state.ds[first])))
        problem = off_grid_problem(iso(state.ds[first]), grid.freq, nearest)
        raise DataValidationError(
            f"{source.row(state.rows[first])} ({labels[state.codes[first]]}): {problem}; "
            f"{off.size} row(s) are off the grid in all (or declare the dataset's real freq)"
        )
    return pos


def _to_frame(
    codes: np.ndarray, times: np.ndarray, values: dict[str, np.ndarray], *, labels: np.ndarray
) -> pd.DataFrame:
    """The output frame; ``unique_id`` as pandas' string dtype built by one take.

    ``ds`` is stored at the store's resolution, µs, from the grid's ns ``times``.
    """
    uid = pd.array(labels, dtype="str").take(codes)
    ds = pd.DatetimeIndex((times // 1_000).view("M8[us]"), tz="UTC")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, **values})
