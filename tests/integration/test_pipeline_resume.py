"""Catch-up survives a crash: a run killed between forecast batches, run again, gives exactly
the forecasts of an uninterrupted run — no duplicates, no gaps (SQLite and PostgreSQL).

The test starts from a copy of the crypto example after ``prevoir run --profile dev``
(``crypto_dev``) whose forecasts it deletes: champions trained, nothing forecast yet."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.config import Settings, load_settings
from prevoir.errors import RunCancelledError
from prevoir.storage import tables
from prevoir.workflows import recent_runs, run_pipeline
from prevoir.workflows.store import SqlStore
from tests.integration.helpers import KEY
from tests.integration.helpers import stored_forecasts as _forecasts
from tests.projects import opened
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

# the module, not the step function the package re-exports under the same name
predict_step = importlib.import_module("prevoir.pipeline.steps.predict")


def _delete_forecasts(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.delete(tables.forecasts))
    engine.dispose()


def test_killed_predict_resumes_to_the_uninterrupted_result(
    crypto_dev: StoreCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = crypto_dev.store_url
    overrides = {"store": {"url": db_url}}
    settings: Settings = load_settings(crypto_dev.project, profile="dev", overrides=overrides)
    _delete_forecasts(db_url)
    monkeypatch.setattr(predict_step, "SERIES_PER_BATCH", 1)
    real_write = SqlStore.write_forecasts
    calls = {"n": 0}

    def crash_on_second_batch(self: SqlStore, *args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed between two batches")
        return real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlStore, "write_forecasts", crash_on_second_batch)
    with pytest.raises(RunCancelledError, match="cancelled by SIGINT in step 'predict'"):
        run_pipeline(opened(settings), steps=["predict"])  # the run closes itself cancelled
    assert recent_runs(opened(settings))[0].status == "cancelled"
    partial = _forecasts(db_url)
    assert partial["unique_id"].nunique() == 1  # one series committed, the rest not

    monkeypatch.setattr(SqlStore, "write_forecasts", real_write)
    assert run_pipeline(opened(settings), steps=["predict"]).status == "succeeded"
    resumed = _forecasts(db_url)

    _delete_forecasts(db_url)
    assert run_pipeline(opened(settings), steps=["predict"]).status == "succeeded"
    uninterrupted = _forecasts(db_url)

    assert not resumed.duplicated(KEY).any()
    per_forecaster = resumed.groupby("forecaster").size()
    # series × initial origins × horizons
    for hourly in ("close_1h", "close_naive", "close_up_1h"):
        assert per_forecaster[hourly] == 3 * 24 * 4
    assert per_forecaster["close_1d"] == 3 * 7 * 7  # daily: 7 origins × 7 days
    pd.testing.assert_frame_equal(resumed, uninterrupted)
