"""A forecaster's history laid out densely on its time grid, one series after another.

Every time is mapped to an integer period of a :class:`~prevoir.domain.grid.Grid` anchored at
the first observation, so lags, rolling windows and origin look-ups become integer arithmetic
on numpy arrays instead of timestamp merges: that is what makes thousands of origins cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, UNIQUE_ID, Y
from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.grid import Grid, to_timestamps, utc_ns
from prevoir.errors import DataValidationError

__all__ = ["Panel", "distinct_periods"]

_MAX_CELLS = 50_000_000  # dense cells (series x periods, 8 bytes each) accepted at once


@dataclass(frozen=True)
class Panel:
    """Every series laid out densely on the grid, one after another in ``values``.

    Each series is preceded by ``pad`` NaNs so that a rolling window of up to ``pad + 1``
    periods never reaches into the previous series.
    """

    ids: pd.Index  # sorted series ids; a series' code is its position here
    grid: Grid
    start: np.ndarray  # period index of each series' first row
    length: np.ndarray  # periods from each series' first row to its last row, inclusive
    offset: np.ndarray  # position in ``values`` of each series' first period
    values: np.ndarray  # float64, NaN where a period has no observation
    pad: int

    @classmethod
    def from_history(cls, history: pd.DataFrame, *, freq: str, pad: int = 0) -> Panel:
        """Validate a ``unique_id, ds, y`` frame and lay it out on the ``freq`` grid."""
        missing = [c for c in (UNIQUE_ID, DS, Y) if c not in history.columns]
        if missing:
            raise DataValidationError(
                f"history lacks columns {missing}; it must be a long frame unique_id, ds, y"
            )
        codes, ids = pd.factorize(history[UNIQUE_ID], sort=True)
        if (codes < 0).any():
            raise DataValidationError(
                f"history has {int((codes < 0).sum())} rows without a unique_id; "
                "drop them or give them a series id"
            )
        ns = utc_ns(history[DS], what="history column 'ds'")
        y = _as_float(history[Y])
        anchor = int(ns.min()) if len(ns) else 0
        grid = Grid(freq, freq_to_ns(freq), anchor)
        idx = grid.index(ns, what="history time")
        order = np.lexsort((idx, codes))
        codes, idx, y = codes[order], idx[order], y[order]
        _refuse_duplicates(codes, idx, ids, grid)
        n = len(ids)
        first = np.searchsorted(codes, np.arange(n), side="left")
        last = np.searchsorted(codes, np.arange(n), side="right") - 1
        start = idx[first] if n else np.zeros(0, dtype=np.int64)
        length = (idx[last] - start + 1) if n else np.zeros(0, dtype=np.int64)
        block = length + pad
        offset = np.cumsum(block) - length
        total = int(block.sum())
        if total > _MAX_CELLS:
            raise DataValidationError(
                f"history spans {total} periods of {freq!r} across {n} series, too many to "
                "lay out; restrict the series or the time range (train_window)"
            )
        values = np.full(total, np.nan)
        values[offset[codes] + idx - start[codes]] = y
        return cls(pd.Index(ids), grid, start, length, offset, values, pad)

    def codes_of(self, ids: pd.Series | pd.Index, *, what: str) -> np.ndarray:
        """Code of each series id; an id absent from history is an error, not a silent NaN."""
        codes = self.ids.get_indexer(pd.Index(ids))
        if (codes < 0).any():
            unknown = sorted({str(v) for v in np.asarray(ids)[codes < 0]})[:5]
            raise DataValidationError(
                f"{what} names series absent from history: {unknown}; "
                "pass history for every series you forecast"
            )
        return codes

    def take(self, values: np.ndarray, codes: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Values of a panel-shaped array at (series, period); NaN outside each series."""
        pos = idx - self.start[codes]
        ok = (pos >= 0) & (pos < self.length[codes])
        out = np.full(len(codes), np.nan)
        out[ok] = values[self.offset[codes[ok]] + pos[ok]]
        return out

    def lookup(self, codes: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Observed y at (series, period); NaN when missing or outside the series."""
        return self.take(self.values, codes, idx)

    def locate_origins(self, origins: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Series codes and period indices of unique origins, sorted by series then time."""
        missing = [c for c in (UNIQUE_ID, ORIGIN) if c not in origins.columns]
        if missing:
            raise DataValidationError(f"origins lack columns {missing}; expected unique_id, origin")
        codes = self.codes_of(origins[UNIQUE_ID], what="origins")
        idx = self.grid.index(
            utc_ns(origins[ORIGIN], what="origins column 'origin'"), what="origin"
        )
        key = np.unique(np.stack([codes.astype(np.int64), idx]), axis=1)
        return key[0], key[1]

    def series_end(self) -> np.ndarray:
        """Period index of each series' last row."""
        return self.start + self.length - 1


def _as_float(values: pd.Series) -> np.ndarray:
    try:
        return np.asarray(pd.to_numeric(values), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise DataValidationError(
            f"history column 'y' must be numeric ({exc}); clean the target column"
        ) from exc


def _refuse_duplicates(codes: np.ndarray, idx: np.ndarray, ids: pd.Index, grid: Grid) -> None:
    dup = (np.diff(codes) == 0) & (np.diff(idx) == 0)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        when = to_timestamps(grid.times(idx[i : i + 1]))[0]
        raise DataValidationError(
            f"history has duplicate rows for series {ids[codes[i]]!r} at {when}; "
            "drop duplicates on (unique_id, ds) before forecasting"
        )


def distinct_periods(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct period indices and the position of each input among them.

    Work that depends only on the time (calendar, exogenous time keys) is done once per
    distinct period; a dense range is used when it is compact, which avoids a sort.
    """
    if len(idx) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lo, hi = int(idx.min()), int(idx.max())
    if hi - lo + 1 <= 2 * len(idx) + 1024:
        return np.arange(lo, hi + 1, dtype=np.int64), idx - lo
    distinct, inverse = np.unique(idx, return_inverse=True)
    return distinct, inverse
