"""Run the pipeline for a project: plan the datasets, record the run, run the steps; and read
the recorded runs back.

A run that trains (``train`` or ``evaluate``) holds a lease per forecaster, taken right before
its first such step and kept fresh by its heartbeat (``prevoir.workflows.leases``) until the
run ends, however it ends: success, failure, SIGTERM or Ctrl-C. Before a run is recorded, dead
runs are reaped and the leases it would need are checked, so a refused run leaves no row.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

import pandas as pd

from prevoir.config import Settings, transform_spec
from prevoir.config.selection import datasets_of, select_forecasters
from prevoir.domain.records import OPEN_RUN, Run, StepRecord, run_owner
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import (
    ConflictError,
    Interrupted,
    PartialRunError,
    PrevoirError,
    RunCancelledError,
    StepFailedError,
    StoreError,
)
from prevoir.ingest.readers import describe_source, read_source
from prevoir.ingest.transform import raw_columns
from prevoir.pipeline.context import DatasetPlan, Progress, RunContext
from prevoir.pipeline.runner import order_steps, run_steps
from prevoir.registry.mirror import RegistryMirror
from prevoir.registry.registry import Registry
from prevoir.storage.errors import store_error_of
from prevoir.storage.locks import Lease, acquire_lock, live_holders, release_lock
from prevoir.storage.runs import (
    active_runs,
    claim_run,
    finish_run,
    get_run,
    list_runs,
    record_step,
    start_run,
)
from prevoir.storage.store import Store
from prevoir.workflows.leases import HOST, LEASE_TTL, Heartbeat, reap_abandoned
from prevoir.workflows.project import Project
from prevoir.workflows.store import SqlStore

logger = logging.getLogger(__name__)

# Steps that create versions or move aliases: a run with any of them holds the training lease
# of each of its forecasters, so two trainings of one forecaster never race to promote.
TRAINING_STEPS = frozenset({"train", "evaluate"})
SUBMIT_WAIT_S = 30.0  # longest wait for another process's submission of a training run


@dataclass
class RunSummary:
    """What a run did, for the CLI and the API to show."""

    run_id: int
    status: str
    steps: list[StepRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: PrevoirError | None = None  # StepFailedError, or PartialRunError when partial

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
    forecasters: Iterable[str] = (),
    tags: Mapping[str, str] | None = None,
) -> RunSummary:
    """Run ``steps`` (all by default) for the forecasters selected by name and tags (all by
    default); a failed step is recorded and returned, not raised.

    ``ConflictError`` (no run recorded) when a forecaster the run would train is being
    trained by another run; ``RunCancelledError`` when a signal stopped it.
    """
    started = start_pipeline(
        project, steps=steps, trigger=trigger, forecasters=forecasters, tags=tags
    )
    return started.execute(progress)


def start_pipeline(
    project: Project,
    *,
    steps: Iterable[str] | None = None,
    trigger: str = "cli",
    forecasters: Iterable[str] = (),
    tags: Mapping[str, str] | None = None,
) -> StartedRun:
    """Record a run (status ``running``); ``execute`` it next (in any thread).

    Split from ``run_pipeline`` so that the API can answer with the run id, or with 409 when
    a forecaster is being trained (``ConflictError``; nothing is recorded), before the steps
    run in the background. A configuration error (an unknown forecaster, a selection of
    none) is raised before anything is recorded.
    """
    names = order_steps(steps)
    chosen = select_forecasters(project.settings, forecasters, tags)
    parts = _Parts.of(project, chosen)
    run_id = record_run(project, steps=names, trigger=trigger, forecasters=chosen)
    return _started(project, parts, run_id, names, trigger)


def record_run(
    project: Project,
    *,
    steps: Iterable[str] | None,
    trigger: str,
    queued: bool = False,
    forecasters: tuple[str, ...] = (),
) -> int:
    """Reap dead runs, check that no live run holds or will take a lease this run needs
    (``ConflictError``: nothing recorded), then record the run (for ``forecasters``, already
    selected; empty: all); its id."""
    settings, store = project.settings, project.store
    names = order_steps(steps)
    leases = _lease_names(settings.profile, forecasters or settings.forecasters, names)
    with _submitting(store, settings.profile, leases):
        reap_abandoned(store)
        _precheck(store, settings.profile, leases, forecasters)
        with store.write() as conn:
            return start_run(
                conn,
                profile=settings.profile,
                steps=names,
                trigger=trigger,
                config_hash=settings.config_hash(),
                host=HOST,
                pid=os.getpid(),
                queued=queued,
                forecasters=forecasters,
            )


def start_queued(project: Project, run_id: int) -> StartedRun:
    """Take queued run ``run_id`` into this process; ``execute`` it next.

    ``ConflictError`` when it is not queued (already started, cancelled or reaped).
    """
    with project.store.write() as conn:
        claimed = claim_run(conn, run_id, host=HOST, pid=os.getpid())
        run = get_run(conn, run_id)
    if not claimed:
        raise ConflictError(f"run {run_id} is {run.status}, not queued: it cannot be started")
    # the names were checked when the run was queued; the config may have changed since
    parts = _Parts.of(project, select_forecasters(project.settings, run.forecasters))
    return _started(project, parts, run_id, run.steps, run.trigger)


@dataclass
class _Parts:
    """What a run is built from, made before it is recorded (config errors come first)."""

    datasets: dict[str, DatasetPlan]
    forecasters: dict[str, ForecasterSpec]
    notes: list[str]
    registry: Registry

    @classmethod
    def of(cls, project: Project, chosen: tuple[str, ...] = ()) -> _Parts:
        """The parts of a run for the ``chosen`` forecasters (empty: all) and the datasets
        they read (all datasets when every forecaster runs, so a dataset no forecaster
        reads is still loaded)."""
        settings, notes = project.settings, list[str]()
        datasets = datasets_of(settings, chosen) if chosen else tuple(settings.datasets)
        return cls(
            datasets={name: _plan(settings, name) for name in datasets},
            forecasters={name: project.forecaster(name) for name in chosen or settings.forecasters},
            notes=notes,
            registry=project.registry(notes=notes),
        )


def _started(
    project: Project, parts: _Parts, run_id: int, names: tuple[str, ...], trigger: str
) -> StartedRun:
    settings, store, mirror = project.settings, project.store, parts.registry.mirror
    try:
        mirror.run_started(
            run_id=run_id,
            trigger=trigger,
            config_hash=settings.config_hash(),
            steps=names,
            forecasters=parts.forecasters,
        )
    except BaseException as exc:  # the recorded run never begins: it must not stay open
        _close_run(store, run_id, "failed", f"the run could not begin: {exc}")
        mirror.run_finished("failed")
        raise
    ctx = RunContext(
        run_id=run_id,
        profile=settings.profile,
        datasets=parts.datasets,
        forecasters=parts.forecasters,
        store=SqlStore(store, parts.registry, run_id=run_id),
        artifacts_dir=settings.artifacts_path(),
        notes=parts.notes,
    )
    return StartedRun(
        run_id=run_id,
        steps=names,
        forecasters=tuple(parts.forecasters),
        trigger=trigger,
        leases=_lease_names(settings.profile, parts.forecasters, names),
        owner=run_owner(run_id, HOST, os.getpid()),
        _store=store,
        _ctx=ctx,
        _mirror=mirror,
    )


@dataclass
class StartedRun:
    """A recorded run: ``execute`` it once, or ``abandon`` it."""

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
    _held: tuple[str, ...] = ()
    _step: str | None = None

    def execute(self, progress: Progress | None = None) -> RunSummary:
        """Run the steps under a heartbeat, then give the leases up (whatever happens)."""
        self._claim()
        if progress is not None:
            self._ctx.progress = progress
        heartbeat = Heartbeat(self._store, self.run_id, owner=self.owner, leases=self._leased)
        heartbeat.start()
        status = "failed"
        try:
            summary = _execute(self._store, self._ctx, self.steps, before_step=self._before)
            status = summary.status
            return summary
        except (KeyboardInterrupt, Interrupted) as exc:
            status = "cancelled"
            signal = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
            cancelled = RunCancelledError(self.run_id, self._step, signal)
            with self._store.write() as conn:
                finish_run(conn, self.run_id, status=status, error=str(cancelled), only_if=OPEN_RUN)
            raise cancelled from None
        finally:
            heartbeat.stop()
            self._close(status)

    def abandon(self, reason: str, *, status: str = "cancelled") -> None:
        """Close the run without running a step (e.g. its server is stopping)."""
        self._claim()
        try:
            with self._store.write() as conn:
                finish_run(conn, self.run_id, status=status, error=reason, only_if=OPEN_RUN)
        finally:
            self._close(status)

    def _claim(self) -> None:
        if self._done:
            raise RuntimeError(f"run {self.run_id} was already executed or abandoned")
        self._done = True

    def _leased(self) -> tuple[str, ...]:
        return self._held

    def _before(self, name: str) -> None:
        """Take the training leases right before the first step that needs them."""
        self._step = name
        if name in TRAINING_STEPS and self.leases and not self._held:
            _acquire_leases(self._store, self.owner, self.leases)
            self._held = self.leases

    def _close(self, status: str) -> None:
        held, self._held = self._held, ()
        try:
            _release_leases(self._store, self.owner, held)
        except PrevoirError as exc:  # the store is away: they lapse within LEASE_TTL
            logger.info("run %s: leases not released: %s", self.run_id, exc)
        finally:
            self._mirror.run_finished(status)


def _lease_names(profile: str, forecasters: Iterable[str], steps: Iterable[str]) -> tuple[str, ...]:
    if not TRAINING_STEPS & set(steps):
        return ()
    return tuple(f"train:{profile}:{name}" for name in forecasters)


def _held_message(lease: Lease) -> str:
    _, profile, forecaster = lease.name.split(":", 2)
    return (
        f"{forecaster!r} ({profile}) is being trained by {lease.owner} since "
        f"{lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC; wait for it to finish (its lease lapses "
        f"at {lease.expires_at:%H:%M:%S} UTC if it died) and run again"
    )


def _precheck(
    store: Store, profile: str, leases: tuple[str, ...], forecasters: tuple[str, ...]
) -> None:
    """``ConflictError`` when a live lease holds a forecaster of ``leases``, or another open
    run of ``profile`` will train one of ``forecasters`` (empty: all; it takes the leases when
    it reaches its training step)."""
    if not leases:
        return
    with store.read() as conn:
        held = live_holders(conn, list(leases))
        others = [
            r
            for r in active_runs(conn, profile=profile)
            if TRAINING_STEPS & set(r.steps) and _overlap(r.forecasters, forecasters)
        ]
    if held:
        raise ConflictError(_held_message(held[0]))
    if others:
        run = others[0]
        raise ConflictError(
            f"the forecasters of profile {profile!r} will be trained by {run.owner} "
            f"({run.status} since {run.started_at:%Y-%m-%d %H:%M:%S} UTC, steps "
            f"{' '.join(run.steps)}); wait for it to finish and run again"
        )


def _overlap(some: tuple[str, ...], others: tuple[str, ...]) -> bool:
    """Whether two runs' selections share a forecaster (an empty selection is all)."""
    return not some or not others or bool(set(some) & set(others))


