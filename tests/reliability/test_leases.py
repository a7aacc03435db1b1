"""Leases belong to a live run: taken right before the first training step (never during
extract, load or features), kept fresh by the heartbeat while a step runs, released at the
end; the run's heartbeat moves while its process lives."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from prevoir.config import load_settings
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps import STEPS, StepOutcome
from prevoir.storage.locks import acquire_lock, list_locks
from prevoir.storage.runs import get_run
from prevoir.workflows.leases import LEASE_TTL, Heartbeat
from prevoir.workflows.runs import record_run, run_pipeline
from tests.projects import opened
from tests.service.runs_helpers import wait_for


def test_leases_are_held_from_the_first_training_step_to_the_end_of_the_run(
    project: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(project, overrides={"store": {"url": store_url}})
    handle = opened(settings)
    seen: dict[str, list[str]] = {}

    def watching(name: str) -> None:
        real = STEPS[name]

        def step(ctx: RunContext) -> StepOutcome:
            with handle.store.read() as conn:
                seen[name] = [lease.name for lease in list_locks(conn)]
            return real(ctx)

        monkeypatch.setitem(STEPS, name, step)

    for name in ("extract", "load", "features", "train", "evaluate", "predict"):
        watching(name)
    assert run_pipeline(handle).status == "succeeded"
    held = ["train:default:close_1h", "train:default:close_naive"]
    assert seen == {
        "extract": [],
        "load": [],
        "features": [],
        "train": held,
        "evaluate": held,
        "predict": held,
    }
    with handle.store.read() as conn:
        assert list_locks(conn) == []  # released at the end


def test_the_heartbeat_renews_the_leases_and_the_run_while_a_step_runs(
    project: Path, store_url: str
) -> None:
    settings = load_settings(project, overrides={"store": {"url": store_url}})
    store = opened(settings).store
    run_id = record_run(opened(settings), steps=["train"], trigger="cli")
    owner, name = f"run {run_id} on somewhere pid 1", "train:default:close_1h"
    with store.write() as conn:
        first = acquire_lock(conn, name, owner, ttl=LEASE_TTL)
        started = get_run(conn, run_id).heartbeat_at
    assert started is not None
    heartbeat = Heartbeat(store, run_id, owner=owner, leases=lambda: (name,), every=0.05)
    heartbeat.start()
    try:

        def renewed() -> datetime | None:
            with store.read() as conn:
                (lease,) = list_locks(conn)
                beat = get_run(conn, run_id).heartbeat_at
            fresh = lease.expires_at > first.expires_at and beat is not None and beat > started
            return lease.expires_at if fresh else None

        renewed_until = wait_for(renewed, timeout=30, every=0.05)
    finally:
        heartbeat.stop()
    assert renewed_until > first.expires_at
    assert not heartbeat._thread.is_alive()  # stopped with the run
