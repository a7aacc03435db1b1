"""Pipeline runs started by the service: by ``POST /api/v1/runs`` and by scheduled jobs.

A run is recorded and its training leases taken in the caller's thread (so the API answers
with the run id, or 409, at once); its steps then run in a small thread pool owned by the app
(API) or in the scheduler's own worker thread (jobs). Both paths count the run in the
service's metrics under their trigger.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from prevoir.domain.records import StepRecord
from prevoir.errors import StoreError
from prevoir.service.metrics import ServiceMetrics
from prevoir.storage.runs import finish_run
from prevoir.workflows.leases import reap_abandoned
from prevoir.workflows.project import Project
from prevoir.workflows.runs import RunSummary, StartedRun, start_pipeline

logger = logging.getLogger(__name__)

RUN_WORKERS = 2  # background API runs at once; more wait in the queue (their leases held)


class RunLauncher:
    """Starts runs of the service's open project."""

    def __init__(
        self, project: Project, metrics: ServiceMetrics, *, workers: int = RUN_WORKERS
    ) -> None:
        self.project = project
        self.metrics = metrics
        reap_abandoned(project.store)  # runs a dead process left open, at server start
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prevoir-run")
        self._queued: dict[Future[RunSummary | None], StartedRun] = {}
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, steps: Iterable[str] | None, *, trigger: str = "api") -> int:
        """Record a run, take its leases and run it in the background; its id.

        ``ConflictError`` (nothing runs) when a forecaster it trains is being trained.
        """
        started = self._start(steps, trigger)
        with self._lock:
            if self._closed:
                self._abandon(started, "the server stopped before the run could begin")
                raise StoreError("the server is shutting down; start the run again later")
            future = self._pool.submit(self._background, started)
            self._queued[future] = started
        future.add_done_callback(self._forget)
        return started.run_id

    def run(self, steps: Iterable[str] | None, *, trigger: str) -> RunSummary:
        """Run ``steps`` in the calling thread (the scheduler's worker); the summary."""
        return self._execute(self._start(steps, trigger))

    def shutdown(self) -> None:
        """Wait for the runs under way; runs still queued are closed as failed, not run."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            cancelled = [run for future, run in self._queued.items() if future.cancelled()]
            self._queued.clear()
        for started in cancelled:
            self._abandon(started, "the server stopped before the run could begin")

    def _forget(self, future: Future[RunSummary | None]) -> None:
        if not future.cancelled():
            with self._lock:
                self._queued.pop(future, None)

    def _start(self, steps: Iterable[str] | None, trigger: str) -> StartedRun:
        started = start_pipeline(self.project, steps=steps, trigger=trigger)
        self.metrics.run_started(trigger, started.forecasters, started.steps)
        return started

    def _background(self, started: StartedRun) -> RunSummary | None:
        try:
            return self._execute(started)
        except Exception:
            logger.exception("run %s stopped", started.run_id)
            return None

    def _execute(self, started: StartedRun) -> RunSummary:
        try:
            summary = started.execute()
        except Exception as exc:
            # the steps' own failures come back in the summary; this is the store or a bug
            self._close_failed(started.run_id, f"{type(exc).__name__}: {exc}")
            self._count_finished(started, "failed", [])
            raise
        if summary.error is not None:
            logger.warning("run %s failed: %s", summary.run_id, summary.error)
        self._count_finished(started, summary.status, summary.steps)
        return summary

    def _abandon(self, started: StartedRun, reason: str) -> None:
        try:
            started.abandon(reason)
        except Exception:
            logger.exception("run %s could not be closed", started.run_id)
        self._count_finished(started, "failed", [])

    def _count_finished(self, started: StartedRun, status: str, steps: list[StepRecord]) -> None:
        self.metrics.run_finished(started.trigger, started.forecasters, status, steps, time.time())

    def _close_failed(self, run_id: int, error: str) -> None:
        try:
            with self.project.store.write() as conn:
                finish_run(conn, run_id, status="failed", error=error)
        except Exception:
            logger.exception("run %s could not be closed as failed", run_id)
