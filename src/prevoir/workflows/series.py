"""Stored series and their observations, as the CLI, the API and the dashboard read and
write them outside a pipeline run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from prevoir.domain.columns import UNIQUE_ID
from prevoir.domain.records import ObservationDeletion
from prevoir.errors import DataValidationError, NotFoundError
from prevoir.storage import deletions
from prevoir.storage.observations import (
    list_series,
    read_observations,
    series_variables,
    upsert_observations,
)
from prevoir.workflows.project import Project

MAX_REASON = 500  # characters, the record's column width

__all__ = [
    "delete_observations",
    "ingest_observations",
    "observation_deletions",
    "series_observations",
    "stored_series",
]


def stored_series(project: Project, *, dataset: str | None = None) -> pd.DataFrame:
    """One row per (dataset, series), sorted: ``variables`` (list), ``first``, ``last``,
    ``rows`` (timestamps of its most observed variable)."""
    with project.store.read() as conn:
        stored = list_series(conn, dataset)
    grouped = stored.groupby(["dataset", UNIQUE_ID], sort=True).agg(
        variables=("variable", list),
        first=("first_ds", "min"),
        last=("last_ds", "max"),
        rows=("n_obs", "max"),
    )
    return grouped.reset_index()


def series_observations(
    project: Project,
    dataset: str,
    unique_id: str,
    *,
    variable: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """The variables read and one series' observations (``start``/``end`` inclusive),
    oldest first; ``NotFoundError`` naming what exists when the series or variable does not."""
    with project.store.read() as conn:
        stored = _variables(conn, dataset, unique_id, variable)
        names = [variable] if variable is not None else stored
        frame = read_observations(
            conn, dataset, variables=names, series=[unique_id], start=start, end=end
        )
    return names, frame


def _variables(conn: Connection, dataset: str, unique_id: str, variable: str | None) -> list[str]:
    """The stored variables of one series; ``NotFoundError`` naming what exists when the
    series, or ``variable`` of it, does not."""
    stored = series_variables(conn, dataset, unique_id)
    if not stored:
        raise NotFoundError(
            f"dataset {dataset!r} has no series {unique_id!r}; list them with GET "
            f"/api/v1/series?dataset={dataset}"
        )
    if variable is not None and variable not in stored:
        raise NotFoundError(
            f"series {unique_id!r} of {dataset!r} has no variable {variable!r} "
            f"(it has: {', '.join(stored)})"
        )
    return stored


def ingest_observations(project: Project, dataset: str, frames: Mapping[str, pd.DataFrame]) -> int:
    """Upsert observations of a declared dataset, one frame per variable, in one transaction;
    the rows changed (0 when the same batch is sent again)."""
    if dataset not in project.settings.datasets:
        known = ", ".join(sorted(project.settings.datasets)) or "none"
        raise NotFoundError(f"no dataset {dataset!r} in the project (known: {known})")
    with project.store.write() as conn:
        return sum(
            upsert_observations(conn, dataset, frame, [name]) for name, frame in frames.items()
        )


def delete_observations(
    project: Project,
    dataset: str,
    unique_id: str,
    *,
    variable: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str,
    reason: str,
) -> ObservationDeletion:
    """Remove one series' observations in ``[start, end]`` (of ``variable`` or all) and
    record who did it and why, in one transaction; the record, with the rows removed.

    ``NotFoundError`` naming what exists when the series or variable does not;
    ``DataValidationError`` for an empty reason or a range that ends before it starts.
    """
    if start is not None and end is not None and end < start:
        raise DataValidationError(
            f"the range ends ({end.isoformat()}) before it starts ({start.isoformat()}); "
            "swap start and end"
        )
    if not reason.strip() or len(reason) > MAX_REASON:
        raise DataValidationError(
            f"say why the observations are deleted (a reason of 1-{MAX_REASON} characters); "
            "it is kept with the record of the deletion"
        )
    with project.store.write() as conn:
        _variables(conn, dataset, unique_id, variable)
        return deletions.delete_observations(
            conn, dataset, unique_id, variable=variable, start=start, end=end, by=by, reason=reason
        )


def observation_deletions(project: Project, *, limit: int = 50) -> list[ObservationDeletion]:
    """The newest recorded deletions of observations, newest first."""
    with project.store.read() as conn:
        return deletions.list_deletions(conn, limit=limit)
