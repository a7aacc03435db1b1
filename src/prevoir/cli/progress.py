"""How a run shows its progress: rich bars on a terminal, one plain line per step otherwise.

Output read by cron mail, ``docker logs`` or a log file gets no bars and no control codes:
each step writes a line when it starts and one when it ends, with its rows and seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from prevoir.domain.records import StepRecord

__all__ = ["PlainProgress", "RichProgress", "progress_for"]


class _Task:
    def __init__(self, progress: Progress, task_id: TaskID) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._task_id, amount)


class _NoTask:
    def advance(self, amount: int = 1) -> None:
        """Lines, not bars: nothing to redraw."""


class RichProgress:
    """One bar per long-running task of a step; used as a context manager around the run."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def task(self, description: str, *, total: int | None) -> _Task:
        """Start a bar."""
        return _Task(self._progress, self._progress.add_task(description, total=total))

    def step_started(self, name: str) -> None:
        """The bars show it."""

    def step_ended(self, record: StepRecord) -> None:
        """The summary table shows it."""

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


class PlainProgress:
    """A line per step start and end, timestamped in UTC, never wrapped or coloured."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def task(self, description: str, *, total: int | None) -> _NoTask:
        """No bars in a log."""
        return _NoTask()

    def step_started(self, name: str) -> None:
        """``<time> step <name> started``."""
        self._line(f"step {name} started")

    def step_ended(self, record: StepRecord) -> None:
        """``<time> step <name> <status> in <s> s, <rows> rows in, <rows> rows out``."""
        self._line(
            f"step {record.name} {record.status} in {record.duration_s:.2f} s, "
            f"{record.rows_in:,} rows in, {record.rows_out:,} rows out"
        )

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._console.print(f"{stamp} {text}", markup=False, highlight=False, soft_wrap=True)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_for(console: Console) -> RichProgress | PlainProgress:
    """Bars on a terminal, plain lines on anything else (a pipe, a file, cron)."""
    return RichProgress(console) if console.is_terminal else PlainProgress(console)
