"""load: upsert the clean frames into the store, all datasets in one transaction."""

from __future__ import annotations

from prevoir.errors import MissingInputError
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.outcome import StepOutcome


def load(ctx: RunContext) -> StepOutcome:
    """Idempotent bulk upsert: loading the same data twice changes nothing."""
    if not ctx.clean:
        raise MissingInputError("load", "extract transform load", "the clean frames of this run")
    frames = {name: (frame, ctx.datasets[name].spec.values) for name, frame in ctx.clean.items()}
    rows_in = sum(len(frame) for frame, _ in frames.values())
    changed = ctx.store.load_observations(frames)
    return StepOutcome(rows_in=rows_in, rows_out=changed)
