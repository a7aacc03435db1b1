"""Accuracy measures against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from prevoir.evaluation.metrics import mae, mase, mase_scale, rmse, smape


def test_mae_and_rmse() -> None:
    y, f = [1.0, 2.0, 4.0], [2.0, 2.0, 1.0]  # errors 1, 0, 3
    assert mae(y, f) == pytest.approx(4 / 3)
    assert rmse(y, f) == pytest.approx(math.sqrt(10 / 3))


def test_smape_is_the_m4_percentage() -> None:
    # 200/3 * (1/3 + 0 + 3/5)
    assert smape([1.0, 2.0, 4.0], [2.0, 2.0, 1.0]) == pytest.approx(200 / 3 * (1 / 3 + 3 / 5))
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0  # both zero: no error, no division
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)


def test_mase_scales_by_the_in_sample_seasonal_difference() -> None:
    insample = [1.0, 2.0, 3.0, 5.0, 4.0, 8.0]  # m = 2: |3-1|, |5-2|, |4-3|, |8-5| -> 9/4
    assert mase_scale(insample, 2) == pytest.approx(9 / 4)
    assert mase([10.0, 10.0], [11.0, 7.0], insample, 2) == pytest.approx(2.0 / (9 / 4))
    assert mase([3.0], [1.0], [1.0, 2.0, 4.0], 1) == pytest.approx(2.0 / 1.5)


def test_missing_pairs_are_left_out_and_nothing_to_score_is_nan() -> None:
    assert mae([1.0, np.nan, 3.0], [2.0, 5.0, np.nan]) == pytest.approx(1.0)
    assert math.isnan(mae([np.nan], [1.0]))
    assert math.isnan(rmse([], []))
    assert math.isnan(smape([np.nan], [np.nan]))
    assert mase_scale([1.0, np.nan, 3.0, 4.0], 1) == pytest.approx(1.0)


def test_mase_is_nan_when_the_scale_is_undefined() -> None:
    assert math.isnan(mase([1.0], [2.0], [5.0, 5.0, 5.0], 1))  # constant: zero scale
    assert math.isnan(mase([1.0], [2.0], [5.0], 1))  # too short for one difference
    with pytest.raises(ValueError, match="m must be >= 1"):
        mase_scale([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="differ in length"):
        mae([1.0, 2.0], [1.0])
