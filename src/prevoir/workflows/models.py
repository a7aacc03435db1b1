"""The model registry as the CLI and the API see it: list, show, compare, promote, roll back,
prune. Aliases are read and moved in the project's profile only."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from prevoir.domain.records import AliasMove, ModelVersion, Run
from prevoir.errors import NotFoundError
from prevoir.workflows.project import Project
from prevoir.workflows.runs import run_record

__all__ = [
    "VersionDetail",
    "compare_versions",
    "list_versions",
    "promote_version",
    "prune_versions",
    "rollback_champion",
    "show_version",
]


@dataclass(frozen=True)
class VersionDetail:
    """A version with the run that trained it (None when that run is gone)."""

    version: ModelVersion
    trained_by: Run | None


def list_versions(project: Project, *, forecaster: str | None = None) -> list[ModelVersion]:
    """Every version (oldest first) with the aliases that point at it, in any profile."""
    return project.registry().versions(forecaster)


def show_version(project: Project, version_id: int) -> VersionDetail:
    """One version with its aliases and the run that made it (trigger, config hash)."""
    version = project.registry().get(version_id)
    trained_by = None
    if version.run_id is not None:
        try:
            trained_by = run_record(project, version.run_id)
        except NotFoundError:
            trained_by = None
    return VersionDetail(version, trained_by)


def compare_versions(project: Project, first: int, second: int) -> pd.DataFrame:
    """Metrics (and training window, rows) of two versions side by side, with the difference."""
    registry = project.registry()
    a, b = registry.get(first), registry.get(second)
    rows = []
    for name in sorted(set(a.metrics) | set(b.metrics)):
        left, right = a.metrics.get(name), b.metrics.get(name)
        numeric = isinstance(left, int | float) and isinstance(right, int | float)
        rows.append(
            {
                "metric": name,
                f"v{first}": left,
                f"v{second}": right,
                "difference": (right - left) if numeric else None,  # type: ignore[operator]
            }
        )
    for field in ("kind", "train_start", "train_end", "data_fingerprint"):
        left, right = getattr(a, field), getattr(b, field)
        rows.append({"metric": field, f"v{first}": left, f"v{second}": right})
    return pd.DataFrame(rows)


def promote_version(project: Project, version_id: int, *, reason: str = "") -> AliasMove:
    """Make a version champion of its forecaster in this profile (and in MLflow, if set)."""
    return project.registry().promote(version_id, reason=reason or "manual")


def rollback_champion(project: Project, forecaster: str) -> AliasMove:
    """Restore the previous champion of ``forecaster`` in this profile (and in MLflow)."""
    project.forecaster(forecaster)  # NotFoundError naming the configured ones
    return project.registry().rollback(forecaster)


def prune_versions(
    project: Project, *, keep: int, forecaster: str | None = None, dry_run: bool = False
) -> list[int]:
    """Delete old unreferenced versions, keeping the newest ``keep`` per forecaster."""
    return project.registry().prune(keep=keep, forecaster=forecaster, dry_run=dry_run)
