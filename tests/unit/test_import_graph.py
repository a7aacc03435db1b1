"""A command pays only for what it uses: which libraries each entry point imports.

Each test runs a fresh interpreter and asserts on its ``sys.modules`` (never on timings):
the CLI's import and help load no data or model library, a model kind loads its own library
only, and a predict-only run loads no plotting. ``import lightgbm`` itself imports parts of
scikit-learn (``lightgbm.compat``: ``sklearn.base``, ``model_selection``, ``metrics``...), so
LightGBM paths are checked for the scikit-learn modules prevoir uses (``sklearn.ensemble``)
rather than for ``sklearn`` as a whole.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prevoir.domain.specs import LabelSpec
from prevoir.models.factory import make_model
from prevoir.testing import make_series, make_spec

HEAVY = (
    "pandas",
    "sqlalchemy",
    "pydantic_settings",
    "fastapi",
    "lightgbm",
    "xgboost",
    "sklearn",
    "statsforecast",
    "matplotlib",
)
# what a LightGBM model must not pull in: the other families and prevoir's plotting
NOT_FOR_LIGHTGBM = ("xgboost", "statsforecast", "matplotlib", "sklearn.ensemble")


def _modules_after(code: str) -> set[str]:
    """The names in ``sys.modules`` after ``code`` ran in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Those of ``names`` (packages or submodules) that ``modules`` holds."""
    return [name for name in names if name in modules]


def test_importing_the_cli_loads_no_data_or_model_library() -> None:
    modules = _modules_after("import prevoir.cli.main")
    assert _loaded(modules, HEAVY) == []
    assert not [m for m in modules if m.startswith(("prevoir.workflows", "prevoir.pipeline"))]


def test_help_of_every_command_loads_no_data_or_model_library() -> None:
    code = """
import contextlib
import typer
from prevoir.cli.main import app

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*prefix, name])

for args in paths(typer.main.get_command(app), []):
    with contextlib.suppress(SystemExit):
        app([*args, "--help"], prog_name="prevoir")
"""
    modules = _modules_after(code)
    assert _loaded(modules, HEAVY) == []


def test_importing_the_models_package_and_factory_loads_no_model_family() -> None:
    modules = _modules_after("import prevoir.models, prevoir.models.factory")
    families = ("ensemble", "forest", "gbm", "naive", "stats", "xgb")
    assert _loaded(modules, tuple(f"prevoir.models.{f}" for f in families)) == []
    assert _loaded(modules, HEAVY[4:]) == []  # the model and plotting libraries


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_a_lightgbm_model_loads_lightgbm_and_no_other_family(task: str) -> None:
    label = "LabelSpec(rule='up')" if task == "classification" else "None"
    modules = _modules_after(
        "from prevoir.domain.specs import LabelSpec\n"
        "from prevoir.models.factory import make_model\n"
        "from prevoir.testing import make_spec\n"
        f"make_model(make_spec('lightgbm', task={task!r}, label={label}))"
    )
    assert "lightgbm" in modules
    assert _loaded(modules, NOT_FOR_LIGHTGBM) == []


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_a_stored_lightgbm_model_predicts_without_other_families(task: str, tmp_path: Path) -> None:
    label = LabelSpec(rule="up") if task == "classification" else None
    history = make_series(n_series=2, length=24 * 14, seed=3)
    model = make_model(make_spec("lightgbm", task=task, label=label)).fit(history)
    (tmp_path / "model.bin").write_bytes(model.to_bytes())
    history.to_pickle(tmp_path / "history.pkl")
    modules = _modules_after(
        "from pathlib import Path\n"
        "import pandas as pd\n"
        "from prevoir.models.base import Forecaster\n"
        f"folder = Path({str(tmp_path)!r})\n"
        "history = pd.read_pickle(folder / 'history.pkl')\n"
        "model = Forecaster.from_bytes((folder / 'model.bin').read_bytes())\n"
        "last = history.groupby('unique_id')['ds'].max()\n"
        "origins = last.rename('origin').reset_index()\n"
        "assert len(model.predict(history, origins)) > 0\n"
    )
    assert "lightgbm" in modules
    assert _loaded(modules, NOT_FOR_LIGHTGBM) == []


def test_running_the_predict_step_loads_no_plotting(tmp_path: Path) -> None:
    modules = _modules_after(
        "from pathlib import Path\n"
        "from prevoir.pipeline.context import RunContext\n"
        "from prevoir.pipeline.runner import order_steps, run_steps\n"
        "ctx = RunContext(run_id=1, profile='test', datasets={}, forecasters={}, store=None,\n"
        f"                 artifacts_dir=Path({str(tmp_path)!r}))\n"
        "records = run_steps(ctx, order_steps(['predict']), on_record=lambda r: None)\n"
        "assert [r.status for r in records] == ['succeeded']\n"
    )
    assert "prevoir.pipeline.steps.predict" in modules  # the step did run
    assert _loaded(modules, ("matplotlib", "sklearn", "prevoir.pipeline.steps.evaluate")) == []
