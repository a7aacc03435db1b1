"""The model registry as the CLI and the API see it: list, show, compare, promote, roll back,
prune. Aliases are read and moved in the settings' profile only."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine

from prevoir.config import Settings
from prevoir.errors import NotFoundError
from prevoir.registry.lifecycle import AliasMove, promote, prune, rollback
from prevoir.storage.model_versions import get_model_version, list_model_versions
from prevoir.storage.runs import get_run
from prevoir.workflows.mirror import open_mirror
from prevoir.workflows.runs import store_connection

__all__ = [
    "compare_versions",
    "list_versions",
    "promote_version",
    "prune_versions",
    "rollback_champion",
    "show_version",
]


def list_versions(
    settings: Settings, *, forecaster: str | None = None, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """Every version (oldest first) with the aliases that point at it, in any profile."""
    with store_connection(settings, write=False, engine=engine) as conn:
        return list_model_versions(conn, forecaster)


def show_version(
    settings: Settings, version_id: int, *, engine: Engine | None = None
) -> dict[str, Any]:
    """One version with its aliases and the run that made it (trigger, config hash)."""
    with store_connection(settings, write=False, engine=engine) as conn:
        row = get_model_version(conn, version_id)
        row["aliases"] = next(
            (
                v["aliases"]
                for v in list_model_versions(conn, row["forecaster"])
                if v["id"] == version_id
            ),
            [],
        )
        run = get_run(conn, row["run_id"]) if row["run_id"] is not None else None
    row["run"] = (
        None
        if run is None
        else {
            k: run[k] for k in ("id", "profile", "trigger", "status", "started_at", "config_hash")
        }
    )
    return row


def compare_versions(settings: Settings, first: int, second: int) -> pd.DataFrame:
    """Metrics (and training window, rows) of two versions side by side, with the difference."""
    with store_connection(settings, write=False) as conn:
        a, b = get_model_version(conn, first), get_model_version(conn, second)
    names = sorted(set(a["metrics"]) | set(b["metrics"]))
    rows = []
    for name in names:
        left, right = a["metrics"].get(name), b["metrics"].get(name)
        numeric = isinstance(left, int | float) and isinstance(right, int | float)
        rows.append(
            {
                "metric": name,
                f"v{first}": left,
                f"v{second}": right,
                "difference": (right - left) if numeric else None,
            }
        )
    for field in ("kind", "train_start", "train_end", "data_fingerprint"):
        rows.append({"metric": field, f"v{first}": a[field], f"v{second}": b[field]})
    return pd.DataFrame(rows)


def promote_version(
    settings: Settings, version_id: int, *, reason: str = "", engine: Engine | None = None
) -> AliasMove:
    """Make a version champion of its forecaster in this profile (and in MLflow, if set)."""
    mirror = open_mirror(settings, notes=[])
    with store_connection(settings, write=True, engine=engine) as conn:
        move = promote(conn, version_id, profile=settings.profile, reason=reason or "manual")
        row = get_model_version(conn, move.new)
    mirror.alias_moved(move.alias, row)
    return move


def rollback_champion(
    settings: Settings, forecaster: str, *, engine: Engine | None = None
) -> AliasMove:
    """Restore the previous champion of ``forecaster`` in this profile (and in MLflow)."""
    if forecaster not in settings.forecasters:
        known = ", ".join(sorted(settings.forecasters)) or "none"
        raise NotFoundError(f"no forecaster {forecaster!r} in the project (known: {known})")
    mirror = open_mirror(settings, notes=[])
    with store_connection(settings, write=True, engine=engine) as conn:
        move = rollback(conn, forecaster, profile=settings.profile)
        row = get_model_version(conn, move.new)
    mirror.alias_moved(move.alias, row)
    return move


def prune_versions(
    settings: Settings, *, keep: int, forecaster: str | None = None, dry_run: bool = False
) -> list[int]:
    """Delete old unreferenced versions, keeping the newest ``keep`` per forecaster."""
    with store_connection(settings, write=not dry_run) as conn:
        return prune(conn, keep=keep, forecaster=forecaster, dry_run=dry_run)
