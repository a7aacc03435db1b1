"""Model versions and the aliases (``champion``, ``challenger``) that point at them.

The registry package owns the artifact bytes and the promotion logic; this module only stores
and finds the metadata. Aliases are rows, not flags on versions, so moving ``champion`` is one
upsert and the previous champion stays intact for rollback.

Every function takes the caller's ``Connection`` and never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from prevoir.errors import ConflictError, DataValidationError, NotFoundError
from prevoir.storage._bulk import dialect_insert
from prevoir.storage._errors import translate_errors
from prevoir.storage.tables import aliases, model_versions

__all__ = [
    "add_model_version",
    "get_alias",
    "get_model_version",
    "list_model_versions",
    "set_alias",
    "set_model_metrics",
]

logger = logging.getLogger(__name__)


def add_model_version(
    conn: sa.Connection,
    *,
    forecaster: str,
    profile: str,
    kind: str,
    params: Mapping[str, Any],
    features: Sequence[str] | Mapping[str, Any],
    train_start: datetime,
    train_end: datetime,
    data_fingerprint: str,
    artifact_path: str,
    sha256: str,
    metrics: Mapping[str, Any] | None = None,
    library_versions: Mapping[str, str] | None = None,
    run_id: int | None = None,
    created_at: datetime | None = None,
) -> int:
    """Record a trained model version; returns its id.

    JSON fields must be JSON-serialisable. ``metrics`` may be filled later with
    ``set_model_metrics`` (the evaluate step runs after train).
    """
    if len(sha256) != 64:
        raise DataValidationError(f"sha256 of {artifact_path!r} must be 64 hex digits: {sha256!r}")
    values = {
        "forecaster": forecaster,
        "profile": profile,
        "kind": kind,
        "params": dict(params),
        "features": features if isinstance(features, Mapping) else list(features),
        "train_start": train_start,
        "train_end": train_end,
        "data_fingerprint": data_fingerprint,
        "metrics": dict(metrics or {}),
        "library_versions": dict(library_versions or {}),
        "artifact_path": artifact_path,
        "sha256": sha256,
        "run_id": run_id,
        "created_at": created_at or datetime.now(UTC),
    }
    with translate_errors(f"recording a model version of {forecaster!r}"):
        stmt = sa.insert(model_versions).values(values).returning(model_versions.c.id)
        version_id = int(conn.execute(stmt).scalar_one())
    logger.info("forecaster %s: model version %s recorded", forecaster, version_id)
    return version_id


def set_model_metrics(conn: sa.Connection, version_id: int, metrics: Mapping[str, Any]) -> None:
    """Replace the metrics of version ``version_id`` (after evaluation)."""
    stmt = (
        sa.update(model_versions)
        .where(model_versions.c.id == version_id)
        .values(metrics=dict(metrics))
    )
    with translate_errors(f"updating metrics of model version {version_id}"):
        if conn.execute(stmt).rowcount == 0:
            raise _not_found(version_id)


def _not_found(version_id: int) -> NotFoundError:
    return NotFoundError(
        f"model version {version_id} does not exist; see the stored versions with "
        "`prevoir models list`"
    )


def get_model_version(conn: sa.Connection, version_id: int) -> dict[str, Any]:
    """The version's columns as a dict; ``NotFoundError`` if there is no such version."""
    stmt = sa.select(model_versions).where(model_versions.c.id == version_id)
    with translate_errors(f"reading model version {version_id}"):
        row = conn.execute(stmt).mappings().first()
    if row is None:
        raise _not_found(version_id)
    return dict(row)


def set_alias(
    conn: sa.Connection, forecaster: str, profile: str, alias: str, version_id: int
) -> None:
    """Point ``alias`` of (forecaster, profile) at ``version_id``, replacing any old target.

    The version must exist and belong to ``forecaster`` (``NotFoundError``/``ConflictError``).
    """
    version = get_model_version(conn, version_id)
    if version["forecaster"] != forecaster:
        raise ConflictError(
            f"model version {version_id} belongs to forecaster {version['forecaster']!r}, "
            f"not {forecaster!r}; pick a version of {forecaster!r} for alias {alias!r}"
        )
    now = datetime.now(UTC)
    stmt = dialect_insert(conn, aliases).values(
        forecaster=forecaster, profile=profile, alias=alias, version_id=version_id, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[aliases.c.forecaster, aliases.c.profile, aliases.c.alias],
        set_={"version_id": version_id, "updated_at": now},
    )
    with translate_errors(f"setting alias {alias!r} of {forecaster!r} ({profile})"):
        conn.execute(stmt)
    logger.info("forecaster %s (%s): %s -> version %s", forecaster, profile, alias, version_id)


def get_alias(conn: sa.Connection, forecaster: str, profile: str, alias: str) -> int | None:
    """The version id ``alias`` points at, or None if the alias was never set."""
    stmt = sa.select(aliases.c.version_id).where(
        aliases.c.forecaster == forecaster,
        aliases.c.profile == profile,
        aliases.c.alias == alias,
    )
    with translate_errors(f"reading alias {alias!r} of {forecaster!r} ({profile})"):
        found = conn.execute(stmt).scalar_one_or_none()
    return None if found is None else int(found)


def list_model_versions(conn: sa.Connection, forecaster: str | None = None) -> list[dict[str, Any]]:
    """Versions oldest first, each with ``aliases``: ``["prod:champion", ...]`` pointing at it."""
    stmt = sa.select(model_versions).order_by(model_versions.c.id)
    if forecaster is not None:
        stmt = stmt.where(model_versions.c.forecaster == forecaster)
    with translate_errors("listing model versions"):
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
        alias_rows = conn.execute(sa.select(aliases).order_by(aliases.c.alias)).mappings().all()
    by_version: dict[int, list[str]] = {}
    for a in alias_rows:
        by_version.setdefault(a["version_id"], []).append(f"{a['profile']}:{a['alias']}")
    for row in rows:
        row["aliases"] = by_version.get(row["id"], [])
    return rows
