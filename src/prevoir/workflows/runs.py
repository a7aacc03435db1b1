"""Run the pipeline for a project: plan the datasets, record the run, run the steps; and read
the recorded runs back."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

import pandas as pd

from prevoir.config import Settings, transform_spec
from prevoir.domain.records import Run, StepRecord
from prevoir.errors import ConflictError, StepFailedError
from prevoir.ingest.readers import describe_source, read_source
from prevoir.ingest.transform import raw_columns
from prevoir.pipeline.context import DatasetPlan, Progress, RunContext
from prevoir.pipeline.runner import order_steps, run_steps
from prevoir.registry.mirror import RegistryMirror
from prevoir.storage.locks import acquire_lock, release_lock, renew_lock
from prevoir.storage.runs import finish_run, get_run, list_runs, record_step, start_run
from prevoir.storage.store import Store
from prevoir.workflows.project import Project
from prevoir.workflows.store import SqlStore

logger = logging.getLogger(__name__)

# Steps that create versions or move aliases: a run with any of them holds the training lease
# of each of its forecasters, so two trainings of one forecaster never race to promote.
TRAINING_STEPS = frozenset({"train", "evaluate"})
LEASE_TTL = timedelta(hours=2)  # a crashed holder blocks others at most this long


@dataclass
class RunSummary:
    """What a run did, for the CLI and the API to show."""

    run_id: int
    status: str
    steps: list[StepRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: StepFailedError | None = None

    @property
    def files(self) -> list[str]:
        """Every file the steps wrote."""
        return [path for record in self.steps for path in record.files]


def run_pipeline(
    project: Project,
    *,
    steps: Iterable[str] | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
) -> RunSummary:
    """Run ``steps`` (all by default); a failed step is recorded and returned, not raised.

    ``ConflictError`` when a forecaster the run would train is being trained by another run.
    """
    return start_pipeline(project, steps=steps, trigger=trigger).execute(progress)


def start_pipeline(
    project: Project, *, steps: Iterable[str] | None = None, trigger: str = "cli"
) -> StartedRun:
    """Record a run and take its training leases; ``execute`` it next (in any thread).

    Split from ``run_pipeline`` so that the API can answer with the run id, or with 409 when
    a forecaster is being trained (``ConflictError``; the refused run is recorded as failed),
    before the steps run in the background.
    """
    settings, store = project.settings, project.store
    names = order_steps(steps)
    datasets = {name: _plan(settings, name) for name in settings.datasets}
    forecasters = {name: project.forecaster(name) for name in settings.forecasters}
    notes: list[str] = []
    registry = project.registry(notes=notes)
    with store.write() as conn:
        run_id = start_run(
            conn,
            profile=settings.profile,
            steps=names,
            trigger=trigger,
            config_hash=settings.config_hash(),
        )
    try:
        registry.mirror.run_started(
            run_id=run_id,
            trigger=trigger,
            config_hash=settings.config_hash(),
            steps=names,
            forecasters=forecasters,
        )
        ctx = RunContext(
            run_id=run_id,
            profile=settings.profile,
            datasets=datasets,
            forecasters=forecasters,
            store=SqlStore(store, registry, run_id=run_id),
            artifacts_dir=settings.artifacts_path(),
            notes=notes,
        )
        locks = [f"train:{settings.profile}:{f}" for f in forecasters]
        if not TRAINING_STEPS & set(names):
            locks = []
        owner = f"run {run_id} on {socket.gethostname()} pid {os.getpid()}"
        _acquire_leases(store, run_id, owner, locks)
    except BaseException:
        registry.mirror.run_finished("failed")
        raise
    return StartedRun(
        run_id=run_id,
        steps=names,
        forecasters=tuple(forecasters),
        trigger=trigger,
        leases=tuple(locks),
        owner=owner,
        _store=store,
        _ctx=ctx,
        _mirror=registry.mirror,
    )


@dataclass
class StartedRun:
    """A recorded run holding its leases: ``execute`` it once, or ``abandon`` it."""

    run_id: int
    steps: tuple[str, ...]
    forecasters: tuple[str, ...]
    trigger: str
    leases: tuple[str, ...]
    owner: str
    _store: Store
    _ctx: RunContext
    _mirror: RegistryMirror
    _done: bool = False

    def execute(self, progress: Progress | None = None) -> RunSummary:
        """Run the steps, then give the leases up (whatever happens)."""
        self._claim()
        if progress is not None:
            self._ctx.progress = progress
        status = "failed"
        try:
            summary = _execute(self._store, self._ctx, self.steps, after_step=self._renew)
            status = summary.status
            return summary
        finally:
            self._close(status)

    def abandon(self, reason: str) -> None:
        """Close the run as failed without running a step (e.g. its server is stopping)."""
        self._claim()
        try:
            with self._store.write() as conn:
                finish_run(conn, self.run_id, status="failed", error=reason)
        finally:
            self._close("failed")

    def _claim(self) -> None:
        if self._done:
            raise RuntimeError(f"run {self.run_id} was already executed or abandoned")
        self._done = True

    def _renew(self) -> None:
        with self._store.write() as conn:
            for name in self.leases:
                if not renew_lock(conn, name, self.owner, ttl=LEASE_TTL):
                    logger.warning("lease %s lapsed and was taken by another run", name)

    def _close(self, status: str) -> None:
        try:
            _release_leases(self._store, self.owner, self.leases)
        finally:
            self._mirror.run_finished(status)


def _acquire_leases(store: Store, run_id: int, owner: str, names: list[str]) -> None:
    """Take every lease in ``names`` for ``owner``, or fail the run with ``ConflictError``."""
    held: list[str] = []
    for name in names:
        with store.write() as conn:
            lease = acquire_lock(conn, name, owner, ttl=LEASE_TTL)
        if lease.owner == owner:
            held.append(name)
            continue
        message = (
            f"{name.split(':', 2)[2]!r} ({name.split(':', 2)[1]}) is being trained by "
            f"{lease.owner} since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC; wait for "
            f"it to finish (its lease lapses at {lease.expires_at:%H:%M:%S} UTC if it "
            "died) and run again"
        )
        try:
            with store.write() as conn:
                finish_run(conn, run_id, status="failed", error=message)
        finally:
            _release_leases(store, owner, held)
        raise ConflictError(message)


def _release_leases(store: Store, owner: str, names: Iterable[str]) -> None:
    for name in names:
        with store.write() as conn:
            release_lock(conn, name, owner)


def _execute(
    store: Store, ctx: RunContext, names: tuple[str, ...], *, after_step: Callable[[], None]
) -> RunSummary:
    summary = RunSummary(run_id=ctx.run_id, status="running", notes=ctx.notes)

    def on_record(record: StepRecord) -> None:
        summary.steps.append(record)
        with store.write() as conn:
            record_step(conn, ctx.run_id, record)
        after_step()

    try:
        run_steps(ctx, names, on_record=on_record)
    except StepFailedError as exc:
        summary.status, summary.error = "failed", exc
        with store.write() as conn:
            finish_run(conn, ctx.run_id, status="failed", error=str(exc.cause))
        return summary
    summary.status = "succeeded"
    with store.write() as conn:
        finish_run(conn, ctx.run_id, status="succeeded")
    return summary


def _plan(settings: Settings, name: str) -> DatasetPlan:
    dataset = settings.datasets[name]
    since = pd.Timestamp(dataset.since, tz="UTC") if dataset.since else None
    spec = transform_spec(name, dataset)
    read = partial(read_source, dataset.source, Path(settings.project_dir), raw_columns(spec))
    return DatasetPlan(spec, read, describe_source(dataset.source), since)


def recent_runs(project: Project, *, limit: int = 20) -> list[Run]:
    """The newest runs, newest first, with their step records."""
    with project.store.read() as conn:
        return list_runs(conn, limit=limit)


def run_record(project: Project, run_id: int) -> Run:
    """One run with its step records; ``NotFoundError`` if there is none."""
    with project.store.read() as conn:
        return get_run(conn, run_id)
