"""Row-level building blocks of the transform step, on plain numpy arrays.

Series identity, numeric coercion, duplicate handling and derived columns, each vectorised
and each raising a :class:`~prevoir.errors.DataValidationError` that points at the raw row.
Working on arrays (series codes, int64 ns instants, float64 values) rather than on a frame
keeps ten-million-row datasets to a few seconds and a few copies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from prevoir.domain.admission import CONTROL_PATTERN, MAX_KEY_LENGTH, NOT_FINITE, key_problem
from prevoir.domain.datasets import DerivedColumn
from prevoir.errors import DataValidationError
from prevoir.ingest.source import Provenance

__all__ = [
    "Rows",
    "check_series_ids",
    "coerce_values",
    "derive_columns",
    "display",
    "iso",
    "series_codes",
    "sort_and_dedupe",
]

_SHOWN = 5  # offending rows listed in one message
_ID_SHOWN = 60  # characters of an overlong series id shown


@dataclass(frozen=True)
class Rows:
    """Parallel arrays for the rows being cleaned; ``rows`` are 1-based raw row numbers."""

    codes: np.ndarray
    rows: np.ndarray
    ds: np.ndarray
    values: dict[str, np.ndarray]

    def take(self, which: np.ndarray) -> Rows:
        """The rows selected by a boolean mask or an index array."""
        return Rows(
            codes=self.codes[which],
            rows=self.rows[which],
            ds=self.ds[which],
            values={name: arr[which] for name, arr in self.values.items()},
        )


def series_codes(
    frame: pd.DataFrame, keys: Sequence[str], *, dataset: str, source: Provenance
) -> tuple[np.ndarray, np.ndarray]:
    """Integer series code per row and the sorted ``unique_id`` labels the codes index.

    Keys are factorised one at a time and combined pairwise, so the work is a few integer
    factorisations; strings are only built once per series. Codes follow label order, so
    sorting by code sorts by ``unique_id``.
    """
    n = len(frame)
    if not keys:
        return np.zeros(n, dtype=np.int64), np.array([dataset], dtype=object)
    combined = np.zeros(n, dtype=np.int64)
    table = np.zeros((1, 0), dtype=np.int64)  # per series: the code of each key so far
    texts: list[np.ndarray] = []
    for key in keys:
        codes, uniques = pd.factorize(frame[key], use_na_sentinel=True)
        if (codes < 0).any():
            first = int(np.argmax(codes < 0))
            raise DataValidationError(
                f"{source.row(first + 1)}: key column {key!r} is empty; every row needs its "
                "series key; fill it in or drop the row at the source"
            )
        width = max(len(uniques), 1)
        combined, pairs = pd.factorize(combined * width + codes)
        table = np.column_stack([table[pairs // width], pairs % width])
        texts.append(np.array([_key_text(v) for v in uniques], dtype=object))
    labels = texts[0][table[:, 0]]
    for j in range(1, len(keys)):
        labels = labels + "/" + texts[j][table[:, j]]
    order = np.argsort(labels, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[combined].astype(np.int64), labels[order]


def display(value: object) -> str:
    """A raw cell as users see it in their file: ``'12 bikes'``, ``2023``, not ``np.int64``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def iso(ns: int | np.integer) -> str:
    """An instant (int64 ns, UTC) as messages show it."""
    return pd.Timestamp(int(ns), unit="ns", tz="UTC").isoformat()


