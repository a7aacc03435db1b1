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

from prevoir.domain.records import AliasAction, AliasEvent, ModelVersion
from prevoir.errors import ConflictError, DataValidationError, NotFoundError
from prevoir.storage._bulk import dialect_insert
from prevoir.storage._errors import translate_errors
from prevoir.storage._records import as_record
from prevoir.storage.tables import alias_history, aliases, forecasts, model_versions

__all__ = [
    "add_model_version",
    "delete_model_versions",
    "get_alias",
    "get_model_version",
    "list_alias_history",
    "list_model_versions",
    "referenced_versions",
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


def get_model_version(conn: sa.Connection, version_id: int) -> ModelVersion:
    """The version with the aliases pointing at it; ``NotFoundError`` if there is none."""
    stmt = sa.select(model_versions).where(model_versions.c.id == version_id)
    with translate_errors(f"reading model version {version_id}"):
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise _not_found(version_id)
        return _version(row, _aliases_of(conn, version_id).get(version_id, ()))


def _aliases_of(conn: sa.Connection, version_id: int | None = None) -> dict[int, tuple[str, ...]]:
    """``"<profile>:<alias>"`` names per version (of one version, or of all)."""
    stmt = sa.select(aliases).order_by(aliases.c.profile, aliases.c.alias)
    if version_id is not None:
        stmt = stmt.where(aliases.c.version_id == version_id)
    by_version: dict[int, list[str]] = {}
    for a in conn.execute(stmt).mappings():
        by_version.setdefault(a["version_id"], []).append(f"{a['profile']}:{a['alias']}")
    return {version: tuple(names) for version, names in by_version.items()}


def _version(row: sa.RowMapping, names: tuple[str, ...]) -> ModelVersion:
    return as_record(ModelVersion, row, aliases=names)


def set_alias(
    conn: sa.Connection,
    forecaster: str,
    profile: str,
    alias: str,
    version_id: int,
    *,
    action: AliasAction = "set",
    reason: str = "",
) -> int | None:
    """Point ``alias`` of (forecaster, profile) at ``version_id``; the version it left.

    The move is recorded in ``alias_history`` with ``action`` and ``reason`` (what rollback
    and the audit trail read). The version must exist and belong to ``forecaster``
    (``NotFoundError``/``ConflictError``).
    """
    version = get_model_version(conn, version_id)
    if version.forecaster != forecaster:
        raise ConflictError(
            f"model version {version_id} belongs to forecaster {version.forecaster!r}, "
            f"not {forecaster!r}; pick a version of {forecaster!r} for alias {alias!r}"
        )
    previous = get_alias(conn, forecaster, profile, alias)
    now = datetime.now(UTC)
    stmt = dialect_insert(conn, aliases).values(
        forecaster=forecaster, profile=profile, alias=alias, version_id=version_id, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[aliases.c.forecaster, aliases.c.profile, aliases.c.alias],
        set_={"version_id": version_id, "updated_at": now},
    )
    event = {
        "forecaster": forecaster,
        "profile": profile,
        "alias": alias,
        "version_id": version_id,
        "previous_version_id": previous,
        "action": action,
        "reason": reason[:500],
        "changed_at": now,
    }
    with translate_errors(f"setting alias {alias!r} of {forecaster!r} ({profile})"):
        conn.execute(stmt)
        conn.execute(sa.insert(alias_history).values(event))
    logger.info("forecaster %s (%s): %s -> version %s", forecaster, profile, alias, version_id)
    return previous


def list_alias_history(
    conn: sa.Connection, forecaster: str, profile: str, alias: str
) -> list[AliasEvent]:
    """Every move of one alias, oldest first."""
    stmt = (
        sa.select(alias_history)
        .where(
            alias_history.c.forecaster == forecaster,
            alias_history.c.profile == profile,
            alias_history.c.alias == alias,
        )
        .order_by(alias_history.c.id)
    )
    with translate_errors(f"reading the history of alias {alias!r} of {forecaster!r}"):
        rows = conn.execute(stmt).mappings().all()
    return [as_record(AliasEvent, row) for row in rows]


def referenced_versions(conn: sa.Connection, version_ids: Sequence[int]) -> set[int]:
    """Those of ``version_ids`` that an alias (any profile) or a stored forecast points at."""
    if not version_ids:
        return set()
    ids = list(version_ids)
    by_alias = sa.select(aliases.c.version_id).where(aliases.c.version_id.in_(ids))
    by_forecast = (
        sa.select(forecasts.c.model_version_id)
        .where(forecasts.c.model_version_id.in_(ids))
        .distinct()
    )
    with translate_errors("finding referenced model versions"):
        found = {int(v) for v in conn.execute(by_alias).scalars()}
        found |= {int(v) for v in conn.execute(by_forecast).scalars()}
    return found


def delete_model_versions(conn: sa.Connection, version_ids: Sequence[int]) -> list[str]:
    """Delete versions no alias or forecast refers to; their artifact paths (to remove).

    Refuses (``ConflictError``) when any of them is still referenced: the caller filters
    with ``referenced_versions`` first, and this check keeps that promise inside the
    transaction.
    """
    ids = list(version_ids)
    if not ids:
        return []
    still = referenced_versions(conn, ids)
    if still:
        raise ConflictError(
            f"model versions {sorted(still)} are referenced by an alias or by forecasts; "
            "they are never pruned"
        )
    paths = sa.select(model_versions.c.artifact_path).where(model_versions.c.id.in_(ids))
    with translate_errors(f"deleting model versions {ids}"):
        removed = [str(p) for p in conn.execute(paths).scalars()]
        conn.execute(sa.delete(alias_history).where(alias_history.c.version_id.in_(ids)))
        conn.execute(sa.delete(model_versions).where(model_versions.c.id.in_(ids)))
    return removed


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


def list_model_versions(conn: sa.Connection, forecaster: str | None = None) -> list[ModelVersion]:
    """Versions oldest first, each with the aliases (``"prod:champion"``, …) pointing at it."""
    stmt = sa.select(model_versions).order_by(model_versions.c.id)
    if forecaster is not None:
        stmt = stmt.where(model_versions.c.forecaster == forecaster)
    with translate_errors("listing model versions"):
        rows = conn.execute(stmt).mappings().all()
        names = _aliases_of(conn)
    return [_version(row, names.get(row["id"], ())) for row in rows]
