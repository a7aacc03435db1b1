"""Read-only views of the store for the CLI and the API."""

from __future__ import annotations

from typing import Any

import pandas as pd

from prevoir.config import Settings
from prevoir.storage.engine import create_store_engine, schema_revision, upgrade_schema
from prevoir.storage.forecasts import read_forecasts
from prevoir.storage.observations import list_series
from prevoir.storage.runs import list_runs
from prevoir.workflows.runs import open_store


def recent_runs(settings: Settings, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs with their step records."""
    engine = open_store(settings)
    try:
        with engine.connect() as conn:
            return list_runs(conn, limit=limit)
    finally:
        engine.dispose()


def stored_forecasts(
    settings: Settings,
    *,
    forecaster: str | None = None,
    series: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Stored forecasts, newest origin first within each series, with their interval bands
    (``yhat_lo_<level>``, ``yhat_hi_<level>``) where stored."""
    engine = open_store(settings)
    try:
        with engine.connect() as conn:
            return read_forecasts(
                conn,
                forecaster=forecaster,
                series=[series] if series else None,
                limit=limit,
            )
    finally:
        engine.dispose()


def stored_series(settings: Settings, *, dataset: str | None = None) -> pd.DataFrame:
    """Every series with its observation count and time range."""
    engine = open_store(settings)
    try:
        with engine.connect() as conn:
            return list_series(conn, dataset)
    finally:
        engine.dispose()


def upgrade_store(settings: Settings) -> tuple[str | None, str]:
    """Migrate the store to the newest schema; (revision before, revision after)."""
    engine = create_store_engine(settings.store_url())
    try:
        before = schema_revision(engine)
        after = upgrade_schema(engine)
        return before, after
    finally:
        engine.dispose()
