"""What an observation must be to enter the store, whichever door it comes through.

The CLI's pipeline (files, SQL) and the API's ``POST /observations`` refuse the same
things with the same words: a series id that the store cannot hold or that would corrupt a
log line or a terminal (empty, over ``MAX_KEY_LENGTH`` characters, control characters), a
value that is not a finite number (``inf``, ``-inf``; missing is NaN or null, not
infinity), and a time off the dataset's grid, for which the message offers the nearest
valid times. Each door adds where the offence is (file and row, or ``body.rows.<i>``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from prevoir.domain.grid import Grid

__all__ = [
    "CONTROL_PATTERN",
    "KEY_PATTERN",
    "MAX_KEY_LENGTH",
    "NOT_FINITE",
    "first_off_grid",
    "key_problem",
    "off_grid_problem",
]

MAX_KEY_LENGTH = 200  # the store's column width for series ids and names
_CONTROLS = r"\x00-\x1f\x7f"  # the characters no id may hold (C0 controls and DEL)
CONTROL_PATTERN = f"[{_CONTROLS}]"  # one of them: for vectorised checks of many ids
KEY_PATTERN = f"^[^{_CONTROLS}]+$"  # what an id is, for schemas (OpenAPI)
_CONTROL = re.compile(CONTROL_PATTERN)

NOT_FINITE = (
    "is not a finite number; inf and -inf are refused (leave a missing value empty, or null "
    "in JSON)"
)


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a series id, or None when it can."""
    if not key:
        return "is empty; every row needs its series id"
    if len(key) > MAX_KEY_LENGTH:
        return (
            f"has {len(key)} characters, over the limit of {MAX_KEY_LENGTH}; shorten the id "
            "at the source"
        )
    control = _CONTROL.search(key)
    if control:
        return (
            f"contains the control character {control.group()!r} at position "
            f"{control.start() + 1}; remove it at the source"
        )
    return None


def off_grid_problem(when: str, freq: str, nearest: tuple[str, ...]) -> str:
    """The words for a time ``when`` that is not on the ``freq`` grid of its dataset."""
    around = " or ".join(nearest)
    return (
        f"time {when} is not on the dataset's {freq!r} grid (nearest valid: {around}); "
        "send times on the grid, or resample them before sending"
    )


def first_off_grid(ns: np.ndarray, freq: str, *, timezone: str) -> tuple[int, str] | None:
    """The first of the instants ``ns`` (int64 ns, UTC) off the grid of a dataset of ``freq``
    written in ``timezone``, with the words for it; None when all are on the grid."""
    grid = Grid.covering(freq, ns, timezone=timezone, what="the dataset")
    _, on_grid = grid.positions(ns)
    if on_grid.all():
        return None
    first = int(np.argmax(~on_grid))
    nearest = tuple(_iso(t) for t in grid.neighbours(int(ns[first])))
    return first, off_grid_problem(_iso(int(ns[first])), freq, nearest)


def _iso(ns: int) -> str:
    return pd.Timestamp(ns, unit="ns", tz="UTC").isoformat()
