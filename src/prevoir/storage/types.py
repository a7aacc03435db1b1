"""Column types that keep every stored time tz-aware UTC.

``UtcDateTime`` is the only way a time enters or leaves the store:

* Naive datetimes are rejected (``DataValidationError``) instead of being silently taken as
  UTC or local time — a naive time is a bug upstream, and guessing hides it.
* Aware datetimes in any zone are converted to UTC on the way in; values come back as aware
  UTC ``datetime`` objects.
* On PostgreSQL the column is ``TIMESTAMP WITH TIME ZONE`` (native, indexable, readable in
  psql). On SQLite, which has no time type, it is an ``INTEGER`` of epoch **microseconds**:
  8 bytes instead of a 26-character ISO string, sorts and compares as a number, needs no
  parsing on read, and lets the bulk paths bind ``numpy.int64`` values computed vectorised
  from a ``datetime64[us, UTC]`` column (``observations.py``) without a per-row strftime.
  Microseconds match both Python's ``datetime`` and PostgreSQL's resolution, so the two
  backends store exactly the same instants; finer (nanosecond) parts of pandas timestamps
  are floored to the microsecond on both.

The bulk helpers at the bottom convert whole pandas columns to and from epoch microseconds;
the repositories use them so that reads and writes never loop over rows in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from prevoir.errors import DataValidationError

__all__ = [
    "EPOCH",
    "UtcDateTime",
    "epoch_us_expr",
    "from_epoch_us",
    "to_epoch_us",
    "to_utc_series",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def _check_aware(value: datetime) -> datetime:
    """Return ``value`` in UTC, or refuse it when it carries no time zone."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise DataValidationError(
            f"naive datetime {value.isoformat()} cannot be stored: every time in prevoir is "
            "tz-aware UTC; attach the zone it was recorded in (e.g. tz_localize('UTC'))"
        )
    return value.astimezone(UTC)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A tz-aware UTC timestamp: ``timestamptz`` on PostgreSQL, epoch µs ``INTEGER`` on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the storage type: integer microseconds on SQLite, native elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Validate and convert a Python value on its way into the database."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise DataValidationError(
                f"expected a tz-aware datetime, got {type(value).__name__} {value!r}"
            )
        utc = _check_aware(value)
        if dialect.name == "sqlite":
            return (utc - EPOCH) // _ONE_US
        if isinstance(utc, pd.Timestamp):  # hand the driver a plain datetime, floored to µs
            return utc.floor("us").to_pydatetime()
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Turn the stored value back into an aware UTC datetime."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return EPOCH + timedelta(microseconds=int(value))
        return _check_aware(value)

    @property
    def python_type(self) -> type[datetime]:
        """Values are ``datetime`` objects."""
        return datetime


def epoch_us_expr(column: sa.ColumnElement[Any], dialect: Dialect) -> sa.ColumnElement[int]:
    """SQL expression giving ``column`` as integer epoch microseconds on either backend.

    Bulk reads select this instead of the typed column so that the driver hands back plain
    integers, converted to ``datetime64`` in one numpy call rather than one object per row.
    """
    if dialect.name == "sqlite":
        return sa.type_coerce(column, sa.BigInteger())
    seconds = sa.extract("epoch", column)
    return sa.cast(sa.func.round(seconds * 1_000_000), sa.BigInteger)


def to_utc_series(values: pd.Series, *, what: str) -> pd.Series:
    """Check that ``values`` is a tz-aware datetime column and return it in UTC.

    ``what`` names the column in the error (e.g. ``"observations frame column 'ds'"``).
    """
    dtype = values.dtype
    if not isinstance(dtype, pd.DatetimeTZDtype):
        hint = (
            "localise it first (e.g. .dt.tz_localize('UTC'))"
            if pd.api.types.is_datetime64_dtype(dtype)
            else "parse it with pd.to_datetime(..., utc=True)"
        )
        raise DataValidationError(f"{what} must be tz-aware UTC datetimes, got {dtype}; {hint}")
    if values.isna().any():
        raise DataValidationError(f"{what} has {int(values.isna().sum())} missing times (NaT)")
    return values.dt.tz_convert("UTC")


def to_epoch_us(values: pd.Series, *, what: str) -> np.ndarray:
    """Vectorised: a tz-aware datetime column as ``int64`` epoch microseconds."""
    utc = to_utc_series(values, what=what)
    return np.asarray(utc.dt.as_unit("us").array.asi8, dtype=np.int64)


def from_epoch_us(values: Any) -> pd.DatetimeIndex:
    """Vectorised: integer epoch microseconds as ``datetime64[us, UTC]``."""
    arr = np.asarray(values, dtype=np.int64).astype("datetime64[us]")
    return pd.DatetimeIndex(arr).tz_localize("UTC")
