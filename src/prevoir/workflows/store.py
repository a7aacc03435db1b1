"""``SqlStore``: the pipeline's StorePort over the SQL store and the model registry.

Each method owns one short transaction, except ``load_observations`` which writes every
dataset in a single one, so a failed load leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from prevoir.models.base import Forecaster
from prevoir.pipeline.context import ModelVersionInfo
from prevoir.registry.artifacts import read_verified, sha256_file
from prevoir.registry.versions import load_version, save_version
from prevoir.storage.artifacts import latest_artifact, record_artifact
from prevoir.storage.forecasts import last_origins, upsert_forecasts
from prevoir.storage.model_versions import (
    get_alias,
    get_model_version,
    set_alias,
    set_model_metrics,
)
from prevoir.storage.observations import (
    last_observation_times,
    read_observations,
    upsert_observations,
)


class SqlStore:
    """The store as one run of one profile sees it."""

    def __init__(self, engine: Engine, *, run_id: int, profile: str, artifacts_dir: Path) -> None:
        self.engine = engine
        self.run_id = run_id
        self.profile = profile
        self.artifacts_dir = artifacts_dir

    def load_observations(self, frames: Mapping[str, tuple[pd.DataFrame, tuple[str, ...]]]) -> int:
        """Upsert every dataset in one transaction."""
        with self.engine.begin() as conn:
            return sum(
                upsert_observations(conn, name, frame, values)
                for name, (frame, values) in frames.items()
            )

    def read_observations(
        self, dataset: str, *, variables: tuple[str, ...], series: tuple[str, ...] = ()
    ) -> pd.DataFrame:
        """A dataset's observations, wide by variable."""
        with self.engine.connect() as conn:
            return read_observations(
                conn, dataset, variables=list(variables), series=list(series) or None
            )

    def last_observation_times(self, dataset: str, variable: str) -> dict[str, pd.Timestamp]:
        """Newest observed time per series."""
        with self.engine.connect() as conn:
            return last_observation_times(conn, dataset, variable)

    def last_origins(self, forecaster: str) -> dict[str, pd.Timestamp]:
        """Newest issued origin per series."""
        with self.engine.connect() as conn:
            return last_origins(conn, forecaster)

    def write_forecasts(self, forecaster: str, frame: pd.DataFrame, *, model_version: int) -> int:
        """One committed batch of forecasts."""
        with self.engine.begin() as conn:
            return upsert_forecasts(
                conn,
                forecaster,
                frame,
                model_version_id=model_version,
                run_id=self.run_id,
                issued_at=datetime.now(UTC),
            )

    def record_artifact(
        self, *, step: str, subject: str, kind: str, path: Path, rows: int | None = None
    ) -> None:
        """Record a step's file with its sha256."""
        with self.engine.begin() as conn:
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

    def latest_artifact(self, *, subject: str, kind: str) -> Path | None:
        """The newest file of ``kind``, after checking it was not changed since."""
        with self.engine.connect() as conn:
            row = latest_artifact(conn, forecaster=subject, kind=kind)
        if row is None:
            return None
        path = Path(row["path"])
        read_verified(path, row["sha256"])
        return path

    def save_model(self, model: Forecaster, *, metadata: Mapping[str, Any]) -> int:
        """A new version, aliased ``challenger``."""
        with self.engine.begin() as conn:
            return save_version(conn, model, metadata=metadata, artifacts_dir=self.artifacts_dir)

    def load_model(self, version: int) -> Forecaster:
        """A verified model version."""
        with self.engine.connect() as conn:
            return load_version(conn, version)

    def version_for(self, forecaster: str, alias: str) -> ModelVersionInfo | None:
        """What ``alias`` points at in this profile."""
        with self.engine.connect() as conn:
            version = get_alias(conn, forecaster, self.profile, alias)
            if version is None:
                return None
            row = get_model_version(conn, version)
        return ModelVersionInfo(id=version, forecaster=forecaster, metrics=row["metrics"] or {})

    def update_metrics(self, version: int, metrics: Mapping[str, Any]) -> None:
        """Store backtest metrics on a version."""
        with self.engine.begin() as conn:
            set_model_metrics(conn, version, metrics)

    def set_alias(self, forecaster: str, alias: str, version: int) -> None:
        """Move an alias of this profile."""
        with self.engine.begin() as conn:
            set_alias(conn, forecaster, self.profile, alias, version)
