"""Ingest benchmark: prevoir's observation upsert against the usual ways of loading a CSV.

    python bench/ingest.py [--quick] [--pg-url URL]

Generates a CSV of 1,000 series x 10,000 hours (10 M rows; ``--quick``: 100 x 1,000) with
columns ``unique_id, ds, y`` (ISO UTC times, sorted by series then time — the long-panel
convention), then times, each in its own subprocess so that peak memory (``ru_maxrss`` from
``os.wait4``) is per case:

(a) ``prevoir_sqlite``: stream the CSV with ``pyarrow.csv.open_csv`` (bounded memory), one
    ``upsert_observations`` + commit per block, into a migrated SQLite store;
(b) ``to_sql``: ``pandas.read_csv`` + ``DataFrame.to_sql(method=None, chunksize=...)`` into
    SQLite (same WAL / synchronous=NORMAL pragmas, so only the write path differs);
(c) ``prevoir_pg``: as (a) on PostgreSQL;
(d) ``copy``: ``psql -c "\\copy ..."`` into a plain table (no key) on PostgreSQL;
(e) ``copy_keyed``: the same into a table with the primary key (unique_id, ds) — not in the
    brief, but the fair reference for a store that must find rows again by key.

The prevoir cases then load the same CSV a second time (the idempotent re-load, which must
change 0 rows) and report that speed too. Times exclude interpreter start-up and imports;
memory of the PostgreSQL server itself is not counted for either PostgreSQL case. The parent
process imports only the standard library: on Linux a child's ``ru_maxrss`` includes the
parent's resident size at fork time, so a parent holding pandas would inflate every case.
The last line is machine-readable: ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "prevoir_bench"
DATASET = "bench"
BLOCK_BYTES = 4 << 20  # ~100k CSV rows per Arrow block
ROWS_PER_UPSERT = 400_000  # rows per upsert_observations call and transaction
TO_SQL_CHUNK = 100_000


# -- data -------------------------------------------------------------------------------------


def generate_csv(path: Path, n_series: int, n_hours: int) -> int:
    """Write the benchmark CSV (a random walk per series) in blocks; returns the row count."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(42)
    hours = pd.date_range("2020-01-01", periods=n_hours, freq="h", tz="UTC")
    ds_text = np.char.add(np.datetime_as_string(hours.tz_localize(None).values, unit="s"), "Z")
    per_block = max(1, 1_000_000 // n_hours)
    options = pacsv.WriteOptions(quoting_style="none")
    with pacsv.CSVWriter(path, _csv_schema(), write_options=options) as writer:
        for first in range(0, n_series, per_block):
            ids = np.arange(first, min(first + per_block, n_series))
            walk = 100 + rng.standard_normal((len(ids), n_hours)).cumsum(axis=1)
            table = pa.table(
                {
                    "unique_id": np.repeat([f"series_{i:05d}" for i in ids], n_hours),
                    "ds": np.tile(ds_text, len(ids)),
                    "y": np.round(walk.ravel(), 3),
                },
                schema=_csv_schema(),
            )
            writer.write_table(table)
    return n_series * n_hours


def _csv_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([("unique_id", pa.string()), ("ds", pa.string()), ("y", pa.float64())])


def stream_csv(path: Path) -> Iterator[pd.DataFrame]:
    """The CSV as pandas frames of about ``ROWS_PER_UPSERT`` rows, ``ds`` parsed by Arrow.

    Arrow reads small blocks (its reader buffers several blocks ahead, so the block size
    drives peak memory); blocks are regrouped so each upsert transaction is large enough.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
        convert_options=pacsv.ConvertOptions(
            column_types={
                "unique_id": pa.string(),
                "ds": pa.timestamp("us", tz="UTC"),
                "y": pa.float64(),
            }
        ),
    )
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= ROWS_PER_UPSERT:
            yield pa.Table.from_batches(pending).to_pandas()
            pending, rows = [], 0
    if pending:
        yield pa.Table.from_batches(pending).to_pandas()


# -- cases (run in a child process) ----------------------------------------------------------


def load_prevoir(url: str, csv: Path) -> dict[str, Any]:
    """Cases (a) and (c): stream + upsert, then the same again (must change nothing)."""
    from prevoir.storage import (
        count_observations,
        create_store_engine,
        upgrade_schema,
        upsert_observations,
    )

    engine = create_store_engine(url)
    upgrade_schema(engine)
    timings: dict[str, Any] = {}
    for label in ("load", "reload"):
        start = time.perf_counter()
        changed = 0
        for frame in stream_csv(csv):
            with engine.begin() as conn:
                changed += upsert_observations(conn, DATASET, frame, ["y"])
        timings[f"{label}_s"] = time.perf_counter() - start
        timings[f"{label}_changed"] = changed
    with engine.connect() as conn:
        timings["rows"] = count_observations(conn, DATASET)
    engine.dispose()
    return timings


def load_to_sql(path: str, csv: Path) -> dict[str, Any]:
    """Case (b): the everyday pandas way."""
    import pandas as pd
    import sqlalchemy as sa
    from sqlalchemy import event

    engine = sa.create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    start = time.perf_counter()
    frame = pd.read_csv(csv, parse_dates=["ds"])
    frame.to_sql("observations", engine, index=False, method=None, chunksize=TO_SQL_CHUNK)
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM observations").scalar_one()
    engine.dispose()
    return {"load_s": seconds, "rows": rows}


def run_case(case: str, target: str, csv: Path) -> None:
    """Child-process entry point: run one step and print its JSON result."""
    if case == "generate":
        n_series, n_hours = (int(n) for n in target.split("x"))
        result: dict[str, Any] = {"rows": generate_csv(csv, n_series, n_hours)}
    elif case == "prepare_pg":
        result = dict(zip(("store_url", "libpq_url"), pg_urls(target), strict=True))
    elif case == "to_sql":
        result = load_to_sql(target, csv)
    else:
        result = load_prevoir(target, csv)
    print(json.dumps(result))


# -- orchestration (parent process) ----------------------------------------------------------


def spawn(
    argv: list[str], label: str, env: dict[str, str] | None = None
) -> tuple[str, float, float]:
    """Run ``argv``; return its stdout, wall seconds and peak RSS in MB (Linux: KiB units)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed with exit code {proc.returncode}")
    return out, wall, usage.ru_maxrss / 1024


def child(case: str, target: str, csv: Path) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--case", case, "--target", target, str(csv)]
    out, _, peak = spawn(argv, f"case {case}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = peak
    return result


def pg_urls(admin: str) -> tuple[str, str]:
    """(SQLAlchemy URL of the bench schema, libpq URL for psql), after resetting the schema."""
    import sqlalchemy as sa

    engine = sa.create_engine(admin)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
        conn.exec_driver_sql(
            f"CREATE TABLE {PG_SCHEMA}.copy_peer (unique_id text, ds timestamptz, y float8)"
        )
        conn.exec_driver_sql(
            f"CREATE TABLE {PG_SCHEMA}.copy_keyed (unique_id text, ds timestamptz, y float8, "
            "PRIMARY KEY (unique_id, ds))"
        )
    engine.dispose()
    url = sa.make_url(admin)
    store = url.update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return store.render_as_string(hide_password=False), libpq


def psql(libpq_url: str, command: str) -> tuple[str, float, float]:
    """Run one psql command; returns stdout, wall seconds and peak RSS (MB)."""
    binary = shutil.which("psql")
    if binary is None:
        raise SystemExit("psql not found; install the PostgreSQL client to run the COPY cases")
    env = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
    return spawn([binary, libpq_url, "-v", "ON_ERROR_STOP=1", "-c", command], "psql", env)


def copy_peer(libpq_url: str, csv: Path, table: str) -> dict[str, Any]:
    """Cases (d) and (e): psql's client-side COPY, timed from spawn to exit."""
    psql(libpq_url, "CHECKPOINT")
    command = f"\\copy {PG_SCHEMA}.{table} FROM '{csv}' WITH (FORMAT csv, HEADER true)"
    out, wall, peak = psql(libpq_url, command)
    return {"load_s": wall, "rows": int(out.split()[-1]), "peak_mb": peak}


def print_table(results: dict[str, dict[str, Any]], n_rows: int) -> None:
    print(f"\n{'case':<16}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}  re-load")
    for case, r in results.items():
        reload = ""
        if "reload_s" in r:
            reload = f"{n_rows / r['reload_s']:>10,.0f} rows/s, {r['reload_changed']} changed"
        rate = n_rows / r["load_s"]
        print(
            f"{case:<16}{r['rows']:>12,}{r['load_s']:>10.2f}{rate:>12,.0f}"
            f"{r['peak_mb']:>10.0f}  {reload}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 series x 1,000 hours")
    parser.add_argument("--pg-url", default=os.environ.get("PREVOIR_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--workdir", type=Path, default=None, help="keep the CSV and DBs here")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("csv", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.target, args.csv)
        return
    n_series, n_hours = (100, 1_000) if args.quick else (1_000, 10_000)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="prevoir-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        run_all(workdir, n_series, n_hours, args.pg_url)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _checkpointed(libpq_url: str, case: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``case`` right after a CHECKPOINT so earlier cases' dirty pages do not bill it."""
    psql(libpq_url, "CHECKPOINT")
    return case()


def run_all(workdir: Path, n_series: int, n_hours: int, pg_url: str) -> None:
    csv = workdir / f"ingest_{n_series}x{n_hours}.csv"
    start = time.perf_counter()
    n_rows = child("generate", f"{n_series}x{n_hours}", csv)["rows"]
    size_mb = csv.stat().st_size / 1e6
    print(f"CSV {csv}: {n_rows:,} rows, {size_mb:.0f} MB in {time.perf_counter() - start:.1f}s")
    for stale in workdir.glob("*.db*"):
        stale.unlink()
    urls = child("prepare_pg", pg_url, csv)
    store_url, libpq_url = urls["store_url"], urls["libpq_url"]
    results = {
        "prevoir_sqlite": child("prevoir", f"sqlite:///{workdir / 'prevoir.db'}", csv),
        "to_sql": child("to_sql", str(workdir / "to_sql.db"), csv),
        "prevoir_pg": _checkpointed(libpq_url, lambda: child("prevoir", store_url, csv)),
        "copy": copy_peer(libpq_url, csv, "copy_peer"),
        "copy_keyed": copy_peer(libpq_url, csv, "copy_keyed"),
    }
    for case, r in results.items():
        if r["rows"] != n_rows or r.get("reload_changed", 0) != 0:
            raise SystemExit(
                f"{case}: stored {r['rows']} rows, reload changed {r.get('reload_changed')}"
            )
    print_table(results, n_rows)
    rate = {case: n_rows / r["load_s"] for case, r in results.items()}
    fields = {
        "rows": n_rows,
        "sqlite_rows_per_s": round(rate["prevoir_sqlite"]),
        "to_sql_rows_per_s": round(rate["to_sql"]),
        "sqlite_ratio": round(rate["prevoir_sqlite"] / rate["to_sql"], 2),
        "pg_rows_per_s": round(rate["prevoir_pg"]),
        "copy_rows_per_s": round(rate["copy"]),
        "pg_ratio": round(rate["prevoir_pg"] / rate["copy"], 2),
        "copy_keyed_rows_per_s": round(rate["copy_keyed"]),
        "pg_keyed_ratio": round(rate["prevoir_pg"] / rate["copy_keyed"], 2),
        "sqlite_reload_rows_per_s": round(n_rows / results["prevoir_sqlite"]["reload_s"]),
        "pg_reload_rows_per_s": round(n_rows / results["prevoir_pg"]["reload_s"]),
        "peak_mb": round(max(results[c]["peak_mb"] for c in ("prevoir_sqlite", "prevoir_pg"))),
        "to_sql_peak_mb": round(results["to_sql"]["peak_mb"]),
    }
    psql(libpq_url, f"DROP SCHEMA {PG_SCHEMA} CASCADE")
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
