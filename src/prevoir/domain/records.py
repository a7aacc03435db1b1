"""Frozen records of what happened: steps of runs (and, from the store, runs and versions).

They carry no behaviour; the store writes and reads them, the CLI and the API show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

StepStatus = Literal["running", "succeeded", "failed", "skipped"]


@dataclass(frozen=True)
class StepRecord:
    """What one step of a run did, as the runner records it."""

    name: str
    status: StepStatus
    started_at: datetime
    duration_s: float
    rows_in: int = 0
    rows_out: int = 0
    files: tuple[str, ...] = ()
    error: str | None = None
