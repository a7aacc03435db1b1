"""Expanding-window backtest: fold cut-offs, no peeking past a cut-off, reports written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.specs import BacktestSpec, ForecasterSpec, ModelSpec
from prevoir.errors import DataValidationError
from prevoir.evaluation import (
    backtest,
    fold_cutoffs,
    mae,
    mase,
    plot_forecasts,
    write_metrics_json,
)
from prevoir.evaluation.backtest import model_label
from prevoir.models import SeasonalNaive, make_model
from prevoir.models.base import Exogenous
from prevoir.testing import make_series, make_spec

H = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=3, length=24 * 15, seed=6)


def _spec(kind: str = "seasonal_naive", **overrides: object) -> ForecasterSpec:
    fields: dict[str, object] = {"backtest": BacktestSpec(folds=3, step=24)} | overrides
    return make_spec(kind, **fields)  # type: ignore[arg-type]


class _SpyNaive(SeasonalNaive):
    """Records the newest training time each fold saw."""

    seen: list[pd.Timestamp] = []  # noqa: RUF012 - shared on purpose across fresh instances

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        _SpyNaive.seen.append(history["ds"].max())
        return super().fit(history, exog)


def test_cutoffs_are_step_apart_ending_one_horizon_before_the_end(history: pd.DataFrame) -> None:
    spec = _spec()
    cutoffs = fold_cutoffs(history, spec)
    last = history["ds"].max()
    assert cutoffs == [last - 24 * H - k * 24 * H for k in (2, 1, 0)]
    with pytest.raises(DataValidationError, match="too short"):
        fold_cutoffs(history, _spec(backtest=BacktestSpec(folds=30, step=24)))


def test_each_fold_trains_only_up_to_its_cutoff(history: pd.DataFrame) -> None:
    spec = _spec()
    _SpyNaive.seen = []
    result = backtest(_SpyNaive, history, spec)
    assert _SpyNaive.seen == list(result.cutoffs)
    rows = result.forecasts
    assert len(rows) == 3 * 3 * len(spec.horizons)  # folds x series x steps
    assert (rows["origin"] == rows["fold"].map(dict(enumerate(result.cutoffs)))).all()
    assert rows["y"].notna().all()


def test_metrics_agree_with_the_metric_functions(history: pd.DataFrame) -> None:
    spec = _spec()
    result = backtest(make_model, history, spec)
    rows = result.forecasts
    assert result.metrics["mae"] == pytest.approx(mae(rows["y"], rows["yhat"]))
    assert result.metrics["n"] == len(rows)
    assert result.model == "seasonal_naive"
    by_step = result.by_step.set_index("step")
    assert list(by_step.index) == sorted(spec.horizons)
    step1 = rows[rows["step"] == 1]
    assert by_step.loc[1, "mae"] == pytest.approx(mae(step1["y"], step1["yhat"]))
    assert list(result.by_fold["fold"]) == [0, 1, 2]


def test_mase_uses_each_fold_s_in_sample_scale(history: pd.DataFrame) -> None:
    result = backtest(make_model, history, _spec())
    rows = result.forecasts
    parts = []
    for (fold, uid), group in rows.groupby(["fold", "unique_id"]):
        insample = history[(history["unique_id"] == uid) & (history["ds"] <= result.cutoffs[fold])]
        parts.append(mase(group["y"], group["yhat"], insample["y"], 24))
    assert result.metrics["mase"] == pytest.approx(np.mean(parts))


def test_plot_and_metrics_files_are_written(history: pd.DataFrame, tmp_path: Path) -> None:
    result = backtest(make_model, history, _spec("lightgbm"))
    png = plot_forecasts(result, tmp_path / "plots" / "fc.png", series=["s0", "s2"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = write_metrics_json(result, tmp_path / "metrics.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert set(report) >= {"forecaster", "model", "cutoffs", "metrics", "by_step", "by_fold"}
    assert set(report["metrics"]) == {"mae", "rmse", "smape", "mase", "n"}
    assert report["model"] == "lightgbm"
    assert len(report["cutoffs"]) == 3
    assert [r["step"] for r in report["by_step"]] == [1, 2, 3, 6, 12, 24]
    with pytest.raises(DataValidationError, match="cannot plot"):
        plot_forecasts(result, tmp_path / "x.png", series=["nope"])


def test_reports_name_the_model_as_the_config_does() -> None:
    assert model_label(make_spec("lightgbm")) == "lightgbm"
    assert model_label(make_spec("lightgbm", scope="per_series")) == "lightgbm, per series"
    recursive = ModelSpec(kind="xgboost", strategy="recursive")
    assert model_label(make_spec(model=recursive)) == "xgboost, recursive"
    members = (ModelSpec(kind="lightgbm"), ModelSpec(kind="seasonal_naive"))
    ensemble = ModelSpec(kind="ensemble", members=members)
    assert model_label(make_spec(model=ensemble)) == "ensemble of lightgbm + seasonal_naive"
