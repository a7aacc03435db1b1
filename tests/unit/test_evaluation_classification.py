"""Classification backtests: labels, metrics equal to scikit-learn's, and the PNGs they write."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from sklearn import metrics as skm

from prevoir.domain.specs import BacktestSpec, ForecasterSpec, LabelSpec
from prevoir.errors import DataValidationError
from prevoir.evaluation.classification import (
    ClassificationResult,
    classification_backtest,
    classification_metrics,
)
from prevoir.evaluation.classification_plots import plot_confusion_matrix, plot_roc_curve
from prevoir.evaluation.plots import plot_feature_importance
from prevoir.models import LightGBMClassifier, make_model
from prevoir.testing import make_series, make_spec

H = pd.Timedelta(hours=1)
PNG = b"\x89PNG\r\n\x1a\n"


def _spec(label: LabelSpec) -> ForecasterSpec:
    return make_spec(
        horizons=(1, 3, 12),
        task="classification",
        label=label,
        backtest=BacktestSpec(folds=3, step=12),
    )


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 14, seed=5)


@pytest.fixture(scope="module")
def result(history: pd.DataFrame) -> ClassificationResult:
    return classification_backtest(make_model, history, _spec(LabelSpec("up")))


def test_each_fold_forecasts_every_origin_up_to_the_next_cutoff(
    result: ClassificationResult, history: pd.DataFrame
) -> None:
    rows = result.forecasts
    assert result.model == "lightgbm"
    for fold, cutoff in enumerate(result.cutoffs):
        origins = rows.loc[rows["fold"] == fold, "origin"]
        assert origins.min() == cutoff and origins.nunique() == 12
        assert origins.max() == cutoff + 11 * H
    assert (rows["origin"] <= history["ds"].max()).all()
    assert rows["yhat"].between(0, 1).all()


def test_labels_are_what_happened(result: ClassificationResult, history: pd.DataFrame) -> None:
    y = history.set_index(["unique_id", "ds"])["y"]
    rows = result.forecasts
    at_ds = y.reindex(pd.MultiIndex.from_arrays([rows["unique_id"], rows["ds"]])).to_numpy()
    at_origin = y.reindex(pd.MultiIndex.from_arrays([rows["unique_id"], rows["origin"]]))
    expected = np.where(np.isnan(at_ds), np.nan, (at_ds > at_origin.to_numpy()).astype(float))
    np.testing.assert_array_equal(rows["label"].to_numpy(), expected)
    past_the_end = rows["ds"] > history["ds"].max()
    assert past_the_end.any() and rows.loc[past_the_end, "label"].isna().all()


def test_metrics_match_scikit_learn(result: ClassificationResult) -> None:
    scored = result.scored()
    y = scored["label"].to_numpy(int)
    p = scored["yhat"].to_numpy()
    decided = (p >= 0.5).astype(int)
    expected = {
        "accuracy": skm.accuracy_score(y, decided),
        "precision": skm.precision_score(y, decided),
        "recall": skm.recall_score(y, decided),
        "f1": skm.f1_score(y, decided),
        "roc_auc": skm.roc_auc_score(y, p),
        "log_loss": skm.log_loss(y, p),
        "brier": skm.brier_score_loss(y, p),
        "positive_rate": y.mean(),
        "n": len(y),
    }
    assert result.metrics == pytest.approx(expected, rel=1e-12)
    assert result.metrics["roc_auc"] > 0.8  # a daily sine: the direction is predictable
    step_12 = scored[scored["step"] == 12]
    by_step = result.by_step.set_index("step")
    assert by_step.loc[12, "n"] == len(step_12)
    assert by_step.loc[12, "roc_auc"] == pytest.approx(
        skm.roc_auc_score(step_12["label"].astype(int), step_12["yhat"])
    )
    assert by_step["n"].sum() == result.metrics["n"] == result.by_fold["n"].sum()


def test_one_class_leaves_roc_auc_undefined_and_the_json_valid() -> None:
    metrics = classification_metrics(np.array([1.0, 1.0, np.nan]), np.array([0.9, 0.4, 0.2]))
    assert np.isnan(metrics["roc_auc"]) and metrics["n"] == 2 and metrics["accuracy"] == 0.5
    assert metrics["log_loss"] == pytest.approx(-(np.log(0.9) + np.log(0.4)) / 2)
    empty = classification_metrics(np.array([np.nan]), np.array([0.5]))
    assert empty["n"] == 0 and np.isnan(empty["brier"])


def test_to_dict_is_strict_json(result: ClassificationResult) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["task"] == "classification" and data["label"] == {"rule": "up", "threshold": None}
    assert [row["step"] for row in data["by_step"]] == [1, 3, 12]


def _valid_png(path: Path) -> np.ndarray:
    assert path.is_file() and path.read_bytes()[:8] == PNG
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    return pixels


def test_confusion_roc_and_importance_pngs(
    result: ClassificationResult, history: pd.DataFrame, tmp_path: Path
) -> None:
    confusion = _valid_png(plot_confusion_matrix(result, tmp_path / "cm" / "confusion.png"))
    roc = _valid_png(plot_roc_curve(result, tmp_path / "roc.png"))
    assert confusion.std() > 0 and roc.std() > 0  # something was drawn
    model = LightGBMClassifier(_spec(LabelSpec("up"))).fit(history)
    importance = model.feature_importance()
    _valid_png(plot_feature_importance(importance, tmp_path / "imp.png", title="t"))
    with pytest.raises(DataValidationError, match="no importance"):
        plot_feature_importance(importance * 0, tmp_path / "none.png", title="t")


def test_plots_refuse_a_backtest_without_both_classes(
    history: pd.DataFrame, tmp_path: Path
) -> None:
    never = LabelSpec("above", threshold=1e9)
    result = classification_backtest(make_model, history, _spec(never))
    assert result.metrics["positive_rate"] == 0 and np.isnan(result.metrics["roc_auc"])
    _valid_png(plot_confusion_matrix(result, tmp_path / "confusion.png"))
    with pytest.raises(DataValidationError, match="same label"):
        plot_roc_curve(result, tmp_path / "roc.png")