def _key_text(value: object) -> str:
    """Key value as text; integral floats (ids read next to NaN) lose their ``.0``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def coerce_values(
    frame: pd.DataFrame, names: Sequence[str], *, source: Provenance, rows: np.ndarray
) -> dict[str, np.ndarray]:
    """Declared value columns as float64 arrays; a non-empty non-number is an error."""
    return {name: _as_float(frame[name], source=source, rows=rows) for name in names}


def _as_float(col: pd.Series, *, source: Provenance, rows: np.ndarray) -> np.ndarray:
    if is_datetime64_any_dtype(col.dtype):
        raise DataValidationError(
            f"{source}: value column {col.name!r} holds timestamps ({col.dtype}); values must "
            "be numeric; remove it from values or declare it as the time column"
        )
    if is_bool_dtype(col.dtype) or is_numeric_dtype(col.dtype):
        return _finite(col.to_numpy(dtype=np.float64, na_value=np.nan), col, source, rows)
    num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    text = col.astype("str").str.strip()
    suspect = np.isnan(num) & col.notna().to_numpy() & (text != "").to_numpy()
    if suspect.any():  # to_numeric also yields NaN for "nan", "NaN", ...: those are missing
        bad = suspect & ~text.str.lower().isin(("nan", "-nan", "+nan")).to_numpy()
        if bad.any():
            first = int(np.argmax(bad))
            what = (
                NOT_FINITE  # "1e309": a number, but beyond float64 (pandas gives up on it)
                if _overflows(text.iloc[first])
                else "is not a number; fix the value, or declare it as missing with na_values"
            )
            raise DataValidationError(
                f"{source.row(rows[first])}: column {col.name!r} value "
                f"{display(col.iloc[first])} {what} ({int(bad.sum())} value(s) like it)"
            )
    return _finite(num, col, source, rows)


def _overflows(text: str) -> bool:
    try:
        return np.isinf(float(text))
    except ValueError:
        return False


def _finite(num: np.ndarray, col: pd.Series, source: Provenance, rows: np.ndarray) -> np.ndarray:
    """``num`` unless it holds an infinity, which no model or metric can use."""
    infinite = np.isinf(num)
    if infinite.any():
        first = int(np.argmax(infinite))
        raise DataValidationError(
            f"{source.row(rows[first])}: column {col.name!r} value {display(col.iloc[first])} "
            f"{NOT_FINITE} ({int(infinite.sum())} value(s) like it)"
        )
    return num


def check_series_ids(
    labels: np.ndarray, codes: np.ndarray, *, source: Provenance, rows: np.ndarray
) -> None:
    """Refuse series ids the store cannot hold, naming the first raw row that carries one."""
    used = np.unique(codes)
    text = pd.Series(labels[used], dtype="str")
    suspect = (text.str.len() > MAX_KEY_LENGTH) | text.str.contains(CONTROL_PATTERN)
    bad = used[suspect.to_numpy()]
    if bad.size:
        label = str(labels[bad[0]])
        row = rows[int(np.argmax(codes == bad[0]))]
        shown = label if len(label) <= _ID_SHOWN else f"{label[:_ID_SHOWN]}..."
        raise DataValidationError(
            f"{source.row(row)}: series id {shown!r} {key_problem(label)} ({bad.size} "
            "series like it)"
        )


def sort_and_dedupe(
    state: Rows, pos: np.ndarray, *, labels: np.ndarray, source: Provenance
) -> tuple[Rows, np.ndarray, int]:
    """Sort by (series, time); drop exact duplicates, refuse conflicting ones.

    Only declared values are compared (Binance copies differ in a ``Date`` text nobody
    reads); NaN equals NaN. The first row in raw order is kept.
    """
    order = _sort_order(state.codes, pos)
    if order is not None:
        state, pos = state.take(order), pos[order]
    same = (state.codes[1:] == state.codes[:-1]) & (pos[1:] == pos[:-1])
    if not same.any():
        return state, pos, 0
    later = np.flatnonzero(same) + 1
    differs = np.zeros(later.size, dtype=bool)
    for arr in state.values.values():
        a, b = arr[later - 1], arr[later]
        differs |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
    if differs.any():
        raise _conflict(state, later[differs], labels=labels, source=source)
    keep = np.ones(pos.size, dtype=bool)
    keep[later] = False
    return state.take(keep), pos[keep], int(later.size)


def _sort_order(codes: np.ndarray, pos: np.ndarray) -> np.ndarray | None:
    """Stable order by (code, pos), or None when already sorted (the common case)."""
    if codes.size < 2:
        return None
    lo, hi = int(pos.min()), int(pos.max())
    width = hi - lo + 1
    if int(codes.max()) >= (2**62) // width:
        return np.lexsort((pos, codes))
    key = codes * width + (pos - lo)
    if (key[1:] >= key[:-1]).all():
        return None
    n = codes.size
    if int(key.max()) < (2**62) // n:
        # Row number as the low digits: keys become unique, so a plain value sort (several
        # times faster than a stable argsort) yields the stable order in its remainders.
        return np.sort(key * n + np.arange(n)) % n
    return np.argsort(key, kind="stable")


def _conflict(
    state: Rows, later: np.ndarray, *, labels: np.ndarray, source: Provenance
) -> DataValidationError:
    """List up to five (unique_id, ds) pairs whose copies disagree, with the values."""
    lines = []
    for i in later[:_SHOWN]:
        diff = {
            name: (_num(arr[i - 1]), _num(arr[i]))
            for name, arr in state.values.items()
            if not (arr[i - 1] == arr[i] or (np.isnan(arr[i - 1]) and np.isnan(arr[i])))
        }
        shown = ", ".join(f"{k}: {a} vs {b}" for k, (a, b) in diff.items())
        lines.append(
            f"({labels[state.codes[i]]}, {iso(state.ds[i])}) rows {state.rows[i - 1]} and "
            f"{state.rows[i]}: {shown}"
        )
    return DataValidationError(
        f"{source}: {later.size} (unique_id, ds) pair(s) appear more than once with different "
        f"values: {'; '.join(lines)}; remove one of each pair or fix the source"
    )


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def derive_columns(
    values: Mapping[str, np.ndarray],
    derived: Sequence[DerivedColumn],
    *,
    n: int,
    source: Provenance,
) -> dict[str, np.ndarray]:
    """Compute ``derived`` in order (each may use the ones before it); return the new arrays."""
    out: dict[str, np.ndarray] = {}
    for column in derived:
        scope = pd.DataFrame({**values, **out}, copy=False)
        result = _evaluate(scope, column, n=n, source=source)
        current = out.get(column.name, values.get(column.name))
        if column.only_missing and current is not None:
            result = np.where(np.isnan(current), result, current)
        out[column.name] = result
    return out


def _evaluate(
    scope: pd.DataFrame, column: DerivedColumn, *, n: int, source: Provenance
) -> np.ndarray:
    """One ``DataFrame.eval`` expression as a float64 array of length ``n``."""
    try:
        result = scope.eval(column.expr)
        arr = np.broadcast_to(np.asarray(result, dtype=np.float64), (n,)).copy()
    except Exception as exc:  # the user's expression: any failure is theirs to fix
        raise DataValidationError(
            f"{source}: derived column {column.name!r} = {column.expr!r} cannot be computed "
            f"({type(exc).__name__}: {exc}); columns available: {list(scope.columns)}; fix "
            "the expression"
        ) from exc
    if np.isinf(arr).any():
        raise DataValidationError(
            f"{source}: derived column {column.name!r} = {column.expr!r} gives "
            f"{int(np.isinf(arr).sum())} infinite value(s) (a division by zero?); a value "
            f"{NOT_FINITE}; guard the expression, e.g. with .where(...)"
        )
    return arr
