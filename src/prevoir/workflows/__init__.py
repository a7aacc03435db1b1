"""The composition root: what the CLI, the API and the scheduler call."""

from prevoir.examples import EXAMPLES
from prevoir.workflows.models import (
    compare_versions,
    list_versions,
    promote_version,
    prune_versions,
    rollback_champion,
    show_version,
)
from prevoir.workflows.project import init_project
from prevoir.workflows.queries import (
    recent_runs,
    stored_forecasts,
    stored_series,
    trace_forecast,
    upgrade_store,
)
from prevoir.workflows.runs import (
    RunSummary,
    StartedRun,
    open_store,
    run_pipeline,
    start_pipeline,
)

__all__ = [
    "EXAMPLES",
    "RunSummary",
    "StartedRun",
    "compare_versions",
    "init_project",
    "list_versions",
    "open_store",
    "promote_version",
    "prune_versions",
    "recent_runs",
    "rollback_champion",
    "run_pipeline",
    "show_version",
    "start_pipeline",
    "stored_forecasts",
    "stored_series",
    "trace_forecast",
    "upgrade_store",
]
