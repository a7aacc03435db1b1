"""Read-only views of the store for the CLI and the API."""

from __future__ import annotations

from typing import Any

import pandas as pd

from prevoir.config import Settings
from prevoir.errors import NotFoundError
from prevoir.storage.engine import create_store_engine, schema_revision, upgrade_schema
from prevoir.storage.forecasts import read_forecasts
from prevoir.storage.model_versions import get_model_version
from prevoir.storage.observations import list_series
from prevoir.storage.runs import get_run, list_runs
from prevoir.workflows.runs import store_connection


def recent_runs(settings: Settings, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs with their step records."""
    with store_connection(settings) as conn:
        return list_runs(conn, limit=limit)


def stored_forecasts(
    settings: Settings,
    *,
    forecaster: str | None = None,
    series: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Stored forecasts, newest origin first within each series, with their interval bands
    (``yhat_lo_<level>``, ``yhat_hi_<level>``) where stored."""
    with store_connection(settings) as conn:
        return read_forecasts(
            conn,
            forecaster=forecaster,
            series=[series] if series else None,
            limit=limit,
        )


def stored_series(settings: Settings, *, dataset: str | None = None) -> pd.DataFrame:
    """Every series with its observation count and time range."""
    with store_connection(settings) as conn:
        return list_series(conn, dataset)


def upgrade_store(settings: Settings) -> tuple[str | None, str]:
    """Migrate the store to the newest schema; (revision before, revision after)."""
    engine = create_store_engine(settings.store_url())
    try:
        before = schema_revision(engine)
        after = upgrade_schema(engine)
        return before, after
    finally:
        engine.dispose()


def trace_forecast(
    settings: Settings, *, forecaster: str, series: str, origin: pd.Timestamp, step: int
) -> dict[str, Any]:
    """Where one forecast came from: the forecast → its model version (training window,
    data fingerprint, metrics) → the run that trained that version (its config hash) and the
    run that issued the forecast."""
    with store_connection(settings) as conn:
        rows = read_forecasts(
            conn, forecaster=forecaster, series=[series], origin=origin.to_pydatetime()
        )
        match = rows[rows["step"] == step]
        if match.empty:
            raise NotFoundError(
                f"no forecast of {forecaster!r} for series {series!r} from origin "
                f"{origin.isoformat()} step {step}; list them with `prevoir forecasts "
                f"--forecaster {forecaster} --series {series}`"
            )
        forecast = match.iloc[0].to_dict()
        version_id = forecast["model_version_id"]
        version = None if pd.isna(version_id) else get_model_version(conn, int(version_id))
        trained_by = get_run(conn, version["run_id"]) if version and version["run_id"] else None
        issued_by = None if pd.isna(forecast["run_id"]) else get_run(conn, int(forecast["run_id"]))
    return {
        "forecast": forecast,
        "version": version,
        "trained_by": trained_by,
        "issued_by": issued_by,
    }
