"""Forecasts: one row per (forecaster, series, origin, step), written idempotently.

Catch-up forecasting may be killed and restarted at any moment; re-issuing a forecast that is
already stored must neither duplicate it nor rewrite it. The upsert therefore only updates a
row when what it says changed (``ds``, ``yhat``, the interval bands or the model version) and
leaves ``issued_at`` and ``run_id`` of identical rows alone: they record when the forecast
was *first* issued.

Interval bands (``yhat_lo_<level>``/``yhat_hi_<level>`` columns of the frame) are stored in
one nullable JSON column, ``{"80": [lo, hi], "95": [lo, hi]}`` (levels ascending, a missing
bound as null), built in bulk: on SQLite as text by numpy string operations (shortest
round-trip float text, so equal bands give equal text and the "changed" test is a text
comparison); on PostgreSQL the bounds are COPYed as float8 columns of the staging table and
``jsonb_build_object`` assembles the JSONB in the upsert itself.

Every function takes the caller's ``Connection`` and never commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from prevoir.domain.columns import (
    DS,
    FORECAST_COLUMNS,
    ORIGIN,
    STEP,
    UNIQUE_ID,
    YHAT,
    hi_column,
    interval_levels,
    lo_column,
)
from prevoir.domain.records import ForecastPoint, IssuedForecast
from prevoir.errors import DataValidationError
from prevoir.storage._bulk import (
    BinaryColumn,
    copy_binary,
    create_stage,
    fetch_columns,
    find_duplicates,
    is_postgres,
    sqlite_executemany,
)
from prevoir.storage._errors import translate_errors
from prevoir.storage.tables import forecasts
from prevoir.storage.types import EPOCH, epoch_us_expr, from_epoch_us, to_epoch_us

_IDS_PER_STATEMENT = 30_000  # bound parameters per IN list (PostgreSQL's limit: 65,535)

__all__ = [
    "count_forecasts",
    "issued_by_runs",
    "last_origins",
    "read_forecasts",
    "read_series_forecasts",
    "series_origins",
    "upsert_forecasts",
]

logger = logging.getLogger(__name__)

INTERVALS = "intervals"

_UPDATE_SET = (
    "SET ds = excluded.ds, yhat = excluded.yhat, intervals = excluded.intervals, "
    "model_version_id = excluded.model_version_id, issued_at = excluded.issued_at, "
    "run_id = excluded.run_id, refit_at = excluded.refit_at "
)
_COLUMNS = (
    "forecaster, unique_id, origin, step, ds, yhat, intervals, model_version_id, issued_at, "
    "run_id, refit_at"
)
_SQLITE_UPSERT = (
    f"INSERT INTO forecasts ({_COLUMNS}) VALUES {{values}} "
    "ON CONFLICT (forecaster, unique_id, origin, step) DO UPDATE " + _UPDATE_SET + "WHERE "
    "forecasts.yhat IS NOT excluded.yhat OR forecasts.ds IS NOT excluded.ds "
    "OR forecasts.intervals IS NOT excluded.intervals "
    "OR forecasts.model_version_id IS NOT excluded.model_version_id "
    "OR forecasts.refit_at IS NOT excluded.refit_at"
)
_PG_STAGE = "_prevoir_fc_stage"


def _pg_stage(levels: Sequence[int]) -> str:
    """One staging table per set of levels: a transaction may write forecasters with
    different levels, and ``create_stage`` keeps an existing table's columns."""
    return "_".join([_PG_STAGE, *map(str, levels)])


def _pg_stage_ddl(levels: Sequence[int]) -> str:
    """Staging columns; the bounds before ``yhat``, the one nullable COPY column, last."""
    bounds = "".join(f"lo_{level} float8, hi_{level} float8, " for level in levels)
    return (
        "uid_idx int4 NOT NULL, origin timestamptz NOT NULL, step int4 NOT NULL, "
        f"ds timestamptz NOT NULL, {bounds}yhat float8"
    )


