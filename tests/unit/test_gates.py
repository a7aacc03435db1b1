"""Promotion gates: each check fails exactly when its condition does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prevoir.domain.specs import GateSpec
from prevoir.features import build_design
from prevoir.pipeline.gates import metric_failure, training_facts, training_failures
from prevoir.testing import make_series, make_spec


def test_training_facts_count_known_rows_and_find_empty_features() -> None:
    history = make_series(2, 24 * 20, seed=3)
    spec = make_spec(horizons=(1, 2))
    design = build_design(history, spec)
    facts = training_facts(design, spec)
    assert facts["train_rows"] == int(design["y"].notna().sum()) > 0
    assert facts["all_missing_features"] == []
    lag = next(c for c in design.columns if c.startswith("lag_"))
    design[lag] = np.nan
    assert training_facts(design, spec)["all_missing_features"] == [lag]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"train_rows": 500, "all_missing_features": []}, []),
        ({"train_rows": 99, "all_missing_features": []}, ["only 99 training rows"]),
        ({"train_rows": 500, "all_missing_features": ["TMAX"]}, ["TMAX missing on every"]),
        ({}, []),  # versions trained before the facts were recorded
    ],
)
def test_training_failures(facts: dict[str, object], expected: list[str]) -> None:
    reasons = training_failures(facts, GateSpec(min_rows=100))
    assert len(reasons) == len(expected)
    for reason, fragment in zip(reasons, expected, strict=True):
        assert fragment in reason


def test_metric_gate_allows_the_tolerance_and_no_more() -> None:
    assert metric_failure(10.4, 10.0, metric="mae", tolerance=0.05) is None
    assert metric_failure(9.0, 10.0, metric="mae", tolerance=0.0) is None
    worse = metric_failure(10.6, 10.0, metric="mae", tolerance=0.05)
    assert worse is not None and "10.6" in worse and "5%" in worse
    assert metric_failure(1.0, None, metric="mae", tolerance=0.05) is None  # no champion score
    assert "could not be computed" in (
        metric_failure(float("nan"), 1.0, metric="mae", tolerance=0.05) or ""
    )


def test_a_feature_only_missing_on_unknown_target_rows_is_not_empty() -> None:
    design = pd.DataFrame({"y": [1.0, np.nan], "lag_24": [0.5, np.nan], "unique_id": "a"})
    facts = training_facts(design, make_spec(horizons=(1,)))
    assert facts["train_rows"] == 1 and "lag_24" not in facts["all_missing_features"]
