"""``create_app``: the FastAPI application of one project and profile."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from prevoir import __version__
from prevoir.config import Settings
from prevoir.service import dashboard
from prevoir.service.auth import Reader
from prevoir.service.errors import install_error_handlers
from prevoir.service.jsonbody import MAX_INT, StrictJsonMiddleware
from prevoir.service.metrics import ServiceMetrics
from prevoir.service.middleware import LatencyMiddleware, SecurityHeadersMiddleware
from prevoir.service.routes import auth, forecasts, health, models, runs, series
from prevoir.service.scheduler import JobScheduler
from prevoir.service.state import ServiceState
from prevoir.workflows.project import open_project
from prevoir.workflows.schedule import scheduled_jobs

GIL_SWITCH_S = 0.001


def create_app(settings: Settings) -> FastAPI:
    """The service for ``settings``: API under ``/api/v1``, ``/metrics``, health checks,
    and (``service.scheduler``) the scheduled jobs, started and stopped with the app.

    Refuses (``ConfigError``) to build outside ``dev`` without a signing secret of its own.
    The project is opened once here, its store migrated to the head; the app's lifespan
    closes it.
    """
    secret = settings.service.signing_secret(settings.project_dir)
    jobs = scheduled_jobs(settings) if settings.service.scheduler else []  # ConfigError: cron
    pool = settings.service.engine_options(settings.store_url())
    project = open_project(settings, migrate=True, **pool)
    state = ServiceState(project=project, secret=secret, metrics=ServiceMetrics())

    if jobs:
        state.scheduler = JobScheduler(jobs, project.store, state.runs)
    scheduler = state.scheduler

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # the thread pool of sync handlers and offloaded reads (see service.threads), and a
        # 1 ms GIL switch interval (5 ms by default): with busy handler threads the event
        # loop waits less for the GIL (bench/event_loop: /healthz p50 38 -> 7 ms)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.service.threads
        interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_S)
        # the objects of the imports and the open project (~170,000: pandas, SQLAlchemy, the
        # API modules) stay for the process's life; frozen, the collector stops walking
        # them in every full collection, a pause of every thread, the event loop included
        # (bench/event_loop: /healthz p99 117 -> 19 ms, heavy pages 7.4 -> 10.4 req/s)
        gc.collect()
        gc.freeze()
        try:
            if scheduler is not None:
                scheduler.start()
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            state.runs.shutdown()
            project.close()
            sys.setswitchinterval(interval)
            gc.unfreeze()

    app = FastAPI(
        title="prevoir",
        version=__version__,
        description="Forecasts of many time series, kept up to date.",
        lifespan=lifespan,
        max_body_size=settings.service.max_body_bytes,  # larger bodies, declared or streamed: 413
        # no Swagger UI or ReDoc: FastAPI's load their scripts from a CDN, with inline code
        # the CSP refuses; the schema is served below, to the read role only
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.prevoir = state
    install_error_handlers(app)
    app.include_router(health.router)
    for router in (auth.router, series.router, forecasts.router, runs.router, models.router):
        app.include_router(router, dependencies=[Depends(ids_in_range)])
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_caller: Reader) -> dict[str, Any]:
        return app.openapi()

    @app.get("/metrics", include_in_schema=False)
    def metrics(_caller: Reader) -> Response:
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(StrictJsonMiddleware, max_body_bytes=settings.service.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(LatencyMiddleware, metrics=state.metrics)
    return app


async def ids_in_range(request: Request) -> None:
    """404 for a path id (``…_id``) no store can hold (beyond 2^63-1, or below 1), before a
    route sends it to a driver that would overflow."""
    for name, value in request.path_params.items():
        digits = str(value).lstrip("-")
        if not (name.endswith("_id") and digits.isascii() and digits.isdigit()):
            continue
        if len(digits) > len(str(MAX_INT)) or not 1 <= int(value) <= MAX_INT:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {name[:-3]} {value}")
