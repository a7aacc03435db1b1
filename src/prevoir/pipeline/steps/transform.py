"""transform: validate and clean the raw frames (times to UTC, duplicates, gaps, blacklist)."""

from __future__ import annotations

from prevoir.errors import MissingInputError
from prevoir.ingest.transform import clean_frame
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.outcome import StepOutcome


def transform(ctx: RunContext) -> StepOutcome:
    """Clean every dataset; any invalid dataset fails the step before anything is loaded."""
    if not ctx.raw:
        raise MissingInputError("transform", "extract transform", "the raw frames of this run")
    rows_in = rows_out = 0
    for name, plan in ctx.datasets.items():
        result = clean_frame(ctx.raw[name], plan.spec, source=plan.source)
        frame = result.frame
        if plan.since is not None:
            frame = frame[frame["ds"] >= plan.since].reset_index(drop=True)
        ctx.clean[name] = frame
        ctx.notes.extend(f"{name}: {note}" for note in result.report.notes)
        rows_in += result.report.rows_in
        rows_out += len(frame)
    return StepOutcome(rows_in=rows_in, rows_out=rows_out)
