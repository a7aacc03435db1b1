"""One module per pipeline step, named after it and holding a function of that name;
``STEPS`` maps the names of ``STEP_ORDER`` to them, in pipeline order.

A step's module is imported when the step first runs, so a run pays only for its own steps'
libraries: evaluate draws with matplotlib and scores with scikit-learn, predict needs neither.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from prevoir.domain.steps import STEP_ORDER
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.outcome import StepOutcome

Step = Callable[[RunContext], StepOutcome]


def _on_first_run(name: str) -> Step:
    """Step ``name``, its module imported when it is called."""

    def run(ctx: RunContext) -> StepOutcome:
        step: Step = getattr(importlib.import_module(f"{__name__}.{name}"), name)
        return step(ctx)

    run.__name__ = run.__qualname__ = name
    return run


STEPS: dict[str, Step] = {name: _on_first_run(name) for name in STEP_ORDER}

__all__ = ["STEPS", "Step", "StepOutcome"]
