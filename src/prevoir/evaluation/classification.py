"""Backtests of classification forecasters: probabilities of a label scored with scikit-learn.

The folds are the regression backtest's (``fold_forecasts``: a fresh model per cut-off),
but each fold's model forecasts from every origin up to the next cut-off
(``backtest.step`` origins), as catch-up would with that model as champion: one binary
outcome per series and step from a single origin per fold is too little to score
(3 folds x 3 series x 4 steps = 36 coin flips). Each forecast row gets the label that
actually happened (``prevoir.features.labels``, from y at ``ds`` and at the origin); rows
whose label is unknown are kept but not scored. Hard decisions (accuracy, precision,
recall, F1, the confusion matrix) use ``yhat >= DECISION_THRESHOLD``; ROC AUC, log loss and
the Brier score use the probabilities. ROC AUC is NaN when the scored rows hold one class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.specs import ForecasterSpec, LabelSpec
from prevoir.evaluation.backtest import FOLD, fold_forecasts, json_number, json_records
from prevoir.features.labels import label_of, label_values
from prevoir.models.base import Forecaster

__all__ = [
    "CLASSIFICATION_METRICS",
    "DECISION_THRESHOLD",
    "LABEL",
    "ClassificationResult",
    "classification_backtest",
    "classification_metrics",
    "labelled_forecasts",
]

LABEL = "label"
DECISION_THRESHOLD = 0.5
CLASSIFICATION_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "brier",
    "positive_rate",
)


@dataclass(frozen=True)
class ClassificationResult:
    """Fold forecasts with their labels, and how well the probabilities scored.

    ``forecasts``: ``fold, unique_id, origin, ds, step, yhat, label`` (label NaN where
    unknown). ``metrics``: ``CLASSIFICATION_METRICS`` and ``n`` (scored rows) overall;
    ``by_step`` and ``by_fold``: the same per step and per fold.
    """

    forecaster: str
    model: str
    label: LabelSpec
    cutoffs: tuple[pd.Timestamp, ...]
    forecasts: pd.DataFrame
    metrics: dict[str, float]
    by_step: pd.DataFrame
    by_fold: pd.DataFrame

    def scored(self) -> pd.DataFrame:
        """The rows with both a probability and a known label."""
        rows = self.forecasts
        return rows[rows[LABEL].notna() & rows[YHAT].notna()]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (NaN as None) for the metrics file."""
        return {
            "forecaster": self.forecaster,
            "model": self.model,
            "task": "classification",
            "label": {"rule": self.label.rule, "threshold": self.label.threshold},
            "decision_threshold": DECISION_THRESHOLD,
            "cutoffs": [c.isoformat() for c in self.cutoffs],
            "n_series": int(self.forecasts[UNIQUE_ID].nunique()),
            "metrics": {k: json_number(v) for k, v in self.metrics.items()},
            "by_step": json_records(self.by_step),
            "by_fold": json_records(self.by_fold),
        }


def labelled_forecasts(
    forecasts: pd.DataFrame, history: pd.DataFrame, label: LabelSpec
) -> pd.DataFrame:
    """``forecasts`` plus ``label``: what happened at each row's ``ds`` (NaN if unknown)."""
    actual = history[[UNIQUE_ID, DS, Y]]
    at_target = forecasts.merge(actual, on=[UNIQUE_ID, DS], how="left")[Y]
    at_origin = forecasts.merge(
        actual.rename(columns={DS: ORIGIN}), on=[UNIQUE_ID, ORIGIN], how="left"
    )[Y]
    values = label_values(label, at_target=at_target, at_origin=at_origin)
    return forecasts.assign(**{LABEL: values})


def classification_metrics(label: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """``CLASSIFICATION_METRICS`` and ``n`` over the pairs where both are known."""
    y = np.asarray(label, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    keep = ~(np.isnan(y) | np.isnan(p))
    y, p = y[keep].astype(np.int64), p[keep]
    if len(y) == 0:
        return dict.fromkeys(CLASSIFICATION_METRICS, float("nan")) | {"n": 0.0}
    decided = (p >= DECISION_THRESHOLD).astype(np.int64)
    both = len(np.unique(y)) == 2
    return {
        "accuracy": float(skm.accuracy_score(y, decided)),
        "precision": float(skm.precision_score(y, decided, zero_division=0)),
        "recall": float(skm.recall_score(y, decided, zero_division=0)),
        "f1": float(skm.f1_score(y, decided, zero_division=0)),
        "roc_auc": float(skm.roc_auc_score(y, p)) if both else float("nan"),
        "log_loss": float(skm.log_loss(y, p, labels=[0, 1])),
        "brier": float(skm.brier_score_loss(y, p, pos_label=1)),
        "positive_rate": float(y.mean()),
        "n": float(len(y)),
    }


def classification_backtest(
    model_factory: Callable[[ForecasterSpec], Forecaster],
    history: pd.DataFrame,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None = None,
) -> ClassificationResult:
    """Expanding-window backtest of a classification forecaster, scored per label."""
    label = label_of(spec)
    cutoffs, model_name, forecasts = fold_forecasts(
        model_factory, history, spec, exog, origins_per_fold=spec.backtest.step
    )
    rows = labelled_forecasts(forecasts, history, label)
    rows = rows[[FOLD, UNIQUE_ID, ORIGIN, DS, STEP, YHAT, LABEL]]
    return ClassificationResult(
        forecaster=spec.name,
        model=model_name,
        label=label,
        cutoffs=tuple(cutoffs),
        forecasts=rows,
        metrics=classification_metrics(rows[LABEL].to_numpy(), rows[YHAT].to_numpy()),
        by_step=_grouped(rows, STEP),
        by_fold=_grouped(rows, FOLD),
    )


def _grouped(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    records = [
        {by: key} | classification_metrics(group[LABEL].to_numpy(), group[YHAT].to_numpy())
        for key, group in rows.groupby(by, sort=True)
    ]
    table = pd.DataFrame.from_records(records)
    return table.astype({"n": np.int64}) if len(table) else table
