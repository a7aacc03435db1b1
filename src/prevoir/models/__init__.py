"""Forecasting models behind one contract: fit on history, forecast from many origins.

Every name but the contract is imported on first use (``prevoir._lazy``), so importing this
package loads no model library, and ``LightGBMForecaster`` loads LightGBM alone.
"""

from prevoir._lazy import lazy_names
from prevoir.models.base import Forecaster, NotFittedError

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "AutoForecaster": "prevoir.models.ensemble",
        "ConformalForecaster": "prevoir.models.conformal",
        "DirectForecaster": "prevoir.models.direct",
        "EnsembleForecaster": "prevoir.models.ensemble",
        "ForestClassifier": "prevoir.models.forest",
        "LightGBMClassifier": "prevoir.models.gbm",
        "LightGBMForecaster": "prevoir.models.gbm",
        "MODEL_KINDS": "prevoir.models.factory",
        "RandomForestForecaster": "prevoir.models.forest",
        "RecursiveForecaster": "prevoir.models.recursive",
        "SeasonalNaive": "prevoir.models.naive",
        "XGBoostClassifier": "prevoir.models.xgb",
        "XGBoostForecaster": "prevoir.models.xgb",
        "make_classifier": "prevoir.models.factory",
        "make_model": "prevoir.models.factory",
    },
)

__all__ = [
    "MODEL_KINDS",
    "AutoForecaster",
    "ConformalForecaster",
    "DirectForecaster",
    "EnsembleForecaster",
    "Forecaster",
    "ForestClassifier",
    "LightGBMClassifier",
    "LightGBMForecaster",
    "NotFittedError",
    "RandomForestForecaster",
    "RecursiveForecaster",
    "SeasonalNaive",
    "XGBoostClassifier",
    "XGBoostForecaster",
    "make_classifier",
    "make_model",
]
