"""What a step reports back to the runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StepOutcome:
    """Rows read and written and the files a step produced."""

    rows_in: int = 0
    rows_out: int = 0
    files: tuple[Path, ...] = ()
