"""Reading a forecaster's inputs back from the store, shared by the later steps."""

from __future__ import annotations

import pandas as pd

from prevoir.domain.columns import DS, UNIQUE_ID, Y
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import MissingInputError
from prevoir.features.resample import resample
from prevoir.pipeline.context import RunContext


def read_history(ctx: RunContext, spec: ForecasterSpec, *, step: str) -> pd.DataFrame:
    """``unique_id, ds, y`` of the forecaster's target; fails when nothing was loaded yet.

    A forecaster coarser than its dataset gets the complete buckets of its granularity,
    aggregated from the stored base observations (``prevoir.features.resample``).
    """
    frame = ctx.store.read_observations(spec.dataset, variables=(spec.target,), series=spec.series)
    if spec.resample is not None:
        frame = resample(frame, spec.resample, columns=[spec.target])
    history = frame.rename(columns={spec.target: Y})[[UNIQUE_ID, DS, Y]]
    if history.empty or history[Y].notna().sum() == 0:
        what = f"observations of dataset {spec.dataset!r}"
        if spec.resample is not None:
            what = f"a complete {spec.freq!r} bucket of {spec.target!r} in {spec.dataset!r}"
        raise MissingInputError(step, "extract transform load", what)
    return history


def read_exogenous(ctx: RunContext, spec: ForecasterSpec, *, step: str) -> dict[str, pd.DataFrame]:
    """Every exogenous dataset the forecaster joins, with the columns it declares."""
    wanted: dict[str, dict[str, None]] = {}
    for ex in spec.exogenous:
        wanted.setdefault(ex.dataset, {}).update(dict.fromkeys(ex.columns))
    exog = {}
    for dataset, columns in wanted.items():
        frame = ctx.store.read_observations(dataset, variables=tuple(columns))
        if frame.empty:
            raise MissingInputError(
                step, "extract transform load", f"observations of exogenous dataset {dataset!r}"
            )
        exog[dataset] = frame
    return exog


def last_observation_times(ctx: RunContext, spec: ForecasterSpec) -> dict[str, pd.Timestamp]:
    """Newest time per series the forecaster may use as an origin.

    At the dataset's frequency that is the newest stored observation; a resampled
    forecaster's is its newest complete bucket, so catch-up issues origins on the coarser
    grid only and never from a partial bucket.
    """
    if spec.resample is None:
        return ctx.store.last_observation_times(spec.dataset, spec.target)
    history = read_history(ctx, spec, step="predict")
    known = history[history[Y].notna()]
    newest = known.groupby(UNIQUE_ID, sort=True)[DS].max()
    return {str(sid): stamp for sid, stamp in newest.items()}
