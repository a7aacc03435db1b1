"""Forecasting models behind one contract: fit on history, forecast from many origins."""

from prevoir.models.base import Forecaster, NotFittedError
from prevoir.models.direct import DirectForecaster
from prevoir.models.ensemble import AutoForecaster, EnsembleForecaster
from prevoir.models.factory import MODEL_KINDS, make_model
from prevoir.models.forest import RandomForestForecaster
from prevoir.models.gbm import LightGBMForecaster
from prevoir.models.naive import SeasonalNaive
from prevoir.models.recursive import RecursiveForecaster
from prevoir.models.xgb import XGBoostForecaster

__all__ = [
    "MODEL_KINDS",
    "AutoForecaster",
    "DirectForecaster",
    "EnsembleForecaster",
    "Forecaster",
    "LightGBMForecaster",
    "NotFittedError",
    "RandomForestForecaster",
    "RecursiveForecaster",
    "SeasonalNaive",
    "XGBoostForecaster",
    "make_model",
]
