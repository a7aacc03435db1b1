"""The column contract and the frozen records every layer shares."""

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, Y, YHAT
from prevoir.domain.records import ForecasterSpec, StepRecord

__all__ = ["DS", "ORIGIN", "STEP", "UNIQUE_ID", "Y", "YHAT", "ForecasterSpec", "StepRecord"]