@contextlib.contextmanager
def _submitting(store: Store, profile: str, leases: tuple[str, ...]) -> Iterator[None]:
    """Serialise the check-then-record of training runs of ``profile`` across processes (a
    short lease of its own), so two submissions never both pass the pre-check."""
    if not leases:
        yield
        return
    name = f"submit:{profile}"
    me = f"submission {uuid.uuid4().hex[:8]} on {HOST} pid {os.getpid()}"
    me += f" thread {threading.get_ident()}"
    deadline = time.monotonic() + SUBMIT_WAIT_S
    while True:
        with store.write() as conn:
            if acquire_lock(conn, name, me, ttl=timedelta(seconds=SUBMIT_WAIT_S)).owner == me:
                break
        if time.monotonic() > deadline:
            raise ConflictError(
                f"another run of profile {profile!r} is being submitted; try again shortly"
            )
        time.sleep(0.02)
    try:
        yield
    finally:
        with store.write() as conn:
            release_lock(conn, name, me)


def _acquire_leases(store: Store, owner: str, names: tuple[str, ...]) -> None:
    """Take every lease in ``names`` for ``owner``, or release those taken and raise
    ``ConflictError`` naming the holder."""
    held: list[str] = []
    for name in names:
        with store.write() as conn:
            lease = acquire_lock(conn, name, owner, ttl=LEASE_TTL)
        if lease.owner == owner:
            held.append(name)
            continue
        _release_leases(store, owner, held)
        raise ConflictError(_held_message(lease))


