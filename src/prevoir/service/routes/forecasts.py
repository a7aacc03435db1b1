"""Forecasts: the latest of a series (the hot path), a range of origins, bulk publication by
an external producer (another prevoir, a notebook), and the configured forecasters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, hi_column, lo_column
from prevoir.errors import NotFoundError
from prevoir.registry.lifecycle import CHAMPION
from prevoir.service.auth import Reader, Writer
from prevoir.service.routes import API_PREFIX
from prevoir.service.schemas import (
    ForecasterPublic,
    ForecastPoint,
    ForecastPublic,
    ForecastRow,
    ForecastsIn,
    WriteResult,
    invalid_row,
)
from prevoir.service.state import ServiceState, get_state
from prevoir.storage.forecasts import read_series_forecasts, series_origins, upsert_forecasts
from prevoir.storage.model_versions import get_alias, list_model_versions

router = APIRouter(prefix=API_PREFIX, tags=["forecasts"])

State = Annotated[ServiceState, Depends(get_state)]
KeyPath = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/forecasters")
def forecasters(_caller: Reader, state: State) -> list[ForecasterPublic]:
    """The project's forecasters with their dataset, target, horizons and champion version."""
    settings = state.settings
    with state.engine.connect() as conn:
        return [
            ForecasterPublic(
                name=name,
                dataset=fc.dataset,
                target=fc.target,
                horizons=fc.horizons,
                kind=fc.model.kind,
                task=fc.task,
                granularity=fc.granularity,
                champion=get_alias(conn, name, settings.profile, CHAMPION),
            )
            for name, fc in sorted(settings.forecasters.items())
        ]


@router.get(
    "/forecasts/{forecaster}/{unique_id}/latest",
    responses={404: {"description": "no forecast stored for this forecaster and series"}},
)
async def latest_forecast(
    _caller: Reader, state: State, forecaster: KeyPath, unique_id: KeyPath
) -> ForecastPublic:
    """The forecast issued from the newest origin of one series (one indexed query).

    ``async`` on purpose: the read is one primary-key probe, cheaper on the event loop than
    the thread-pool hop a sync endpoint pays (the hot path of bench/api).
    """
    with state.engine.connect() as conn:
        rows = read_series_forecasts(conn, forecaster, unique_id, latest=True)
    if not rows:
        raise NotFoundError(
            f"no forecast of {forecaster!r} for series {unique_id!r}; check the names with "
            f"GET {API_PREFIX}/forecasters and GET {API_PREFIX}/series"
        )
    return _issues(forecaster, unique_id, rows)[0]


@router.get("/forecasts/{forecaster}/{unique_id}")
def forecast_history(
    _caller: Reader,
    state: State,
    forecaster: KeyPath,
    unique_id: KeyPath,
    origin_from: AwareDatetime | None = None,
    origin_to: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ForecastPublic]:
    """Forecasts of one series issued from origins in ``[origin_from, origin_to]``: the
    newest ``limit`` origins, oldest first. Empty when there are none."""
    with state.engine.connect() as conn:
        origins = series_origins(
            conn, forecaster, unique_id, origin_from=origin_from, origin_to=origin_to, limit=limit
        )
        if not origins:
            return []
        rows = read_series_forecasts(
            conn, forecaster, unique_id, origin_from=origins[-1], origin_to=origins[0]
        )
    return _issues(forecaster, unique_id, rows)


def _issues(forecaster: str, unique_id: str, rows: Iterable[sa.RowMapping]) -> list[ForecastPublic]:
    """Rows sorted by origin and step, grouped into one forecast per origin."""
    out: list[ForecastPublic] = []
    for row in rows:
        if not out or out[-1].origin != row["origin"]:
            out.append(
                ForecastPublic(
                    forecaster=forecaster,
                    unique_id=unique_id,
                    origin=row["origin"],
                    model_version=row["model_version_id"],
                    points=[],
                )
            )
        bands = {
            level: (lo, hi)
            for level, (lo, hi) in (row["intervals"] or {}).items()
            if lo is not None or hi is not None
        }
        out[-1].points.append(
            ForecastPoint(step=row["step"], ds=row["ds"], yhat=row["yhat"], intervals=bands)
        )
    return out


@router.post(
    "/forecasts/{forecaster}",
    responses={413: {"description": "body over the byte cap"}},
)
def post_forecasts(
    _caller: Writer, state: State, forecaster: KeyPath, body: ForecastsIn
) -> WriteResult:
    """Store forecasts published by an external producer, all or nothing; replaying the same
    body changes nothing. ``model_version_id``, when given, must name a version of this
    forecaster in this store (producers elsewhere leave it out)."""
    _check_rows(body.rows)
    with state.engine.begin() as conn:
        known = {int(v["id"]) for v in list_model_versions(conn, forecaster)}
        for i, row in enumerate(body.rows):
            if row.model_version_id is not None and row.model_version_id not in known:
                raise invalid_row(
                    i,
                    "model_version_id",
                    f"no model version {row.model_version_id} of {forecaster!r} in this store; "
                    "leave it out for forecasts made elsewhere",
                )
        changed = sum(
            upsert_forecasts(conn, forecaster, frame, model_version_id=version, run_id=None)
            for version, frame in _forecast_frames(body.rows)
        )
    return WriteResult(rows=len(body.rows), changed=changed)


def _check_rows(rows: list[ForecastRow]) -> None:
    """422 naming the first row with ``ds`` not after ``origin``, or a repeated key."""
    seen: dict[tuple[str, datetime, int], int] = {}
    for i, row in enumerate(rows):
        if row.ds <= row.origin:
            raise invalid_row(
                i, "ds", f"ds {row.ds.isoformat()} must be after origin {row.origin.isoformat()}"
            )
        key = (row.unique_id, row.origin, row.step)
        if key in seen:
            raise invalid_row(i, "step", f"repeats (unique_id, origin, step) of row {seen[key]}")
        seen[key] = i


def _forecast_frames(rows: list[ForecastRow]) -> Iterable[tuple[int | None, pd.DataFrame]]:
    """Frames for ``upsert_forecasts``, one per (model version, interval levels): the storage
    takes one version per call, and a row without a level must not store a null band for it."""
    groups: dict[tuple[int | None, tuple[str, ...]], list[ForecastRow]] = {}
    for row in rows:
        levels = tuple(sorted(row.intervals or {}, key=int))
        groups.setdefault((row.model_version_id, levels), []).append(row)
    for (version, levels), members in groups.items():
        frame: dict[str, Any] = {
            UNIQUE_ID: [r.unique_id for r in members],
            ORIGIN: pd.to_datetime([r.origin for r in members], utc=True),
            DS: pd.to_datetime([r.ds for r in members], utc=True),
            STEP: np.array([r.step for r in members], dtype=np.int64),
            YHAT: np.array([r.yhat for r in members], dtype=np.float64),
        }
        for level in levels:
            bands = np.array([(r.intervals or {})[level] for r in members], dtype=np.float64)
            frame[lo_column(int(level))] = bands[:, 0]
            frame[hi_column(int(level))] = bands[:, 1]
        yield version, pd.DataFrame(frame)
