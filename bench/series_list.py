"""Series listing benchmark: ``GET /series`` reads the maintained summary, not the observations.

    python bench/series_list.py [--quick] [--pg-url URL]

Loads 100,000 series x 100 hours (10 M rows; ``--quick``: 1,000 x 100) into a fresh SQLite
store (and PostgreSQL with ``--pg-url``) through ``upsert_observations`` (which maintains the
series summary in each load's transaction), then times, median of 15 calls each:

- ``page``: ``workflows.stored_series`` for the first page (1,000 series, with the total),
  what ``GET /api/v1/series`` calls;
- ``deep_page``: the page at offset 50,000 (or the middle);
- ``search``: ``q="77"`` (a substring search, case-insensitive), first page;
- ``picker``: the dashboard picker's page of 200 ids matching ``q="123"``;
- ``aggregate``: the listing as it was before (``list_series``: count/min/max over every
  observation), once, for comparison;
- ``append``: the hourly job's load of one new hour for every series (summary included).

The last line is machine-readable: ``RESULT key=value ...``, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from prevoir.config import Settings
from prevoir.storage.observations import list_series, upsert_observations
from prevoir.workflows.project import Project, open_project
from prevoir.workflows.series import stored_series

DATASET = "bench"
PG_SCHEMA = "prevoir_bench_series"
HOURS = 100
T0 = pd.Timestamp("2025-01-01", tz="UTC")


def load(project: Project, n_series: int, *, start: int = 0, hours: int = HOURS) -> float:
    """Load ``hours`` hours from ``start`` for every series, in batches; seconds taken."""
    # at most 50,000 series per call: the PostgreSQL upsert binds one parameter per series
    # in one query (at most 65,535), a limit of upsert_observations itself
    per_batch = max(1, min(400_000 // hours, 50_000))
    began = time.perf_counter()
    ds = pd.date_range(T0 + pd.Timedelta(hours=start), periods=hours, freq="h")
    for first in range(0, n_series, per_batch):
        ids = [f"s{i:06d}" for i in range(first, min(first + per_batch, n_series))]
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(ids, hours),
                "ds": np.tile(ds, len(ids)),
                "y": np.random.default_rng(first).normal(size=len(ids) * hours),
            }
        )
        with project.store.write() as conn:
            upsert_observations(conn, DATASET, frame, ["y"])
    return time.perf_counter() - began


def timed(call: Callable[[], object], repeat: int = 15) -> float:
    """Median milliseconds of ``repeat`` calls (after one warm-up)."""
    call()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def run(url: str, n_series: int, folder: Path) -> dict[str, float]:
    settings = Settings(project_dir=folder, store={"url": url})
    project = open_project(settings, migrate=True)
    try:
        out = {"load_s": load(project, n_series)}
        out["load_rows_per_s"] = n_series * HOURS / out["load_s"]
        if url.startswith("postgresql"):  # what autovacuum does after a large load: the
            # visibility map lets counts and deep pages read the index alone
            with project.store.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.exec_driver_sql("VACUUM ANALYZE series")
                conn.exec_driver_sql("VACUUM ANALYZE series_summary")
        page, total = stored_series(project, limit=1000)
        assert total == n_series and len(page) == min(1000, n_series)
        out["page_ms"] = timed(lambda: stored_series(project, limit=1000))
        middle = n_series // 2
        out["deep_page_ms"] = timed(lambda: stored_series(project, limit=1000, offset=middle))
        out["search_ms"] = timed(lambda: stored_series(project, q="77", limit=1000))
        from prevoir.storage.series_summary import series_page

        def picker() -> object:
            with project.store.read() as conn:
                return series_page(conn, dataset=DATASET, variable="y", q="123", limit=200)

        out["picker_ms"] = timed(picker)

        def aggregate() -> object:
            with project.store.read() as conn:
                return list_series(conn)

        out["aggregate_ms"] = timed(aggregate, repeat=1)
        out["append_s"] = load(project, n_series, start=HOURS, hours=1)
        page, total = stored_series(project, limit=1)
        assert int(page["rows"].iloc[0]) == HOURS + 1
        return out
    finally:
        project.close()


def fresh_schema(url: str) -> str:
    """``url`` pointed at an emptied schema of its own, ``prevoir_bench_series``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    engine.dispose()
    found = sa.make_url(url).update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
    return found.render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 series instead of 100,000")
    parser.add_argument("--pg-url", help="also run on PostgreSQL (schema prevoir_bench_series)")
    args = parser.parse_args()
    n_series = 1_000 if args.quick else 100_000
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = {"sqlite": f"sqlite:///{tmp}/bench.db"}
        if args.pg_url:
            cases["pg"] = args.pg_url
        for name, url in cases.items():
            if name == "pg":
                url = fresh_schema(url)
            found = run(url, n_series, Path(tmp))
            for key, value in found.items():
                print(f"{name:6s} {key:16s} {value:14.1f}")
                results[f"{name}_{key}"] = value
    load1, load5, _ = os.getloadavg()
    fields = " ".join(f"{k}={v:.1f}" for k, v in results.items())
    size = f"series={n_series} rows={n_series * HOURS}"
    print(f"RESULT {size} {fields} load1={load1:.2f} load5={load5:.2f}")


if __name__ == "__main__":
    main()
