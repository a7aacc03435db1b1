"""Read-back helpers for the integration suite."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from prevoir.storage import tables
from prevoir.storage.model_versions import add_model_version

KEY = ["forecaster", "unique_id", "origin", "step"]  # a forecast's identity
START = datetime(2024, 5, 1, 12, tzinfo=UTC)
SHA = "ab" * 32


def add_version(conn: sa.Connection, forecaster: str = "f1", **extra: object) -> int:
    """Record a model version with plausible metadata; ``extra`` overrides fields."""
    fields: dict[str, object] = {
        "forecaster": forecaster,
        "profile": "prod",
        "kind": "lightgbm",
        "params": {"num_leaves": 31},
        "features": ["lag_1", "hour"],
        "train_start": START,
        "train_end": datetime(2024, 6, 1, tzinfo=UTC),
        "data_fingerprint": "fp1",
        "artifact_path": f"models/{forecaster}.bin",
        "sha256": SHA,
        **extra,
    }
    return add_model_version(conn, **fields)  # type: ignore[arg-type]


def stored_forecasts(db_url: str) -> pd.DataFrame:
    """Every stored forecast (key, ds, yhat, version), sorted by key, straight from the store."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tables.forecasts)).mappings().all()
    finally:
        engine.dispose()
    frame = pd.DataFrame([dict(row) for row in rows])
    return frame[[*KEY, "ds", "yhat", "model_version_id"]].sort_values(KEY).reset_index(drop=True)
