"""Pipeline runs started by the service: by ``POST /api/v1/runs`` and by scheduled jobs.

An API run is recorded ``queued`` in the caller's thread (so the API answers with the run id,
409 when a forecaster it would train is being trained, or 429 when ``service.run_queue_size``
runs already wait), then run by one of ``service.run_workers`` worker threads, each starting
a ``prevoir run --run-id N`` process for it: the steps' memory (frames, models) goes back to
the system when the process ends, not to the server's heap. The process loads the project
from its folder and environment, on the server's store. When the server stops, the runs still
queued are closed ``cancelled`` and the running ones get SIGTERM (they cancel themselves,
naming their step). A scheduled job's run is recorded and executed the same way, by a
process the scheduler's worker thread starts and waits for, so a server that fires a job
every hour for a year keeps the memory it started with (``bench/soak.py``). Both paths
count the run in the service's metrics under their trigger.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping

from prevoir.config.selection import select_forecasters
from prevoir.domain.records import Run
from prevoir.errors import PrevoirError, StoreError
from prevoir.service.metrics import ServiceMetrics
from prevoir.storage.runs import beat, finish_run
from prevoir.workflows.leases import HEARTBEAT_EVERY, reap_abandoned
from prevoir.workflows.project import Project
from prevoir.workflows.runs import record_run, run_record

logger = logging.getLogger(__name__)

STOP_WAIT_S = 60.0  # how long a stopping server waits for its workers' runs to cancel
STOPPED = "the server stopped before the run could begin"


class QueueFullError(PrevoirError):
    """``service.run_queue_size`` runs already wait for a worker."""

    def __init__(self, size: int, retry_after: int) -> None:
        super().__init__(
            f"{size} run(s) already wait for a worker (service.run_queue_size); retry in "
            f"{retry_after} s"
        )
        self.retry_after = retry_after


class RunLauncher:
    """Starts runs of the service's open project; reaps dead runs when it is made."""

    def __init__(
        self,
        project: Project,
        metrics: ServiceMetrics,
        *,
        workers: int | None = None,
        queue_size: int | None = None,
    ) -> None:
        service = project.settings.service
        self.project = project
        self.metrics = metrics
        self.workers = workers or service.run_workers
        self.queue_size = queue_size or service.run_queue_size
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._waiting: dict[int, str] = {}  # queued run id -> trigger
        self._running: dict[int, subprocess.Popen[str]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        reap_abandoned(project.store)  # runs a dead process left open, at server start

    def submit(
        self,
        steps: Iterable[str] | None,
        *,
        trigger: str = "api",
        forecasters: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> int:
        """Record a queued run (of the forecasters selected by name and tags; all by
        default) and hand it to a worker; its id.

        ``ConfigError`` for an unknown forecaster or a selection of none, ``ConflictError``
        when a forecaster it trains is being trained (nothing recorded for either);
        ``QueueFullError`` when ``queue_size`` runs already wait.
        """
        chosen = select_forecasters(self.project.settings, forecasters, tags)
        with self._lock:
            if self._closed.is_set():
                raise StoreError("the server is shutting down; start the run again later")
            if len(self._waiting) >= self.queue_size:
                raise QueueFullError(self.queue_size, retry_after=30)
            run_id = record_run(
                self.project, steps=steps, trigger=trigger, queued=True, forecasters=chosen
            )
            self._waiting[run_id] = trigger
            self._start_threads()
        run = run_record(self.project, run_id)
        self.metrics.run_started(trigger, self.project.settings.forecasters, run.steps)
        self._queue.put(run_id)
        return run_id

    def run(
        self,
        steps: Iterable[str] | None,
        *,
        trigger: str,
        forecasters: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> Run:
        """Record a run of ``steps`` (for the selected forecasters, as ``submit``) and
        execute it in a worker process, waiting for it in the calling thread (the
        scheduler's worker); its record as the process left it.

        ``ConflictError`` (nothing recorded) when a forecaster it trains is being trained.
        """
        chosen = select_forecasters(self.project.settings, forecasters, tags)
        run_id = record_run(
            self.project, steps=steps, trigger=trigger, queued=True, forecasters=chosen
        )
        steps_of = run_record(self.project, run_id).steps
        self.metrics.run_started(trigger, self.project.settings.forecasters, steps_of)
        with self._lock:
            if self._closed.is_set():
                self._cancel_queued(run_id, trigger)
                return run_record(self.project, run_id)
            process = self._spawn(run_id)
            self._running[run_id] = process
        self._wait(run_id, trigger, process)
        return run_record(self.project, run_id)

    def shutdown(self) -> None:
        """Close the runs still queued as ``cancelled``; SIGTERM the running ones and wait
        for them to cancel themselves."""
        with self._lock:
            self._closed.set()
            waiting, self._waiting = self._waiting, {}
            running = list(self._running.values())
        for run_id, trigger in waiting.items():
            self._cancel_queued(run_id, trigger)
        for process in running:
            process.send_signal(signal.SIGTERM)
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(STOP_WAIT_S)

    def _start_threads(self) -> None:
        if self._threads:
            return
        for number in range(self.workers):
            thread = threading.Thread(
                target=self._work, name=f"prevoir-run-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        threading.Thread(target=self._beat_queued, name="prevoir-queue-beat", daemon=True).start()

    def _work(self) -> None:
        while (run_id := self._queue.get()) is not None:
            with self._lock:
                trigger = self._waiting.pop(run_id, None)
                if trigger is None:  # cancelled by shutdown
                    continue
                process = self._spawn(run_id)
                self._running[run_id] = process
            self._wait(run_id, trigger, process)

    def _wait(self, run_id: int, trigger: str, process: subprocess.Popen[str]) -> None:
        """Wait for run ``run_id``'s worker process, then count the run as it left it."""
        try:
            _, stderr = process.communicate()
        finally:
            with self._lock:
                self._running.pop(run_id, None)
        if process.returncode != 0:
            last = stderr.strip().splitlines()[-1:] or [f"exit {process.returncode}"]
            logger.warning("run %s: %s", run_id, last[0])
        self._finished(run_id, trigger, process.returncode)

    def _spawn(self, run_id: int) -> subprocess.Popen[str]:
        settings = self.project.settings
        env = os.environ | {"PREVOIR_STORE__URL": settings.store_url()}
        args = ["run", "--run-id", str(run_id), "--project", str(settings.project_dir)]
        args += ["--profile", settings.profile]
        return subprocess.Popen(
            [sys.executable, "-m", "prevoir", *args],
            cwd=settings.project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _finished(self, run_id: int, trigger: str, code: int) -> None:
        """Count the run as its process left it. A process that died without closing its run
        has it closed here: ``cancelled`` when it never started it (stopped while starting
        up), ``abandoned`` (by the reaper) when it died in a step."""
        try:
            if run_record(self.project, run_id).status == "queued":
                why = STOPPED if self._closed.is_set() else f"its worker process exited {code}"
                with self.project.store.write() as conn:
                    finish_run(conn, run_id, status="cancelled", error=why, only_if=("queued",))
            reap_abandoned(self.project.store)
            run = run_record(self.project, run_id)
        except PrevoirError as exc:
            logger.warning("run %s could not be read back: %s", run_id, exc)
            return
        forecasters = self.project.settings.forecasters
        self.metrics.run_finished(trigger, forecasters, run.status, run.step_records, time.time())

    def _cancel_queued(self, run_id: int, trigger: str) -> None:
        try:
            with self.project.store.write() as conn:
                finish_run(conn, run_id, status="cancelled", error=STOPPED, only_if=("queued",))
        except PrevoirError:
            logger.exception("run %s could not be closed as cancelled", run_id)
        forecasters = self.project.settings.forecasters
        self.metrics.run_finished(trigger, forecasters, "cancelled", [], time.time())

    def _beat_queued(self) -> None:
        """Keep the queued runs' heartbeats fresh: a server on another host must not reap
        them while they wait."""
        while not self._closed.wait(HEARTBEAT_EVERY):
            with self._lock:
                waiting = list(self._waiting)
            try:
                with self.project.store.write() as conn:
                    for run_id in waiting:
                        beat(conn, run_id)
            except PrevoirError as exc:
                logger.info("queued runs' heartbeat failed: %s", exc)
