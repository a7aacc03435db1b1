"""One forecaster's failure is its own: train and predict go on with the others.

``Isolation(ctx, step).forecaster(name)`` wraps one forecaster's work in a step: an error
there is recorded in ``ctx.failures`` (and the run's notes) instead of stopping the step, so
the run ends ``partial`` naming it. What no forecaster can work around still stops the step:
the store going away (``StoreError``), a missing input (``MissingInputError``), a run of one
forecaster, and a step in which every forecaster failed (its first error is raised).
A failed forecaster's champion and earlier forecasts are untouched: nothing of it is promoted
or deleted, and forecasts are only ever upserted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prevoir.errors import MissingInputError, StoreError
from prevoir.pipeline.context import RunContext

logger = logging.getLogger(__name__)

FATAL = (StoreError, MissingInputError)


class Isolation:
    """The per-forecaster failures of one step of one run."""

    def __init__(self, ctx: RunContext, step: str) -> None:
        self.ctx, self.step = ctx, step
        self.errors: dict[str, Exception] = {}

    @contextmanager
    def forecaster(self, name: str) -> Iterator[None]:
        """Run the block for forecaster ``name``; its own error is recorded, not raised."""
        try:
            yield
        except FATAL:
            raise
        except Exception as exc:
            if len(self.ctx.forecasters) <= 1:
                raise
            self.errors[name] = exc
            self.ctx.failures[name] = f"{self.step} failed: {exc}"
            self.ctx.notes.append(f"{name}: {self.step} failed, the others went on: {exc}")
            logger.warning("run %s: %s of %s failed: %s", self.ctx.run_id, self.step, name, exc)

    def finish(self, attempted: int) -> None:
        """Raise the first error when all ``attempted`` forecasters failed."""
        if self.errors and len(self.errors) >= attempted:
            raise next(iter(self.errors.values()))
