"""The crypto example's classification forecaster through the pipeline (SQLite and PostgreSQL):
probabilities stored as forecasts, scikit-learn metrics on the version, plots recorded, and
promotion by Brier score."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from prevoir.config import Settings, load_settings
from prevoir.storage import tables
from prevoir.workflows import init_project, run_pipeline
from tests.integration.helpers import stored_forecasts
from tests.projects import opened

NAME = "close_up_1h"
TRAIN = ["extract", "transform", "load", "features", "train", "evaluate"]
PNG = b"\x89PNG\r\n\x1a\n"


def _settings(tmp_path: Path, db_url: str, **more: object) -> Settings:
    """The example's dev profile with its classification forecaster only (faster)."""
    project = tmp_path / "crypto"
    init_project(project, example="crypto")
    # one LightGBM thread: OpenMP threads spinning on a busy 2-core machine slow fits 10-fold
    one_thread = {NAME: {"model": {"params": {"n_jobs": 1}}} | more}
    overrides = {"store": {"url": db_url}, "forecasters": one_thread}
    full = load_settings(project, profile="dev", overrides=overrides)
    return full.model_copy(update={"forecasters": {NAME: full.forecasters[NAME]}})


def _rows(db_url: str, statement: sa.Select[tuple[object, ...]]) -> list[dict[str, object]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [dict(row) for row in conn.execute(statement).mappings().all()]
    finally:
        engine.dispose()


def test_crypto_close_up_stores_probabilities_metrics_and_plots(
    tmp_path: Path, db_url: str
) -> None:
    settings = _settings(tmp_path, db_url)
    run = run_pipeline(opened(settings))
    assert run.status == "succeeded", run.error
    assert any(
        note.startswith(f"{NAME}: version ") and "promoted over none (gates passed: brier" in note
        for note in run.notes
    )

    forecasts = stored_forecasts(db_url)
    assert len(forecasts) == 3 * 24 * 4  # series × initial origins × horizons
    assert forecasts["yhat"].between(0.0, 1.0).all() and forecasts["yhat"].nunique() > 10
    assert (forecasts["origin"] < forecasts["ds"]).all()

    (version,) = _rows(db_url, sa.select(tables.model_versions))
    metrics = version["metrics"]
    assert isinstance(metrics, dict)
    assert {"accuracy", "f1", "roc_auc", "log_loss", "brier", "n"} <= set(metrics)
    assert 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["brier"] <= 1
    assert metrics["n"] > 300  # every origin between cut-offs is scored, not one per fold
    assert version["params"]["task"] == "classification"
    assert version["params"]["label"] == {"rule": "up", "threshold": None}

    artifacts = pd.DataFrame(
        _rows(db_url, sa.select(tables.artifacts).where(tables.artifacts.c.step == "evaluate"))
    )
    names = {Path(str(p)).name: Path(str(p)) for p in artifacts["path"]}
    assert set(names) == {
        f"{NAME}_confusion_matrix.png",
        f"{NAME}_roc_curve.png",
        f"{NAME}_feature_importance.png",
        f"{NAME}_metrics.json",
    }
    for path in names.values():
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG
    written = json.loads(names[f"{NAME}_metrics.json"].read_text())
    facts = {"train_rows", "all_missing_features"}  # the gates' training facts, kept beside
    assert written["metrics"] == {k: v for k, v in metrics.items() if k not in facts}
    assert metrics["train_rows"] > 0 and metrics["all_missing_features"] == []

    again = run_pipeline(opened(settings), steps=["train", "evaluate", "predict"])
    assert again.status == "succeeded", again.error
    assert any(f"{NAME}: version 2 promoted over 1 (gates passed: brier" in n for n in again.notes)
    assert any(f"{NAME}: forecasts are up to date" in note for note in again.notes)
    aliases = _rows(db_url, sa.select(tables.aliases).where(tables.aliases.c.alias == "champion"))
    assert [a["version_id"] for a in aliases] == [2]


def test_a_label_that_never_holds_is_evaluated_without_a_roc_curve(
    tmp_path: Path, db_url: str
) -> None:
    """BTC never closed above 10^9 USDT: one class, so no ROC curve and ROC AUC null."""
    never = {"rule": "above", "threshold": 1e9}
    run = run_pipeline(opened(_settings(tmp_path, db_url, label=never)), steps=TRAIN)
    assert run.status == "succeeded", run.error
    assert f"{NAME}: one class in the backtest, no ROC curve" in run.notes
    (version,) = _rows(db_url, sa.select(tables.model_versions))
    metrics = version["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["roc_auc"] is None and metrics["positive_rate"] == 0.0
    assert metrics["accuracy"] == 1.0 and metrics["brier"] < 0.01
    written = {Path(f).name for f in run.files}
    assert f"{NAME}_confusion_matrix.png" in written and f"{NAME}_roc_curve.png" not in written
