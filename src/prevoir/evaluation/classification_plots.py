"""Plots of a classification backtest: the confusion matrix and ROC curves (Agg, no pyplot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn import metrics as skm

from prevoir.domain.columns import STEP, YHAT
from prevoir.errors import DataValidationError
from prevoir.evaluation.classification import (
    DECISION_THRESHOLD,
    LABEL,
    ClassificationResult,
)
from prevoir.evaluation.plots import new_figure, save_png

__all__ = ["plot_confusion_matrix", "plot_roc_curve"]


def _scored(result: ClassificationResult, what: str) -> tuple[np.ndarray, np.ndarray]:
    rows = result.scored()
    if rows.empty:
        raise DataValidationError(
            f"cannot plot the {what} of forecaster {result.forecaster!r}: no backtest forecast "
            "has a known label; load more history or lower backtest.folds / backtest.step"
        )
    return rows[LABEL].to_numpy(np.int64), rows[YHAT].to_numpy(np.float64)


def _class_names(result: ClassificationResult) -> list[str]:
    label = result.label
    holds = "up" if label.rule == "up" else f"> {label.threshold:g}"
    return [f"not {holds}", holds]


def plot_confusion_matrix(result: ClassificationResult, path: str | Path) -> Path:
    """Write a PNG of the counts of (actual, predicted) over every scored backtest row.

    Predicted means ``yhat >= DECISION_THRESHOLD``; each cell shows its count and its share
    of the actual class (row-normalised), so a skewed base rate does not hide errors.
    """
    label, probability = _scored(result, "confusion matrix")
    decided = (probability >= DECISION_THRESHOLD).astype(np.int64)
    counts = skm.confusion_matrix(label, decided, labels=[0, 1])
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    names = _class_names(result)
    figure = new_figure(5.0, 4.2)
    ax = figure.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=ax, label="share of the actual class")
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if shares[i, j] > 0.5 else "black"
        ax.text(j, i, f"{count}\n{shares[i, j]:.0%}", ha="center", va="center", color=colour)
    ax.set_xticks([0, 1], labels=[f"pred. {n}" for n in names])
    ax.set_yticks([0, 1], labels=[f"actual {n}" for n in names])
    ax.set_title(
        f"{result.forecaster} · {result.model} · threshold {DECISION_THRESHOLD:g}", fontsize=9
    )
    return save_png(figure, path)


def plot_roc_curve(result: ClassificationResult, path: str | Path) -> Path:
    """Write a PNG of the ROC curve over all scored rows, plus the shortest and longest step.

    A curve needs both classes; steps with one class only are left out, and a backtest with
    one class overall is a data error.
    """
    label, probability = _scored(result, "ROC curve")
    if len(np.unique(label)) < 2:
        raise DataValidationError(
            f"cannot plot the ROC curve of forecaster {result.forecaster!r}: every scored "
            "backtest row has the same label; use more history or a label that varies"
        )
    figure = new_figure(5.5, 5.0)
    ax = figure.subplots()
    curves = [("all steps", label, probability)]
    rows = result.scored()
    steps = sorted(rows[STEP].unique())
    for step in dict.fromkeys([steps[0], steps[-1]]) if len(steps) > 1 else []:
        mine = rows[rows[STEP] == step]
        if mine[LABEL].nunique() == 2:
            curves.append((f"step {step}", mine[LABEL].to_numpy(np.int64), mine[YHAT].to_numpy()))
    for name, y, p in curves:
        fpr, tpr, _ = skm.roc_curve(y, p)
        ax.plot(fpr, tpr, lw=1.4, label=f"{name} (AUC {skm.roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1.0, label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(f"{result.forecaster} · {result.model}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    return save_png(figure, path)
