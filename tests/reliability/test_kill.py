"""A ``prevoir run`` killed with -9 in any step never blocks the next run: the next one
starts at once, marks the dead run ``abandoned`` naming the step it died in, releases its
leases, and ends with the store an uninterrupted run leaves."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.cli import Cli
from tests.reliability.conftest import RunProcess, fresh_pg_database, make_project
from tests.reliability.snapshot import runs_of, snapshot

pytestmark = pytest.mark.slow

STEPS = ["extract", "transform", "load", "features", "train", "evaluate", "predict"]
# the steps that take long enough for the kill to land in them for sure; the quick ones
# (extract, transform, load: tens of ms) may be over before the signal arrives
SLOW_STEPS = {"features", "train", "evaluate"}
_REFERENCE: dict[str, dict[str, Any]] = {}  # one uninterrupted run per backend and worker


def _reference(backend: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if backend not in _REFERENCE:
        folder = tmp_path_factory.mktemp("reference")
        project = make_project(folder / "project")
        if backend == "sqlite":
            url = f"sqlite:///{folder}/store.db"
            Cli(project, url)("run")
            _REFERENCE[backend] = snapshot(url)
        else:
            databases = fresh_pg_database()
            url = next(databases)
            try:
                Cli(project, url)("run")
                _REFERENCE[backend] = snapshot(url)
            finally:
                databases.close()
    return _REFERENCE[backend]


# transform (like extract, a few ms on this data) is left out to keep the suite fast; on
# PostgreSQL the steps that hold leases and write in batches
CASES = [
    *[pytest.param("sqlite", step, id=f"sqlite-{step}") for step in STEPS if step != "transform"],
    *[
        pytest.param("postgres", step, id=f"postgres-{step}", marks=pytest.mark.postgres)
        for step in ("train", "predict")
    ],
]


@pytest.mark.parametrize(("backend", "step"), CASES)
def test_a_run_killed_in_a_step_is_reaped_and_the_rerun_ends_where_an_uninterrupted_one_does(
    backend: str, step: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reference = _reference(backend, tmp_path_factory)
    project = make_project(tmp_path / "project")
    databases = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        databases = fresh_pg_database()
        url = next(databases)
    try:
        killed = RunProcess(project, url, "run")
        killed.wait_for_line(rf"step {step} started")
        killed.popen.send_signal(signal.SIGKILL)
        code, _, _ = killed.finish()
        assert code == -signal.SIGKILL
        (dead,) = runs_of(url)
        assert dead["status"] == "running"  # nobody closed it

        rerun = Cli(project, url)("run")  # at once: no lease to wait for
        assert "succeeded" in rerun.stdout
        first, second = runs_of(url)
        assert first["status"] == "abandoned" and second["status"] == "succeeded"
        assert f"process {dead['pid']}" in first["error"] and "is gone" in first["error"]
        died_in = first["error"].split("'")[1]  # "abandoned in step 'train': ..."
        if step in SLOW_STEPS:
            assert died_in == step, first["error"]
        else:
            assert died_in in STEPS[STEPS.index(step) :], first["error"]
        assert snapshot(url) == reference
    finally:
        if databases is not None:
            databases.close()
