"""Save and load model versions: bytes on disk, sha256 and metadata in the store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from prevoir.models.base import Forecaster
from prevoir.registry.artifacts import read_verified, write_artifact
from prevoir.registry.lifecycle import CHALLENGER
from prevoir.storage.model_versions import add_model_version, get_model_version, set_alias


def save_version(
    conn: Connection, model: Forecaster, *, metadata: Mapping[str, Any], model_store: str
) -> int:
    """Store ``model`` as a new version and point ``challenger`` at it; the version id.

    ``model_store`` is a local folder or an fsspec URL; the bytes go to
    ``<model_store>/<forecaster>/<sha256>.pkl``.
    """
    path, digest = write_artifact(
        model.to_bytes(), f"{model_store.rstrip('/')}/{model.spec.name}", suffix=".pkl"
    )
    fields = {"metrics": {}, **metadata}
    version = add_model_version(
        conn,
        **fields,
        artifact_path=str(path),
        sha256=digest,
        created_at=datetime.now(UTC),
    )
    set_alias(
        conn,
        model.spec.name,
        str(fields["profile"]),
        CHALLENGER,
        version,
        reason=f"trained in run {fields.get('run_id')}",
    )
    return version


def load_version(conn: Connection, version: int) -> Forecaster:
    """The model of ``version``, after its sha256 has been checked."""
    row = get_model_version(conn, version)
    data = read_verified(row["artifact_path"], row["sha256"])
    return Forecaster.from_bytes(data)
