"""Accuracy of forecasts: pure metrics, expanding-window backtests, and their reports.

The report writers are imported on first use (``prevoir._lazy``): they need matplotlib,
which a backtest alone does not.
"""

from prevoir._lazy import lazy_names
from prevoir.evaluation.backtest import BacktestResult, backtest, fold_cutoffs
from prevoir.evaluation.metrics import mae, mase, rmse, smape

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "plot_forecasts": "prevoir.evaluation.plots",
        "write_metrics_json": "prevoir.evaluation.plots",
    },
)

__all__ = [
    "BacktestResult",
    "backtest",
    "fold_cutoffs",
    "mae",
    "mase",
    "plot_forecasts",
    "rmse",
    "smape",
    "write_metrics_json",
]
