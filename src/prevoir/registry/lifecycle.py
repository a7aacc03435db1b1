"""Moving aliases by hand and cleaning up: promote, rollback, prune.

``rollback`` replays the champion's history as a stack: a promotion (or a manual ``set``)
pushes a version, a rollback pops one. The version under the top is the one to restore, so a
second rollback goes one further back instead of toggling between the last two. Versions
that were pruned since are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from prevoir.errors import ConflictError, NotFoundError
from prevoir.registry.artifacts import remove_artifact
from prevoir.storage.model_versions import (
    delete_model_versions,
    get_alias,
    get_model_version,
    list_alias_history,
    list_model_versions,
    referenced_versions,
    set_alias,
)

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class AliasMove:
    """An alias moved from one version to another."""

    forecaster: str
    alias: str
    old: int | None
    new: int


def promote(conn: Connection, version_id: int, *, profile: str, reason: str) -> AliasMove:
    """Make ``version_id`` the champion of its forecaster in ``profile`` (a manual override)."""
    forecaster = str(get_model_version(conn, version_id)["forecaster"])
    old = set_alias(
        conn, forecaster, profile, CHAMPION, version_id, action="promote", reason=reason
    )
    return AliasMove(forecaster, CHAMPION, old, version_id)


def rollback(conn: Connection, forecaster: str, *, profile: str) -> AliasMove:
    """Give ``forecaster`` its previous champion back (see the module docstring)."""
    current = get_alias(conn, forecaster, profile, CHAMPION)
    if current is None:
        raise NotFoundError(
            f"forecaster {forecaster!r} has no champion in profile {profile!r}; nothing to "
            "roll back (train one with `prevoir run`)"
        )
    stack: list[int] = []
    for event in list_alias_history(conn, forecaster, profile, CHAMPION):
        if event["action"] == "rollback":
            if stack:
                stack.pop()
        elif not stack or stack[-1] != event["version_id"]:
            stack.append(int(event["version_id"]))
    existing = {int(v["id"]) for v in list_model_versions(conn, forecaster)}
    earlier = [v for v in stack[:-1] if v in existing and v != current]
    if not earlier:
        raise ConflictError(
            f"forecaster {forecaster!r} ({profile}) has no earlier champion to roll back to; "
            f"version {current} stays champion"
        )
    target = earlier[-1]
    set_alias(
        conn,
        forecaster,
        profile,
        CHAMPION,
        target,
        action="rollback",
        reason=f"rollback from version {current}",
    )
    return AliasMove(forecaster, CHAMPION, current, target)


def prune(
    conn: Connection, *, keep: int, forecaster: str | None = None, dry_run: bool = False
) -> list[int]:
    """Delete all but the newest ``keep`` versions per forecaster; the deleted ids.

    A version an alias (of any profile) or a stored forecast refers to is never deleted,
    whatever its age; ``dry_run`` only says which would go. Artifact files are removed once
    no remaining version uses them (they are content-addressed: equal models share a file).
    """
    if keep < 0:
        raise ConflictError(f"--keep must be 0 or more, not {keep}")
    versions = list_model_versions(conn, forecaster)
    by_forecaster: dict[str, list[int]] = {}
    for row in versions:
        by_forecaster.setdefault(str(row["forecaster"]), []).append(int(row["id"]))
    candidates = [
        version for ids in by_forecaster.values() for version in sorted(ids, reverse=True)[keep:]
    ]
    doomed = sorted(set(candidates) - referenced_versions(conn, candidates))
    if dry_run:
        return doomed
    paths = set(delete_model_versions(conn, doomed))
    still_used = {
        str(r["artifact_path"]) for r in list_model_versions(conn) if r["id"] not in doomed
    }
    for path in paths - still_used:
        remove_artifact(path)
    return doomed
