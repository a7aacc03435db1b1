"""The composition root: what the CLI, the API and the scheduler call."""

from prevoir.workflows.project import EXAMPLES, init_project
from prevoir.workflows.queries import recent_runs, stored_forecasts, stored_series, upgrade_store
from prevoir.workflows.runs import RunSummary, open_store, run_pipeline

__all__ = [
    "EXAMPLES",
    "RunSummary",
    "init_project",
    "open_store",
    "recent_runs",
    "run_pipeline",
    "stored_forecasts",
    "stored_series",
    "upgrade_store",
]
