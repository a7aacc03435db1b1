"""Expanding-window backtest: refit at each cut-off, forecast every horizon, score against actuals.

Cut-offs are ``spec.backtest.step`` periods apart, the newest at the last observation minus
the longest horizon so that every fold's forecasts can be scored. Each fold fits a fresh model
on data at or before its cut-off only, and forecasts from origin = cut-off for every series,
exactly as catch-up forecasting would have done on that day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prevoir.domain.columns import (
    DS,
    ORIGIN,
    STEP,
    UNIQUE_ID,
    YHAT,
    Y,
    hi_column,
    interval_levels,
    lo_column,
)
from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.grid import to_timestamps, utc_ns
from prevoir.domain.specs import ML_KINDS, ForecasterSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.evaluation.metrics import coverage_terms, interval_score_terms, smape_terms
from prevoir.features.grid import Panel
from prevoir.models.base import Forecaster

__all__ = [
    "FOLD",
    "METRICS",
    "BacktestResult",
    "backtest",
    "fold_cutoffs",
    "fold_forecasts",
    "json_number",
    "json_records",
]

FOLD = "fold"
METRICS = ("mae", "rmse", "smape", "mase")
_CONTEXT_HORIZONS = 3  # periods of actuals kept before the first cut-off, in max horizons


@dataclass(frozen=True)
class BacktestResult:
    """Forecasts of every fold joined with actuals, and their accuracy.

    ``forecasts``: ``fold, unique_id, origin, ds, step, yhat, y`` (+ the interval bounds).
    ``metrics``: overall ``mae, rmse, smape, mase`` and ``n`` (scored rows), and per interval
    level ``coverage_<level>`` (share of actuals inside the band) and ``msis_<level>`` (mean
    interval score over the MASE scale, M4's MSIS). ``by_step`` and ``by_fold``: the same
    per step and per fold. ``actuals``: observations around the folds, for plots.
    """

    forecaster: str
    model: str
    season_length: int
    cutoffs: tuple[pd.Timestamp, ...]
    forecasts: pd.DataFrame
    metrics: dict[str, float]
    by_step: pd.DataFrame
    by_fold: pd.DataFrame
    actuals: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (NaN as None) for the metrics file and the store."""
        return {
            "forecaster": self.forecaster,
            "model": self.model,
            "season_length": self.season_length,
            "cutoffs": [c.isoformat() for c in self.cutoffs],
            "n_series": int(self.forecasts[UNIQUE_ID].nunique()),
            "metrics": {k: json_number(v) for k, v in self.metrics.items()},
            "by_step": json_records(self.by_step),
            "by_fold": json_records(self.by_fold),
        }


def fold_cutoffs(history: pd.DataFrame, spec: ForecasterSpec) -> list[pd.Timestamp]:
    """Cut-offs, oldest first: the newest is the last ``ds`` minus the longest horizon."""
    bt = spec.backtest
    if bt.folds < 1 or bt.step < 1:
        raise ConfigError(
            f"forecaster {spec.name!r}: backtest needs folds >= 1 and step >= 1, "
            f"got folds={bt.folds}, step={bt.step}"
        )
    if len(history) == 0:
        raise DataValidationError(
            f"cannot backtest forecaster {spec.name!r} on an empty history; load observations"
        )
    ns = utc_ns(history[DS], what="history column 'ds'")
    period = freq_to_ns(spec.freq)
    newest = int(ns.max()) - spec.max_horizon * period
    cutoffs = newest - period * bt.step * np.arange(bt.folds - 1, -1, -1, dtype=np.int64)
    if cutoffs[0] <= int(ns.min()):
        raise DataValidationError(
            f"history of forecaster {spec.name!r} is too short for {bt.folds} folds "
            f"{bt.step} periods apart plus a {spec.max_horizon}-step horizon; "
            "load more history or lower backtest.folds / backtest.step"
        )
    return list(to_timestamps(cutoffs))


def backtest(
    model_factory: Callable[[ForecasterSpec], Forecaster],
    history: pd.DataFrame,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None = None,
) -> BacktestResult:
    """Fit a fresh model per fold on data at or before its cut-off and score its forecasts."""
    cutoffs, model_name, forecasts = fold_forecasts(model_factory, history, spec, exog)
    scales = [_mase_scales(history[history[DS] <= cutoff], spec) for cutoff in cutoffs]
    scale = pd.concat(scales, keys=range(len(cutoffs)), names=[FOLD, UNIQUE_ID])
    keys = pd.MultiIndex.from_arrays([forecasts[FOLD], forecasts[UNIQUE_ID]])
    forecasts["_scale"] = scale.reindex(keys).to_numpy()
    actual = history[[UNIQUE_ID, DS, Y]]
    rows = _with_errors(forecasts.merge(actual, on=[UNIQUE_ID, DS], how="left"))
    context = cutoffs[0] - pd.Timedelta(
        freq_to_ns(spec.freq) * spec.max_horizon * _CONTEXT_HORIZONS
    )
    return BacktestResult(
        forecaster=spec.name,
        model=model_name,
        season_length=spec.model.season_length,
        cutoffs=tuple(cutoffs),
        forecasts=rows[[FOLD, UNIQUE_ID, ORIGIN, DS, STEP, YHAT, Y, *_band_columns(rows)]],
        metrics=_summary(rows),
        by_step=_grouped(rows, STEP),
        by_fold=_grouped(rows, FOLD),
        actuals=actual[actual[DS] > context].sort_values([UNIQUE_ID, DS], ignore_index=True),
    )


def fold_forecasts(
    model_factory: Callable[[ForecasterSpec], Forecaster],
    history: pd.DataFrame,
    spec: ForecasterSpec,
    exog: Mapping[str, pd.DataFrame] | None = None,
    *,
    origins_per_fold: int = 1,
) -> tuple[list[pd.Timestamp], str, pd.DataFrame]:
    """Cut-offs, the model's class name, and ``unique_id, origin, ds, step, yhat, fold`` rows.

    Each fold's fresh model, fitted on data at or before its cut-off, forecasts every series
    from the cut-off and the ``origins_per_fold - 1`` periods after it (as catch-up does with
    a champion it does not refit), never from past a series' last observation.
    """
    cutoffs = fold_cutoffs(history, spec)
    period = pd.Timedelta(freq_to_ns(spec.freq))
    newest = history.groupby(UNIQUE_ID)[DS].max()
    folds = []
    for i, cutoff in enumerate(cutoffs):
        train = history[history[DS] <= cutoff]
        model = model_factory(spec).fit(train, exog)
        times = cutoff + period * np.arange(max(origins_per_fold, 1))
        origins = pd.MultiIndex.from_product(
            [pd.unique(train[UNIQUE_ID]), times], names=[UNIQUE_ID, ORIGIN]
        ).to_frame(index=False)
        origins = origins[origins[ORIGIN] <= newest.reindex(origins[UNIQUE_ID]).to_numpy()]
        seen = history[history[DS] <= origins[ORIGIN].max()]
        folds.append(model.predict(seen, origins, exog).assign(**{FOLD: i}))
    return cutoffs, model_label(spec), pd.concat(folds, ignore_index=True)


def _mase_scales(train: pd.DataFrame, spec: ForecasterSpec) -> pd.Series:
    """Per series ``mean |y_t - y_{t-m}|`` over the fold's training data (NaN if none or 0)."""
    m = spec.model.season_length
    panel = Panel.from_history(train, freq=spec.freq, pad=m)
    diffs = np.full(len(panel.values), np.nan)
    diffs[m:] = np.abs(panel.values[m:] - panel.values[:-m])  # pad NaNs stop cross-series
    block = np.repeat(np.arange(len(panel.ids)), panel.length + panel.pad)
    valid = ~np.isnan(diffs)
    sums = np.bincount(block, weights=np.where(valid, diffs, 0.0), minlength=len(panel.ids))
    counts = np.bincount(block, weights=valid.astype(np.float64), minlength=len(panel.ids))
    ok = (counts > 0) & (sums > 0)
    scale = np.divide(sums, counts, out=np.full(len(sums), np.nan), where=ok)
    return pd.Series(scale, index=panel.ids)


def _with_errors(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-row error terms; rows without an actual or a forecast are kept but not scored."""
    y = rows[Y].to_numpy(np.float64)
    yhat = rows[YHAT].to_numpy(np.float64)
    scored = ~(np.isnan(y) | np.isnan(yhat))
    error = np.where(scored, np.abs(y - yhat), np.nan)
    scale = rows["_scale"].to_numpy(np.float64)
    bands = {}
    for level in interval_levels(rows.columns):
        lo, hi = rows[lo_column(level)], rows[hi_column(level)]
        bands[f"_coverage_{level}"] = coverage_terms(y, lo, hi)
        bands[f"_msis_{level}"] = interval_score_terms(y, lo, hi, level) / scale
    return rows.assign(
        _abs=error,
        _sq=error**2,
        _smape=np.where(scored, smape_terms(np.nan_to_num(y), np.nan_to_num(yhat)), np.nan),
        _scaled=error / scale,
        **bands,
    )


def _band_columns(rows: pd.DataFrame) -> list[str]:
    levels = interval_levels(rows.columns)
    return [c for level in levels for c in (lo_column(level), hi_column(level))]


def _summary(rows: pd.DataFrame) -> dict[str, float]:
    table = _grouped(rows.assign(_all=0), "_all")
    if table.empty:
        return dict.fromkeys(METRICS, float("nan")) | {"n": 0.0}
    return {str(k): float(v) for k, v in table.drop(columns="_all").iloc[0].items()}


def _grouped(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    bands = {}
    for level in interval_levels(rows.columns):
        bands[f"coverage_{level}"] = (f"_coverage_{level}", "mean")
        bands[f"msis_{level}"] = (f"_msis_{level}", "mean")
    table = rows.groupby(by, sort=True).agg(
        mae=("_abs", "mean"),
        rmse=("_sq", "mean"),
        smape=("_smape", "mean"),
        mase=("_scaled", "mean"),
        n=("_abs", "count"),
        **bands,
    )
    table["rmse"] = np.sqrt(table["rmse"])
    return table.reset_index()


def model_label(spec: ForecasterSpec) -> str:
    """The model as the config names it (``lightgbm``, ``auto_ets``, ``ensemble of
    lightgbm + seasonal_naive``, ``lightgbm, recursive``), for plot titles and reports."""
    model = spec.model
    label: str = model.kind
    if model.members:
        label += " of " + " + ".join(m.kind for m in model.members)
    if model.strategy == "recursive":
        label += ", recursive"
    if model.scope == "per_series" and model.kind in ML_KINDS:
        label += ", per series"
    return label


def json_number(value: object) -> float | int | None:
    """Counts and steps stay integers; NaN and infinities become None (JSON has neither)."""
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) else None


def json_records(table: pd.DataFrame) -> list[dict[str, float | int | None]]:
    """Rows of a metrics table as JSON-ready dicts (see ``json_number``)."""
    return [{str(k): json_number(v) for k, v in row.items()} for row in table.to_dict("records")]
