"""``SqlStore``: the pipeline's StorePort over the open store and the model registry.

Each method owns one short transaction, except ``load_observations`` which writes every
dataset in a single one, so a failed load leaves the store exactly as it was. Model versions
and aliases go through the ``Registry``, which mirrors them (e.g. to MLflow) after commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from prevoir.domain.records import ModelVersion
from prevoir.models.base import Forecaster
from prevoir.registry.artifacts import read_verified, sha256_file
from prevoir.registry.registry import Registry
from prevoir.storage.artifacts import latest_artifact, record_artifact
from prevoir.storage.forecasts import last_origins, upsert_forecasts
from prevoir.storage.observations import (
    last_observation_times,
    read_observations,
    upsert_observations,
)
from prevoir.storage.store import Store


class SqlStore:
    """The store as one run of one profile sees it."""

    def __init__(self, store: Store, registry: Registry, *, run_id: int) -> None:
        self.store = store
        self.registry = registry
        self.run_id = run_id

    def load_observations(self, frames: Mapping[str, tuple[pd.DataFrame, tuple[str, ...]]]) -> int:
        """Upsert every dataset in one transaction."""
        with self.store.write() as conn:
            return sum(
                upsert_observations(conn, name, frame, values)
                for name, (frame, values) in frames.items()
            )

    def read_observations(
        self, dataset: str, *, variables: tuple[str, ...], series: tuple[str, ...] = ()
    ) -> pd.DataFrame:
        """A dataset's observations, wide by variable."""
        with self.store.read() as conn:
            return read_observations(
                conn, dataset, variables=list(variables), series=list(series) or None
            )

    def last_observation_times(self, dataset: str, variable: str) -> dict[str, pd.Timestamp]:
        """Newest observed time per series."""
        with self.store.read() as conn:
            return last_observation_times(conn, dataset, variable)

    def last_origins(self, forecaster: str) -> dict[str, pd.Timestamp]:
        """Newest issued origin per series."""
        with self.store.read() as conn:
            return last_origins(conn, forecaster)

    def write_forecasts(
        self,
        forecaster: str,
        frame: pd.DataFrame,
        *,
        model_version: int,
        refit_at: pd.Timestamp | None = None,
    ) -> int:
        """One committed batch of forecasts."""
        with self.store.write() as conn:
            return upsert_forecasts(
                conn,
                forecaster,
                frame,
                model_version_id=model_version,
                run_id=self.run_id,
                issued_at=datetime.now(UTC),
                refit_at=None if refit_at is None else refit_at.to_pydatetime(),
            )

    def record_artifact(
        self, *, step: str, subject: str, kind: str, path: Path, rows: int | None = None
    ) -> None:
        """Record a step's file with its sha256."""
        with self.store.write() as conn:
            record_artifact(
                conn,
                run_id=self.run_id,
                step=step,
                forecaster=subject,
                kind=kind,
                path=str(path),
                sha256=sha256_file(path),
                rows=rows,
            )
        self.registry.mirror.artifact_recorded(subject, kind=kind, path=path)

    def latest_artifact(self, *, subject: str, kind: str) -> Path | None:
        """The newest file of ``kind``, after checking it was not changed since."""
        with self.store.read() as conn:
            found = latest_artifact(conn, forecaster=subject, kind=kind)
        if found is None:
            return None
        read_verified(found.path, found.sha256)
        return Path(found.path)

    def save_model(self, model: Forecaster, *, metadata: Mapping[str, Any]) -> int:
        """A new version, aliased ``challenger``."""
        return self.registry.save(model, metadata=metadata).id

    def load_model(self, version: int) -> Forecaster:
        """A verified model version."""
        return self.registry.load(version)

    def version_info(self, version: int) -> ModelVersion:
        """A stored version."""
        return self.registry.get(version)

    def version_for(self, forecaster: str, alias: str) -> ModelVersion | None:
        """What ``alias`` points at in this profile."""
        return self.registry.alias(forecaster, alias)

    def update_metrics(self, version: int, metrics: Mapping[str, Any]) -> None:
        """Store backtest metrics on a version."""
        self.registry.set_metrics(version, metrics)

    def promote(self, version: int, *, reason: str) -> None:
        """An automatic promotion by the evaluate step, recorded with the gates' verdict."""
        self.registry.promote(version, reason=reason)
