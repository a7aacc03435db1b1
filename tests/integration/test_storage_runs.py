"""Runs and steps, model versions and aliases, artifacts: round trips on both backends."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from prevoir.domain.records import StepRecord
from prevoir.errors import ConflictError, DataValidationError, NotFoundError
from prevoir.storage.artifacts import latest_artifact, list_artifacts, record_artifact
from prevoir.storage.model_versions import (
    get_alias,
    get_model_version,
    list_model_versions,
    set_alias,
    set_model_metrics,
)
from prevoir.storage.runs import finish_run, get_run, list_runs, record_step, start_run
from tests.integration.helpers import SHA, START, add_version


def test_runs_and_steps_round_trip(engine: sa.Engine) -> None:
    step = StepRecord(
        name="load",
        status="succeeded",
        started_at=START,
        duration_s=1.5,
        rows_in=10,
        rows_out=8,
        files=("a.parquet", "b.png"),
    )
    with engine.begin() as conn:
        first = start_run(
            conn, profile="dev", steps=["load", "train"], trigger="cli", config_hash="h1"
        )
        record_step(conn, first, step)
        record_step(conn, first, StepRecord("train", "failed", START, 0.25, error="boom"))
        finish_run(conn, first, status="failed", error="train failed")
        second = start_run(
            conn, profile="prod", steps=["predict"], trigger="schedule", config_hash=None
        )
    with engine.connect() as conn:
        runs = list_runs(conn, limit=5)
        one = get_run(conn, first)
    assert [r.id for r in runs] == [second, first]
    assert runs[0].status == "running" and runs[0].finished_at is None
    assert one.steps == ("load", "train")
    assert one.status == "failed" and one.error == "train failed"
    assert one.finished_at >= one.started_at
    records = one.step_records
    assert [s.name for s in records] == ["load", "train"]
    assert records[0].files == ("a.parquet", "b.png")
    assert records[0].started_at == START
    assert (records[0].rows_in, records[0].rows_out) == (10, 8)
    assert records[1].error == "boom"


def test_run_errors_name_the_run(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        with pytest.raises(NotFoundError, match="run 999"):
            get_run(conn, 999)
        with pytest.raises(NotFoundError, match="run 999"):
            finish_run(conn, 999, status="succeeded")
        with pytest.raises(NotFoundError, match="run 999"):
            record_step(conn, 999, StepRecord("load", "succeeded", START, 1.0))
        with pytest.raises(DataValidationError, match="trigger"):
            start_run(conn, profile="dev", steps=["load"], trigger="cron", config_hash=None)
        with pytest.raises(DataValidationError, match="naive"):
            run_id = start_run(conn, profile="dev", steps=["load"], trigger="api", config_hash=None)
            record_step(conn, run_id, StepRecord("load", "succeeded", datetime(2024, 1, 1), 1.0))


def test_model_versions_and_aliases(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        run_id = start_run(conn, profile="prod", steps=["train"], trigger="api", config_hash=None)
        v1 = add_version(conn, run_id=run_id)
        v2 = add_version(conn, metrics={"mae": 1.5})
        other = add_version(conn, forecaster="f2")
        assert get_alias(conn, "f1", "prod", "champion") is None
        set_alias(conn, "f1", "prod", "champion", v1)
        set_alias(conn, "f1", "prod", "champion", v2)
        set_alias(conn, "f1", "prod", "challenger", v1)
        set_model_metrics(conn, v1, {"mae": 2.0, "rmse": 3.0})
        with pytest.raises(ConflictError, match="belongs to forecaster 'f2'"):
            set_alias(conn, "f1", "prod", "champion", other)
        with pytest.raises(NotFoundError, match="prevoir models list"):
            set_alias(conn, "f1", "prod", "champion", 12345)
    with engine.connect() as conn:
        assert get_alias(conn, "f1", "prod", "champion") == v2
        assert get_alias(conn, "f1", "prod", "challenger") == v1
        version = get_model_version(conn, v1)
        listed = list_model_versions(conn, "f1")
        with pytest.raises(NotFoundError, match=r"model version 999 .*prevoir models list"):
            get_model_version(conn, 999)
    assert version.params == {"num_leaves": 31}
    assert version.features == ["lag_1", "hour"]
    assert version.metrics == {"mae": 2.0, "rmse": 3.0}
    assert version.train_start == START and version.run_id == run_id
    assert [v.id for v in listed] == [v1, v2]
    assert listed[0].aliases == ("prod:challenger",)
    assert listed[1].aliases == ("prod:champion",)


def test_latest_artifact(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        assert latest_artifact(conn, forecaster="f1", kind="features") is None
        run1 = start_run(conn, profile="dev", steps=["features"], trigger="cli", config_hash=None)
        run2 = start_run(conn, profile="dev", steps=["features"], trigger="cli", config_hash=None)
        record_artifact(
            conn,
            run_id=run1,
            step="features",
            forecaster="f1",
            kind="features",
            path="old.parquet",
            sha256=SHA,
            rows=10,
        )
        newest = record_artifact(
            conn,
            run_id=run2,
            step="features",
            forecaster="f1",
            kind="features",
            path="new.parquet",
            sha256=SHA,
            rows=12,
        )
        record_artifact(
            conn,
            run_id=run2,
            step="evaluate",
            forecaster="f1",
            kind="plot",
            path="plot.png",
            sha256=SHA,
        )
        record_artifact(
            conn,
            run_id=run2,
            step="features",
            forecaster=None,
            kind="features",
            path="shared.parquet",
            sha256=SHA,
        )
    with engine.connect() as conn:
        found = latest_artifact(conn, forecaster="f1", kind="features")
        shared = latest_artifact(conn, forecaster=None, kind="features")
        by_run = list_artifacts(conn, run_id=run2)
    assert found is not None and found.id == newest
    assert (found.path, found.rows, found.run_id) == ("new.parquet", 12, run2)
    assert found.created_at.tzinfo is not None
    assert shared is not None and shared.path == "shared.parquet"
    assert [a.path for a in by_run] == ["new.parquet", "plot.png", "shared.parquet"]
