"""The column contract and the frozen records every layer shares."""

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.records import StepRecord
from prevoir.domain.specs import ForecasterSpec

__all__ = ["DS", "ORIGIN", "STEP", "UNIQUE_ID", "YHAT", "ForecasterSpec", "StepRecord", "Y"]
