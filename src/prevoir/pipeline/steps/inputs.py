"""Reading a forecaster's inputs back from the store, shared by the later steps, and saying
which steps to run first when an input is missing."""

from __future__ import annotations

import pandas as pd

from prevoir.domain.columns import DS, UNIQUE_ID, Y
from prevoir.domain.specs import ForecasterSpec
from prevoir.domain.steps import STEP_ORDER
from prevoir.errors import MissingInputError
from prevoir.features.resample import resample
from prevoir.pipeline.context import RunContext

FEATURES_KIND = "features"  # the artifact kind of a forecaster's stored design table
# What the earlier steps leave in the store, in pipeline order: (last step, steps to run).
_PRODUCERS = (
    ("load", "extract transform load"),
    ("features", "features"),
    ("train", "train"),
    ("evaluate", "evaluate"),
)


def missing_input(ctx: RunContext, spec: ForecasterSpec, step: str, what: str) -> MissingInputError:
    """The error for ``step`` lacking ``what``, naming the steps to run first: from the first
    earlier step whose output is not in the store (on an empty store, ``extract``) to the one
    before ``step`` — not only the step just before it."""
    before = [
        steps for last, steps in _PRODUCERS if STEP_ORDER.index(last) < STEP_ORDER.index(step)
    ]
    for i, steps in enumerate(before):
        if not _produced(ctx, spec, steps):
            return MissingInputError(step, " ".join(before[i:]), what)
    return MissingInputError(step, before[-1] if before else _PRODUCERS[0][1], what)


def _produced(ctx: RunContext, spec: ForecasterSpec, steps: str) -> bool:
    if steps == "extract transform load":
        return bool(ctx.store.last_observation_times(spec.dataset, spec.target))
    if steps == "features":
        return ctx.store.latest_artifact(subject=spec.name, kind=FEATURES_KIND) is not None
    alias = "challenger" if steps == "train" else "champion"
    return ctx.store.version_for(spec.name, alias) is not None


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
        raise missing_input(ctx, spec, step, what)
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
