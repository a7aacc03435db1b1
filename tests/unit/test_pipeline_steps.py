"""The step registry, and what a step says when an earlier step never produced its input."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from prevoir.domain.steps import STEP_ORDER
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps import STEPS
from prevoir.pipeline.steps.inputs import missing_input
from prevoir.testing import make_spec


def test_every_step_is_a_function_of_its_name_in_a_module_of_its_name() -> None:
    assert tuple(STEPS) == STEP_ORDER
    for name in STEP_ORDER:
        module = importlib.import_module(f"prevoir.pipeline.steps.{name}")
        assert callable(getattr(module, name))
        assert STEPS[name].__name__ == name


class _Stored:
    """What the store holds of one forecaster, as the checks of ``missing_input`` ask it."""

    def __init__(self, *produced: str) -> None:
        self.produced = set(produced)

    def last_observation_times(self, dataset: str, variable: str) -> dict[str, object]:
        return {"a": object()} if "load" in self.produced else {}

    def latest_artifact(self, *, subject: str, kind: str) -> object | None:
        return object() if "features" in self.produced else None

    def version_for(self, forecaster: str, alias: str) -> object | None:
        step = "train" if alias == "challenger" else "evaluate"
        return object() if step in self.produced else None


@pytest.mark.parametrize(
    ("step", "produced", "first"),
    [
        ("predict", (), "extract transform load features train evaluate"),
        ("predict", ("load",), "features train evaluate"),
        ("predict", ("load", "features", "train"), "evaluate"),
        ("predict", ("load", "train", "evaluate"), "features train evaluate"),
        ("train", (), "extract transform load features"),
        ("evaluate", ("load", "features"), "train"),
        ("features", (), "extract transform load"),
    ],
)
def test_a_missing_input_names_every_step_from_the_first_missing_one(
    step: str, produced: tuple[str, ...], first: str
) -> None:
    ctx = RunContext(
        run_id=1,
        profile="default",
        datasets={},
        forecasters={},
        store=_Stored(*produced),  # type: ignore[arg-type]
        artifacts_dir=Path(),
    )
    error = missing_input(ctx, make_spec(), step, "what it lacks")
    assert error.needs == first
    assert f"run `prevoir run --steps {first}` first" in str(error)
