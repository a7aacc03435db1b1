"""Accuracy of forecasts: pure metrics, expanding-window backtests, and their reports."""

from prevoir.evaluation.backtest import BacktestResult, backtest, fold_cutoffs
from prevoir.evaluation.metrics import mae, mase, rmse, smape
from prevoir.evaluation.plots import plot_forecasts, write_metrics_json

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
