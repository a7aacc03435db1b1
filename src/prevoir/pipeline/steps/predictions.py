"""``predictions.csv``: the forecasts a predict step issued, in the run's folder.

A hand-written job leaves its predictions beside its logs; prevoir's store is the record,
and this file is the same rows for whoever reads files (a spreadsheet, a diff between
runs). Rows are appended batch by batch as they are committed, so the file never holds more
than the store and costs one pass over the new forecasts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, hi_column, lo_column
from prevoir.domain.specs import ForecasterSpec

__all__ = ["PREDICTIONS", "PredictionsFile"]

PREDICTIONS = "predictions.csv"


class PredictionsFile:
    """One CSV for every forecaster of the run: the columns of the forecast contract and the
    bands of every interval level any of them issues (empty where one does not)."""

    def __init__(self, path: Path, specs: Iterable[ForecasterSpec]) -> None:
        self.path = path
        levels = sorted({level for spec in specs for level in spec.intervals.levels})
        bands = [column(level) for level in levels for column in (lo_column, hi_column)]
        self.columns = ["forecaster", UNIQUE_ID, ORIGIN, DS, STEP, YHAT, *bands]
        self.rows = 0

    def append(self, forecaster: str, forecasts: pd.DataFrame) -> None:
        """Add one committed batch (times as ISO 8601 UTC)."""
        if forecasts.empty:
            return
        frame = forecasts.assign(forecaster=forecaster).reindex(columns=self.columns)
        for column in (ORIGIN, DS):  # numpy writes ISO times 10x faster than to_csv's format
            utc = frame[column].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            frame[column] = np.char.add(np.datetime_as_string(utc, unit="s"), "Z")
        frame.to_csv(self.path, mode="a" if self.rows else "w", header=not self.rows, index=False)
        self.rows += len(frame)
