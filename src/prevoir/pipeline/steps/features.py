"""features: build each forecaster's training table from the stored observations."""

from __future__ import annotations

from prevoir.features.design import build_design, training_spec
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.inputs import FEATURES_KIND, read_exogenous, read_history
from prevoir.pipeline.steps.outcome import StepOutcome


def features(ctx: RunContext) -> StepOutcome:
    """Write one Parquet design table per forecaster and record it for the train step."""
    rows_in = rows_out = 0
    files = []
    task = ctx.progress.task("features", total=len(ctx.forecasters))
    for name, spec in ctx.forecasters.items():
        history = read_history(ctx, spec, step="features")
        exog = read_exogenous(ctx, spec, step="features")
        design = build_design(history, training_spec(spec), exog=exog)
        path = ctx.run_dir("features") / f"{name}.parquet"
        design.to_parquet(path, index=False)
        ctx.store.record_artifact(
            step="features", subject=name, kind=FEATURES_KIND, path=path, rows=len(design)
        )
        rows_in += len(history)
        rows_out += len(design)
        files.append(path)
        task.advance()
    return StepOutcome(rows_in=rows_in, rows_out=rows_out, files=tuple(files))
