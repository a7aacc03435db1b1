"""The one time grid: integer periods on a time axis, in nanoseconds since the Unix epoch.

A time maps to an integer period, so gap filling (ingest), lags, rolling windows and origin
look-ups (features, models) are integer arithmetic on numpy arrays instead of timestamp
merges. A grid has one of two shapes:

* fixed step (``h``, ``15min``, ``D`` in UTC): period ``i`` is ``anchor + i * step``. The
  anchor is the Unix epoch unless given (a panel anchors at its first observation), so
  ``D`` means UTC midnights. A time between two periods is off the grid: an error, since no
  fill rule or lag can place it.
* explicit times: calendar frequencies (``W``, ``MS``), and daily or longer frequencies of
  data dated in a local zone (a weather file dated in Seattle time: local midnights, 23 or
  25 hours apart around DST), materialised once with :func:`pandas.date_range` over the
  data's span; period ``i`` is the ``i``-th of those times.

Why nanoseconds: they are pandas' default resolution and the unit of everything that keeps
period arithmetic beyond one call (the period indices fitted models store, the
epoch-anchored catch-up windows, ``prevoir.domain.frequency.freq_to_ns``), so the
forecasting hot paths never convert.
Ingest, which parses and stores microseconds, converts once on the way in; int64 nanoseconds
only reach 1677-09-21 to 2262-04-11, and numpy wraps silently beyond, so that conversion
refuses times outside the range instead. float64 does not hold ns instants exactly: compute
differences of times in int64 before any float arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from prevoir.errors import DataValidationError

__all__ = ["Grid", "to_timestamps", "utc_ns"]

_DAY_NS = 86_400_000_000_000


def _step_ns(offset: BaseOffset) -> int:
    """Nanoseconds of a fixed offset; calendar offsets (``MS``, ``W``) raise, as they should."""
    return int(pd.Timedelta(offset).as_unit("ns").value)  # type: ignore[arg-type]


def utc_ns(values: pd.Series | pd.Index, *, what: str) -> np.ndarray:
    """Nanoseconds since the epoch of tz-aware timestamps; naive ones are refused, not guessed."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise DataValidationError(
            f"{what} must hold tz-aware UTC timestamps, got dtype {values.dtype}; "
            "convert it with pd.to_datetime(..., utc=True)"
        )
    index = pd.DatetimeIndex(values).tz_convert("UTC").as_unit("ns")
    if index.hasnans:
        raise DataValidationError(f"{what} has missing timestamps; drop or fill those rows")
    return np.asarray(index.asi8, dtype=np.int64)


def to_timestamps(ns: np.ndarray) -> pd.DatetimeIndex:
    """tz-aware UTC timestamps from nanoseconds since the epoch."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]")).tz_localize("UTC")


@dataclass(frozen=True)
class Grid:
    """Maps instants (int64 ns since the epoch) to integer periods of ``freq`` and back."""

    freq: str
    step: int  # ns from one period to the next; 0 when the periods are ``explicit``
    anchor: int = 0  # ns of period 0 of a fixed-step grid
    explicit: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @classmethod
    def covering(cls, freq: str, ns: np.ndarray, *, timezone: str = "UTC", what: str) -> Grid:
        """The grid of ``freq`` that data at ``ns``, written in ``timezone``, should sit on.

        Epoch-anchored fixed steps, except daily or longer steps in a local zone; otherwise
        explicit times covering ``ns``. ``what`` names the data in the error for a bad freq.
        """
        try:
            offset = to_offset(freq)
        except ValueError as exc:
            raise DataValidationError(
                f"{what}: frequency {freq!r} is not a pandas frequency "
                "(e.g. 'h', '15min', 'D', 'W', 'MS'); fix freq"
            ) from exc
        try:
            step = _step_ns(offset)
        except (ValueError, TypeError):
            step = 0  # a calendar frequency: explicit times
        local_days = timezone != "UTC" and step >= _DAY_NS
        if step > 0 and not local_days:
            return cls(freq, step)
        if ns.size == 0:
            return cls(freq, 0)
        lo = pd.Timestamp(int(ns.min()), unit="ns", tz="UTC").tz_convert(timezone)
        hi = pd.Timestamp(int(ns.max()), unit="ns", tz="UTC").tz_convert(timezone)
        start = lo.normalize() if local_days else offset.rollback(lo)
        local = pd.date_range(start, hi, freq=offset, unit="ns")
        return cls(freq, 0, explicit=np.asarray(local.tz_convert("UTC").asi8))

    def positions(self, ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Period of each instant (negative before the anchor), and whether it is on the grid."""
        if self.step:
            period, rest = np.divmod(ns - self.anchor, self.step)
            return period, rest == 0
        idx = np.searchsorted(self.explicit, ns)
        clipped = np.minimum(idx, max(len(self.explicit) - 1, 0))
        hit = (idx < len(self.explicit)) & (self.explicit[clipped] == ns)
        return idx, hit

    def neighbours(self, ns: int) -> tuple[int, ...]:
        """The grid times just before and just after an off-grid instant (one at the edges of
        an explicit grid): what a message offers instead of it."""
        if self.step:
            before = self.anchor + ((ns - self.anchor) // self.step) * self.step
            return (before, before + self.step)
        idx = int(np.searchsorted(self.explicit, ns))
        return tuple(int(self.explicit[i]) for i in (idx - 1, idx) if 0 <= i < len(self.explicit))

    def index(self, ns: np.ndarray, *, what: str) -> np.ndarray:
        """Period of each instant; a time off the grid is a data error, not rounded."""
        ns = np.asarray(ns, dtype=np.int64)
        period, on_grid = self.positions(ns)
        if not on_grid.all():
            bad = to_timestamps(ns[~on_grid][:1])[0]
            grid = (
                f"the regular grid of step {pd.Timedelta(self.step)} starting "
                f"{to_timestamps(np.array([self.anchor]))[0]}"
                if self.step
                else f"the {self.freq!r} grid"
            )
            raise DataValidationError(
                f"{what} {bad} is not on {grid}; resample the data to the forecaster's freq"
            )
        return period

    def times(self, period: np.ndarray) -> np.ndarray:
        """Nanoseconds since the epoch of periods (the inverse of :meth:`positions`)."""
        if self.step:
            return self.anchor + np.asarray(period, dtype=np.int64) * self.step
        return self.explicit[period]
