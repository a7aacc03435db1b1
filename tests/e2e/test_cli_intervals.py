"""The crypto example issues 80% and 95% intervals: stored, listed, and scored by evaluate.

The project is a copy of the crypto example after ``prevoir run --profile dev``
(``crypto_dev``, built once per session); the commands run in-process.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.stores import StoreCopy

pytestmark = pytest.mark.slow


def test_crypto_run_stores_lists_and_scores_intervals(crypto_dev: StoreCopy) -> None:
    project, cli = crypto_dev.project, crypto_dev.cli()

    listed = pd.DataFrame(json.loads(cli("forecasts", "--format", "json").stdout))
    with_bands = listed["forecaster"].isin(["close_1h", "close_naive"])  # the ones configured
    banded = listed[with_bands]
    assert len(banded) == 2 * 3 * 24 * 4  # forecasters x pairs x initial origins x horizons
    bands = banded[["yhat_lo_95", "yhat_lo_80", "yhat", "yhat_hi_80", "yhat_hi_95"]]
    assert bands.notna().all().all()
    assert (bands.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # lo95 <= lo80 <= yhat <= ...
    assert (banded["yhat_hi_95"] > banded["yhat_lo_95"]).all()
    # the classifier (probabilities) and the daily forecaster issue no bands
    assert listed.loc[~with_bands, ["yhat_lo_80", "yhat_hi_95"]].isna().all().all()
    assert set(listed.loc[~with_bands, "forecaster"]) == {"close_up_1h", "close_1d"}

    table = cli("forecasts", "--forecaster", "close_naive", "--limit", "4").stdout
    header = next(line for line in table.splitlines() if "yhat" in line)
    assert "80%" in header and "95%" in header
    assert " – " in table

    for name in ("close_1h", "close_naive"):
        metrics_file = next((project / "artifacts").rglob(f"{name}_metrics.json"))
        metrics = json.loads(metrics_file.read_text())["metrics"]
        assert 0.0 <= metrics["coverage_80"] <= metrics["coverage_95"] <= 1.0
        assert metrics["msis_95"] > 0

    again = cli("run", "--profile", "dev", "--steps", "predict")
    assert "up to date" in again.stdout
    relisted = pd.DataFrame(json.loads(cli("forecasts", "--format", "json").stdout))
    pd.testing.assert_frame_equal(relisted, listed)
