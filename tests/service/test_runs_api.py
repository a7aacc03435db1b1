"""``/api/v1/runs``: a run starts in the background and answers at once; 409 while training."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from threading import Event

import pytest
from fastapi.testclient import TestClient

from prevoir.config import Settings
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps import STEPS, StepOutcome
from prevoir.service import create_app
from prevoir.storage.engine import create_store_engine
from prevoir.storage.locks import acquire_lock
from tests.service.runs_helpers import (
    ETL,
    crypto_project,
    key_headers,
    project_settings,
    wait_for,
)

RUNS = "/api/v1/runs"


@pytest.fixture
def settings(tmp_path: Path, db_url: str, no_prevoir_env: None) -> Settings:
    return project_settings(crypto_project(tmp_path), db_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def finished(client: TestClient, run_id: int, headers: dict[str, str]) -> dict | None:
    body = client.get(f"{RUNS}/{run_id}", headers=headers).json()
    return body if body["status"] != "running" else None


def test_a_run_answers_202_at_once_then_completes_with_step_timings(
    settings: Settings, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = key_headers(settings, "write")
    entered, release = Event(), Event()
    real_extract = STEPS["extract"]

    def gated_extract(ctx: RunContext) -> StepOutcome:
        entered.set()
        assert release.wait(120)
        return real_extract(ctx)

    monkeypatch.setitem(STEPS, "extract", gated_extract)
    answer = client.post(RUNS, json={"steps": ["load", "extract", "transform"]}, headers=writer)
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    assert answer.json() == {"run_id": run_id, "status": "running"}
    assert answer.headers["Location"] == f"{RUNS}/{run_id}"
    assert entered.wait(60)  # the step runs in the background while the API already answered
    running = client.get(f"{RUNS}/{run_id}", headers=writer).json()
    assert running["status"] == "running" and running["steps"] == []
    assert running["trigger"] == "api" and running["requested_steps"] == ETL
    release.set()
    run = wait_for(lambda: finished(client, run_id, writer))
    assert run["status"] == "succeeded" and run["error"] is None
    assert [s["name"] for s in run["steps"]] == ETL
    assert all(s["status"] == "succeeded" and s["duration_s"] > 0 for s in run["steps"])
    assert run["steps"][2]["rows_out"] > 0  # load wrote observations
    assert run["duration_s"] >= sum(s["duration_s"] for s in run["steps"])
    listed = client.get(RUNS, params={"limit": 1}, headers=writer).json()
    assert [r["run_id"] for r in listed] == [run_id] and listed[0]["steps"] == run["steps"]


def test_a_second_training_is_refused_with_409_while_the_lease_is_held(
    settings: Settings, client: TestClient
) -> None:
    writer = key_headers(settings, "write")
    engine = create_store_engine(settings.store_url())
    try:
        with engine.begin() as conn:
            acquire_lock(
                conn, "train:default:close_1h", "run 999 elsewhere", ttl=timedelta(minutes=5)
            )
    finally:
        engine.dispose()
    refused = client.post(RUNS, json={"steps": ["train"]}, headers=writer)
    assert refused.status_code == 409, refused.text
    assert "'close_1h' (default) is being trained by run 999 elsewhere" in refused.json()["detail"]
    assert client.get(RUNS, headers=writer).json() == []  # a refused run leaves no row
    # steps that train nothing need no lease
    assert client.post(RUNS, json={"steps": ["extract"]}, headers=writer).status_code == 202


def test_runs_need_the_write_role_and_known_steps(settings: Settings, client: TestClient) -> None:
    reader = key_headers(settings, "read")
    assert client.post(RUNS, json={"steps": ETL}).status_code == 401
    assert client.post(RUNS, json={"steps": ETL}, headers=reader).status_code == 403
    assert client.get(RUNS, headers=reader).json() == []  # nothing was started
    writer = key_headers(settings, "write")
    unknown = client.post(RUNS, json={"steps": ["extract", "bake"]}, headers=writer)
    assert unknown.status_code == 400 and "unknown step(s) bake" in unknown.json()["detail"]
    assert client.post(RUNS, json={"stpes": ETL}, headers=writer).status_code == 422
    assert client.get(f"{RUNS}/12345", headers=reader).status_code == 404
    assert client.get(RUNS, params={"limit": 0}, headers=reader).status_code == 422
