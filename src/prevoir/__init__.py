"""prevoir: keep the forecasts of many time series up to date."""

from prevoir.errors import (
    ConfigError,
    DataValidationError,
    NotFoundError,
    PrevoirError,
    StepFailedError,
)

__all__ = [
    "ConfigError",
    "DataValidationError",
    "NotFoundError",
    "PrevoirError",
    "StepFailedError",
    "__version__",
]

__version__ = "0.1.0"
