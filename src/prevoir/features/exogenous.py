"""Exogenous columns joined to (origin, step) rows without leaking the future.

Two joins: ``date`` matches the target's local calendar day (in ``ExogenousSpec.timezone``)
to a daily dataset whose ``ds`` is the local start of each day; ``time`` takes the latest
exogenous row at or before the target time. Two availabilities: ``known`` reads the value at
the target time (calendars, published forecasts); ``origin`` only reads rows complete at the
origin. A daily row is complete at the local midnight that ends its day, so from an origin the
newest usable day is the one before the origin's local date; a time row is complete at its
``ds``. The caller passes origins for ``origin`` and target times for ``known``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, UNIQUE_ID
from prevoir.domain.frequency import DAY_NS
from prevoir.domain.grid import Grid, utc_ns
from prevoir.domain.specs import ExogenousSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.grid import distinct_periods

__all__ = ["exogenous_columns", "exogenous_features"]


def exogenous_columns(spec: ExogenousSpec) -> list[str]:
    """Feature names of one exogenous dataset: ``<dataset>_<column>``."""
    return [f"{spec.dataset}_{c}" for c in spec.columns]


def exogenous_features(
    exog: Mapping[str, pd.DataFrame] | None,
    spec: ExogenousSpec,
    *,
    ids: pd.Index,
    codes: np.ndarray,
    periods: np.ndarray,
    grid: Grid,
) -> dict[str, np.ndarray]:
    """Values of ``spec.columns`` for each (series code, period) query.

    ``periods`` are origins when ``spec.availability == "origin"`` and target times when it
    is ``"known"``; the availability rule decides which exogenous row each query may read.
    """
    frame = _dataset(exog, spec)
    ref_key = _series_keys(frame, spec, ids)
    ref_t = _reference_times(frame, spec)
    distinct, inverse = distinct_periods(np.asarray(periods, dtype=np.int64))
    q_t = _query_times(grid.times(distinct), spec)[inverse]
    exact = spec.join == "date" and spec.availability == "known"
    rows = _asof(ref_key.exog_codes, ref_t, ref_key.series_to_exog[codes], q_t, exact=exact)
    found = rows >= 0
    out: dict[str, np.ndarray] = {}
    for column, name in zip(spec.columns, exogenous_columns(spec), strict=True):
        source = _numeric(frame[column], spec, column)
        values = np.full(len(rows), np.nan)
        values[found] = source[rows[found]]
        out[name] = values
    return out


class _Keys(NamedTuple):
    """Exogenous key code of every exogenous row and of every forecast series."""

    exog_codes: np.ndarray
    series_to_exog: np.ndarray


def _dataset(exog: Mapping[str, pd.DataFrame] | None, spec: ExogenousSpec) -> pd.DataFrame:
    if exog is None or spec.dataset not in exog:
        given = sorted(exog) if exog else []
        raise DataValidationError(
            f"exogenous dataset {spec.dataset!r} is declared but was not passed (got {given}); "
            "load it and pass it in exog"
        )
    frame = exog[spec.dataset]
    missing = [c for c in (DS, *spec.columns) if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"exogenous dataset {spec.dataset!r} lacks columns {missing}; "
            "fix the dataset's values or the forecaster's exogenous columns"
        )
    return frame


def _series_keys(frame: pd.DataFrame, spec: ExogenousSpec, ids: pd.Index) -> _Keys:
    keys = frame[UNIQUE_ID] if UNIQUE_ID in frame.columns else pd.Series(spec.dataset, frame.index)
    exog_codes, exog_ids = pd.factorize(keys)
    wanted = pd.Index([spec.key_map.get(str(s), s) for s in ids], dtype=object)
    series_to_exog = pd.Index(exog_ids, dtype=object).get_indexer(wanted)
    if (series_to_exog < 0).any():
        if len(exog_ids) == 1 and not spec.key_map:
            series_to_exog = np.zeros(len(ids), dtype=np.intp)
        else:
            lost = [str(s) for s, c in zip(ids, series_to_exog, strict=True) if c < 0][:5]
            raise DataValidationError(
                f"series {lost} have no rows in exogenous dataset {spec.dataset!r}; "
                "map them to an exogenous series with key_map"
            )
    return _Keys(np.asarray(exog_codes, dtype=np.int64), series_to_exog)


def _reference_times(frame: pd.DataFrame, spec: ExogenousSpec) -> np.ndarray:
    ns = utc_ns(frame[DS], what=f"exogenous dataset {spec.dataset!r} column 'ds'")
    return _local_days(ns, spec.timezone) if spec.join == "date" else ns


def _query_times(ns: np.ndarray, spec: ExogenousSpec) -> np.ndarray:
    if spec.join == "time":
        return ns  # known: at or before ds; origin: at or before the origin
    days = _local_days(ns, spec.timezone)
    # From an origin, the newest complete local day is the one before the origin's date.
    return days - 1 if spec.availability == "origin" else days


def _local_days(ns: np.ndarray, timezone: str) -> np.ndarray:
    """Local calendar day numbers (days since 1970-01-01 on the wall clock of ``timezone``)."""
    try:
        local = pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC").tz_convert(timezone)
    except KeyError as exc:
        raise ConfigError(f"exogenous timezone {timezone!r} is not a known IANA zone") from exc
    wall = np.asarray(local.tz_localize(None).as_unit("ns").asi8, dtype=np.int64)
    return wall // DAY_NS


def _asof(
    ref_key: np.ndarray, ref_t: np.ndarray, q_key: np.ndarray, q_t: np.ndarray, *, exact: bool
) -> np.ndarray:
    """Row of the latest reference with the same key and time <= query time (-1: none).

    With ``exact`` only a reference at exactly the query time counts. One searchsorted per
    exogenous key, so the cost is a sort plus a loop over keys, not over rows.
    """
    order = np.lexsort((ref_t, ref_key))
    sorted_key, sorted_t = ref_key[order], ref_t[order]
    out = np.full(len(q_key), -1, dtype=np.int64)
    q_order = np.argsort(q_key, kind="stable")
    q_sorted = q_key[q_order]
    for key in np.unique(q_sorted):
        lo, hi = np.searchsorted(sorted_key, [key, key + 1])
        qlo, qhi = np.searchsorted(q_sorted, [key, key + 1])
        which = q_order[qlo:qhi]
        pos = np.searchsorted(sorted_t[lo:hi], q_t[which], side="right") - 1
        ok = pos >= 0
        if exact:
            ok[ok] = sorted_t[lo:hi][pos[ok]] == q_t[which][ok]
        out[which[ok]] = order[lo + pos[ok]]
    return out


def _numeric(values: pd.Series, spec: ExogenousSpec, column: str) -> np.ndarray:
    try:
        return np.asarray(pd.to_numeric(values), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise DataValidationError(
            f"exogenous column {column!r} of {spec.dataset!r} is not numeric; "
            "drop it from the forecaster or convert it in the transform step"
        ) from exc
