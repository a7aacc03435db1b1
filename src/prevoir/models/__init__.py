"""Forecasting models behind one contract: fit on history, forecast from many origins."""

from prevoir.models.base import Forecaster, NotFittedError
from prevoir.models.factory import MODEL_KINDS, make_model
from prevoir.models.gbm import LightGBMForecaster
from prevoir.models.naive import SeasonalNaive

__all__ = [
    "MODEL_KINDS",
    "Forecaster",
    "LightGBMForecaster",
    "NotFittedError",
    "SeasonalNaive",
    "make_model",
]
