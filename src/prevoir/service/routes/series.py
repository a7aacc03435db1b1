"""Series and their observations: list, read one series, upsert a batch (all or nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime, TypeAdapter

from prevoir.domain.admission import first_off_grid
from prevoir.domain.columns import DS, UNIQUE_ID
from prevoir.errors import NotFoundError
from prevoir.service.auth import Admin, Reader, Writer
from prevoir.service.routes import API_PREFIX
from prevoir.service.schemas import (
    MAX_ROWS,
    DeletionPublic,
    ObservationRow,
    ObservationsIn,
    ObservationsPublic,
    SeriesPublic,
    WriteResult,
    invalid_row,
)
from prevoir.service.state import ServiceState, get_state
from prevoir.workflows import series as stored

router = APIRouter(prefix=API_PREFIX, tags=["series"])

State = Annotated[ServiceState, Depends(get_state)]
KeyPath = Annotated[str, Path(min_length=1, max_length=200)]
TOTAL_HEADER = "X-Total-Count"


@router.get("/series", response_model=list[SeriesPublic])
async def series_list(
    _caller: Reader,
    state: State,
    dataset: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """Stored series (one per dataset and ``unique_id``), sorted, a page at a time; ``q``
    keeps the ids that contain it (case-insensitive); the number matching is in
    ``X-Total-Count``.

    The page is read and its JSON rendered in the thread pool (a page of 10,000 series
    returned as objects would be serialised on the event loop, delaying every other
    request), by at most ``service.heavy_requests`` such requests at a time."""

    def render() -> Response:
        page, total = stored.stored_series(
            state.project, dataset=dataset, q=q, limit=limit, offset=offset
        )
        body = _SERIES_LIST.dump_json(_public(page))
        return Response(body, media_type="application/json", headers={TOTAL_HEADER: str(total)})

    return await state.run_heavy(render)


_SERIES_LIST = TypeAdapter(list[SeriesPublic])


def _public(page: pd.DataFrame) -> list[SeriesPublic]:
    return [
        SeriesPublic(
            dataset=row["dataset"],
            unique_id=row[UNIQUE_ID],
            variables=row["variables"],
            first=None if pd.isna(row["first"]) else row["first"].to_pydatetime(),
            last=None if pd.isna(row["last"]) else row["last"].to_pydatetime(),
            rows=int(row["rows"]),
        )
        for row in page.to_dict("records")
    ]


@router.get(
    "/series/{dataset}/{unique_id}/observations",
    responses={404: {"description": "no such series (or variable)"}},
)
def series_observations(
    _caller: Reader,
    state: State,
    dataset: KeyPath,
    unique_id: KeyPath,
    variable: str | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000,
    offset: Annotated[int, Query(ge=0)] = 0,
    order: Literal["asc", "desc"] = "asc",
) -> ObservationsPublic:
    """One series' observations (``start``/``end`` inclusive, zone required), oldest first,
    or the newest first with ``order=desc`` (``limit=1&order=desc``: the latest one)."""
    names, frame = stored.series_observations(
        state.project, dataset, unique_id, variable=variable, start=start, end=end
    )
    if order == "desc":
        frame = frame.iloc[::-1]
    page = frame.iloc[offset : offset + limit]
    return ObservationsPublic(
        dataset=dataset, unique_id=unique_id, variables=names, rows=_rows(page, names)
    )


def _rows(frame: pd.DataFrame, names: list[str]) -> list[ObservationRow]:
    """Wide frame rows as JSON-safe rows (NaN becomes null)."""
    values = frame[names].to_numpy(dtype=object)
    values[pd.isna(values)] = None
    cells = values.tolist()
    return [
        ObservationRow(unique_id=uid, ds=ds.to_pydatetime(), **dict(zip(names, row, strict=True)))
        for uid, ds, row in zip(frame[UNIQUE_ID], frame[DS], cells, strict=True)
    ]


@router.post(
    "/observations/{dataset}",
    responses={
        404: {"description": "dataset not declared in prevoir.toml"},
        413: {"description": "body over the byte cap"},
    },
)
def post_observations(
    _caller: Writer, state: State, dataset: KeyPath, body: ObservationsIn
) -> WriteResult:
    """Upsert observations of a declared dataset in one transaction; replaying the same body
    changes nothing (``changed`` is 0)."""
    declared = state.settings.datasets.get(dataset)
    if declared is None:
        known = ", ".join(sorted(state.settings.datasets)) or "none"
        raise NotFoundError(f"no dataset {dataset!r} in the project (known: {known})")
    allowed = [*declared.values, *(d.name for d in declared.derived)]
    times = pd.to_datetime([row.ds for row in body.rows], utc=True).as_unit("ns")
    off_grid = first_off_grid(times.asi8, declared.freq, timezone=declared.time.timezone)
    if off_grid is not None:
        raise invalid_row(off_grid[0], "ds", off_grid[1])
    changed = stored.ingest_observations(
        state.project, dataset, _variable_frames(body.rows, allowed)
    )
    return WriteResult(rows=len(body.rows), changed=changed)


def _variable_frames(rows: list[ObservationRow], allowed: list[str]) -> dict[str, pd.DataFrame]:
    """Per variable, a frame ``unique_id, ds, <variable>`` of the rows that send it.

    One frame per variable rather than one wide frame: a row that leaves a variable out must
    leave its stored value alone, not overwrite it with null. 422 names the first row that
    sends an undeclared variable, no value at all, or a repeated (unique_id, ds).
    """
    seen: dict[tuple[str, datetime], int] = {}
    columns: dict[str, tuple[list[str], list[datetime], list[float | None]]] = {}
    for i, row in enumerate(rows):
        extra = row.model_extra or {}
        unknown = [name for name in extra if name not in allowed]
        if unknown:
            raise invalid_row(
                i, unknown[0], f"not a value of this dataset (values: {', '.join(allowed)})"
            )
        if not extra:
            raise invalid_row(i, None, f"no value: add at least one of {', '.join(allowed)}")
        key = (row.unique_id, row.ds)
        if key in seen:
            raise invalid_row(
                i, "ds", f"repeats ({row.unique_id!r}, {row.ds.isoformat()}) of row {seen[key]}"
            )
        seen[key] = i
        for name, value in extra.items():
            uids, times, values = columns.setdefault(name, ([], [], []))
            uids.append(row.unique_id)
            times.append(row.ds)
            values.append(value)
    return {
        name: pd.DataFrame(
            {
                UNIQUE_ID: uids,
                DS: pd.to_datetime(times, utc=True),
                name: np.asarray(values, dtype=np.float64),
            }
        )
        for name, (uids, times, values) in columns.items()
    }


@router.delete(
    "/series/{dataset}/{unique_id}/observations",
    responses={404: {"description": "no such series (or variable); nothing deleted"}},
)
def delete_series_observations(
    caller: Admin,
    state: State,
    dataset: KeyPath,
    unique_id: KeyPath,
    reason: Annotated[str, Query(min_length=1, max_length=stored.MAX_REASON)],
    variable: str | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> DeletionPublic:
    """Remove one series' observations in ``[start, end]`` (either bound open; one variable
    or all) and record who did it and why: the undo of a bad push. Admins only."""
    done = stored.delete_observations(
        state.project,
        dataset,
        unique_id,
        variable=variable,
        start=start,
        end=end,
        by=f"api:{caller.name}",
        reason=reason,
    )
    return DeletionPublic(
        id=done.id,
        dataset=done.dataset,
        unique_id=done.unique_id,
        variable=done.variable,
        start=done.range_start,
        end=done.range_end,
        rows=done.rows,
        deleted_by=done.deleted_by,
        reason=done.reason,
        deleted_at=done.deleted_at,
    )
