"""Read-back helpers for the integration suite."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from prevoir.storage import tables

KEY = ["forecaster", "unique_id", "origin", "step"]  # a forecast's identity


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
