"""Reading a forecaster's inputs back from the store, shared by the later steps."""

from __future__ import annotations

import pandas as pd

from prevoir.domain.columns import DS, UNIQUE_ID, Y
from prevoir.domain.records import ForecasterSpec
from prevoir.errors import MissingInputError
from prevoir.pipeline.context import RunContext


def read_history(ctx: RunContext, spec: ForecasterSpec, *, step: str) -> pd.DataFrame:
    """``unique_id, ds, y`` of the forecaster's target; fails when nothing was loaded yet."""
    frame = ctx.store.read_observations(spec.dataset, variables=(spec.target,), series=spec.series)
    history = frame.rename(columns={spec.target: Y})[[UNIQUE_ID, DS, Y]]
    if history.empty or history[Y].notna().sum() == 0:
        raise MissingInputError(
            step, "extract transform load", f"observations of dataset {spec.dataset!r}"
        )
    return history


def read_exogenous(ctx: RunContext, spec: ForecasterSpec, *, step: str) -> dict[str, pd.DataFrame]:
    """Every exogenous dataset the forecaster joins, with the columns it declares."""
    wanted: dict[str, dict[str, None]] = {}
    for ex in spec.features.exogenous:
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
