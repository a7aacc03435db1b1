"""The scheduled jobs of ``[service.schedule]``, run by every server, each firing once.

Every server process runs an APScheduler ``BackgroundScheduler`` with the same jobs (stable
ids: the config keys; ``coalesce``, ``max_instances=1``: a job never overlaps itself in one
process). When a job fires, the server first claims ``(job, fire time)`` in the store
(``claim_firing``, its own transaction): the primary key lets exactly one server win, and
only the winner runs the steps (trigger ``schedule``) and records how it ended.

The fire time comes from APScheduler's ``EVENT_JOB_SUBMITTED`` (``scheduled_run_times``),
handed to the job's worker through a queue per job: the scheduled instant, identical on every
server, not the wall-clock time the worker happened to start.

At start, a firing missed while no server ran (the cron's latest due time is after the last
claimed one) is run once (``missed = "run_once"``: claimed like any firing, so two servers
starting together run it once) or only logged (``"skip"``).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from prevoir.errors import ConflictError
from prevoir.service.runs import RunLauncher
from prevoir.storage.schedule import claim_firing, finish_firing, last_firing
from prevoir.storage.store import Store
from prevoir.workflows.schedule import ScheduledJob, latest_fire_time

logger = logging.getLogger(__name__)

HANDOFF_TIMEOUT_S = 60  # the submitted event follows the submission by microseconds


class JobScheduler:
    """The jobs of one server process; ``start`` in the app's lifespan, ``shutdown`` after."""

    def __init__(self, jobs: list[ScheduledJob], store: Store, launcher: RunLauncher) -> None:
        self.jobs = {job.name: job for job in jobs}
        self.store = store
        self.launcher = launcher
        self.owner = f"{socket.gethostname()} pid {os.getpid()}"
        self._fired: dict[str, queue.SimpleQueue[datetime]] = {
            n: queue.SimpleQueue() for n in self.jobs
        }
        self._busy = {name: threading.Lock() for name in self.jobs}
        self._scheduler = BackgroundScheduler(timezone=UTC)

    def start(self, *, now: datetime | None = None) -> None:
        """Add the jobs, start firing them, and deal with firings missed before ``now``."""
        self._scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        for job in self.jobs.values():
            self._scheduler.add_job(
                self._fire,
                trigger=job.trigger,
                args=[job.name],
                id=job.name,
                name=f"prevoir job {job.name}",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,  # every submission calls _fire: the queue stays in step
            )
        self._scheduler.start()
        for job in self.jobs.values():
            self._catch_up(job, now or datetime.now(UTC))

    def shutdown(self) -> None:
        """Stop firing; wait for the firings under way."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def next_fire_times(self) -> dict[str, datetime | None]:
        """When each job fires next in this process (UTC)."""
        return {
            job.id: job.next_run_time.astimezone(UTC) if job.next_run_time else None
            for job in self._scheduler.get_jobs()
        }

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        handoff = self._fired.get(event.job_id)
        if handoff is not None:
            handoff.put(event.scheduled_run_times[-1])

    def _catch_up(self, job: ScheduledJob, now: datetime) -> None:
        due = latest_fire_time(job.trigger, now)
        with self.store.read() as conn:
            last = last_firing(conn, job.name)
        if due is None or last is None or due <= last:
            return  # never claimed before: a new job has nothing to catch up
        if job.settings.missed == "skip":
            logger.warning(
                'job %s missed its firing at %s (last one claimed: %s); skipped (missed = "skip")',
                job.name,
                f"{due:%Y-%m-%d %H:%M:%S} UTC",
                f"{last:%Y-%m-%d %H:%M:%S} UTC",
            )
            return
        logger.warning(
            "job %s missed its firing at %s (last one claimed: %s); running it once now",
            job.name,
            f"{due:%Y-%m-%d %H:%M:%S} UTC",
            f"{last:%Y-%m-%d %H:%M:%S} UTC",
        )
        self._scheduler.add_job(
            self._fire,
            args=[job.name, due],
            id=f"{job.name}:missed",
            name=f"prevoir job {job.name} (missed firing)",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _fire(self, name: str, fire_time: datetime | None = None) -> None:
        """One firing: claim it, and run it if this server won the claim."""
        if fire_time is None:
            fire_time = self._fired[name].get(timeout=HANDOFF_TIMEOUT_S)
        fire_time = fire_time.astimezone(UTC)
        if not self._busy[name].acquire(blocking=False):
            logger.info("job %s is still running here; its firing at %s is left", name, fire_time)
            return
        try:
            self._claim_and_run(self.jobs[name], fire_time)
        finally:
            self._busy[name].release()

    def _claim_and_run(self, job: ScheduledJob, fire_time: datetime) -> None:
        with self.store.write() as conn:
            won = claim_firing(conn, job.name, fire_time, self.owner)
        if not won:
            logger.debug("job %s at %s was claimed by another server", job.name, fire_time)
            return
        status, run_id = "failed", None
        try:
            run = self.launcher.run(
                job.settings.steps,
                trigger="schedule",
                forecasters=job.settings.forecasters,
                tags=job.settings.tags,
            )
            status, run_id = run.status, run.id
        except ConflictError as exc:
            logger.warning("job %s at %s did not run: %s", job.name, fire_time, exc)
        except Exception:
            logger.exception("job %s at %s failed", job.name, fire_time)
        finally:
            try:
                with self.store.write() as conn:
                    finish_firing(conn, job.name, fire_time, status=status, run_id=run_id)
            except Exception:
                logger.exception(
                    "job %s at %s: its outcome could not be recorded", job.name, fire_time
                )
