"""Calendar and cyclic encodings of the target time, in the forecaster's wall-clock zone.

Bike counts follow local clocks (08:00 local is the peak in winter and in summer), so the
features are read after converting ``ds`` from UTC to ``FeatureSpec.timezone``. Features are
computed once per distinct period and then broadcast, so their cost does not grow with the
number of origins (the caller passes distinct times and broadcasts).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from prevoir.domain.grid import to_timestamps
from prevoir.domain.specs import CalendarFeature, CyclicFeature, FeatureSpec

__all__ = ["CALENDAR_FEATURES", "CYCLIC_PERIODS", "calendar_columns", "calendar_features"]

_Extractor = Callable[[pd.DatetimeIndex], np.ndarray]

# one extractor per name the spec admits (tests check the two lists agree)
CALENDAR_FEATURES: dict[CalendarFeature, _Extractor] = {
    "hour": lambda t: np.asarray(t.hour),
    "minute": lambda t: np.asarray(t.minute),
    "dayofweek": lambda t: np.asarray(t.day_of_week),  # Monday = 0
    "day": lambda t: np.asarray(t.day),
    "dayofyear": lambda t: np.asarray(t.day_of_year),
    "weekofyear": lambda t: np.asarray(t.isocalendar().week, dtype=np.int64),
    "month": lambda t: np.asarray(t.month),
    "quarter": lambda t: np.asarray(t.quarter),
    "year": lambda t: np.asarray(t.year),
    "is_weekend": lambda t: np.asarray(t.day_of_week >= 5),
    "is_month_start": lambda t: np.asarray(t.is_month_start),
    "is_month_end": lambda t: np.asarray(t.is_month_end),
}

# Position within the cycle (0 at its start) and the cycle length: angle = 2 pi x / period.
CYCLIC_PERIODS: dict[CyclicFeature, tuple[_Extractor, float]] = {
    "hour": (lambda t: np.asarray(t.hour + t.minute / 60.0), 24.0),
    "dayofweek": (lambda t: np.asarray(t.day_of_week, dtype=float), 7.0),
    "dayofyear": (lambda t: np.asarray(t.day_of_year - 1, dtype=float), 365.25),
    "month": (lambda t: np.asarray(t.month - 1, dtype=float), 12.0),
}


def calendar_columns(features: FeatureSpec) -> list[str]:
    """Feature names for the declared calendar and cyclic encodings, in declaration order."""
    names: list[str] = list(dict.fromkeys(features.calendar))
    for name in dict.fromkeys(features.cyclic):
        names += [f"{name}_sin", f"{name}_cos"]
    return names


def calendar_features(ds_ns: np.ndarray, features: FeatureSpec) -> dict[str, np.ndarray]:
    """Calendar and cyclic values of each time (nanoseconds since the epoch, UTC)."""
    if not features.calendar and not features.cyclic:
        return {}
    local = to_timestamps(ds_ns).tz_convert(features.timezone)
    out: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(features.calendar):
        out[name] = CALENDAR_FEATURES[name](local).astype(np.float64)
    for name in dict.fromkeys(features.cyclic):
        position, period = CYCLIC_PERIODS[name]
        angle = 2.0 * np.pi * position(local) / period
        out[f"{name}_sin"] = np.sin(angle)
        out[f"{name}_cos"] = np.cos(angle)
    return out
