"""Retraining never replaces a good champion with a worse or broken one (SQLite and
PostgreSQL, through the real pipeline): too few rows, a worse backtest on the same folds, a
failing evaluate step and a missing exogenous source all leave the champion and the stored
forecasts as they were, and the run says why."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from prevoir.config import Settings, load_settings
from prevoir.errors import PrevoirError
from prevoir.workflows import init_project, list_versions, run_pipeline
from tests.integration.helpers import stored_forecasts
from tests.projects import opened

TRAIN = ["extract", "transform", "load", "features", "train", "evaluate"]
CHEAP = {"n_estimators": 20, "n_jobs": 1}
evaluate_module = importlib.import_module("prevoir.pipeline.steps.evaluate")


def _crypto(tmp_path: Path, db_url: str, **close_1h: Any) -> Settings:
    init_project(tmp_path / "crypto", example="crypto", force=True)
    forecasters = {"close_1h": {"model": {"params": CHEAP}} | close_1h}
    overrides = {"store": {"url": db_url}, "forecasters": forecasters}
    return load_settings(tmp_path / "crypto", profile="dev", overrides=overrides)


def _champion(settings: Settings, forecaster: str) -> int:
    tag = f"{settings.profile}:champion"
    return next(
        v.id for v in list_versions(opened(settings), forecaster=forecaster) if tag in v.aliases
    )


def test_gates_keep_the_champion_and_say_why(tmp_path: Path, db_url: str) -> None:
    first = _crypto(tmp_path, db_url)
    assert run_pipeline(opened(first)).status == "succeeded"
    champion, forecasts = _champion(first, "close_1h"), stored_forecasts(db_url)

    too_few = _crypto(tmp_path, db_url, gates={"min_rows": 10**9})
    summary = run_pipeline(opened(too_few), steps=["train", "evaluate"])
    assert summary.status == "succeeded"
    note = next(n for n in summary.notes if n.startswith("close_1h"))
    assert f"champion {champion} stays" in note and "training rows" in note
    assert _champion(too_few, "close_1h") == champion

    # one shallow tree is far worse than the champion on the same folds
    worse = _crypto(
        tmp_path, db_url, model={"params": {"n_estimators": 1, "num_leaves": 2, "n_jobs": 1}}
    )
    summary = run_pipeline(opened(worse), steps=["train", "evaluate"])
    note = next(n for n in summary.notes if n.startswith("close_1h"))
    assert "is worse than the champion's" in note and f"champion {champion} stays" in note
    assert _champion(worse, "close_1h") == champion
    pd.testing.assert_frame_equal(stored_forecasts(db_url), forecasts)

    # the same config again passes every gate: promoted, with the reason in the history
    summary = run_pipeline(opened(first), steps=["train", "evaluate"])
    assert any("promoted over" in n for n in summary.notes if n.startswith("close_1h"))
    assert _champion(first, "close_1h") != champion


def test_a_failing_evaluate_or_a_missing_source_changes_nothing(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _crypto(tmp_path, db_url)
    assert run_pipeline(opened(settings)).status == "succeeded"
    champions = {f: _champion(settings, f) for f in ("close_1h", "close_naive")}
    forecasts = stored_forecasts(db_url)

    def broken(*args: object, **kwargs: object) -> None:
        raise PrevoirError("backtest exploded")

    with monkeypatch.context() as patch:
        patch.setattr(evaluate_module, "backtest", broken)
        failed = run_pipeline(opened(settings), steps=["train", "evaluate"])
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.step == "evaluate"
    assert {f: _champion(settings, f) for f in champions} == champions

    for path in (tmp_path / "crypto" / "data").glob("Binance_*_1h.csv"):
        path.unlink()
    gone = run_pipeline(opened(settings), steps=[*TRAIN, "predict"])
    assert gone.status == "failed" and gone.error is not None and gone.error.step == "extract"
    assert "Binance_" in str(gone.error)
    assert {f: _champion(settings, f) for f in champions} == champions
    pd.testing.assert_frame_equal(stored_forecasts(db_url), forecasts)
