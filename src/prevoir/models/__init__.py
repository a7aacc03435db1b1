"""Forecasting models behind one contract: fit on history, forecast from many origins."""

from prevoir.models.base import Forecaster, NotFittedError
from prevoir.models.classify import (
    ForestClassifier,
    LightGBMClassifier,
    XGBoostClassifier,
    make_classifier,
)
from prevoir.models.conformal import ConformalForecaster
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
