"""Runs and their steps: what was executed, when, how long it took and what it wrote.

A run row is written when a pipeline starts (status ``running``, or ``queued`` when a worker
will run it later, ``claim_run`` then starts it), one ``run_steps`` row per finished step,
and the run is closed with ``succeeded``, ``failed``, ``partial``, ``cancelled`` or (by the
reaper, its process dead) ``abandoned``. The run records its owner (``host``, ``pid``) and
``heartbeat_at``, which its process touches while it lives (``beat``). The runner should
commit each of these in its own short transaction so that a crash still leaves a trace.

Every function takes the caller's ``Connection`` and never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from prevoir.domain.records import OPEN_RUN, Run, StepRecord
from prevoir.errors import DataValidationError, NotFoundError
from prevoir.storage._errors import translate_errors
from prevoir.storage.tables import RUN_STATUSES, RUN_TRIGGERS, STEP_STATUSES, run_steps, runs

__all__ = [
    "active_runs",
    "beat",
    "claim_run",
    "finish_run",
    "get_run",
    "list_runs",
    "record_step",
    "start_run",
]

logger = logging.getLogger(__name__)


def _check_choice(what: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise DataValidationError(f"{what} {value!r} is not one of {list(allowed)}")


def start_run(
    conn: sa.Connection,
    *,
    profile: str,
    steps: Sequence[str],
    trigger: str,
    config_hash: str | None,
    host: str | None = None,
    pid: int | None = None,
    queued: bool = False,
    forecasters: Sequence[str] = (),
) -> int:
    """Record a new run in status ``running`` (``queued``: waiting for a worker); its id.

    ``trigger`` is ``cli``, ``schedule`` or ``api``; ``steps`` the step names requested;
    ``host`` and ``pid`` the process that runs it (for a queued run: that queued it);
    ``forecasters`` the ones it was asked for (empty: all).
    """
    _check_choice("run trigger", trigger, RUN_TRIGGERS)
    bad = [s for s in steps if not s or any(ch.isspace() for ch in s)]
    if bad:
        raise DataValidationError(f"step names {bad} must be non-empty and contain no spaces")
    values = {
        "profile": profile,
        "steps": " ".join(steps),
        "trigger": trigger,
        "status": "queued" if queued else "running",
        "started_at": datetime.now(UTC),
        "config_hash": config_hash,
        "host": host,
        "pid": pid,
        "heartbeat_at": datetime.now(UTC),
        "forecasters": " ".join(forecasters) or None,
    }
    with translate_errors(f"starting a {profile!r} run"):
        run_id = int(conn.execute(sa.insert(runs).values(values).returning(runs.c.id)).scalar_one())
    logger.info("run %s started: profile=%s steps=%s", run_id, profile, values["steps"])
    return run_id


def record_step(conn: sa.Connection, run_id: int, record: StepRecord) -> None:
    """Store what one step of run ``run_id`` did."""
    _check_choice(f"status of step {record.name!r}", record.status, STEP_STATUSES)
    values = {
        "run_id": run_id,
        "name": record.name,
        "status": record.status,
        "started_at": record.started_at,
        "duration_s": float(record.duration_s),
        "rows_in": int(record.rows_in),
        "rows_out": int(record.rows_out),
        "files": list(record.files),
        "error": record.error,
    }
    with translate_errors(f"recording step {record.name!r} of run {run_id}"):
        _require_run(conn, run_id)
        conn.execute(sa.insert(run_steps).values(values))


def finish_run(
    conn: sa.Connection,
    run_id: int,
    *,
    status: str,
    error: str | None = None,
    only_if: Sequence[str] = (),
) -> bool:
    """Close run ``run_id`` as ``succeeded``, ``failed``, ``partial``, ``abandoned`` or
    ``cancelled`` (with ``error``). ``only_if``: only while its status is one of these
    (a reaper and the run itself never both close it); whether it was closed."""
    _check_choice("final run status", status, [s for s in RUN_STATUSES if s not in OPEN_RUN])
    stmt = (
        sa.update(runs)
        .where(runs.c.id == run_id)
        .values(status=status, finished_at=datetime.now(UTC), error=error)
    )
    if only_if:
        stmt = stmt.where(runs.c.status.in_(list(only_if)))
    with translate_errors(f"finishing run {run_id}"):
        if conn.execute(stmt).rowcount == 0:
            _require_run(conn, run_id)
            return False
    logger.info("run %s finished: %s", run_id, status)
    return True


def claim_run(conn: sa.Connection, run_id: int, *, host: str, pid: int) -> bool:
    """Start queued run ``run_id`` in process ``host``/``pid``; False if it is not queued."""
    now = datetime.now(UTC)
    stmt = (
        sa.update(runs)
        .where(runs.c.id == run_id, runs.c.status == "queued")
        .values(status="running", host=host, pid=pid, started_at=now, heartbeat_at=now)
    )
    with translate_errors(f"starting queued run {run_id}"):
        if conn.execute(stmt).rowcount == 1:
            return True
        _require_run(conn, run_id)
    return False


def beat(conn: sa.Connection, run_id: int) -> None:
    """Record that run ``run_id``'s process is alive (its heartbeat)."""
    stmt = sa.update(runs).where(runs.c.id == run_id).values(heartbeat_at=datetime.now(UTC))
    with translate_errors(f"recording the heartbeat of run {run_id}"):
        conn.execute(stmt)


