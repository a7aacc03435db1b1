"""evaluate: backtest each new version, write its plots and metrics, decide promotion.

A version is promoted to ``champion`` when there is none yet, or when its backtest score is
at most ``PROMOTION_TOLERANCE`` worse than the champion's recorded score. The score is the
task's ``PROMOTION_METRIC``, lower being better for both: MAE for regression, the Brier
score for classification (a proper scoring rule on the stored probabilities, bounded in
[0, 1], so one confidently wrong row cannot dominate it as it can log loss). The full gates
(same folds, training-row and missing-feature checks) belong to the registry work of issue 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from prevoir.domain.records import ForecasterSpec
from prevoir.errors import MissingInputError
from prevoir.evaluation.backtest import backtest, json_number
from prevoir.evaluation.classification import LABEL, classification_backtest
from prevoir.evaluation.classification_plots import plot_confusion_matrix, plot_roc_curve
from prevoir.evaluation.plots import plot_feature_importance, plot_forecasts, write_metrics_json
from prevoir.models.direct import DirectForecaster
from prevoir.models.factory import make_model
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.inputs import read_exogenous, read_history
from prevoir.pipeline.steps.outcome import StepOutcome

PROMOTION_TOLERANCE = 0.05
PROMOTION_METRIC = {"regression": "mae", "classification": "brier"}

Evaluated = tuple[Mapping[str, Any], list[Path]]  # metrics to store, files written


def evaluate(ctx: RunContext) -> StepOutcome:
    """Expanding-window backtest per forecaster; champion promotion by the task's metric."""
    files: list[Path] = []
    rows_in = promoted = 0
    task = ctx.progress.task("evaluate", total=len(ctx.forecasters))
    for name, spec in ctx.forecasters.items():
        version = ctx.candidates.get(name)
        if version is None:
            challenger = ctx.store.version_for(name, "challenger")
            if challenger is None:
                raise MissingInputError("evaluate", "train", f"a trained version of {name!r}")
            version = challenger.id
        history = read_history(ctx, spec, step="evaluate")
        exog = read_exogenous(ctx, spec, step="evaluate")
        out = ctx.run_dir("evaluate")
        if spec.task == "classification":
            metrics, written = _classification(spec, history, exog, out, notes=ctx.notes)
        else:
            metrics, written = _regression(spec, history, exog, out)
        written += _importance(ctx, spec, version, out)
        for path in written:
            kind = "plot" if path.suffix == ".png" else "metrics"
            ctx.store.record_artifact(step="evaluate", subject=name, kind=kind, path=path)
        ctx.store.update_metrics(version, metrics)
        metric = PROMOTION_METRIC[spec.task]
        promoted += _promote(ctx, name, version, metric=metric, score=metrics.get(metric))
        rows_in += len(history)
        files.extend(written)
        task.advance()
    return StepOutcome(rows_in=rows_in, rows_out=promoted, files=tuple(files))


def _regression(
    spec: ForecasterSpec, history: pd.DataFrame, exog: dict[str, pd.DataFrame], out: Path
) -> Evaluated:
    result = backtest(make_model, history, spec, exog=exog)
    sample = sorted(history["unique_id"].unique())[: spec.backtest.sample_series]
    written = [
        plot_forecasts(result, out / f"{spec.name}_forecast_vs_actual.png", series=sample),
        write_metrics_json(result, out / f"{spec.name}_metrics.json"),
    ]
    return result.metrics, written


def _classification(
    spec: ForecasterSpec,
    history: pd.DataFrame,
    exog: dict[str, pd.DataFrame],
    out: Path,
    *,
    notes: list[str],
) -> Evaluated:
    result = classification_backtest(make_model, history, spec, exog=exog)
    written = [plot_confusion_matrix(result, out / f"{spec.name}_confusion_matrix.png")]
    if result.scored()[LABEL].nunique() == 2:
        written.append(plot_roc_curve(result, out / f"{spec.name}_roc_curve.png"))
    else:  # e.g. a threshold never crossed in the backtest: no curve, ROC AUC stored as null
        notes.append(f"{spec.name}: one class in the backtest, no ROC curve")
    written.append(write_metrics_json(result, out / f"{spec.name}_metrics.json"))
    # NaN (ROC AUC of a single class) is stored as null: PostgreSQL's JSONB has no NaN
    return {k: json_number(v) for k, v in result.metrics.items()}, written


def _importance(ctx: RunContext, spec: ForecasterSpec, version: int, out: Path) -> list[Path]:
    """The version's own feature importance as a PNG, for the direct ML models."""
    model = ctx.store.load_model(version)
    if not isinstance(model, DirectForecaster):
        return []
    importance = model.feature_importance()
    if not importance.sum() > 0:  # a model too small to split once: nothing to draw
        ctx.notes.append(f"{spec.name}: version {version} reports no feature importance")
        return []
    title = f"{spec.name} · {type(model).__name__} · version {version}"
    path = out / f"{spec.name}_feature_importance.png"
    return [plot_feature_importance(importance, path, title=title)]


def _promote(ctx: RunContext, name: str, version: int, *, metric: str, score: float | None) -> int:
    value = float("nan") if score is None else float(score)
    champion = ctx.store.version_for(name, "champion")
    if champion is not None and champion.id == version:
        return 0
    if champion is None or champion.metrics.get(metric) is None:
        ctx.store.set_alias(name, "champion", version)
        ctx.notes.append(f"{name}: version {version} is the first champion ({metric} {value:.4g})")
        return 1
    best = float(champion.metrics[metric])
    if value <= best * (1 + PROMOTION_TOLERANCE):
        ctx.store.set_alias(name, "champion", version)
        ctx.notes.append(f"{name}: version {version} promoted ({metric} {value:.4g} vs {best:.4g})")
        return 1
    ctx.notes.append(
        f"{name}: version {version} not promoted: {metric} {value:.4g} is worse than champion "
        f"{champion.id}'s {best:.4g} by more than {PROMOTION_TOLERANCE:.0%}"
    )
    return 0
