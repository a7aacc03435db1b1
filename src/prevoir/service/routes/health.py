"""Liveness and readiness, the only endpoints open without credentials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from prevoir.service.state import ServiceState, get_state
from prevoir.storage.engine import head_revision, schema_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and answering: on the event loop itself, so it answers while
    every thread of the pool is busy (a sync handler would queue behind them)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "store unreachable or not at head"}})
def readyz(state: Annotated[ServiceState, Depends(get_state)]) -> JSONResponse:
    """The store answers and its schema is at the migration this prevoir ships."""
    head = head_revision()
    try:
        current = schema_revision(state.project.store.engine)
    except Exception as exc:  # any failure to reach the store means "not ready"
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    body = {"status": "ready" if current == head else "migrating", "schema": current, "head": head}
    return JSONResponse(body, status_code=200 if current == head else 503)
