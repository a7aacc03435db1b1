"""What every request handler shares: the open project, secret, metrics, run launcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
from fastapi import Request

from prevoir.config import Settings
from prevoir.service.metrics import ServiceMetrics
from prevoir.service.runs import RunLauncher
from prevoir.service.scheduler import JobScheduler
from prevoir.service.throttle import LoginThrottle, ThrottlePolicy
from prevoir.workflows.project import Project

T = TypeVar("T")


@dataclass
class ServiceState:
    """The long-lived parts of one server process: the project opened once (one engine, a
    pool, for every request), the signing secret, the metrics, the runs it starts."""

    project: Project
    secret: str
    metrics: ServiceMetrics
    runs: RunLauncher = field(init=False)  # its thread pool starts threads on first use
    scheduler: JobScheduler | None = None  # None: no jobs, or service.scheduler = false
    throttle: LoginThrottle = field(init=False)  # failed logins, in this process's memory
    # the bulk reads (pages of series) that may run at once; made on the event loop
    heavy: anyio.CapacityLimiter | None = None

    async def run_heavy(self, work: Callable[[], T]) -> T:
        """``work`` in the thread pool, at most ``service.heavy_requests`` at a time; the
        others wait on the event loop, holding neither a thread nor the GIL, so /healthz and
        the cheap requests keep their threads and their turn (bench/event_loop.py)."""
        if self.heavy is None:
            self.heavy = anyio.CapacityLimiter(self.settings.service.heavy_requests)
        return await anyio.to_thread.run_sync(work, limiter=self.heavy)

    def __post_init__(self) -> None:
        self.runs = RunLauncher(self.project, self.metrics)
        service = self.project.settings.service
        self.throttle = LoginThrottle(
            ThrottlePolicy(
                attempts=service.login_attempts,
                address_attempts=service.login_attempts_per_address,
                max_delay_s=service.login_max_delay_s,
            )
        )

    @property
    def settings(self) -> Settings:
        """The project's settings (one profile)."""
        return self.project.settings


async def get_state(request: Request) -> ServiceState:
    """The ``ServiceState`` of the app serving ``request`` (a FastAPI dependency).

    ``async`` although it awaits nothing: FastAPI runs a sync dependency in its thread
    pool, a hop per request that a lookup like this does not need.
    """
    state: ServiceState = request.app.state.prevoir
    return state
