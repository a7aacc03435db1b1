"""The step registry: every step of ``STEP_ORDER`` is found where ``STEPS`` imports it from."""

from __future__ import annotations

import importlib

from prevoir.domain.steps import STEP_ORDER
from prevoir.pipeline.steps import STEPS


def test_every_step_is_a_function_of_its_name_in_a_module_of_its_name() -> None:
    assert tuple(STEPS) == STEP_ORDER
    for name in STEP_ORDER:
        module = importlib.import_module(f"prevoir.pipeline.steps.{name}")
        assert callable(getattr(module, name))
        assert STEPS[name].__name__ == name
