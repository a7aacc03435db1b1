"""Run the pipeline for a project: plan the datasets, record the run, run the steps."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from prevoir.config import Settings, forecaster_spec, transform_spec
from prevoir.domain.records import StepRecord
from prevoir.errors import ConflictError, StepFailedError
from prevoir.ingest.readers import describe_source, read_source
from prevoir.pipeline.context import DatasetPlan, Progress, RunContext
from prevoir.pipeline.runner import order_steps, run_steps
from prevoir.registry.mirror import RegistryMirror
from prevoir.storage.engine import create_store_engine, upgrade_schema
from prevoir.storage.locks import acquire_lock, release_lock, renew_lock
from prevoir.storage.runs import finish_run, record_step, start_run
from prevoir.workflows.mirror import open_mirror
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


def open_store(settings: Settings) -> Engine:
    """An engine on the project's store with the schema at head (created on first use)."""
    engine = create_store_engine(settings.store_url())
    upgrade_schema(engine)
    return engine


@contextmanager
def store_connection(
    settings: Settings, *, write: bool = False, engine: Engine | None = None
) -> Iterator[Connection]:
    """A connection (in one transaction if ``write``) on ``engine``, or on an engine opened
    for this call and disposed after it (the CLI; the service passes its shared engine)."""
    store = open_store(settings) if engine is None else engine
    try:
        with store.begin() if write else store.connect() as conn:
            yield conn
    finally:
        if engine is None:
            store.dispose()


def run_pipeline(
    settings: Settings,
    *,
    steps: Iterable[str] | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
) -> RunSummary:
    """Run ``steps`` (all by default); a failed step is recorded and returned, not raised.

    ``ConflictError`` when a forecaster the run would train is being trained by another run.
    """
    return start_pipeline(settings, steps=steps, trigger=trigger).execute(progress)


def start_pipeline(
    settings: Settings,
    *,
    steps: Iterable[str] | None = None,
    trigger: str = "cli",
    engine: Engine | None = None,
) -> StartedRun:
    """Record a run and take its training leases; ``execute`` it next (in any thread).

    Split from ``run_pipeline`` so that the API can answer with the run id, or with 409 when
    a forecaster is being trained (``ConflictError``; the refused run is recorded as failed),
    before the steps run in the background. ``engine``: a shared one (not disposed here);
    by default the run opens and disposes its own.
    """
    names = order_steps(steps)
    datasets = {name: _plan(settings, name) for name in settings.datasets}
    forecasters = {name: forecaster_spec(name, settings) for name in settings.forecasters}
    notes: list[str] = []
    mirror = open_mirror(settings, notes=notes)
    owns_engine = engine is None
    engine = open_store(settings) if engine is None else engine
    try:
        with engine.begin() as conn:
            run_id = start_run(
                conn,
                profile=settings.profile,
                steps=names,
                trigger=trigger,
                config_hash=settings.config_hash(),
            )
        mirror.run_started(
            run_id=run_id,
            trigger=trigger,
            config_hash=settings.config_hash(),
            steps=names,
            forecasters=forecasters,
        )
        store = SqlStore(
            engine,
            run_id=run_id,
            profile=settings.profile,
            model_store=settings.model_store_location(),
            mirror=mirror,
        )
        ctx = RunContext(
            run_id=run_id,
            profile=settings.profile,
            datasets=datasets,
            forecasters=forecasters,
            store=store,
            artifacts_dir=settings.artifacts_path(),
            notes=notes,
        )
        locks = [f"train:{settings.profile}:{f}" for f in forecasters]
        if not TRAINING_STEPS & set(names):
            locks = []
        owner = f"run {run_id} on {socket.gethostname()} pid {os.getpid()}"
        _acquire_leases(engine, run_id, owner, locks)
    except BaseException:
        mirror.run_finished("failed")
        if owns_engine:
            engine.dispose()
        raise
    return StartedRun(
        run_id=run_id,
        steps=names,
        forecasters=tuple(forecasters),
        trigger=trigger,
        leases=tuple(locks),
        owner=owner,
        _engine=engine,
        _owns_engine=owns_engine,
        _ctx=ctx,
        _mirror=mirror,
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
    _engine: Engine
    _owns_engine: bool
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
            summary = _execute(self._engine, self._ctx, self.steps, after_step=self._renew)
            status = summary.status
            return summary
        finally:
            self._close(status)

    def abandon(self, reason: str) -> None:
        """Close the run as failed without running a step (e.g. its server is stopping)."""
        self._claim()
        try:
            with self._engine.begin() as conn:
                finish_run(conn, self.run_id, status="failed", error=reason)
        finally:
            self._close("failed")

    def _claim(self) -> None:
        if self._done:
            raise RuntimeError(f"run {self.run_id} was already executed or abandoned")
        self._done = True

    def _renew(self) -> None:
        with self._engine.begin() as conn:
            for name in self.leases:
                if not renew_lock(conn, name, self.owner, ttl=LEASE_TTL):
                    logger.warning("lease %s lapsed and was taken by another run", name)

    def _close(self, status: str) -> None:
        try:
            _release_leases(self._engine, self.owner, self.leases)
        finally:
            self._mirror.run_finished(status)
            if self._owns_engine:
                self._engine.dispose()


def _acquire_leases(engine: Engine, run_id: int, owner: str, names: list[str]) -> None:
    """Take every lease in ``names`` for ``owner``, or fail the run with ``ConflictError``."""
    held: list[str] = []
    for name in names:
        with engine.begin() as conn:
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
            with engine.begin() as conn:
                finish_run(conn, run_id, status="failed", error=message)
        finally:
            _release_leases(engine, owner, held)
        raise ConflictError(message)


def _release_leases(engine: Engine, owner: str, names: Iterable[str]) -> None:
    for name in names:
        with engine.begin() as conn:
            release_lock(conn, name, owner)


def _execute(
    engine: Engine, ctx: RunContext, names: tuple[str, ...], *, after_step: Callable[[], None]
) -> RunSummary:
    summary = RunSummary(run_id=ctx.run_id, status="running", notes=ctx.notes)

    def on_record(record: StepRecord) -> None:
        summary.steps.append(record)
        with engine.begin() as conn:
            record_step(conn, ctx.run_id, record)
        after_step()

    try:
        run_steps(ctx, names, on_record=on_record)
    except StepFailedError as exc:
        summary.status, summary.error = "failed", exc
        with engine.begin() as conn:
            finish_run(conn, ctx.run_id, status="failed", error=str(exc.cause))
        return summary
    summary.status = "succeeded"
    with engine.begin() as conn:
        finish_run(conn, ctx.run_id, status="succeeded")
    return summary


def _plan(settings: Settings, name: str) -> DatasetPlan:
    dataset = settings.datasets[name]
    since = pd.Timestamp(dataset.since, tz="UTC") if dataset.since else None
    spec = transform_spec(name, dataset)
    read = partial(read_source, dataset.source, Path(settings.project_dir))
    return DatasetPlan(spec, read, describe_source(dataset.source), since)
