"""evaluate: backtest each new version, write its plots and metrics, decide promotion.

A version becomes ``champion`` only when every gate of ``prevoir.pipeline.gates`` passes:
enough training rows, no all-missing feature, and a backtest score at most
``gates.tolerance`` worse than the champion's — by default the champion backtested again on
the same folds, so both are judged on the same data. The score is ``gates.metric`` or the
task's ``PROMOTION_METRIC``, lower being better for both: MAE for regression, the Brier
score for classification (a proper scoring rule on the stored probabilities, bounded in
[0, 1], so one confidently wrong row cannot dominate it as it can log loss). When a gate
fails the run notes say why and the champion stays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from prevoir.domain.records import ModelVersion
from prevoir.domain.specs import PROMOTION_METRIC, ForecasterSpec, IntervalSpec
from prevoir.errors import PrevoirError
from prevoir.evaluation.backtest import backtest, json_number, model_label
from prevoir.evaluation.classification import LABEL, classification_backtest
from prevoir.evaluation.classification_plots import plot_confusion_matrix, plot_roc_curve
from prevoir.evaluation.plots import plot_feature_importance, plot_forecasts, write_metrics_json
from prevoir.models.direct import DirectForecaster
from prevoir.models.factory import make_model
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.gates import (
    ALL_MISSING,
    TRAIN_ROWS,
    metric_failure,
    training_failures,
)
from prevoir.pipeline.steps.inputs import missing_input, read_exogenous, read_history
from prevoir.pipeline.steps.outcome import StepOutcome

Evaluated = tuple[Mapping[str, Any], list[Path]]  # metrics to store, files written


def evaluate(ctx: RunContext) -> StepOutcome:
    """Expanding-window backtest per forecaster; champion promotion by the task's metric."""
    files: list[Path] = []
    rows_in = promoted = 0
    task = ctx.progress.task("evaluate", total=len(ctx.forecasters))
    for name, spec in ctx.forecasters.items():
        if name in ctx.failures:  # its training failed this run: its champion stays
            continue
        version = ctx.candidates.get(name)
        if version is None:
            challenger = ctx.store.version_for(name, "challenger")
            if challenger is None:
                raise missing_input(ctx, spec, "evaluate", f"a trained version of {name!r}")
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
        stored = ctx.store.version_info(version).metrics
        facts = {k: stored[k] for k in (TRAIN_ROWS, ALL_MISSING) if k in stored}
        ctx.store.update_metrics(version, {**metrics, **facts})
        candidate = Candidate(version, metrics, facts)
        promoted += _promote(ctx, spec, candidate, history, exog)
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
    # NaN (a metric a short backtest cannot compute) is stored as null: JSONB has no NaN
    return {k: json_number(v) for k, v in result.metrics.items()}, written


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
    title = f"{spec.name} · {model_label(model.spec)} · version {version}"
    path = out / f"{spec.name}_feature_importance.png"
    return [plot_feature_importance(importance, path, title=title)]


@dataclass(frozen=True)
class Candidate:
    """A freshly evaluated version: its backtest metrics and its training facts."""

    version: int
    metrics: Mapping[str, Any]
    facts: Mapping[str, Any]


def _promote(
    ctx: RunContext,
    spec: ForecasterSpec,
    candidate: Candidate,
    history: pd.DataFrame,
    exog: dict[str, pd.DataFrame],
) -> int:
    name, version, gates = spec.name, candidate.version, spec.gates
    metric = gates.metric or PROMOTION_METRIC[spec.task]
    champion = ctx.store.version_for(name, "champion")
    if champion is not None and champion.id == version:
        return 0
    reasons = training_failures(candidate.facts, gates)
    best = None if champion is None else _champion_score(ctx, spec, champion, metric, history, exog)
    score = _number(candidate.metrics.get(metric))
    failure = metric_failure(score, best, metric=metric, tolerance=gates.tolerance)
    if failure is not None:
        reasons.append(failure)
    held = "none" if champion is None else str(champion.id)
    if reasons:
        ctx.notes.append(
            f"{name}: version {version} not promoted, champion {held} stays: " + "; ".join(reasons)
        )
        return 0
    versus = "" if best is None else f" vs {best:.4g}"
    why = f"gates passed: {metric} {score:.4g}{versus}, {candidate.facts.get(TRAIN_ROWS)} rows"
    ctx.store.promote(version, reason=why)
    ctx.notes.append(f"{name}: version {version} promoted over {held} ({why})")
    return 1


def _champion_score(
    ctx: RunContext,
    spec: ForecasterSpec,
    champion: ModelVersion,
    metric: str,
    history: pd.DataFrame,
    exog: dict[str, pd.DataFrame],
) -> float | None:
    """The champion's score on the candidate's folds (or as recorded, if so configured)."""
    recorded = _number(champion.metrics.get(metric))
    if spec.gates.compare == "recorded":
        return recorded
    old = ctx.store.load_model(champion.id).spec
    if old.task != spec.task:
        ctx.notes.append(
            f"{spec.name}: the task changed since champion {champion.id}; not compared"
        )
        return None
    # the champion's own model and features, the candidate's folds; bands are not scored here
    same_folds = replace(old, name=spec.name, backtest=spec.backtest, intervals=IntervalSpec())
    try:
        scores = (
            classification_backtest(make_model, history, same_folds, exog=exog).metrics
            if spec.task == "classification"
            else backtest(make_model, history, same_folds, exog=exog).metrics
        )
    except PrevoirError as exc:
        ctx.notes.append(
            f"{spec.name}: champion {champion.id} could not be backtested on the same folds "
            f"({exc}); comparing with its recorded {metric}"
        )
        return recorded
    return _number(scores.get(metric))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None
