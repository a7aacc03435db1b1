"""extract: read every dataset's source into a raw frame kept for this run."""

from __future__ import annotations

from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.outcome import StepOutcome


def extract(ctx: RunContext) -> StepOutcome:
    """Read each source; raw frames stay in memory (the sources themselves are the record).

    ``plan.read`` is the source's reader from ``prevoir.ingest.readers``, bound to its
    declaration by the composition root, so this step needs no database driver of its own.
    """
    rows = 0
    task = ctx.progress.task("extract", total=len(ctx.datasets))
    for name, plan in ctx.datasets.items():
        ctx.raw[name] = plan.read()
        rows += len(ctx.raw[name])
        task.advance()
    return StepOutcome(rows_in=rows, rows_out=rows)
