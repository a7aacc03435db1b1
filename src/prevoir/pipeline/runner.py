"""Run pipeline steps in order, time each one, and hand every record to the caller.

The runner knows nothing of the store: ``on_record`` (from the composition root) persists
each ``StepRecord`` as soon as the step ends, so a crash still leaves the history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from prevoir.domain.records import StepRecord
from prevoir.domain.steps import STEP_ORDER
from prevoir.errors import ConfigError, StepFailedError
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps import STEPS, StepOutcome

logger = logging.getLogger(__name__)


def order_steps(names: Iterable[str] | None) -> tuple[str, ...]:
    """The requested steps in pipeline order; all of them when ``names`` is None or empty."""
    wanted = list(names or ())
    if not wanted:
        return STEP_ORDER
    unknown = [name for name in wanted if name not in STEPS]
    if unknown:
        raise ConfigError(
            f"unknown step(s) {', '.join(unknown)}; the steps are: {' '.join(STEP_ORDER)}"
        )
    return tuple(name for name in STEP_ORDER if name in wanted)


def run_steps(
    ctx: RunContext,
    names: Iterable[str],
    *,
    on_record: Callable[[StepRecord], None],
    before_step: Callable[[str], None] | None = None,
) -> list[StepRecord]:
    """Run ``names`` in order; the first failure is recorded, then raised as StepFailedError.

    ``before_step(name)`` runs first, as part of the step (the composition root takes the
    training leases there): its error fails the step. A ``BaseException`` that is no
    ``Exception`` (Ctrl-C, a stop signal) is not recorded: it passes up to the caller.
    """
    records = []
    for name in names:
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        logger.info("run %s: step %s started", ctx.run_id, name)
        try:
            if before_step is not None:
                before_step(name)
            ctx.progress.step_started(name)  # after the hook: the caller knows the step
            outcome = STEPS[name](ctx)
        except Exception as exc:
            record = _record(name, started, t0, StepOutcome(), error=exc)
            ctx.progress.step_ended(record)
            on_record(record)
            logger.info("run %s: step %s failed: %s", ctx.run_id, name, exc)
            raise StepFailedError(name, ctx.run_id, exc) from exc
        record = _record(name, started, t0, outcome)
        ctx.progress.step_ended(record)
        on_record(record)
        records.append(record)
    return records


def _record(
    name: str,
    started: datetime,
    t0: float,
    outcome: StepOutcome,
    *,
    error: BaseException | None = None,
) -> StepRecord:
    return StepRecord(
        name=name,
        status="failed" if error else "succeeded",
        started_at=started,
        duration_s=time.perf_counter() - t0,
        rows_in=outcome.rows_in,
        rows_out=outcome.rows_out,
        files=tuple(str(path) for path in outcome.files),
        error=str(error) if error else None,
    )
