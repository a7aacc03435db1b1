"""``/metrics`` after a run through the API: runs, steps, rows, last success, HTTP latency."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from prevoir.service import create_app
from tests.service.runs_helpers import (
    ETL,
    crypto_project,
    key_headers,
    project_settings,
    wait_for,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient, headers: dict[str, str]) -> Samples:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_a_run_through_the_api_is_counted_and_timed(
    tmp_path: Path,
    db_url: str,
    no_prevoir_env: None,
) -> None:
    settings = project_settings(crypto_project(tmp_path), db_url)
    reader, writer = key_headers(settings, "read"), key_headers(settings, "write")
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        before = time.time()
        run_id = client.post("/api/v1/runs", json={"steps": ETL}, headers=writer).json()["run_id"]

        def done() -> dict | None:
            run = client.get(f"/api/v1/runs/{run_id}", headers=reader).json()
            return run if run["status"] not in ("queued", "running") else None

        run = wait_for(done)
        assert run["status"] == "succeeded"
        # the run's metrics are counted after its row is closed: wait for the counter
        wait_for(
            lambda: value(
                scrape(client, reader),
                "prevoir_runs_succeeded_total",
                trigger="api",
                forecaster="close_1h",
            )
        )
        after = time.time()
        samples = scrape(client, reader)
    forecasters = set(settings.forecasters)
    assert len(forecasters) == 4
    for forecaster in forecasters:
        labels = {"trigger": "api", "forecaster": forecaster}
        assert value(samples, "prevoir_runs_started_total", **labels) == 1
        assert value(samples, "prevoir_runs_succeeded_total", **labels) == 1
        assert value(samples, "prevoir_runs_failed_total", **labels) is None
        stamp = value(
            samples, "prevoir_last_successful_run_timestamp_seconds", forecaster=forecaster
        )
        assert stamp is not None and before <= stamp <= after
        # ETL trains nothing
        assert value(samples, "prevoir_training_started_total", forecaster=forecaster) is None
    for step in ETL:
        assert value(samples, "prevoir_step_duration_seconds_count", step=step) == 1
        recorded = next(s for s in run["steps"] if s["name"] == step)["duration_s"]
        total = value(samples, "prevoir_step_duration_seconds_sum", step=step)
        assert total == pytest.approx(recorded)
    assert value(samples, "prevoir_step_duration_seconds_count", step="train") is None
    load = next(s for s in run["steps"] if s["name"] == "load")
    assert value(samples, "prevoir_rows_loaded_total") == load["rows_out"] > 0
    assert value(samples, "prevoir_forecasts_issued_total") == 0
    http = "prevoir_http_request_duration_seconds_count"
    assert value(samples, http, method="POST", route="/api/v1/runs", status="202") == 1
    polls = value(samples, http, method="GET", route="/api/v1/runs/{run_id}", status="200")
    assert polls is not None and polls >= 1
    assert value(samples, http, method="GET", route="/metrics", status="401") == 1
