"""Removing observations on purpose: the admin's undo of a bad push, always recorded.

Loads only insert and update (a missing value never erases a stored one), so this is the
one way values leave the store, and every use leaves a row in ``observation_deletions`` in
the same transaction: no deletion without its record, no record without its deletion.

Every function takes the caller's ``Connection`` and never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from prevoir.domain.records import ObservationDeletion
from prevoir.storage import series_summary
from prevoir.storage._errors import translate_errors
from prevoir.storage._records import as_record
from prevoir.storage.observations import observation_filters
from prevoir.storage.tables import observation_deletions, observations, series

__all__ = ["delete_observations", "list_deletions"]


def delete_observations(
    conn: sa.Connection,
    dataset: str,
    unique_id: str,
    *,
    variable: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str,
    reason: str,
) -> ObservationDeletion:
    """Delete one series' observations (of ``variable``, or all) with ``start <= ds <= end``
    (either bound open when None) and record it; the record, with the rows removed."""
    variables = None if variable is None else [variable]
    ids = sa.select(series.c.id).where(
        *observation_filters(dataset=dataset, variables=variables, series_ids=[unique_id])
    )
    where = [
        observations.c.series_id.in_(ids.scalar_subquery()),
        *observation_filters(dataset=None, start=start, end=end),
    ]
    values: dict[str, Any] = {
        "dataset": dataset,
        "unique_id": unique_id,
        "variable": variable,
        "range_start": start,
        "range_end": end,
        "deleted_by": by,
        "reason": reason,
        "deleted_at": datetime.now(UTC),
    }
    with translate_errors(f"deleting observations of {unique_id!r} in {dataset!r}"):
        touched = [int(i) for i in conn.execute(ids).scalars()]
        rows = conn.execute(sa.delete(observations).where(*where)).rowcount
        series_summary.recount(conn, touched)  # the listing's counts, in this transaction
        stmt = sa.insert(observation_deletions).values(**values, rows=rows)
        deletion_id = conn.execute(stmt.returning(observation_deletions.c.id)).scalar_one()
    return ObservationDeletion(id=deletion_id, rows=rows, **values)


def list_deletions(conn: sa.Connection, *, limit: int = 50) -> list[ObservationDeletion]:
    """The ``limit`` newest deletions, newest first."""
    stmt = sa.select(observation_deletions).order_by(observation_deletions.c.id.desc())
    with translate_errors("listing observation deletions"):
        rows = conn.execute(stmt.limit(limit)).mappings().all()
    return [as_record(ObservationDeletion, row) for row in rows]
