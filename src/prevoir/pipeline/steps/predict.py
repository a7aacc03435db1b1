"""predict: catch-up forecasting from every new origin with the champion, batch by batch.

Each batch holds every new origin of a group of series and is committed on its own, so a
killed run resumes where it stopped: origins are planned from the stored forecasts.
"""

from __future__ import annotations

import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, UNIQUE_ID
from prevoir.domain.records import ForecasterSpec
from prevoir.errors import MissingInputError
from prevoir.models.base import Forecaster
from prevoir.pipeline.catchup import plan_origins
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.inputs import read_exogenous, read_history
from prevoir.pipeline.steps.outcome import StepOutcome

SERIES_PER_BATCH = 64


def predict(ctx: RunContext) -> StepOutcome:
    """Issue forecasts for origins newer than the last stored ones; none when up to date."""
    rows_in = written = 0
    for name, spec in ctx.forecasters.items():
        champion = ctx.store.version_for(name, "champion")
        if champion is None:
            raise MissingInputError("predict", "train evaluate", f"a champion model of {name!r}")
        origins = plan_origins(
            ctx.store.last_observation_times(spec.dataset, spec.target),
            ctx.store.last_origins(name),
            freq=spec.freq,
            catchup=spec.catchup,
        )
        if spec.series:
            origins = origins[origins[UNIQUE_ID].isin(spec.series)]
        if origins.empty:
            ctx.notes.append(f"{name}: forecasts are up to date")
            continue
        model = ctx.store.load_model(champion.id)
        history = read_history(ctx, spec, step="predict")
        exog = read_exogenous(ctx, spec, step="predict")
        rows_in += len(origins)
        written += _predict_batches(ctx, spec, model, history, origins, exog, champion.id)
        ctx.notes.append(f"{name}: {len(origins)} new origin(s) forecast")
    return StepOutcome(rows_in=rows_in, rows_out=written)


def _predict_batches(
    ctx: RunContext,
    spec: ForecasterSpec,
    model: Forecaster,
    history: pd.DataFrame,
    origins: pd.DataFrame,
    exog: dict[str, pd.DataFrame],
    version: int,
) -> int:
    series = origins[UNIQUE_ID].unique()
    task = ctx.progress.task(f"predict {spec.name}", total=len(series))
    written = 0
    for start in range(0, len(series), SERIES_PER_BATCH):
        batch = series[start : start + SERIES_PER_BATCH]
        batch_origins = origins[origins[UNIQUE_ID].isin(batch)]
        batch_history = history[
            history[UNIQUE_ID].isin(batch) & (history[DS] <= batch_origins[ORIGIN].max())
        ]
        forecasts = model.predict(batch_history, batch_origins, exog)
        written += ctx.store.write_forecasts(spec.name, forecasts, model_version=version)
        task.advance(len(batch))
    return written
