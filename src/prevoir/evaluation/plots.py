"""Files a backtest leaves behind: forecast-vs-actual plots and a metrics JSON.

Plots are drawn on a bare Agg canvas (no pyplot), so nothing opens a window or touches
matplotlib's global backend, whether it runs in the CLI, the scheduler or a test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from prevoir.domain.columns import DS, UNIQUE_ID, YHAT, Y, hi_column, interval_levels, lo_column
from prevoir.errors import DataValidationError
from prevoir.evaluation.backtest import FOLD, BacktestResult

__all__ = ["plot_forecasts", "sample_series", "write_metrics_json"]

_PANEL_HEIGHT = 2.6  # inches per series


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
    figure = Figure(figsize=(10.0, _PANEL_HEIGHT * len(ids)), layout="constrained")
    FigureCanvasAgg(figure)
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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, format="png", dpi=100)
    return target


def write_metrics_json(result: BacktestResult, path: str | Path) -> Path:
    """Write ``result.to_dict()`` as JSON: forecaster, model, cut-offs, metrics by step/fold."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.to_dict(), indent=2, allow_nan=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def _naive_utc(times: pd.Series) -> np.ndarray:
    """UTC wall times as datetime64, which matplotlib plots without pandas' converters."""
    return np.asarray(pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None))
