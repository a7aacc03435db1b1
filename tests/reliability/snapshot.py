"""What a store holds, without run ids, version ids or times: for comparing an interrupted
and re-run pipeline with an uninterrupted one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool


def snapshot(store_url: str) -> dict[str, Any]:
    """Observations, forecasts (their version named by its data fingerprint), the distinct
    trained versions, the aliases, and the locks left behind."""
    engine = sa.create_engine(store_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {
                "observations": _rows(
                    conn,
                    "SELECT s.dataset, s.unique_id, s.variable, o.ds, o.value "
                    "FROM observations o JOIN series s ON s.id = o.series_id",
                ),
                "forecasts": _rows(
                    conn,
                    "SELECT f.forecaster, f.unique_id, f.origin, f.step, f.ds, "
                    "round(CAST(f.yhat AS numeric), 6), v.data_fingerprint "
                    "FROM forecasts f JOIN model_versions v ON v.id = f.model_version_id",
                ),
                "versions": set(
                    _rows(
                        conn,
                        "SELECT forecaster, kind, data_fingerprint, train_start, train_end "
                        "FROM model_versions",
                    )
                ),
                "aliases": _rows(
                    conn,
                    "SELECT a.forecaster, a.alias, v.data_fingerprint "
                    "FROM aliases a JOIN model_versions v ON v.id = a.version_id",
                ),
                "locks": _rows(conn, "SELECT name FROM locks WHERE name LIKE 'train:%'"),
            }
    finally:
        engine.dispose()


def _rows(conn: sa.Connection, query: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(row) for row in conn.execute(sa.text(query))), key=str)


def runs_of(store_url: str) -> list[dict[str, Any]]:
    """Every run row (id, status, error, steps), oldest first."""
    engine = sa.create_engine(store_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, status, error, steps, host, pid FROM runs ORDER BY id"
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()
