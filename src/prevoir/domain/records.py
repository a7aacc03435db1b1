"""Frozen records of what happened: runs and their steps, model versions and alias moves,
users, API keys, scheduled firings and the files steps wrote.

The store's repositories return these, so every layer above reads attributes a type
checker knows, never string keys of a row. They carry no behaviour beyond small views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

StepStatus = Literal["running", "succeeded", "failed", "skipped"]
AliasAction = Literal["set", "promote", "rollback"]
CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class StepRecord:
    """What one step of a run did, as the runner records it."""

    name: str
    status: StepStatus
    started_at: datetime
    duration_s: float
    rows_in: int = 0
    rows_out: int = 0
    files: tuple[str, ...] = ()
    error: str | None = None


def run_owner(run_id: int, host: str | None, pid: int | None) -> str:
    """The owner a run's leases carry: ``run <id> on <host> pid <pid>``."""
    return f"run {run_id} on {host or '?'} pid {pid if pid is not None else '?'}"


OPEN_RUN = ("queued", "running")  # the statuses of a run that has not ended


@dataclass(frozen=True)
class Run:
    """One execution of some steps: what it was asked, how it went, each step's record."""

    id: int
    profile: str
    trigger: str
    status: str
    steps: tuple[str, ...]  # the requested steps, in pipeline order
    config_hash: str
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    step_records: tuple[StepRecord, ...] = ()
    host: str | None = None  # the process that runs it (None before migration 0006)
    pid: int | None = None
    heartbeat_at: datetime | None = None  # its last sign of life
    forecasters: tuple[str, ...] = ()  # the forecasters it was asked for; empty: all of them

    @property
    def is_open(self) -> bool:
        """Whether the run has not ended (queued or running)."""
        return self.status in OPEN_RUN

    @property
    def owner(self) -> str:
        """Who runs it, as its leases name their holder: ``run 7 on box pid 123``."""
        return run_owner(self.id, self.host, self.pid)

    @property
    def next_step(self) -> str | None:
        """The requested step after the last recorded one: where a dead run stopped."""
        done = {record.name for record in self.step_records}
        return next((name for name in self.steps if name not in done), None)

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish, None while it runs."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ModelVersion:
    """A trained forecaster: its artifact (path and sha256) and what it was trained on.

    ``aliases`` are ``"<profile>:<alias>"`` (``"prod:champion"``) pointing at it, any profile.
    """

    id: int
    forecaster: str
    profile: str
    kind: str
    params: Mapping[str, Any]
    features: Any  # the model's input names (a list), or a mapping for older versions
    train_start: datetime
    train_end: datetime
    data_fingerprint: str
    metrics: Mapping[str, Any]
    library_versions: Mapping[str, str]
    artifact_path: str
    sha256: str
    run_id: int | None
    created_at: datetime
    aliases: tuple[str, ...] = ()

    def aliases_in(self, profile: str) -> tuple[str, ...]:
        """The aliases of ``profile`` that point at this version (``champion``, ...)."""
        prefix = f"{profile}:"
        return tuple(a.removeprefix(prefix) for a in self.aliases if a.startswith(prefix))


@dataclass(frozen=True)
class AliasMove:
    """An alias of one forecaster moved from one version to another."""

    forecaster: str
    alias: str
    old: int | None
    new: int


@dataclass(frozen=True)
class AliasEvent:
    """One recorded move of an alias (the history rollback walks back)."""

    forecaster: str
    profile: str
    alias: str
    version_id: int
    previous_version_id: int | None
    action: AliasAction
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class User:
    """Someone who may log in; the hash is read only to check a password."""

    username: str
    role: str
    created_at: datetime
    password_hash: str = field(default="", repr=False)


@dataclass(frozen=True)
class ApiKey:
    """A machine's key, known by its clear prefix; the key itself is never stored."""

    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Firing:
    """One firing of a scheduled job, claimed by exactly one server."""

    job: str
    fire_time: datetime
    owner: str
    claimed_at: datetime
    status: str
    run_id: int | None = None


@dataclass(frozen=True)
class Artifact:
    """A file a step wrote, with its sha256 (checked before a later step reads it)."""

    id: int
    run_id: int
    step: str
    forecaster: str | None
    kind: str
    path: str
    sha256: str
    rows: int | None
    created_at: datetime


@dataclass(frozen=True)
class ForecastPoint:
    """One step of an issued forecast; ``intervals`` maps a level (``"80"``) to ``(lo, hi)``."""

    step: int
    ds: datetime
    yhat: float | None
    intervals: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedForecast:
    """Every step forecast for one series from one origin, by the version that made it."""

    forecaster: str
    unique_id: str
    origin: datetime
    model_version_id: int | None
    points: tuple[ForecastPoint, ...]


@dataclass(frozen=True)
class ObservationDeletion:
    """Observations an administrator removed: which, how many, who and why."""

    id: int
    dataset: str
    unique_id: str
    variable: str | None  # None: every variable of the series
    range_start: datetime | None  # None: from the first observation
    range_end: datetime | None  # None: to the last
    rows: int
    deleted_by: str
    reason: str
    deleted_at: datetime
