"""Retraining never replaces a good champion with a worse or broken one (SQLite and
PostgreSQL, through the real pipeline): too few rows, a worse backtest on the same folds, a
failing evaluate step and a missing exogenous source all leave the champion and the stored
forecasts as they were, and the run says why.

Each test starts from its own copy of the crypto example with a small ``close_1h`` (20
trees) after ``prevoir run --profile dev`` (``crypto_dev_cheap``, built once per session):
champions trained and forecasts stored."""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd
import pytest

from prevoir.config import Settings, load_settings
from prevoir.errors import PrevoirError
from prevoir.workflows import list_versions, run_pipeline
from tests.integration.helpers import stored_forecasts
from tests.projects import opened
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

TRAIN = ["extract", "transform", "load", "features", "train", "evaluate"]
evaluate_module = importlib.import_module("prevoir.pipeline.steps.evaluate")


def _crypto(crypto: StoreCopy, **close_1h: Any) -> Settings:
    """The project's dev settings, with ``close_1h`` overrides."""
    overrides = {"store": {"url": crypto.store_url}, "forecasters": {"close_1h": close_1h}}
    return load_settings(crypto.project, profile="dev", overrides=overrides)


def _champion(settings: Settings, forecaster: str) -> int:
    tag = f"{settings.profile}:champion"
    return next(
        v.id for v in list_versions(opened(settings), forecaster=forecaster) if tag in v.aliases
    )


def test_gates_keep_the_champion_and_say_why(crypto_dev_cheap: StoreCopy) -> None:
    first = _crypto(crypto_dev_cheap)  # the config the champions were trained with
    champion, forecasts = _champion(first, "close_1h"), stored_forecasts(crypto_dev_cheap.store_url)

    too_few = _crypto(crypto_dev_cheap, gates={"min_rows": 10**9})
    summary = run_pipeline(opened(too_few), steps=["train", "evaluate"])
    assert summary.status == "succeeded"
    note = next(n for n in summary.notes if n.startswith("close_1h"))
    assert f"champion {champion} stays" in note and "training rows" in note
    assert _champion(too_few, "close_1h") == champion

    # one shallow tree is far worse than the champion on the same folds
    worse = _crypto(
        crypto_dev_cheap, model={"params": {"n_estimators": 1, "num_leaves": 2, "n_jobs": 1}}
    )
    summary = run_pipeline(opened(worse), steps=["train", "evaluate"])
    note = next(n for n in summary.notes if n.startswith("close_1h"))
    assert "is worse than the champion's" in note and f"champion {champion} stays" in note
    assert _champion(worse, "close_1h") == champion
    pd.testing.assert_frame_equal(stored_forecasts(crypto_dev_cheap.store_url), forecasts)

    # the same config again passes every gate: promoted, with the reason in the history
    summary = run_pipeline(opened(first), steps=["train", "evaluate"])
    assert any("promoted over" in n for n in summary.notes if n.startswith("close_1h"))
    assert _champion(first, "close_1h") != champion


def test_a_failing_evaluate_or_a_missing_source_changes_nothing(
    crypto_dev_cheap: StoreCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _crypto(crypto_dev_cheap)
    champions = {f: _champion(settings, f) for f in ("close_1h", "close_naive")}
    forecasts = stored_forecasts(crypto_dev_cheap.store_url)

    def broken(*args: object, **kwargs: object) -> None:
        raise PrevoirError("backtest exploded")

    with monkeypatch.context() as patch:
        patch.setattr(evaluate_module, "backtest", broken)
        failed = run_pipeline(opened(settings), steps=["train", "evaluate"])
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.step == "evaluate"
    assert {f: _champion(settings, f) for f in champions} == champions

    for path in (crypto_dev_cheap.project / "data").glob("Binance_*_1h.csv"):
        path.unlink()
    gone = run_pipeline(opened(settings), steps=[*TRAIN, "predict"])
    assert gone.status == "failed" and gone.error is not None and gone.error.step == "extract"
    assert "Binance_" in str(gone.error)
    assert {f: _champion(settings, f) for f in champions} == champions
    pd.testing.assert_frame_equal(stored_forecasts(crypto_dev_cheap.store_url), forecasts)