def _pg_upsert(levels: Sequence[int]) -> str:
    """The staged rows into ``forecasts``; bands become JSONB here (NaN bound -> null)."""
    pairs = ", ".join(
        f"'{level}', jsonb_build_array(NULLIF(s.lo_{level}, 'NaN'), NULLIF(s.hi_{level}, 'NaN'))"
        for level in levels
    )
    intervals = f"jsonb_build_object({pairs})" if levels else "NULL::jsonb"
    return (
        f"INSERT INTO forecasts ({_COLUMNS}) "
        f"SELECT %(forecaster)s, u.unique_id, s.origin, s.step, s.ds, s.yhat, {intervals}, "
        f"%(mv)s, %(issued)s, %(run)s, %(refit)s FROM {_pg_stage(levels)} s "
        "JOIN unnest(%(uids)s::text[]) WITH ORDINALITY AS u(unique_id, idx) ON u.idx = s.uid_idx "
        "ON CONFLICT (forecaster, unique_id, origin, step) DO UPDATE " + _UPDATE_SET + "WHERE "
        "forecasts.yhat IS DISTINCT FROM excluded.yhat OR forecasts.ds IS DISTINCT FROM "
        "excluded.ds OR forecasts.intervals IS DISTINCT FROM excluded.intervals "
        "OR forecasts.model_version_id IS DISTINCT FROM excluded.model_version_id "
        "OR forecasts.refit_at IS DISTINCT FROM excluded.refit_at"
    )