def active_runs(conn: sa.Connection, *, profile: str | None = None) -> list[Run]:
    """Runs still ``queued`` or ``running`` (of ``profile``), oldest first, with steps."""
    stmt = sa.select(runs).where(runs.c.status.in_(OPEN_RUN)).order_by(runs.c.id)
    if profile is not None:
        stmt = stmt.where(runs.c.profile == profile)
    with translate_errors("listing the runs under way"):
        rows = list(conn.execute(stmt).mappings())
        steps = _steps_of(conn, [r["id"] for r in rows])
    return [_run(r, steps[r["id"]]) for r in rows]


def _not_found(run_id: int) -> NotFoundError:
    return NotFoundError(f"run {run_id} does not exist; list recent runs with `prevoir runs`")


def _require_run(conn: sa.Connection, run_id: int) -> None:
    found = conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first()
    if found is None:
        raise _not_found(run_id)


def _run(row: sa.RowMapping, steps: list[StepRecord]) -> Run:
    return Run(
        id=row["id"],
        profile=row["profile"],
        trigger=row["trigger"],
        status=row["status"],
        steps=tuple(row["steps"].split()),
        config_hash=row["config_hash"] or "",
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
        step_records=tuple(steps),
        host=row["host"],
        pid=row["pid"],
        heartbeat_at=row["heartbeat_at"],
        forecasters=tuple((row["forecasters"] or "").split()),
    )


def _steps_of(conn: sa.Connection, run_ids: Sequence[int]) -> dict[int, list[StepRecord]]:
    stmt = (
        sa.select(run_steps)
        .where(run_steps.c.run_id.in_(list(run_ids)))
        .order_by(run_steps.c.run_id, run_steps.c.id)
    )
    grouped: dict[int, list[StepRecord]] = {rid: [] for rid in run_ids}
    for row in conn.execute(stmt).mappings():
        grouped[row["run_id"]].append(
            StepRecord(
                name=row["name"],
                status=row["status"],
                started_at=row["started_at"],
                duration_s=row["duration_s"],
                rows_in=row["rows_in"],
                rows_out=row["rows_out"],
                files=tuple(row["files"] or ()),
                error=row["error"],
            )
        )
    return grouped


def list_runs(conn: sa.Connection, limit: int = 20, *, status: str | None = None) -> list[Run]:
    """The ``limit`` newest runs (in ``status``), newest first, each with its steps in order."""
    stmt = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
    if status is not None:
        _check_choice("run status", status, RUN_STATUSES)
        stmt = stmt.where(runs.c.status == status)
    with translate_errors("listing runs"):
        rows = list(conn.execute(stmt).mappings())
        steps = _steps_of(conn, [r["id"] for r in rows])
    return [_run(r, steps[r["id"]]) for r in rows]


def get_run(conn: sa.Connection, run_id: int) -> Run:
    """One run with its steps; ``NotFoundError`` if absent."""
    with translate_errors(f"reading run {run_id}"):
        row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise _not_found(run_id)
        steps = _steps_of(conn, [run_id])
    return _run(row, steps[run_id])
