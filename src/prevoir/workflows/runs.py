"""Run the pipeline for a project: plan the datasets, record the run, run the steps."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from prevoir.config import Settings, forecaster_spec, mask_url, transform_spec
from prevoir.domain.records import StepRecord
from prevoir.errors import ConfigError, ConflictError, StepFailedError
from prevoir.pipeline.context import DatasetPlan, Progress, RunContext, SilentProgress
from prevoir.pipeline.runner import order_steps, run_steps
from prevoir.pipeline.sources import read_files
from prevoir.storage.engine import create_store_engine, upgrade_schema
from prevoir.storage.locks import acquire_lock, release_lock, renew_lock
from prevoir.storage.runs import finish_run, record_step, start_run
from prevoir.storage.sql_source import read_sql_source
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


def run_pipeline(
    settings: Settings,
    *,
    steps: Iterable[str] | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
) -> RunSummary:
    """Run ``steps`` (all by default); a failed step is recorded and returned, not raised."""
    names = order_steps(steps)
    datasets = {name: _plan(settings, name) for name in settings.datasets}
    forecasters = {name: forecaster_spec(name, settings) for name in settings.forecasters}
    notes: list[str] = []
    mirror = open_mirror(settings, notes=notes)
    engine = open_store(settings)
    status = "failed"
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
            progress=progress or SilentProgress(),
            notes=notes,
        )
        locks = [f"train:{settings.profile}:{f}" for f in forecasters]
        if not TRAINING_STEPS & set(names):
            locks = []
        with _leases(engine, run_id, locks) as renew:
            summary = _execute(engine, ctx, names, after_step=renew)
        status = summary.status
        return summary
    finally:
        mirror.run_finished(status)
        engine.dispose()


@contextmanager
def _leases(engine: Engine, run_id: int, names: list[str]) -> Iterator[Callable[[], None]]:
    """Hold every lease in ``names`` for the block, or fail the run with ``ConflictError``.

    Yields a function that extends the held leases (called after every step).
    """
    owner = f"run {run_id} on {socket.gethostname()} pid {os.getpid()}"
    held: list[str] = []
    try:
        for name in names:
            with engine.begin() as conn:
                lease = acquire_lock(conn, name, owner, ttl=LEASE_TTL)
            if lease.owner != owner:
                message = (
                    f"{name.split(':', 2)[2]!r} ({name.split(':', 2)[1]}) is being trained by "
                    f"{lease.owner} since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC; wait for "
                    f"it to finish (its lease lapses at {lease.expires_at:%H:%M:%S} UTC if it "
                    "died) and run again"
                )
                with engine.begin() as conn:
                    finish_run(conn, run_id, status="failed", error=message)
                raise ConflictError(message)
            held.append(name)

        def renew() -> None:
            with engine.begin() as conn:
                for name in held:
                    if not renew_lock(conn, name, owner, ttl=LEASE_TTL):
                        logger.warning("lease %s lapsed and was taken by another run", name)

        yield renew
    finally:
        for name in held:
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
    source = dataset.source
    since = pd.Timestamp(dataset.since, tz="UTC") if dataset.since else None
    spec = transform_spec(name, dataset)
    if source.kind == "sql":
        if not source.url or not source.query:
            raise ConfigError(f"datasets.{name}.source: a sql source needs `url` and `query`")
        url, query = source.url, source.query
        return DatasetPlan(spec, lambda: read_sql_source(url, query), mask_url(url), since)
    if not source.path:
        raise ConfigError(f"datasets.{name}.source: a {source.kind} source needs `path` (a glob)")
    pattern, kind, options = source.path, source.kind, dict(source.options)
    base = Path(settings.project_dir)

    def read() -> pd.DataFrame:
        return read_files(pattern, base_dir=base, format=kind, csv_options=options)

    return DatasetPlan(spec, read, pattern, since)
