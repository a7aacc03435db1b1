"""evaluate: backtest each new version, write its plots and metrics, decide promotion.

A version is promoted to ``champion`` when there is none yet, or when its backtest MAE is at
most ``PROMOTION_TOLERANCE`` worse than the champion's recorded MAE. The full gates (same
folds, training-row and missing-feature checks) belong to the registry work of issue 4.
"""

from __future__ import annotations

from pathlib import Path

from prevoir.errors import MissingInputError
from prevoir.evaluation.backtest import backtest
from prevoir.evaluation.plots import plot_forecasts, write_metrics_json
from prevoir.models.factory import make_model
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.inputs import read_exogenous, read_history
from prevoir.pipeline.steps.outcome import StepOutcome

PROMOTION_TOLERANCE = 0.05


def evaluate(ctx: RunContext) -> StepOutcome:
    """Expanding-window backtest per forecaster; champion promotion by MAE."""
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
        result = backtest(make_model, history, spec, exog=exog)
        out = ctx.run_dir("evaluate")
        sample = sorted(history["unique_id"].unique())[: spec.backtest.sample_series]
        written = [
            plot_forecasts(result, out / f"{name}_forecast_vs_actual.png", series=sample),
            write_metrics_json(result, out / f"{name}_metrics.json"),
        ]
        for path in written:
            kind = "plot" if path.suffix == ".png" else "metrics"
            ctx.store.record_artifact(step="evaluate", subject=name, kind=kind, path=path)
        ctx.store.update_metrics(version, result.metrics)
        promoted += _promote(ctx, name, version, mae=float(result.metrics["mae"]))
        rows_in += len(history)
        files.extend(written)
        task.advance()
    return StepOutcome(rows_in=rows_in, rows_out=promoted, files=tuple(files))


def _promote(ctx: RunContext, name: str, version: int, *, mae: float) -> int:
    champion = ctx.store.version_for(name, "champion")
    if champion is not None and champion.id == version:
        return 0
    if champion is None or "mae" not in champion.metrics:
        ctx.store.set_alias(name, "champion", version)
        ctx.notes.append(f"{name}: version {version} is the first champion (MAE {mae:.4g})")
        return 1
    best = float(champion.metrics["mae"])
    if mae <= best * (1 + PROMOTION_TOLERANCE):
        ctx.store.set_alias(name, "champion", version)
        ctx.notes.append(f"{name}: version {version} promoted (MAE {mae:.4g} vs {best:.4g})")
        return 1
    ctx.notes.append(
        f"{name}: version {version} not promoted: MAE {mae:.4g} is worse than champion "
        f"{champion.id}'s {best:.4g} by more than {PROMOTION_TOLERANCE:.0%}"
    )
    return 0
