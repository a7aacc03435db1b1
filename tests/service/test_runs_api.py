"""``/api/v1/runs``: a run starts in the background and answers at once; 409 while training."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from prevoir.config import Settings
from prevoir.service import create_app
from prevoir.service.runs import STOPPED
from prevoir.storage.engine import create_store_engine
from prevoir.storage.locks import acquire_lock
from prevoir.workflows.runs import recent_runs
from tests.projects import opened
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
    return body if body["status"] not in ("queued", "running") else None


def test_a_run_answers_202_at_once_then_completes_in_a_worker_process(
    settings: Settings, client: TestClient
) -> None:
    writer = key_headers(settings, "write")
    answer = client.post(RUNS, json={"steps": ["load", "extract", "transform"]}, headers=writer)
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    assert answer.json() == {"run_id": run_id, "status": "queued"}
    assert answer.headers["Location"] == f"{RUNS}/{run_id}"
    run = wait_for(lambda: finished(client, run_id, writer))
    assert run["status"] == "succeeded" and run["error"] is None
    assert run["trigger"] == "api" and run["requested_steps"] == ETL
    assert [s["name"] for s in run["steps"]] == ETL
    assert all(s["status"] == "succeeded" and s["duration_s"] > 0 for s in run["steps"])
    assert run["steps"][2]["rows_out"] > 0  # load wrote observations
    assert run["duration_s"] >= sum(s["duration_s"] for s in run["steps"])
    listed = client.get(RUNS, params={"limit": 1}, headers=writer).json()
    assert [r["run_id"] for r in listed] == [run_id] and listed[0]["steps"] == run["steps"]
    assert run["pid"] is not None and run["pid"] != os.getpid()  # its own process ran it
    assert run["host"] and run["heartbeat_at"] is not None


def test_a_full_queue_answers_429_and_records_nothing(
    tmp_path: Path, db_url: str, no_prevoir_env: None
) -> None:
    settings = project_settings(crypto_project(tmp_path), db_url, run_queue_size=1, run_workers=1)
    writer = key_headers(settings, "write")
    with TestClient(create_app(settings)) as client:
        answers = [client.post(RUNS, json={"steps": ETL}, headers=writer) for _ in range(3)]
        codes = [a.status_code for a in answers]
        assert 429 in codes and codes.count(202) <= 2, codes  # one running, one waiting
        full = next(a for a in answers if a.status_code == 429)
        assert full.headers["Retry-After"] == "30"
        assert "service.run_queue_size" in full.json()["detail"]
        accepted = [a.json()["run_id"] for a in answers if a.status_code == 202]
        assert [r["run_id"] for r in client.get(RUNS, headers=writer).json()] == accepted[::-1]
    # the server stopped within milliseconds: the runs it had accepted were cancelled (still
    # queued, or stopped by SIGTERM in their worker process), none is left open
    runs = recent_runs(opened(settings))
    assert [run.status for run in runs] == ["cancelled"] * len(accepted), runs
    assert all(run.error == STOPPED or "cancelled by SIGTERM" in str(run.error) for run in runs), (
        runs
    )


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


def test_a_run_for_chosen_forecasters_is_recorded_with_them_and_runs_with_them(
    settings: Settings, client: TestClient
) -> None:
    writer = key_headers(settings, "write")
    name = next(iter(settings.forecasters))
    unknown = client.post(RUNS, json={"forecasters": ["nope"]}, headers=writer)
    assert unknown.status_code == 400 and "no forecaster 'nope'" in unknown.json()["detail"]
    no_tag = client.post(RUNS, json={"tags": {"granularity": "day"}}, headers=writer)
    assert no_tag.status_code == 400 and "granularity=day" in no_tag.json()["detail"]
    assert client.get(RUNS, headers=writer).json() == []  # refused runs leave no row
    answer = client.post(RUNS, json={"steps": ETL, "forecasters": [name]}, headers=writer)
    assert answer.status_code == 202, answer.text
    run = wait_for(lambda: finished(client, answer.json()["run_id"], writer))
    assert run["status"] == "succeeded", run["error"]
    assert run["forecasters"] == [name]  # the worker process read its selection back
