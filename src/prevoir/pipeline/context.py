"""What a pipeline step is handed: the specs, the store port, and the frames of this run.

Steps never import the storage layer: they talk to the ``StorePort`` protocol, which the
composition root (``prevoir.workflows``) implements over SQLAlchemy. That keeps the core
testable with any object that has these methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from prevoir.domain.datasets import TransformSpec
from prevoir.domain.records import ModelVersion, StepRecord
from prevoir.domain.specs import ForecasterSpec
from prevoir.models.base import Forecaster


class ProgressTask(Protocol):
    """One bar of progress output."""

    def advance(self, amount: int = 1) -> None:
        """Mark ``amount`` more units done."""


class Progress(Protocol):
    """Where a run reports how far it is: each step as it starts and ends, and the long
    tasks inside steps (the CLI draws bars on a terminal, one line per step otherwise;
    tests ignore it)."""

    def task(self, description: str, *, total: int | None) -> ProgressTask:
        """Start a task of ``total`` units (None when unknown)."""

    def step_started(self, name: str) -> None:
        """Step ``name`` begins."""

    def step_ended(self, record: StepRecord) -> None:
        """A step ended (succeeded or failed), as recorded."""


class _NoTask:
    def advance(self, amount: int = 1) -> None:
        """Nothing to show."""


class SilentProgress:
    """A Progress that shows nothing."""

    def task(self, description: str, *, total: int | None) -> ProgressTask:
        """Return a task that ignores updates."""
        return _NoTask()

    def step_started(self, name: str) -> None:
        """Nothing to show."""

    def step_ended(self, record: StepRecord) -> None:
        """Nothing to show."""


class StorePort(Protocol):
    """The store operations steps need; each call is its own transaction unless noted."""

    def load_observations(self, frames: Mapping[str, tuple[pd.DataFrame, tuple[str, ...]]]) -> int:
        """Upsert every dataset's clean frame in ONE transaction; rows changed."""

    def read_observations(
        self, dataset: str, *, variables: tuple[str, ...], series: tuple[str, ...] = ()
    ) -> pd.DataFrame:
        """``unique_id, ds, <variables>`` of a dataset (all series when ``series`` empty)."""

    def last_observation_times(self, dataset: str, variable: str) -> dict[str, pd.Timestamp]:
        """Newest ds with a value, per series."""

    def last_origins(self, forecaster: str) -> dict[str, pd.Timestamp]:
        """Newest origin with stored forecasts, per series."""

    def write_forecasts(
        self,
        forecaster: str,
        frame: pd.DataFrame,
        *,
        model_version: int,
        refit_at: pd.Timestamp | None = None,
    ) -> int:
        """Upsert one batch of forecasts and commit it; rows changed. ``refit_at``: the
        cut-off of the ephemeral catch-up refit that made them (None: the version itself)."""

    def record_artifact(
        self, *, step: str, subject: str, kind: str, path: Path, rows: int | None = None
    ) -> None:
        """Remember a file a step wrote (with its sha256) so later runs can find it."""

    def latest_artifact(self, *, subject: str, kind: str) -> Path | None:
        """The newest recorded file of ``kind`` for ``subject``, verified, or None."""

    def save_model(self, model: Forecaster, *, metadata: Mapping[str, Any]) -> int:
        """Store a trained model as a new version (alias ``challenger``); its id."""

    def load_model(self, version: int) -> Forecaster:
        """Load a stored version after checking its sha256."""

    def version_info(self, version: int) -> ModelVersion:
        """A stored version (forecaster, metrics, aliases, ...)."""

    def version_for(self, forecaster: str, alias: str) -> ModelVersion | None:
        """The version an alias (``champion``/``challenger``) of this profile points at."""

    def update_metrics(self, version: int, metrics: Mapping[str, Any]) -> None:
        """Record backtest metrics on a version."""

    def promote(self, version: int, *, reason: str) -> None:
        """Make ``version`` its forecaster's champion; ``reason`` goes to the alias history."""


@dataclass(frozen=True)
class DatasetPlan:
    """A dataset to extract and clean: its transform spec and how to read its source."""

    spec: TransformSpec
    read: Callable[[], pd.DataFrame]
    source: str  # shown in messages: the glob, or the masked SQL URL
    since: pd.Timestamp | None = None


@dataclass
class RunContext:
    """State shared by the steps of one run; frames live only as long as the run."""

    run_id: int
    profile: str
    datasets: Mapping[str, DatasetPlan]
    forecasters: Mapping[str, ForecasterSpec]
    store: StorePort
    artifacts_dir: Path
    progress: Progress = field(default_factory=SilentProgress)
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)
    clean: dict[str, pd.DataFrame] = field(default_factory=dict)
    candidates: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # forecasters that failed on their own (step: why); the others went on (run ``partial``)
    failures: dict[str, str] = field(default_factory=dict)

    def run_dir(self, step: str) -> Path:
        """Folder for the files a step writes in this run."""
        path = self.artifacts_dir / "runs" / str(self.run_id) / step
        path.mkdir(parents=True, exist_ok=True)
        return path
