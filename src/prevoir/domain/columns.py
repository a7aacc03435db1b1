"""Column names of the long-frame contract, in one place.

Observations: ``unique_id, ds, y`` (+ exogenous columns).
Forecasts: ``unique_id, origin, ds, step, yhat`` (+ ``yhat_lo_<level>``, ``yhat_hi_<level>``).
``ds`` and ``origin`` are tz-aware UTC timestamps; ``step`` is the horizon in frequency units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

UNIQUE_ID = "unique_id"
DS = "ds"
Y = "y"
ORIGIN = "origin"
STEP = "step"
MODEL = "model"
YHAT = "yhat"

FORECAST_COLUMNS = (UNIQUE_ID, ORIGIN, DS, STEP, YHAT)


def lo_column(level: int) -> str:
    """Name of the lower interval bound at ``level`` percent."""
    return f"yhat_lo_{level}"


def hi_column(level: int) -> str:
    """Name of the upper interval bound at ``level`` percent."""
    return f"yhat_hi_{level}"


_LO = re.compile(r"yhat_lo_(\d+)")


def interval_levels(columns: Iterable[str]) -> list[int]:
    """Levels, ascending, for which ``columns`` hold both interval bounds."""
    names = set(columns)
    found = {int(m.group(1)) for c in names if (m := _LO.fullmatch(c))}
    return sorted(level for level in found if hi_column(level) in names)
