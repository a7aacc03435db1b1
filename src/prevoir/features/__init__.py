"""Vectorised design matrices: lags, origin statistics, calendar and exogenous features."""

from prevoir.features.design import KEY_COLUMNS, build_design, feature_columns

__all__ = ["KEY_COLUMNS", "build_design", "feature_columns"]
