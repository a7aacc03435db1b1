"""``Registry``: the model versions of one profile, in one place.

A trained model is saved as content-addressed bytes (``prevoir.registry.artifacts``) with its
metadata in the store, loaded back only after its sha256 is checked, given aliases
(``challenger`` when trained, ``champion`` when promoted), rolled back and pruned. Each
change commits in the store first, then reaches the mirror (MLflow), which never fails the
caller. The store stays the source of truth.

Rollback replays the champion's history as a stack: a promotion (or a manual ``set``) pushes
a version, a rollback pops one. The version under the top is the one to restore, so a second
rollback goes one further back instead of toggling between the last two; versions pruned
since are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from prevoir.domain.records import CHALLENGER, CHAMPION, AliasEvent, AliasMove, ModelVersion
from prevoir.errors import ConflictError, NotFoundError
from prevoir.models.base import Forecaster
from prevoir.registry.artifacts import (
    artifact_exists,
    read_verified,
    remove_artifact,
    write_artifact,
)
from prevoir.registry.mirror import NoMirror, RegistryMirror
from prevoir.storage.model_versions import (
    add_model_version,
    delete_model_versions,
    get_alias,
    get_model_version,
    list_alias_history,
    list_model_versions,
    referenced_versions,
    set_alias,
    set_model_metrics,
)
from prevoir.storage.store import Store

__all__ = ["Registry"]


class Registry:
    """Model versions and the aliases of ``profile`` (versions themselves span profiles)."""

    def __init__(
        self,
        store: Store,
        *,
        profile: str,
        model_store: str,
        mirror: RegistryMirror | None = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.model_store = model_store.rstrip("/")  # a local folder or an fsspec URL
        self.mirror: RegistryMirror = mirror or NoMirror()

    def get(self, version_id: int) -> ModelVersion:
        """One version with its aliases; ``NotFoundError`` if there is none."""
        with self.store.read() as conn:
            return get_model_version(conn, version_id)

    def versions(self, forecaster: str | None = None) -> list[ModelVersion]:
        """Every version (of one forecaster), oldest first, with its aliases in any profile."""
        with self.store.read() as conn:
            return list_model_versions(conn, forecaster)

    def alias(self, forecaster: str, alias: str) -> ModelVersion | None:
        """The version ``alias`` of this profile points at, or None."""
        with self.store.read() as conn:
            version = get_alias(conn, forecaster, self.profile, alias)
            return None if version is None else get_model_version(conn, version)

    def load(self, version_id: int) -> Forecaster:
        """The model of a version, after its bytes were checked against the stored sha256."""
        version = self.get(version_id)
        return Forecaster.from_bytes(read_verified(version.artifact_path, version.sha256))

    def save(self, model: Forecaster, *, metadata: Mapping[str, Any]) -> ModelVersion:
        """``model`` as a new version of its forecaster, aliased ``challenger``.

        The bytes go to ``<model_store>/<forecaster>/<sha256>.pkl``; ``metadata`` holds the
        store's columns (kind, params, features, training window, fingerprint, run, …).
        """
        data, folder = model.to_bytes(), f"{self.model_store}/{model.spec.name}"
        existed = artifact_exists(data, folder, suffix=".pkl")
        path, digest = write_artifact(data, folder, suffix=".pkl")
        fields = {"metrics": {}, "profile": self.profile, **metadata}
        try:
            with self.store.write() as conn:
                version_id = add_model_version(
                    conn, **fields, artifact_path=str(path), sha256=digest, created_at=_now()
                )
                reason = f"trained in run {fields.get('run_id')}"
                set_alias(
                    conn, model.spec.name, self.profile, CHALLENGER, version_id, reason=reason
                )
                version = get_model_version(conn, version_id)
        except BaseException:
            # the version was not recorded (store lost, signal): a file this call created is
            # referenced by no row, so it goes; one that existed may be another version's
            if not existed:
                remove_artifact(str(path))
            raise
        self.mirror.version_saved(version)
        self.mirror.alias_moved(CHALLENGER, version)
        return version

    def set_metrics(self, version_id: int, metrics: Mapping[str, Any]) -> ModelVersion:
        """Replace a version's metrics (the evaluate step's backtest)."""
        with self.store.write() as conn:
            set_model_metrics(conn, version_id, metrics)
            version = get_model_version(conn, version_id)
        self.mirror.metrics_updated(version)
        return version

    def promote(self, version_id: int, *, reason: str) -> AliasMove:
        """Make a version the champion of its forecaster in this profile; the move is
        recorded with ``reason`` (the gates' verdict, or who promoted it by hand)."""
        with self.store.write() as conn:
            forecaster = get_model_version(conn, version_id).forecaster
            old = set_alias(
                conn,
                forecaster,
                self.profile,
                CHAMPION,
                version_id,
                action="promote",
                reason=reason,
            )
            version = get_model_version(conn, version_id)
        self.mirror.alias_moved(CHAMPION, version)
        return AliasMove(forecaster, CHAMPION, old, version_id)

    def rollback(self, forecaster: str) -> AliasMove:
        """Give ``forecaster`` its previous champion back (see the module docstring)."""
        with self.store.write() as conn:
            current = get_alias(conn, forecaster, self.profile, CHAMPION)
            if current is None:
                raise NotFoundError(
                    f"forecaster {forecaster!r} has no champion in profile {self.profile!r}; "
                    "nothing to roll back (train one with `prevoir run`)"
                )
            existing = {v.id for v in list_model_versions(conn, forecaster)}
            history = list_alias_history(conn, forecaster, self.profile, CHAMPION)
            earlier = [v for v in _champion_stack(history) if v in existing]
            earlier = [v for v in earlier[:-1] if v != current]
            if not earlier:
                raise ConflictError(
                    f"forecaster {forecaster!r} ({self.profile}) has no earlier champion to "
                    f"roll back to; version {current} stays champion"
                )
            target = earlier[-1]
            set_alias(
                conn,
                forecaster,
                self.profile,
                CHAMPION,
                target,
                action="rollback",
                reason=f"rollback from version {current}",
            )
            version = get_model_version(conn, target)
        self.mirror.alias_moved(CHAMPION, version)
        return AliasMove(forecaster, CHAMPION, current, target)

    def prune(
        self, *, keep: int, forecaster: str | None = None, dry_run: bool = False
    ) -> list[int]:
        """Delete all but the newest ``keep`` versions per forecaster; the deleted ids.

        A version an alias (of any profile) or a stored forecast refers to is never deleted,
        whatever its age; ``dry_run`` only says which would go. Artifact files are removed
        once no remaining version uses them (equal models share a content-addressed file).
        """
        if keep < 0:
            raise ConflictError(f"--keep must be 0 or more, not {keep}")
        with self.store.write() as conn:
            versions = list_model_versions(conn, forecaster)
            by_forecaster: dict[str, list[int]] = {}
            for version in versions:
                by_forecaster.setdefault(version.forecaster, []).append(version.id)
            candidates = [v for ids in by_forecaster.values() for v in sorted(ids)[::-1][keep:]]
            doomed = sorted(set(candidates) - referenced_versions(conn, candidates))
            if dry_run or not doomed:
                return doomed
            paths = set(delete_model_versions(conn, doomed))
            kept = {v.artifact_path for v in list_model_versions(conn) if v.id not in doomed}
        for path in paths - kept:
            remove_artifact(path)
        return doomed


def _champion_stack(history: list[AliasEvent]) -> list[int]:
    """Promotions push, rollbacks pop; the top is the current champion."""
    stack: list[int] = []
    for event in history:
        if event.action == "rollback":
            if stack:
                stack.pop()
        elif not stack or stack[-1] != event.version_id:
            stack.append(event.version_id)
    return stack


def _now() -> datetime:
    return datetime.now(UTC)
