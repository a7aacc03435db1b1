"""Vectorised design matrices: lags, origin statistics, calendar and exogenous features."""

from prevoir.features.design import KEY_COLUMNS, build_design, feature_columns
from prevoir.features.resample import resample

__all__ = ["KEY_COLUMNS", "build_design", "feature_columns", "resample"]
