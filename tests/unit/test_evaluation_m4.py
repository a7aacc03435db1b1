"""M4 scoring against the organisers' published Naive2 numbers on the real Hourly set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prevoir.evaluation.m4 import naive2, owa, score_m4, seasonal_indices, seasonality_test

M4 = Path(__file__).parents[2].parent / "shared" / "data" / "m4"


@pytest.mark.skipif(not (M4 / "Hourly-train.csv").is_file(), reason="shared M4 data absent")
def test_naive2_reproduces_the_published_hourly_scores() -> None:
    train = pd.read_csv(M4 / "Hourly-train.csv", index_col="V1")
    test = pd.read_csv(M4 / "Hourly-test.csv", index_col="V1")
    series = [row.dropna().to_numpy(float) for _, row in train.iterrows()]
    actuals = [row.to_numpy(float) for _, row in test.iterrows()]
    forecasts = [naive2(x, 48, 24) for x in series]
    smape_value, mase_value = score_m4(series, actuals, forecasts, m=24)
    # M4 paper, Table 4 (Hourly): Naive2 sMAPE 18.383, MASE 2.395
    assert round(smape_value, 3) == pytest.approx(18.383, abs=0.002)
    assert round(mase_value, 3) == pytest.approx(2.395, abs=0.002)
    assert owa(smape_value, mase_value, smape_naive2=18.383, mase_naive2=2.395) == (
        pytest.approx(1.0, abs=1e-3)
    )


def test_seasonal_indices_recover_a_multiplicative_pattern() -> None:
    pattern = np.array([0.5, 1.0, 1.5, 1.0])
    x = np.tile(pattern, 30) * np.linspace(10, 20, 120)
    assert seasonality_test(x, 4)
    indices = seasonal_indices(x, 4)
    np.testing.assert_allclose(indices, pattern, rtol=0.02)
    forecast = naive2(x, 4, 4)
    # the last value deseasonalised, then re-seasonalised with the next positions' indices
    np.testing.assert_allclose(forecast, x[-1] / indices[3] * indices[[0, 1, 2, 3]])


def test_no_seasonality_means_plain_naive() -> None:
    x = np.random.default_rng(0).normal(100, 1, 200)
    assert not seasonality_test(x, 24)
    np.testing.assert_array_equal(naive2(x, 5, 24), np.full(5, x[-1]))
