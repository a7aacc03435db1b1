"""What every request handler shares: settings, one engine, secret, metrics, run launcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy import Engine

from prevoir.config import Settings
from prevoir.service.metrics import ServiceMetrics
from prevoir.service.runs import RunLauncher
from prevoir.service.scheduler import JobScheduler


@dataclass
class ServiceState:
    """The long-lived parts of one server process (one engine: a pool, not one per call)."""

    settings: Settings
    engine: Engine
    secret: str
    metrics: ServiceMetrics
    extras: dict[str, Any] = field(default_factory=dict)
    runs: RunLauncher = field(init=False)  # its thread pool starts threads on first use
    scheduler: JobScheduler | None = None  # None: no jobs, or service.scheduler = false

    def __post_init__(self) -> None:
        self.runs = RunLauncher(self.settings, self.engine, self.metrics)


async def get_state(request: Request) -> ServiceState:
    """The ``ServiceState`` of the app serving ``request`` (a FastAPI dependency).

    ``async`` although it awaits nothing: FastAPI runs a sync dependency in its thread
    pool, a hop per request that a lookup like this does not need.
    """
    state: ServiceState = request.app.state.prevoir
    return state
