"""The column contract, the time grid and the frozen records every layer shares."""

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.grid import Grid
from prevoir.domain.records import ForecasterSpec, StepRecord

__all__ = [
    "DS",
    "ORIGIN",
    "STEP",
    "UNIQUE_ID",
    "YHAT",
    "ForecasterSpec",
    "Grid",
    "StepRecord",
    "Y",
]
