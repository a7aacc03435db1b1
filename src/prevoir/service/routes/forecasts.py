"""Forecasts: the latest of a series (the hot path), a range of origins, bulk publication by
an external producer (another prevoir, a notebook), and the configured forecasters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, hi_column, lo_column
from prevoir.domain.records import CHAMPION, IssuedForecast
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
from prevoir.workflows import forecasts as stored
from prevoir.workflows.models import list_versions

router = APIRouter(prefix=API_PREFIX, tags=["forecasts"])

State = Annotated[ServiceState, Depends(get_state)]
KeyPath = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/forecasters")
def forecasters(_caller: Reader, state: State) -> list[ForecasterPublic]:
    """The project's forecasters with their dataset, target, horizons and champion version."""
    registry = state.project.registry()
    out = []
    for name, fc in sorted(state.settings.forecasters.items()):
        champion = registry.alias(name, CHAMPION)
        out.append(
            ForecasterPublic(
                name=name,
                dataset=fc.dataset,
                target=fc.target,
                horizons=list(fc.horizons),
                kind=fc.model.kind,
                task=fc.task,
                granularity=fc.granularity,
                champion=None if champion is None else champion.id,
            )
        )
    return out


@router.get(
    "/forecasts/{forecaster}/{unique_id}/latest",
    responses={404: {"description": "no forecast stored for this forecaster and series"}},
)
def latest_forecast(
    _caller: Reader, state: State, forecaster: KeyPath, unique_id: KeyPath
) -> ForecastPublic:
    """The forecast issued from the newest origin of one series (one indexed query).

    In the thread pool like every store read: one primary-key probe is cheap on the event
    loop until the store is slow or locked, and then it stalls every request of the
    process (issue 11; it ran on the loop since issue 5, for the hop it saved).
    """
    return _public(stored.latest_forecast(state.project, forecaster, unique_id))


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
    issued = stored.forecast_history(
        state.project,
        forecaster,
        unique_id,
        origin_from=origin_from,
        origin_to=origin_to,
        limit=limit,
    )
    return [_public(one) for one in issued]


def _public(issued: IssuedForecast) -> ForecastPublic:
    return ForecastPublic(
        forecaster=issued.forecaster,
        unique_id=issued.unique_id,
        origin=issued.origin,
        model_version=issued.model_version_id,
        points=[
            ForecastPoint(step=p.step, ds=p.ds, yhat=p.yhat, intervals=dict(p.intervals))
            for p in issued.points
        ],
    )


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
    known = {v.id for v in list_versions(state.project, forecaster=forecaster)}
    for i, row in enumerate(body.rows):
        if row.model_version_id is not None and row.model_version_id not in known:
            raise invalid_row(
                i,
                "model_version_id",
                f"no model version {row.model_version_id} of {forecaster!r} in this store; "
                "leave it out for forecasts made elsewhere",
            )
    changed = stored.publish_forecasts(state.project, forecaster, _forecast_frames(body.rows))
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
