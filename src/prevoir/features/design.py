"""The design matrix: one row per (series, origin, step), every feature known at the origin.

This is a direct multi-horizon layout: a row for step ``h`` describes what was known at the
origin plus what is known in advance about the target time ``ds = origin + h``. Training and
catch-up prediction use the same builder, so a model sees at prediction time exactly the
features it was trained on, and no feature can read a value after its origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, Y
from prevoir.domain.grid import to_timestamps
from prevoir.domain.specs import ForecasterSpec
from prevoir.features.calendar import calendar_columns, calendar_features
from prevoir.features.exogenous import exogenous_columns, exogenous_features
from prevoir.features.grid import Panel, distinct_periods
from prevoir.features.lags import (
    LAST_Y,
    SCALE,
    lag_columns,
    lag_features,
    origin_features,
    rolling_columns,
    warmup_periods,
)

__all__ = [
    "KEY_COLUMNS",
    "build_design",
    "feature_columns",
    "horizons_of",
    "origin_exogenous",
    "scale_window",
    "target_features",
    "training_origins",
    "training_spec",
]

KEY_COLUMNS = (UNIQUE_ID, ORIGIN, STEP, DS)


def feature_columns(spec: ForecasterSpec) -> list[str]:
    """Names of the model inputs, in the order ``build_design`` writes them."""
    f = spec.features
    names = [STEP, *lag_columns(f.lags), LAST_Y, *rolling_columns(f.rolling)]
    names += calendar_columns(f)
    for ex in spec.exogenous:
        names += exogenous_columns(ex)
    return names


def training_spec(spec: ForecasterSpec) -> ForecasterSpec:
    """The spec a model's training design is built with: a recursive model learns one step
    ahead and rolls it forward (``prevoir.models.recursive``), a direct one every horizon."""
    if spec.model.strategy != "recursive":
        return spec
    return replace(spec, horizons=(1,), model=replace(spec.model, strategy="direct"))


def horizons_of(spec: ForecasterSpec) -> np.ndarray:
    """The steps to forecast (the spec keeps them sorted, distinct and positive)."""
    return np.asarray(spec.horizons, dtype=np.int64)


def scale_window(spec: ForecasterSpec) -> int:
    """Periods behind the origin whose mean |y| is a row's ``scale``: a season or the longest
    rolling window, whichever is longer, so the level is not skewed by the time of day."""
    return max(spec.model.season_length, *spec.features.rolling, 1)


def build_design(
    history: pd.DataFrame,
    spec: ForecasterSpec,
    *,
    origins: pd.DataFrame | None = None,
    exog: Mapping[str, pd.DataFrame] | None = None,
    with_target: bool = True,
) -> pd.DataFrame:
    """Rows ``unique_id, origin, step, ds, y, scale`` plus ``feature_columns(spec)``.

    ``origins=None`` takes every training origin (see ``training_origins``). ``y`` is the
    value at ``ds`` (NaN when unknown or when ``with_target`` is false). ``scale`` is not a
    feature: it is the series' mean |y| over ``scale_window(spec)`` periods ending at the
    origin, which lets a global model compare series of different levels.
    """
    f = spec.features
    warmup = warmup_periods(f.lags, f.rolling)
    window = scale_window(spec)
    panel = Panel.from_history(history, freq=spec.freq, pad=max(warmup, window - 1))
    if origins is None:
        codes_o, origin_idx = training_origins(panel, spec, warmup=warmup)
    else:
        codes_o, origin_idx = panel.locate_origins(origins)
    steps = horizons_of(spec)
    codes = np.repeat(codes_o, len(steps))
    row_origin = np.repeat(origin_idx, len(steps))
    row_step = np.tile(steps, len(codes_o))
    ds_idx = row_origin + row_step
    columns: dict[str, object] = {
        UNIQUE_ID: panel.ids.take(codes),
        ORIGIN: to_timestamps(panel.grid.times(row_origin)),
        STEP: row_step,
        DS: to_timestamps(panel.grid.times(ds_idx)),
        Y: panel.lookup(codes, ds_idx) if with_target else np.full(len(codes), np.nan),
    }
    at_origin = _at_origin(panel, spec, exog, codes_o, origin_idx, scale_window=window)
    columns |= {name: np.repeat(values, len(steps)) for name, values in at_origin.items()}
    columns |= lag_features(panel, codes, row_origin, row_step, lags=f.lags)
    columns |= target_features(panel, spec, exog, codes, ds_idx)
    order = [*KEY_COLUMNS, Y, SCALE, *feature_columns(spec)[1:]]
    return pd.DataFrame({name: columns[name] for name in order}, copy=False)


def _at_origin(
    panel: Panel,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None,
    codes: np.ndarray,
    origin_idx: np.ndarray,
    *,
    scale_window: int,
) -> dict[str, np.ndarray]:
    """Features fixed by the origin alone, computed once per origin (not per step)."""
    f = spec.features
    out = origin_features(panel, codes, origin_idx, windows=f.rolling, scale_window=scale_window)
    return out | origin_exogenous(panel, spec, exog, codes, origin_idx)


def origin_exogenous(
    panel: Panel,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None,
    codes: np.ndarray,
    origin_idx: np.ndarray,
) -> dict[str, np.ndarray]:
    """Exogenous columns available only up to the origin, read at the origin."""
    return _exogenous(panel, spec, exog, codes, origin_idx, availability="origin")


def target_features(
    panel: Panel,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None,
    codes: np.ndarray,
    ds_idx: np.ndarray,
) -> dict[str, np.ndarray]:
    """Features known in advance for the target time: calendar and ``known`` exogenous."""
    distinct, inverse = distinct_periods(ds_idx)
    calendar = calendar_features(panel.grid.times(distinct), spec.features)
    out = {name: values[inverse] for name, values in calendar.items()}
    return out | _exogenous(panel, spec, exog, codes, ds_idx, availability="known")


def _exogenous(
    panel: Panel,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None,
    codes: np.ndarray,
    periods: np.ndarray,
    *,
    availability: str,
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for ex in spec.exogenous:
        if ex.availability == availability:
            out |= exogenous_features(
                exog, ex, ids=panel.ids, codes=codes, periods=periods, grid=panel.grid
            )
    return out


def training_origins(
    panel: Panel, spec: ForecasterSpec, *, warmup: int
) -> tuple[np.ndarray, np.ndarray]:
    """Series codes and period indices of every origin worth a training row.

    An origin needs ``warmup`` periods of history behind it (so every lag and window is
    defined) and at least one target inside the series after it; ``train_window`` keeps the
    newest origins of each series and ``train_stride`` every n-th, counted back from the
    newest so that consecutive runs train on the same grid.
    """
    end = panel.series_end()
    first = panel.start + warmup
    if spec.train_window is not None:
        first = np.maximum(first, end - spec.train_window + 1)
    last = end - int(horizons_of(spec)[0])
    stride = spec.train_stride
    counts = np.where(last >= first, (last - first) // stride + 1, 0)
    codes = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    oldest = last - stride * (counts - 1)
    return codes, np.repeat(oldest, counts) + stride * rank
