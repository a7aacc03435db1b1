"""Files a backtest leaves behind: forecast-vs-actual and feature-importance plots, metrics JSON.

Plots are drawn on a bare Agg canvas (no pyplot), so nothing opens a window or touches
matplotlib's global backend, whether it runs in the CLI, the scheduler or a test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from prevoir.domain.columns import DS, UNIQUE_ID, YHAT, Y, hi_column, interval_levels, lo_column
from prevoir.errors import DataValidationError
from prevoir.evaluation.backtest import FOLD, BacktestResult

__all__ = [
    "new_figure",
    "plot_feature_importance",
    "plot_forecasts",
    "sample_series",
    "save_png",
    "write_metrics_json",
]

_PANEL_HEIGHT = 2.6  # inches per series
_IMPORTANCE_BARS = 20  # inputs shown in the feature-importance plot, most important first


class Summarised(Protocol):
    """A backtest result that can describe itself as JSON-ready data."""

    def to_dict(self) -> dict[str, Any]:
        """The summary written to the metrics file."""


def new_figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot state), sized in inches."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG at ``path`` (folders created); the path written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, format="png", dpi=100)
    return target


def sample_series(result: BacktestResult, n: int) -> list[str]:
    """The first ``n`` series ids in sorted order: stable from run to run, so plots compare."""
    return sorted(str(s) for s in result.forecasts[UNIQUE_ID].unique())[: max(n, 0)]


def plot_forecasts(
    result: BacktestResult, path: str | Path, *, series: Sequence[str] | None = None
) -> Path:
    """Write a PNG with one panel per series: actuals, each fold's forecast (shaded with its
    widest interval band, if any) and its cut-off.

    ``series=None`` plots the first four series (``sample_series``).
    """
    ids = list(series) if series is not None else sample_series(result, 4)
    known = set(result.forecasts[UNIQUE_ID].astype(str))
    unknown = [s for s in ids if str(s) not in known]
    if not ids or unknown:
        raise DataValidationError(
            f"cannot plot series {unknown or ids} of forecaster {result.forecaster!r}: "
            "pick series that the backtest forecast"
        )
    figure = new_figure(10.0, _PANEL_HEIGHT * len(ids))
    axes = figure.subplots(len(ids), 1, squeeze=False)[:, 0]
    for ax, sid in zip(axes, ids, strict=True):
        actual = result.actuals[result.actuals[UNIQUE_ID].astype(str) == str(sid)]
        ax.plot(_naive_utc(actual[DS]), actual[Y], color="black", lw=1.0, label="actual")
        mine = result.forecasts[result.forecasts[UNIQUE_ID].astype(str) == str(sid)]
        for fold, rows in mine.groupby(FOLD, sort=True):
            line = ax.plot(_naive_utc(rows[DS]), rows[YHAT], lw=1.4, label=f"fold {fold}")
            levels = interval_levels(rows.columns)
            if levels:  # the widest band, shaded in the fold's colour
                lo, hi = rows[lo_column(levels[-1])], rows[hi_column(levels[-1])]
                colour = line[0].get_color()
                ax.fill_between(_naive_utc(rows[DS]), lo, hi, color=colour, alpha=0.15, lw=0)
            cutoff = _naive_utc(pd.Series([result.cutoffs[int(str(fold))]]))[0]
            ax.axvline(cutoff, color=line[0].get_color(), ls=":", lw=1.0)
        ax.set_title(f"{result.forecaster} · {sid} · {result.model}", fontsize=9)
        ax.set_ylabel("y")
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.legend(loc="upper left", fontsize=7, ncols=2)
    axes[-1].set_xlabel("time (UTC)")
    return save_png(figure, path)


def plot_feature_importance(importance: pd.Series, path: str | Path, *, title: str) -> Path:
    """Write a PNG of horizontal bars: each input's share of the total importance.

    ``importance`` is indexed by input name (e.g. ``DirectForecaster.feature_importance()``);
    the ``_IMPORTANCE_BARS`` largest are drawn, largest on top.
    """
    values = importance.astype(np.float64)
    total = float(values.sum())
    if len(values) == 0 or not np.isfinite(total) or total <= 0:
        raise DataValidationError(
            f"cannot plot feature importance for {title!r}: the model reports no importance "
            "(all zero); check that it was trained on rows with varying inputs"
        )
    top = (values / total).sort_values(ascending=False).head(_IMPORTANCE_BARS)[::-1]
    figure = new_figure(8.0, 1.0 + 0.3 * len(top))
    ax = figure.subplots()
    ax.barh([str(name) for name in top.index], top.to_numpy(), color="tab:blue")
    ax.set_xlabel("share of total importance")
    ax.set_title(title, fontsize=9)
    return save_png(figure, path)


def write_metrics_json(result: Summarised, path: str | Path) -> Path:
    """Write ``result.to_dict()`` as JSON: forecaster, model, cut-offs, metrics by step/fold."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.to_dict(), indent=2, allow_nan=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def _naive_utc(times: pd.Series) -> np.ndarray:
    """UTC wall times as datetime64, which matplotlib plots without pandas' converters."""
    return np.asarray(pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None))
