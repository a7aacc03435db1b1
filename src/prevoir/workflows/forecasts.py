"""Stored forecasts as the CLI, the API and the dashboard read and publish them, and the
trace of one forecast back to the model, data and runs that made it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from prevoir.domain.columns import ORIGIN, STEP, UNIQUE_ID
from prevoir.domain.records import IssuedForecast, ModelVersion, Run
from prevoir.errors import ConflictError, NotFoundError
from prevoir.storage.forecasts import (
    issued_by_runs,
    read_forecasts,
    read_series_forecasts,
    series_origins,
    upsert_forecasts,
)
from prevoir.storage.model_versions import list_model_versions
from prevoir.workflows.project import Project
from prevoir.workflows.runs import run_record

__all__ = [
    "ForecastTrace",
    "forecast_history",
    "latest_forecast",
    "publish_forecasts",
    "stored_forecasts",
    "trace_forecast",
]


def stored_forecasts(
    project: Project,
    *,
    forecaster: str | None = None,
    series: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Stored forecasts, newest origin first within each series, with their interval bands
    (``yhat_lo_<level>``, ``yhat_hi_<level>``) where stored."""
    with project.store.read() as conn:
        return read_forecasts(
            conn, forecaster=forecaster, series=[series] if series else None, limit=limit
        )


def latest_forecast(project: Project, forecaster: str, unique_id: str) -> IssuedForecast:
    """The forecast issued from the newest origin of one series; ``NotFoundError`` if none."""
    with project.store.read() as conn:
        found = read_series_forecasts(conn, forecaster, unique_id, latest=True)
    if not found:
        raise NotFoundError(
            f"no forecast of {forecaster!r} for series {unique_id!r}; check the names with "
            "GET /api/v1/forecasters and GET /api/v1/series"
        )
    return found[0]


def forecast_history(
    project: Project,
    forecaster: str,
    unique_id: str,
    *,
    origin_from: datetime | None = None,
    origin_to: datetime | None = None,
    limit: int = 100,
) -> list[IssuedForecast]:
    """The forecasts of the newest ``limit`` origins in ``[origin_from, origin_to]``, oldest
    first; empty when there are none."""
    with project.store.read() as conn:
        origins = series_origins(
            conn, forecaster, unique_id, origin_from=origin_from, origin_to=origin_to, limit=limit
        )
        if not origins:
            return []
        return read_series_forecasts(
            conn, forecaster, unique_id, origin_from=origins[-1], origin_to=origins[0]
        )


def publish_forecasts(
    project: Project, forecaster: str, frames: Iterable[tuple[int | None, pd.DataFrame]]
) -> int:
    """Store forecasts made elsewhere, all in one transaction; the rows changed.

    ``forecaster`` must be declared: a ``[forecasters.<name>]`` of the project, or a name of
    ``external_forecasters`` (``NotFoundError`` otherwise). A published row may not replace
    one that prevoir's own models issued (``ConflictError``: 409, nothing written). Each
    frame comes with the version that made it: None (made outside this store), or a version
    of ``forecaster`` here (``NotFoundError`` otherwise). Replaying a batch changes nothing.
    """
    settings = project.settings
    if forecaster not in settings.forecasters and forecaster not in settings.external_forecasters:
        accepted = ", ".join(sorted({*settings.forecasters, *settings.external_forecasters}))
        raise NotFoundError(
            f"no forecaster {forecaster!r} is declared (accepted: {accepted or 'none'}); list "
            "a producer of your own under external_forecasters in prevoir.toml"
        )
    with project.store.write() as conn:
        known = {v.id for v in list_model_versions(conn, forecaster)}
        changed = 0
        for version, frame in frames:
            if version is not None and version not in known:
                raise NotFoundError(
                    f"no model version {version} of {forecaster!r} in this store; leave "
                    "model_version_id out for forecasts made elsewhere"
                )
            _refuse_overwriting_issued(conn, forecaster, frame)
            changed += upsert_forecasts(
                conn, forecaster, frame, model_version_id=version, run_id=None
            )
    return changed


def _refuse_overwriting_issued(conn: Connection, forecaster: str, frame: pd.DataFrame) -> None:
    clash = issued_by_runs(conn, forecaster, frame)
    if clash.empty:
        return
    first = clash.iloc[0]
    raise ConflictError(
        f"{len(clash)} posted forecast(s) of {forecaster!r} would replace ones prevoir's own "
        f"model issued, e.g. ({first[UNIQUE_ID]}, origin {first[ORIGIN].isoformat()}, step "
        f"{first[STEP]}) from run {first['run_id']}; nothing was written: publish under a "
        "name of external_forecasters, or only origins prevoir did not forecast"
    )


@dataclass(frozen=True)
class ForecastTrace:
    """One stored forecast and what made it: the version (training window, data
    fingerprint, metrics), the run that trained that version and the run that issued it."""

    forecast: pd.Series  # the stored row: forecaster, unique_id, origin, step, ds, yhat, ...
    version: ModelVersion | None
    trained_by: Run | None
    issued_by: Run | None


def trace_forecast(
    project: Project, *, forecaster: str, series: str, origin: pd.Timestamp, step: int
) -> ForecastTrace:
    """Where one forecast came from (``NotFoundError`` naming how to list them if absent)."""
    with project.store.read() as conn:
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
    forecast = match.iloc[0]
    version_id, run_id = forecast["model_version_id"], forecast["run_id"]
    version = None if pd.isna(version_id) else project.registry().get(int(version_id))
    return ForecastTrace(
        forecast=forecast,
        version=version,
        trained_by=_run_or_none(project, version.run_id if version else None),
        issued_by=_run_or_none(project, None if pd.isna(run_id) else int(run_id)),
    )


def _run_or_none(project: Project, run_id: int | None) -> Run | None:
    if run_id is None:
        return None
    try:
        return run_record(project, run_id)
    except NotFoundError:
        return None
