"""One training per forecaster at a time, and profiles that never touch each other's
champions — on SQLite and PostgreSQL, through the real pipeline."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Event
from typing import Any

import pytest

from prevoir.config import Settings, load_settings
from prevoir.errors import ConflictError
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps import STEPS, StepOutcome
from prevoir.workflows import init_project, list_versions, recent_runs, run_pipeline
from tests.projects import opened

pytestmark = pytest.mark.slow

PREPARE = ["extract", "transform", "load", "features"]
CHEAP = {"close_1h": {"model": {"params": {"n_estimators": 20, "n_jobs": 1}}}}


def _settings(project: Path, db_url: str, profile: str) -> Settings:
    overrides = {"store": {"url": db_url}, "forecasters": CHEAP}
    return load_settings(project, profile=profile, overrides=overrides)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    init_project(tmp_path / "crypto", example="crypto")
    return tmp_path / "crypto"


def test_a_second_training_is_refused_while_the_first_holds_the_lease(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(project, db_url, "dev")
    assert run_pipeline(opened(settings), steps=PREPARE).status == "succeeded"
    entered, release = Event(), Event()
    real_train = STEPS["train"]

    def slow_train(ctx: RunContext) -> StepOutcome:
        entered.set()
        assert release.wait(300)
        return real_train(ctx)

    monkeypatch.setitem(STEPS, "train", slow_train)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(run_pipeline, opened(settings), steps=["train", "evaluate"])
        assert entered.wait(300)
        with pytest.raises(ConflictError, match=r"'close_\w+' \(dev\) is being trained by run"):
            run_pipeline(opened(settings), steps=["train", "evaluate"])
        release.set()
        summary = first.result()
    assert summary.status == "succeeded"
    newest, *_ = recent_runs(opened(settings))
    assert newest.id == summary.run_id  # the refused run left no row
    versions = list_versions(opened(settings))
    assert {v.run_id for v in versions} == {summary.run_id}  # only the first trained
    champions = {v.forecaster for v in versions if "dev:champion" in v.aliases}
    assert champions == set(settings.forecasters)
    monkeypatch.setitem(STEPS, "train", real_train)
    assert run_pipeline(opened(settings), steps=["train"]).status == "succeeded"  # lease released


def test_a_dev_run_never_changes_the_prod_champion(project: Path, db_url: str) -> None:
    prod = _settings(project, db_url, "prod")
    dev = _settings(project, db_url, "dev")
    assert run_pipeline(opened(prod), steps=[*PREPARE, "train", "evaluate"]).status == "succeeded"
    before = _champions(prod)
    assert run_pipeline(opened(dev), steps=[*PREPARE, "train", "evaluate"]).status == "succeeded"
    after = _champions(prod)
    assert after == before and set(after) == set(prod.forecasters)
    dev_champions = _champions(dev)
    assert set(dev_champions) == set(after)
    assert not set(dev_champions.values()) & set(after.values())


def _champions(settings: Settings) -> dict[str, Any]:
    tag = f"{settings.profile}:champion"
    return {v.forecaster: v.id for v in list_versions(opened(settings)) if tag in v.aliases}
