"""Catch-up refits (SQLite and PostgreSQL): ``every`` forecasts with ephemeral refitted models
after each refit point and with the champion before the first; ``always`` refits at every
origin without looking past it; a killed ``every`` run resumes to the uninterrupted result."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.cli.render import trace_text
from prevoir.config import Settings, load_settings
from prevoir.errors import RunCancelledError
from prevoir.storage import tables
from prevoir.workflows import init_project, run_pipeline, trace_forecast
from prevoir.workflows.forecasts import ForecastTrace
from prevoir.workflows.store import SqlStore
from tests.integration.helpers import KEY, stored_forecasts
from tests.projects import opened

pytestmark = pytest.mark.slow

TRAIN = ["extract", "transform", "load", "features", "train", "evaluate"]
EVERY = 8  # refit windows of 8 hours: 00:00, 08:00 and 16:00 UTC
# one LightGBM thread: OpenMP threads spinning against other work on a busy 2-core machine
# turn a fit of a fraction of a second into tens of seconds
ONE_THREAD = {"n_jobs": 1}
predict_step = importlib.import_module("prevoir.pipeline.steps.predict")
HOURLY = ("close_1h", "close_naive")  # the example's daily close_1d is tested elsewhere


def _forecasts(db_url: str) -> pd.DataFrame:
    frame = stored_forecasts(db_url)
    return frame[frame["forecaster"].isin(HOURLY)].reset_index(drop=True)


def _settings(project: Path, db_url: str, catchup: dict[str, Any], **extra: Any) -> Settings:
    forecasters: dict[str, dict[str, Any]] = {
        "close_1h": {"catchup": catchup, "model": {"params": ONE_THREAD}},
        "close_naive": {"catchup": catchup},
    }
    for name, more in extra.items():
        forecasters[name] |= more
    overrides = {"store": {"url": db_url}, "forecasters": forecasters}
    settings = load_settings(project, profile="dev", overrides=overrides)
    # only the two regression forecasters: the example's classifier would shift the counts
    kept = {name: settings.forecasters[name] for name in forecasters}
    return settings.model_copy(update={"forecasters": kept})


def _execute(db_url: str, statement: sa.Executable) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    finally:
        engine.dispose()


def _predict(settings: Settings, db_url: str) -> pd.DataFrame:
    _execute(db_url, sa.delete(tables.forecasts))
    assert run_pipeline(opened(settings), steps=["predict"]).status == "succeeded"
    return _forecasts(db_url)


def _window(origins: pd.Series) -> pd.Series:
    return origins.map(lambda t: t.value // (EVERY * pd.Timedelta(hours=1).value))


def test_every_refits_after_refit_points_and_resumes_exactly(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "crypto"
    init_project(project, example="crypto")
    every = _settings(project, db_url, {"refit": "every", "refit_every": EVERY})
    never = _settings(project, db_url, {"refit": "never"})
    assert run_pipeline(opened(every), steps=TRAIN).status == "succeeded"

    with_refits = _predict(every, db_url)
    champion_only = _predict(never, db_url)
    assert len(with_refits) == len(champion_only) == 2 * 3 * 24 * 4
    pd.testing.assert_frame_equal(with_refits[[*KEY, "ds"]], champion_only[[*KEY, "ds"]])
    assert with_refits["model_version_id"].equals(champion_only["model_version_id"])

    window = _window(with_refits["origin"])
    refitted = window > window.groupby(with_refits["unique_id"]).transform("min")
    lgbm = with_refits["forecaster"] == "close_1h"
    same = with_refits["yhat"] == champion_only["yhat"]
    assert (lgbm & refitted).any() and (lgbm & ~refitted).any()
    assert same[lgbm & ~refitted].all()  # before the first refit point: the champion
    differs = (~same[lgbm & refitted]).groupby(with_refits["origin"]).any()
    assert differs.all()  # after it: a model refitted on less data, at every origin
    assert same[~lgbm].all()  # seasonal naive learns nothing, refit or not

    # killed in the middle of the second refit window (one series per batch), then resumed
    monkeypatch.setattr(predict_step, "SERIES_PER_BATCH", 1)
    real_write = SqlStore.write_forecasts
    calls = {"n": 0}

    def crash(self: SqlStore, *args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt("killed between two batches")
        return real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    _execute(db_url, sa.delete(tables.forecasts))
    monkeypatch.setattr(SqlStore, "write_forecasts", crash)
    with pytest.raises(RunCancelledError):  # the run closes itself cancelled
        run_pipeline(opened(every), steps=["predict"])
    partial = _forecasts(db_url)
    assert 0 < len(partial) < len(with_refits) / 2
    monkeypatch.setattr(SqlStore, "write_forecasts", real_write)
    assert run_pipeline(opened(every), steps=["predict"]).status == "succeeded"
    pd.testing.assert_frame_equal(_forecasts(db_url), with_refits)


def test_always_refits_without_looking_past_the_origin(tmp_path: Path, db_url: str) -> None:
    project = tmp_path / "crypto"
    init_project(project, example="crypto")
    params = {"n_estimators": 5, "num_leaves": 4} | ONE_THREAD
    tiny = {"model": {"params": params}, "train_window": 240}
    always = _settings(project, db_url, {"refit": "always", "initial_origins": 3}, close_1h=tiny)
    assert run_pipeline(opened(always), steps=TRAIN).status == "succeeded"
    before = _predict(always, db_url)
    first = before["origin"].min()
    _execute(
        db_url,
        sa.update(tables.observations)
        .where(tables.observations.c.ds > first.to_pydatetime())
        .values(value=tables.observations.c.value * 1.5),
    )
    after = _predict(always, db_url)
    at_first = before["origin"] == first
    pd.testing.assert_frame_equal(before[at_first], after[at_first])  # nothing leaked
    assert not before.loc[~at_first, "yhat"].equals(after.loc[~at_first, "yhat"])
    champion = _predict(_settings(project, db_url, {"initial_origins": 3}, close_1h=tiny), db_url)
    lgbm = after["forecaster"] == "close_1h"
    assert (after.loc[lgbm, "yhat"] != champion.loc[lgbm, "yhat"]).any()  # it did refit


def test_refits_use_the_champions_own_spec_not_the_edited_config(
    tmp_path: Path, db_url: str
) -> None:
    """Horizons edited after training change the next trained version, not catch-up refits:
    every forecast, from the champion or a refit, has the champion's steps."""
    project = tmp_path / "crypto"
    init_project(project, example="crypto")
    every = {"refit": "every", "refit_every": EVERY}
    trained = _settings(project, db_url, every, close_1h={"horizons": [1, 2, 3]})
    summary = run_pipeline(opened(trained), steps=TRAIN)
    assert summary.status == "succeeded", summary.error
    edited = _settings(project, db_url, every, close_1h={"horizons": [1, 2, 3, 4, 12]})
    assert run_pipeline(opened(edited), steps=["predict"]).status == "succeeded"
    lgbm = _forecasts(db_url).query("forecaster == 'close_1h'")
    refitted = _window(lgbm["origin"]) > _window(lgbm["origin"]).groupby(
        lgbm["unique_id"]
    ).transform("min")
    assert refitted.any() and (~refitted).any()  # both kinds of origin were forecast
    assert set(lgbm["step"]) == {1, 2, 3}


