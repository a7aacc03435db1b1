"""Frequencies and time zones as declarations name them, checked in one place.

The specs (``prevoir.domain.specs``) validate their frequencies and zones with these when they
are built; the core uses ``freq_to_ns`` to turn a checked frequency into its period.
"""

from __future__ import annotations

import zoneinfo

import pandas as pd
from pandas.tseries.frequencies import to_offset

from prevoir.errors import ConfigError

__all__ = [
    "check_frequency",
    "check_granularity",
    "check_timezone",
    "freq_to_ns",
]

DAY_NS = 86_400 * 10**9


def freq_to_ns(freq: str) -> int:
    """Length of one period in nanoseconds; only fixed durations make a regular grid."""
    try:
        offset = to_offset(freq)
        # Ticks and pandas 3's Day convert; calendar offsets (MS, W) raise, as they should.
        step = pd.Timedelta(offset).as_unit("ns").value  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"frequency {freq!r} is not a fixed duration; use one such as 'h', '15min' or 'D'"
        ) from exc
    if step <= 0:
        raise ConfigError(f"frequency {freq!r} must be a positive duration")
    return int(step)


def check_frequency(freq: str) -> str:
    """``freq`` if pandas knows it (fixed like ``h`` or calendar like ``MS``), else a
    ``ConfigError`` with examples."""
    try:
        to_offset(freq)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"frequency {freq!r} is not a pandas frequency; use e.g. 'h', '15min', 'D', 'W' or 'MS'"
        ) from exc
    return freq


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone (``UTC``, ``Europe/Paris``), else a ``ConfigError``."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"time zone {name!r} is not an IANA zone name; use e.g. 'UTC' or 'Europe/Paris'"
        ) from exc
    return name


def check_granularity(base_freq: str, freq: str, *, timezone: str = "UTC") -> None:
    """Refuse a granularity that is not a whole multiple (> 1) of the base frequency, or a
    local-time bucket that is not whole days."""
    base, bucket = freq_to_ns(base_freq), freq_to_ns(freq)
    if bucket <= base or bucket % base:
        raise ConfigError(
            f"{freq!r} is not a coarser multiple of the dataset frequency {base_freq!r}; "
            f"use a whole multiple of it (e.g. '6h' or '1D' for hourly data)"
        )
    if timezone != "UTC" and bucket % DAY_NS:
        raise ConfigError(
            f"buckets of {freq!r} in time zone {timezone!r}: local-time buckets must be whole "
            "days ('1D', '7D'); use UTC for shorter buckets"
        )
    check_timezone(timezone)
