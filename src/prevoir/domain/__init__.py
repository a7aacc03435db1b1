"""The column contract, the time grid, the declared specs and the records every layer shares.

The specs (pydantic) are imported on first use, so a light importer such as the CLI's help
pays only for the column names.
"""

from prevoir._lazy import lazy_names
from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "ForecasterSpec": "prevoir.domain.specs",
        "Grid": "prevoir.domain.grid",
        "StepRecord": "prevoir.domain.records",
    },
)

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