def _release_leases(store: Store, owner: str, names: Iterable[str]) -> None:
    for name in names:
        with store.write() as conn:
            release_lock(conn, name, owner)


def _execute(
    store: Store,
    ctx: RunContext,
    names: tuple[str, ...],
    *,
    before_step: Callable[[str], None],
) -> RunSummary:
    summary = RunSummary(run_id=ctx.run_id, status="running", notes=ctx.notes)

    def on_record(record: StepRecord) -> None:
        summary.steps.append(record)
        with store.write() as conn:
            record_step(conn, ctx.run_id, record)

    current: list[str] = []

    def starting(name: str) -> None:
        current.append(name)
        before_step(name)

    try:
        run_steps(ctx, names, on_record=on_record, before_step=starting)
    except StepFailedError as exc:
        cause = store_error_of(exc.cause) or exc.cause
        failed = StepFailedError(exc.step, ctx.run_id, cause)
        summary.status, summary.error = "failed", failed
        _close_run(store, ctx.run_id, "failed", str(cause))
        return summary
    except PrevoirError as exc:  # recording a step failed: the store went away
        step = current[-1] if current else names[0]
        raise StepFailedError(step, ctx.run_id, store_error_of(exc) or exc) from None
    if ctx.failures:
        partial = PartialRunError(ctx.run_id, ctx.failures)
        summary.status, summary.error = "partial", partial
        _close_run(store, ctx.run_id, "partial", str(partial))
        return summary
    summary.status = "succeeded"
    _close_run(store, ctx.run_id, "succeeded", None)
    return summary


def _close_run(store: Store, run_id: int, status: str, error: str | None) -> None:
    """Record how the run ended; when the store is away, say so in the log and leave it to
    the reaper (the run's own error is what the caller reports)."""
    try:
        with store.write() as conn:
            finish_run(conn, run_id, status=status, error=error, only_if=OPEN_RUN)
    except StoreError as exc:
        logger.info("run %s could not be closed as %s: %s", run_id, status, exc)


def _plan(settings: Settings, name: str) -> DatasetPlan:
    dataset = settings.datasets[name]
    since = pd.Timestamp(dataset.since, tz="UTC") if dataset.since else None
    spec = transform_spec(name, dataset)
    read = partial(read_source, dataset.source, Path(settings.project_dir), raw_columns(spec))
    return DatasetPlan(spec, read, describe_source(dataset.source), since)


def recent_runs(project: Project, *, limit: int = 20, status: str | None = None) -> list[Run]:
    """The newest runs (in ``status``), newest first, with their step records."""
    with project.store.read() as conn:
        return list_runs(conn, limit=limit, status=status)


def run_record(project: Project, run_id: int) -> Run:
    """One run with its step records; ``NotFoundError`` if there is none."""
    with project.store.read() as conn:
        return get_run(conn, run_id)
