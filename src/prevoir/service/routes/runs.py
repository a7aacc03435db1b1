"""``/api/v1/runs``: start a pipeline run in the background, and follow runs and their steps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from prevoir.domain.records import Run
from prevoir.service.auth import Reader, Writer
from prevoir.service.routes import API_PREFIX
from prevoir.service.runs import QueueFullError
from prevoir.service.state import ServiceState, get_state
from prevoir.workflows.runs import recent_runs, run_record

router = APIRouter(prefix=API_PREFIX, tags=["runs"])

State = Annotated[ServiceState, Depends(get_state)]


class RunRequest(BaseModel):
    """Which steps to run (null or absent: every step), for which forecasters: by name
    and/or by tags (both absent: every forecaster; both given: both must hold)."""

    model_config = ConfigDict(extra="forbid")

    steps: list[str] | None = Field(default=None, examples=[["extract", "transform", "load"]])
    forecasters: list[str] = Field(default_factory=list, examples=[["close_1h"]])
    tags: dict[str, str] = Field(default_factory=dict, examples=[{"granularity": "hour"}])


class RunAccepted(BaseModel):
    """A run that was recorded and waits for a worker (then runs in its own process)."""

    run_id: int
    status: str = "queued"


class StepPublic(BaseModel):
    """One finished step of a run."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    status: str
    started_at: datetime
    duration_s: float
    rows_in: int
    rows_out: int
    files: list[str]
    error: str | None


class RunPublic(BaseModel):
    """A run: what it was asked to do, how it went, and each step's timing."""

    run_id: int
    profile: str
    trigger: str
    status: str
    requested_steps: list[str]
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    error: str | None
    steps: list[StepPublic]
    host: str | None = None  # the process that runs (ran) it
    pid: int | None = None
    heartbeat_at: datetime | None = None  # its last sign of life
    forecasters: list[str] = Field(default_factory=list)  # asked for; empty: every one


def _public(run: Run) -> RunPublic:
    return RunPublic(
        run_id=run.id,
        profile=run.profile,
        trigger=run.trigger,
        status=run.status,
        requested_steps=list(run.steps),
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=run.duration_s,
        error=run.error,
        steps=[StepPublic.model_validate(step) for step in run.step_records],
        host=run.host,
        pid=run.pid,
        heartbeat_at=run.heartbeat_at,
        forecasters=list(run.forecasters),
    )


@router.post(
    "/runs",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        400: {"description": "unknown step or forecaster name, or tags that select none"},
        409: {"description": "a forecaster this run would train is being trained"},
        429: {"description": "the run queue is full; retry after Retry-After seconds"},
    },
)
def start_run(
    _caller: Writer, state: State, response: Response, body: RunRequest | None = None
) -> RunAccepted:
    """Queue a run of ``steps`` (all by default); answers at once with its id.

    A refused request (409, 429) records no run.
    """
    try:
        run_id = state.runs.submit(
            body.steps if body else None,
            trigger="api",
            forecasters=body.forecasters if body else (),
            tags=body.tags if body else None,
        )
    except QueueFullError as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(exc),
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    response.headers["Location"] = f"{API_PREFIX}/runs/{run_id}"
    return RunAccepted(run_id=run_id)


@router.get("/runs")
def runs(
    _caller: Reader, state: State, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> list[RunPublic]:
    """The newest runs first, each with its steps."""
    return [_public(run) for run in recent_runs(state.project, limit=limit)]


@router.get("/runs/{run_id}", responses={404: {"description": "no such run"}})
def run(run_id: int, _caller: Reader, state: State) -> RunPublic:
    """One run with its steps (poll it while ``status`` is ``queued`` or ``running``)."""
    return _public(run_record(state.project, run_id))
