"""Claims on the firings of scheduled jobs: each firing runs once, whichever server wins.

``claim_firing`` inserts ``(job, fire_time)``; the primary key lets exactly one insert
succeed across every process on the store, on SQLite and PostgreSQL alike. Every function
takes the caller's ``Connection`` and never commits: claim in a short transaction of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from prevoir.domain.records import Firing
from prevoir.storage._bulk import dialect_insert
from prevoir.storage._errors import translate_errors
from prevoir.storage._records import as_record
from prevoir.storage.tables import schedule_firings

__all__ = ["claim_firing", "finish_firing", "last_firing", "list_firings"]


def claim_firing(conn: sa.Connection, job: str, fire_time: datetime, owner: str) -> bool:
    """Take the firing of ``job`` at ``fire_time`` for ``owner``; False if another has it."""
    values = {
        "job": job,
        "fire_time": fire_time,
        "owner": owner,
        "claimed_at": datetime.now(UTC),
        "status": "running",
    }
    stmt = dialect_insert(conn, schedule_firings).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: SQLAlchemy reports -1 for an INSERT's rowcount on psycopg
    stmt = stmt.returning(schedule_firings.c.job)
    with translate_errors(f"claiming job {job!r} at {fire_time:%Y-%m-%d %H:%M}"):
        return conn.execute(stmt).first() is not None


def finish_firing(
    conn: sa.Connection, job: str, fire_time: datetime, *, status: str, run_id: int | None
) -> None:
    """Record how a claimed firing ended (``succeeded``, ``failed`` or ``skipped``)."""
    stmt = (
        sa.update(schedule_firings)
        .where(schedule_firings.c.job == job, schedule_firings.c.fire_time == fire_time)
        .values(status=status, run_id=run_id)
    )
    with translate_errors(f"recording job {job!r} at {fire_time:%Y-%m-%d %H:%M}"):
        conn.execute(stmt)


def last_firing(conn: sa.Connection, job: str) -> datetime | None:
    """The latest fire time of ``job`` that any server claimed, or None."""
    stmt = sa.select(sa.func.max(schedule_firings.c.fire_time)).where(schedule_firings.c.job == job)
    with translate_errors(f"reading the firings of job {job!r}"):
        return conn.execute(stmt).scalar_one()


def list_firings(conn: sa.Connection, job: str | None = None, *, limit: int = 100) -> list[Firing]:
    """Recent firings, newest first (all jobs, or one)."""
    stmt = sa.select(schedule_firings).order_by(schedule_firings.c.fire_time.desc()).limit(limit)
    if job is not None:
        stmt = stmt.where(schedule_firings.c.job == job)
    with translate_errors("listing scheduled firings"):
        return [as_record(Firing, row) for row in conn.execute(stmt).mappings()]