def _arrays(forecaster: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validated numpy columns of a forecast frame (times as epoch microseconds)."""
    missing = [c for c in FORECAST_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"forecaster {forecaster!r}: forecast frame lacks columns {missing} "
            f"(has {list(frame.columns)}); expected {list(FORECAST_COLUMNS)}"
        )
    if frame[UNIQUE_ID].isna().any() or frame[STEP].isna().any():
        raise DataValidationError(
            f"forecaster {forecaster!r}: forecast frame has missing {UNIQUE_ID} or {STEP}"
        )
    what = f"forecaster {forecaster!r}: column"
    try:
        yhat = frame[YHAT].to_numpy(dtype=np.float64, na_value=np.nan)
        step = frame[STEP].to_numpy(dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"forecaster {forecaster!r}: {STEP!r} must be integers and {YHAT!r} numbers"
        ) from exc
    columns = {
        ORIGIN: to_epoch_us(frame[ORIGIN], what=f"{what} {ORIGIN!r}"),
        DS: to_epoch_us(frame[DS], what=f"{what} {DS!r}"),
        STEP: step,
        YHAT: yhat,
    }
    for level in interval_levels(frame.columns):
        for name in (lo_column(level), hi_column(level)):
            try:
                bound = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise DataValidationError(f"{what} {name!r} must hold numbers") from exc
            columns[name] = np.where(np.isfinite(bound), bound, np.nan)
    return columns


def _issued(issued_at: datetime | None) -> datetime:
    """``issued_at`` in UTC, now when omitted, truncated to the store's microseconds."""
    if issued_at is None:
        return datetime.now(UTC)
    if issued_at.tzinfo is None:
        raise DataValidationError(
            f"issued_at {issued_at.isoformat()} is naive; pass a tz-aware UTC datetime"
        )
    return issued_at.astimezone(UTC)


def _sorted_rows(forecaster: str, frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[str]]:
    """Validated columns in primary-key order; ``unique_id`` as codes into the returned ids."""
    cols = _arrays(forecaster, frame)
    codes, uniques = pd.factorize(frame[UNIQUE_ID])
    order, dups = find_duplicates([codes, cols[ORIGIN], cols[STEP]])
    if dups:
        raise DataValidationError(
            f"forecaster {forecaster!r}: {dups} rows repeat a ({UNIQUE_ID}, {ORIGIN}, {STEP}) "
            "key; each forecast must appear once"
        )
    rows = {name: values[order] for name, values in cols.items()}
    rows[UNIQUE_ID] = codes[order]
    return rows, [str(u) for u in uniques]


def upsert_forecasts(
    conn: sa.Connection,
    forecaster: str,
    frame: pd.DataFrame,
    *,
    model_version_id: int | None,
    run_id: int | None,
    issued_at: datetime | None = None,
    refit_at: datetime | None = None,
) -> int:
    """Store ``frame`` (``unique_id, origin, ds, step, yhat``); returns rows inserted or changed.

    Extra columns are ignored. ``issued_at`` defaults to now; ``refit_at`` is the cut-off of
    the ephemeral catch-up refit that made the frame (None: the version itself). A row
    identical to the stored one (same ``ds``, ``yhat``, bands, version and refit) is not
    rewritten and not counted. The same (unique_id, origin, step) twice in ``frame`` is
    refused.
    """
    if frame.empty:
        return 0
    rows, unique_ids = _sorted_rows(forecaster, frame)
    levels = interval_levels(frame.columns)
    issued = _issued(issued_at)
    refit = None if refit_at is None else _issued(refit_at)
    with translate_errors(f"storing forecasts of {forecaster!r}"):
        if is_postgres(conn):
            params = {
                "forecaster": forecaster,
                "uids": unique_ids,
                "mv": model_version_id,
                "run": run_id,
                "issued": issued,
                "refit": refit,
            }
            changed = _write_pg(conn, rows, levels, params)
        else:
            uid = np.asarray(unique_ids, dtype=object)[rows[UNIQUE_ID]]
            issued_us = (issued - EPOCH) // timedelta(microseconds=1)
            columns = [forecaster, uid, rows[ORIGIN], rows[STEP], rows[DS], rows[YHAT]]
            refit_us = None if refit is None else (refit - EPOCH) // timedelta(microseconds=1)
            columns += [_intervals_json(rows, levels), model_version_id, issued_us, run_id]
            columns += [refit_us]
            changed = sqlite_executemany(conn, _SQLITE_UPSERT, columns)
    logger.debug("forecaster %s: %s of %s forecast rows changed", forecaster, changed, len(frame))
    return changed


def _write_pg(
    conn: sa.Connection,
    rows: dict[str, np.ndarray],
    levels: Sequence[int],
    params: Mapping[str, object],
) -> int:
    """COPY the sorted rows (series as 1-based index into ``params["uids"]``), then upsert."""
    create_stage(conn, _pg_stage(levels), _pg_stage_ddl(levels))
    bounds = [
        BinaryColumn(f"{side}_{level}", "float8", rows[column(level)])
        for level in levels
        for side, column in (("lo", lo_column), ("hi", hi_column))
    ]
    copy_binary(
        conn,
        _pg_stage(levels),
        [
            BinaryColumn("uid_idx", "int4", rows[UNIQUE_ID] + 1),
            BinaryColumn("origin", "timestamptz", rows[ORIGIN]),
            BinaryColumn("step", "int4", rows[STEP]),
            BinaryColumn("ds", "timestamptz", rows[DS]),
            *bounds,
            BinaryColumn("yhat", "float8", rows[YHAT]),
        ],
    )
    return conn.exec_driver_sql(_pg_upsert(levels), params).rowcount


def _intervals_json(rows: Mapping[str, np.ndarray], levels: Sequence[int]) -> np.ndarray | None:
    """``{"80": [lo, hi], ...}`` per row as text (None without levels), built column-wise."""
    if not levels:
        return None
    text = np.full(len(rows[YHAT]), "{", dtype=object)
    for i, level in enumerate(levels):
        lo, hi = _json_numbers(rows[lo_column(level)]), _json_numbers(rows[hi_column(level)])
        text = text + f'{", " if i else ""}"{level}": [' + lo + ", " + hi + "]"
    return np.asarray(text + "}", dtype=object)


def _json_numbers(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each float, ``null`` for NaN."""
    return np.where(np.isnan(values), "null", values.astype(str)).astype(object)


def last_origins(conn: sa.Connection, forecaster: str) -> dict[str, pd.Timestamp]:
    """The newest origin with stored forecasts, per ``unique_id`` of ``forecaster``."""
    stmt = (
        sa.select(forecasts.c.unique_id, sa.func.max(forecasts.c.origin))
        .where(forecasts.c.forecaster == forecaster)
        .group_by(forecasts.c.unique_id)
    )
    with translate_errors(f"reading last forecast origins of {forecaster!r}"):
        rows = conn.execute(stmt).all()
    return {uid: pd.Timestamp(ts) for uid, ts in rows}


def read_forecasts(
    conn: sa.Connection,
    *,
    forecaster: str | None = None,
    series: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    origin: datetime | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Stored forecasts, filtered; ``start``/``end`` bound the target time ``ds`` (inclusive),
    ``origin`` keeps the forecasts issued from that one origin.

    Columns: ``unique_id, origin, ds, step, yhat, forecaster, model_version_id, run_id,
    issued_at, refit_at`` (NaT: made by the version itself, not a catch-up refit), then
    ``yhat_lo_<level>, yhat_hi_<level>`` for every interval level stored on any returned row
    (NaN on rows without it); sorted by forecaster, unique_id, origin, step. With ``limit``
    only the ``limit`` rows with the newest origins are returned (still sorted ascending).
    """
    f = forecasts
    dialect = conn.dialect
    stmt = sa.select(
        f.c.unique_id,
        epoch_us_expr(f.c.origin, dialect).label(ORIGIN),
        epoch_us_expr(f.c.ds, dialect).label(DS),
        f.c.step,
        f.c.yhat,
        f.c.intervals,
        f.c.forecaster,
        f.c.model_version_id,
        f.c.run_id,
        epoch_us_expr(f.c.issued_at, dialect).label("issued_at"),
        epoch_us_expr(f.c.refit_at, dialect).label("refit_at"),
    )
    if forecaster is not None:
        stmt = stmt.where(f.c.forecaster == forecaster)
    if series is not None:
        stmt = stmt.where(f.c.unique_id.in_([str(s) for s in series]))
    if start is not None:
        stmt = stmt.where(f.c.ds >= start)
    if end is not None:
        stmt = stmt.where(f.c.ds <= end)
    if origin is not None:
        stmt = stmt.where(f.c.origin == origin)
    if limit is not None:
        stmt = stmt.order_by(f.c.origin.desc(), f.c.forecaster, f.c.unique_id, f.c.step)
        stmt = stmt.limit(limit)
    with translate_errors("reading forecasts"):
        out = fetch_columns(conn, stmt, _READ_COLUMNS)
    return _forecast_frame(out)


_READ_COLUMNS = (
    UNIQUE_ID,
    ORIGIN,
    DS,
    STEP,
    YHAT,
    INTERVALS,
    "forecaster",
    "model_version_id",
    "run_id",
    "issued_at",
    "refit_at",
)


def _forecast_frame(out: pd.DataFrame) -> pd.DataFrame:
    """Give the raw columns their contract dtypes and order."""
    for col in (ORIGIN, DS, "issued_at"):
        out[col] = from_epoch_us(out[col].to_numpy(dtype=np.int64))
    out["refit_at"] = pd.to_datetime(out["refit_at"].astype("Int64"), unit="us", utc=True)
    out[STEP] = out[STEP].astype(np.int64)
    out[YHAT] = out[YHAT].astype(np.float64)
    for col in ("model_version_id", "run_id"):
        out[col] = out[col].astype("Int64")
    for col in (UNIQUE_ID, "forecaster"):
        out[col] = out[col].astype(str)
    out = _with_bands(out)
    return out.sort_values(["forecaster", UNIQUE_ID, ORIGIN, STEP], ignore_index=True)


def _with_bands(out: pd.DataFrame) -> pd.DataFrame:
    """The JSON ``intervals`` column expanded to ``yhat_lo_<level>, yhat_hi_<level>``."""
    stored = [json.loads(v) if isinstance(v, str) else v for v in out.pop(INTERVALS)]
    levels = sorted({int(level) for bands in stored if bands for level in bands})
    for level in levels:
        pairs = [(bands or {}).get(str(level), (None, None)) for bands in stored]
        bounds = np.array(pairs, dtype=np.float64).reshape(len(stored), 2)
        out[lo_column(level)], out[hi_column(level)] = bounds[:, 0], bounds[:, 1]
    return out


_SERIES_COLUMNS = (
    forecasts.c.origin,
    forecasts.c.ds,
    forecasts.c.step,
    forecasts.c.yhat,
    forecasts.c.intervals,
    forecasts.c.model_version_id,
)


def _latest_statement() -> sa.Select[Any]:
    """The hot "latest forecast of one series" read, built once with bound parameters
    (building the select per call cost more than running it)."""
    f = forecasts
    key = [f.c.forecaster == sa.bindparam("forecaster"), f.c.unique_id == sa.bindparam("uid")]
    newest = sa.select(sa.func.max(f.c.origin)).where(*key).scalar_subquery()
    return sa.select(*_SERIES_COLUMNS).where(*key, f.c.origin == newest).order_by(f.c.step)


_LATEST = _latest_statement()


def read_series_forecasts(
    conn: sa.Connection,
    forecaster: str,
    unique_id: str,
    *,
    origin_from: datetime | None = None,
    origin_to: datetime | None = None,
    latest: bool = False,
) -> list[IssuedForecast]:
    """One series' forecasts, one per origin (oldest first), steps in order.

    ``origin_from``/``origin_to`` bound the origin (inclusive). ``latest`` keeps only the
    newest origin (and ignores the bounds): one statement whose ``origin = (SELECT
    max(origin) ...)`` is two probes of the primary key ``(forecaster, unique_id, origin,
    step)``, so its cost does not grow with the series' history (the API's hot path). Rows,
    not a frame: a few dozen of them do not pay for pandas.
    """
    action = f"reading forecasts of {forecaster!r} for series {unique_id!r}"
    if latest:
        stmt, params = _LATEST, {"forecaster": forecaster, "uid": unique_id}
    else:
        f = forecasts
        where = [f.c.forecaster == forecaster, f.c.unique_id == unique_id]
        if origin_from is not None:
            where.append(f.c.origin >= origin_from)
        if origin_to is not None:
            where.append(f.c.origin <= origin_to)
        stmt, params = sa.select(*_SERIES_COLUMNS).where(*where).order_by(f.c.origin, f.c.step), {}
    with translate_errors(action):
        rows = conn.execute(stmt, params).mappings().all()
    return _issues(forecaster, unique_id, rows)


def _issues(forecaster: str, unique_id: str, rows: Sequence[sa.RowMapping]) -> list[IssuedForecast]:
    """Rows sorted by origin and step, grouped into one forecast per origin; a band with
    neither bound stored is left out."""
    grouped: dict[datetime, tuple[int | None, list[ForecastPoint]]] = {}
    for row in rows:
        _, points = grouped.setdefault(row["origin"], (row["model_version_id"], []))
        bands = {
            level: (lo, hi)
            for level, (lo, hi) in (row["intervals"] or {}).items()
            if lo is not None or hi is not None
        }
        points.append(ForecastPoint(row["step"], row["ds"], row["yhat"], bands))
    return [
        IssuedForecast(forecaster, unique_id, origin, version, tuple(points))
        for origin, (version, points) in grouped.items()
    ]


def series_origins(
    conn: sa.Connection,
    forecaster: str,
    unique_id: str,
    *,
    origin_from: datetime | None = None,
    origin_to: datetime | None = None,
    limit: int,
) -> list[datetime]:
    """The newest ``limit`` distinct origins of one series in the range, newest first."""
    f = forecasts
    stmt = sa.select(f.c.origin).where(f.c.forecaster == forecaster, f.c.unique_id == unique_id)
    if origin_from is not None:
        stmt = stmt.where(f.c.origin >= origin_from)
    if origin_to is not None:
        stmt = stmt.where(f.c.origin <= origin_to)
    stmt = stmt.distinct().order_by(f.c.origin.desc()).limit(limit)
    with translate_errors(f"listing forecast origins of {forecaster!r} for {unique_id!r}"):
        return list(conn.execute(stmt).scalars())


def issued_by_runs(conn: sa.Connection, forecaster: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` (``unique_id, origin, step``) whose key holds a forecast that a
    prevoir run issued (``run_id`` set), with that ``run_id``: what a publisher may not
    overwrite."""
    keys = frame[[UNIQUE_ID, ORIGIN, STEP]]
    if keys.empty:
        return keys.assign(run_id=pd.Series(dtype="int64"))
    f = forecasts
    stmt = sa.select(f.c.unique_id, f.c.origin, f.c.step, f.c.run_id).where(
        f.c.forecaster == forecaster,
        f.c.run_id.is_not(None),
        f.c.origin >= keys[ORIGIN].min().to_pydatetime(),
        f.c.origin <= keys[ORIGIN].max().to_pydatetime(),
    )
    ids = sorted(set(keys[UNIQUE_ID].astype(str)))
    if len(ids) <= _IDS_PER_STATEMENT:  # more: the origin window alone, matched below
        stmt = stmt.where(f.c.unique_id.in_(ids))
    with translate_errors(f"checking which forecasts of {forecaster!r} prevoir issued"):
        rows = conn.execute(stmt).all()
    stored = pd.DataFrame(rows, columns=[UNIQUE_ID, ORIGIN, STEP, "run_id"])
    stored[ORIGIN] = pd.to_datetime(stored[ORIGIN], utc=True).dt.as_unit("us")
    wanted = keys.assign(**{ORIGIN: pd.to_datetime(keys[ORIGIN], utc=True).dt.as_unit("us")})
    return wanted.merge(stored, on=[UNIQUE_ID, ORIGIN, STEP], how="inner")


def count_forecasts(conn: sa.Connection, forecaster: str | None = None) -> int:
    """Number of stored forecast rows, optionally for one forecaster."""
    stmt = sa.select(sa.func.count()).select_from(forecasts)
    if forecaster is not None:
        stmt = stmt.where(forecasts.c.forecaster == forecaster)
    with translate_errors("counting forecasts"):
        return int(conn.execute(stmt).scalar_one())
