"""The project configuration: ``prevoir.toml`` < profile < environment < CLI flags."""

from prevoir.config.loading import (
    CONFIG_FILE,
    declared_profiles,
    find_project_dir,
    load_settings,
)
from prevoir.config.schema import Settings, StoreSettings
from prevoir.config.service import ScheduledJobSettings, ServiceSettings
from prevoir.config.specs import forecaster_spec, mlflow_spec, transform_spec

__all__ = [
    "CONFIG_FILE",
    "ScheduledJobSettings",
    "ServiceSettings",
    "Settings",
    "StoreSettings",
    "declared_profiles",
    "find_project_dir",
    "forecaster_spec",
    "load_settings",
    "mlflow_spec",
    "transform_spec",
]