def test_a_refits_forecasts_record_it_and_the_run_folder_has_predictions_and_model_json(
    tmp_path: Path, db_url: str
) -> None:
    """``prevoir trace`` names the model that really made a forecast: the version, or an
    ephemeral refit on the data up to its cut-off; each run folder holds what a hand-written
    job leaves: the trained models' metadata as JSON, the new forecasts as predictions.csv."""
    project = tmp_path / "crypto"
    init_project(project, example="crypto")
    settings = _settings(project, db_url, {"refit": "every", "refit_every": EVERY})
    trained = run_pipeline(opened(settings), steps=TRAIN)
    assert trained.status == "succeeded", trained.error
    model_json = [Path(f) for f in trained.files if f.endswith("_model.json")]
    assert {p.name for p in model_json} == {"close_1h_model.json", "close_naive_model.json"}
    record = json.loads(model_json[0].read_text())
    assert len(record["sha256"]) == 64 and record["run_id"] == trained.run_id
    predicted = run_pipeline(opened(settings), steps=["predict"])
    assert predicted.status == "succeeded", predicted.error
    (csv,) = [Path(f) for f in predicted.files if f.endswith("predictions.csv")]
    assert csv.parent.parent.parent.name == "runs" and csv.parent.parent.name == str(
        predicted.run_id
    )
    exported = pd.read_csv(csv)
    stored = stored_forecasts(db_url)
    assert len(exported) == len(stored) and set(exported["forecaster"]) == set(HOURLY)

    with opened(settings).store.read() as conn:
        refit_at = pd.Series(conn.execute(sa.select(tables.forecasts.c.refit_at)).scalars().all())
    lgbm = _forecasts(db_url).query("forecaster == 'close_1h'")
    first_window = _window(lgbm["origin"]).groupby(lgbm["unique_id"]).transform("min")
    row = lgbm[_window(lgbm["origin"]) > first_window].iloc[0]
    traced = _trace(settings, row)
    window_start = row["origin"].floor(f"{EVERY}h")
    assert traced.forecast["refit_at"] == window_start
    assert "a catch-up refit of version" in trace_text(traced)
    assert f"data up to {window_start.isoformat()}" in trace_text(traced)
    first = lgbm[_window(lgbm["origin"]) == first_window].iloc[0]
    champion_made = _trace(settings, first)
    assert pd.isna(champion_made.forecast["refit_at"])
    assert f"made by          version {champion_made.version.id} itself" in trace_text(
        champion_made
    )
    assert refit_at.notna().any() and refit_at.isna().any()


def _trace(settings: Settings, row: pd.Series) -> ForecastTrace:
    return trace_forecast(
        opened(settings),
        forecaster=str(row["forecaster"]),
        series=str(row["unique_id"]),
        origin=row["origin"],
        step=int(row["step"]),
    )
