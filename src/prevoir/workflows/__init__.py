"""The composition root: what the CLI, the API and the scheduler call, with an open project."""

from prevoir.workflows.forecasts import stored_forecasts, trace_forecast
from prevoir.workflows.models import (
    compare_versions,
    list_versions,
    promote_version,
    prune_versions,
    rollback_champion,
    show_version,
)
from prevoir.workflows.project import Project, open_project, upgrade_store
from prevoir.workflows.runs import (
    RunSummary,
    StartedRun,
    recent_runs,
    run_pipeline,
    run_record,
    start_pipeline,
)
from prevoir.workflows.scaffold import init_project
from prevoir.workflows.series import stored_series

__all__ = [
    "Project",
    "RunSummary",
    "StartedRun",
    "compare_versions",
    "init_project",
    "list_versions",
    "open_project",
    "promote_version",
    "prune_versions",
    "recent_runs",
    "rollback_champion",
    "run_pipeline",
    "run_record",
    "show_version",
    "start_pipeline",
    "stored_forecasts",
    "stored_series",
    "trace_forecast",
    "upgrade_store",
]
