"""Artifacts: files written by steps, recorded with their sha256 so later runs can find them.

The features step writes a table and records it here; a later ``--steps train`` run finds the
newest one with ``latest_artifact`` instead of recomputing it. The registry verifies the
sha256 before loading; this module only keeps the record.

Every function takes the caller's ``Connection`` and never commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from prevoir.domain.records import Artifact
from prevoir.errors import DataValidationError
from prevoir.storage._errors import translate_errors
from prevoir.storage._records import as_record
from prevoir.storage.tables import artifacts

__all__ = ["latest_artifact", "list_artifacts", "record_artifact"]

logger = logging.getLogger(__name__)


def record_artifact(
    conn: sa.Connection,
    *,
    run_id: int,
    step: str,
    forecaster: str | None,
    kind: str,
    path: str,
    sha256: str,
    rows: int | None = None,
) -> int:
    """Record a file written by ``step`` of run ``run_id``; returns the artifact id."""
    if len(sha256) != 64:
        raise DataValidationError(f"sha256 of artifact {path!r} must be 64 hex digits")
    values = {
        "run_id": run_id,
        "step": step,
        "forecaster": forecaster,
        "kind": kind,
        "path": str(path),
        "sha256": sha256,
        "rows": rows,
        "created_at": datetime.now(UTC),
    }
    with translate_errors(f"recording artifact {path!r} of run {run_id}"):
        stmt = sa.insert(artifacts).values(values).returning(artifacts.c.id)
        artifact_id = int(conn.execute(stmt).scalar_one())
    logger.debug("run %s: artifact %s (%s) recorded as %s", run_id, path, kind, artifact_id)
    return artifact_id


def _match(forecaster: str | None, kind: str | None) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if kind is not None:
        where.append(artifacts.c.kind == kind)
    where.append(
        artifacts.c.forecaster.is_(None)
        if forecaster is None
        else artifacts.c.forecaster == forecaster
    )
    return where


def latest_artifact(conn: sa.Connection, *, forecaster: str | None, kind: str) -> Artifact | None:
    """The most recently recorded artifact of ``kind`` for ``forecaster`` (None: dataset-wide).

    None when no run has produced one yet.
    """
    stmt = (
        sa.select(artifacts)
        .where(*_match(forecaster, kind))
        .order_by(artifacts.c.id.desc())
        .limit(1)
    )
    with translate_errors(f"finding the latest {kind!r} artifact"):
        row = conn.execute(stmt).mappings().first()
    return None if row is None else as_record(Artifact, row)


def list_artifacts(conn: sa.Connection, *, run_id: int) -> list[Artifact]:
    """Every artifact recorded by run ``run_id``, in the order they were written."""
    stmt = sa.select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id)
    with translate_errors(f"listing artifacts of run {run_id}"):
        return [as_record(Artifact, r) for r in conn.execute(stmt).mappings()]
