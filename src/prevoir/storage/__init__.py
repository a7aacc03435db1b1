"""The store: tables, migrations and repositories — the only package that imports SQLAlchemy."""

from prevoir.storage.artifacts import latest_artifact, list_artifacts, record_artifact
from prevoir.storage.engine import (
    create_store_engine,
    is_at_head,
    require_head,
    schema_revision,
    upgrade_schema,
)
from prevoir.storage.forecasts import (
    count_forecasts,
    last_origins,
    read_forecasts,
    upsert_forecasts,
)
from prevoir.storage.model_versions import (
    add_model_version,
    get_alias,
    get_model_version,
    list_model_versions,
    set_alias,
    set_model_metrics,
)
from prevoir.storage.observations import (
    count_observations,
    last_observation_times,
    list_series,
    read_observations,
    upsert_observations,
)
from prevoir.storage.runs import finish_run, get_run, list_runs, record_step, start_run
from prevoir.storage.types import UtcDateTime

__all__ = [
    "UtcDateTime",
    "add_model_version",
    "count_forecasts",
    "count_observations",
    "create_store_engine",
    "finish_run",
    "get_alias",
    "get_model_version",
    "get_run",
    "is_at_head",
    "last_observation_times",
    "last_origins",
    "latest_artifact",
    "list_artifacts",
    "list_model_versions",
    "list_runs",
    "list_series",
    "read_forecasts",
    "read_observations",
    "record_artifact",
    "record_step",
    "require_head",
    "schema_revision",
    "set_alias",
    "set_model_metrics",
    "start_run",
    "upgrade_schema",
    "upsert_forecasts",
    "upsert_observations",
]
