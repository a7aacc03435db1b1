"""Scale benchmark: the steady-state hourly job for 1k, 10k and 100k series.

    python bench/scale.py [--quick] [--sizes 1000 10000 100000] [--history 672] [--pg]

The scenario is what a deployment does every hour once it runs: the store already holds
``--history`` hours (default 4 weeks) of N synthetic hourly series
(``prevoir.testing.make_series``) and a trained champion (global direct LightGBM on lags
24/48/168, a 24 h rolling window, hour and day of week); then ONE new hour arrives for every
series as a CSV file. Timed (the headline): ingest that hour, forecast h = 1..24 from the new
origin of every series, and store the forecasts.

- **prevoir**: ``run_pipeline(project, steps=["extract", "transform", "load", "predict"])``
  on a project whose dataset reads ``incoming/*.csv``; the run is recorded in the store as
  a real one would be.
- **peer**: the hand-written glue a user writes for the same job, with the same LightGBM
  parameters and thread count: ``pandas.read_csv`` of the new hour,
  ``DataFrame.to_sql(if_exists="append")`` to SQLite, ``read_sql`` of the last 168 hours
  back (an index on ``ds`` makes that a range scan: the favourable version of the script),
  lags 24/48/168 by ``groupby().shift()`` plus hour and day of week, one
  ``Booster.predict`` for all 24 steps (every lag is >= 24, so no recursion is needed), and
  ``to_sql(if_exists="append")`` of the forecasts. Chosen over mlforecast because the
  design document's user is the one replacing exactly this script; ``MLForecast.predict``
  needs the fitted object's in-memory history, so an hourly cron would have to pickle and
  refresh it, which is the same glue plus a dependency.

Set-up (not in the headline, reported beside it): generate the panel; load it into both
stores (prevoir: ``upsert_observations``; peer: ``to_sql``); train each champion on the
newest two weeks of a sample of ``TRAIN_SERIES`` series (the same global model then serves
every size, so per-series prediction cost is comparable across sizes); register prevoir's
as ``champion`` directly (the evaluate step's backtest is not part of this benchmark); run
each job once for the last history hour, so the timed run is a steady-state catch-up of
exactly one origin per series.

Time: wall seconds, and the job's CPU seconds (user + system, all threads) which a loaded
machine distorts less; the growth ratio t(10k) / t(1k) / 10 (1 = linear) uses CPU seconds.
Memory: each job runs in a fresh child process; peak is that child's ``ru_maxrss``
(``os.wait4``; the parent imports only the standard library so it adds nothing), and
``import MB`` is its resident size right after the imports, so ``peak - import`` is what the
job itself held. Seconds exclude interpreter start-up and imports, which are reported as
their own column (an hourly cron pays them too). The last line is machine-readable:
``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "prevoir_bench_scale"
FORECASTER = "hourly"
H = 24
LAGS = (24, 48, 168)
TRAIN_SERIES = 200  # series the champions are trained on (a sample for big panels)
TRAIN_HOURS = 14 * 24  # newest hours of each sampled series used for training
SERIES_PER_WRITE = 5_000  # series per set-up upsert (bounded memory)
LGB_PARAMS: dict[str, Any] = {
    "objective": "regression",
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "verbose": -1,
    "seed": 0,
}

PROJECT = """\
threads = {threads}

[store]
url = "{url}"

[datasets.synthetic]
source = {{ kind = "csv", path = "incoming/*.csv" }}
keys = ["unique_id"]
values = ["y"]
freq = "h"

[forecasters.{name}]
dataset = "synthetic"
target = "y"
horizons = {horizons}
model = {{ kind = "lightgbm", params = {params} }}
features = {{ lags = {lags}, rolling = [24], calendar = ["hour", "dayofweek"], cyclic = ["hour"] }}
catchup = {{ initial_origins = 1 }}
train_window = {train_hours}
train_stride = 12
"""


def threads_default() -> int:
    """The cores this process may run on (what prevoir's ``threads`` defaults to)."""
    return len(os.sched_getaffinity(0))


# -- child: set-up ----------------------------------------------------------------------------


def setup(workdir: Path, n_series: int, history: int, threads: int, url: str) -> dict[str, Any]:
    """Build both stores, train both champions, issue the first forecasts; seconds per part."""
    import pandas as pd

    from prevoir.testing import make_series

    times: dict[str, Any] = {}
    t0 = time.perf_counter()
    panel = make_series(n_series, history + 1, seed=7, start="2026-01-01")
    last = panel["ds"] == panel["ds"].max()
    past, hour = panel[~last].reset_index(drop=True), panel[last].reset_index(drop=True)
    del panel
    times["generate_s"] = time.perf_counter() - t0
    for name in ("prevoir", "peer"):
        (workdir / name / "incoming").mkdir(parents=True, exist_ok=True)
    times |= setup_prevoir(workdir / "prevoir", past, threads=threads, url=url)
    times |= setup_peer(workdir / "peer", past, threads=threads, url=url)
    text = hour.assign(ds=hour["ds"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for name in ("prevoir", "peer"):
        text.to_csv(workdir / name / "incoming" / "hour.csv", index=False)
    times["new_origin"] = str(pd.Timestamp(hour["ds"].iloc[0]))
    return times


def write_project(folder: Path, *, threads: int, url: str) -> None:
    params = "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in LGB_PARAMS.items()) + " }"
    (folder / "prevoir.toml").write_text(
        PROJECT.format(
            url=url,
            name=FORECASTER,
            horizons=list(range(1, H + 1)),
            params=params,
            lags=list(LAGS),
            train_hours=TRAIN_HOURS,
            threads=threads,
        )
    )


def setup_prevoir(folder: Path, past: Any, *, threads: int, url: str) -> dict[str, Any]:
    from prevoir.config import forecaster_spec, load_settings
    from prevoir.models.factory import make_model
    from prevoir.storage import upsert_observations
    from prevoir.workflows.project import open_project
    from prevoir.workflows.runs import run_pipeline

    write_project(folder, threads=threads, url=url or "sqlite:///prevoir.db")
    settings = load_settings(folder)
    project = open_project(settings, migrate=True)
    t0 = time.perf_counter()
    per_write = SERIES_PER_WRITE * int(past.groupby("unique_id").size().iloc[0])
    for first in range(0, len(past), per_write):
        with project.store.write() as conn:
            upsert_observations(conn, "synthetic", past.iloc[first : first + per_write], ["y"])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    spec = forecaster_spec(FORECASTER, settings)
    sample = past[past["unique_id"].isin(past["unique_id"].unique()[:TRAIN_SERIES])]
    model = make_model(spec).fit(sample)
    registry = project.registry()
    version = registry.save(
        model,
        metadata={
            "forecaster": FORECASTER,
            "kind": "lightgbm",
            "params": LGB_PARAMS,
            "features": list(model.features),
            "train_start": sample["ds"].min().to_pydatetime(),
            "train_end": sample["ds"].max().to_pydatetime(),
            "data_fingerprint": f"bench-scale sample of {TRAIN_SERIES} series",
        },
    )
    registry.promote(version.id, reason="bench-scale champion")
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with project:
        summary = run_pipeline(project, steps=["predict"])
    if summary.status != "succeeded":
        raise SystemExit(f"prevoir set-up predict failed: {summary.error}")
    return {
        "prevoir_load_s": load_s,
        "prevoir_train_s": train_s,
        "prevoir_first_predict_s": time.perf_counter() - t0,
    }


def peer_features(frame: Any) -> Any:
    """The glue's features: lags by ``groupby().shift()``, hour and day of week."""
    frame = frame.sort_values(["unique_id", "ds"], ignore_index=True)
    by_series = frame.groupby("unique_id", sort=False)["y"]
    for lag in LAGS:
        frame[f"lag_{lag}"] = by_series.shift(lag)
    frame["hour"] = frame["ds"].dt.hour
    frame["dayofweek"] = frame["ds"].dt.dayofweek
    return frame


PEER_FEATURES = [*(f"lag_{lag}" for lag in LAGS), "hour", "dayofweek"]


def peer_engine(folder: Path, url: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(url or f"sqlite:///{folder / 'peer.db'}")


def setup_peer(folder: Path, past: Any, *, threads: int, url: str) -> dict[str, Any]:
    import lightgbm as lgb

    engine = peer_engine(folder, url)
    t0 = time.perf_counter()
    past.to_sql("observations", engine, if_exists="replace", index=False, chunksize=100_000)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_observations_ds ON observations (ds)")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sample = past[past["unique_id"].isin(past["unique_id"].unique()[:TRAIN_SERIES])]
    rows = peer_features(sample)
    rows = rows[rows["ds"] > rows["ds"].max() - _hours(TRAIN_HOURS)]
    params = LGB_PARAMS | {"num_threads": threads}
    rounds = params.pop("n_estimators")
    data = lgb.Dataset(rows[PEER_FEATURES], label=rows["y"], params=params)
    lgb.train(params, data, num_boost_round=rounds).save_model(folder / "model.txt")
    train_s = time.perf_counter() - t0
    engine.dispose()
    t0 = time.perf_counter()
    hourly_job(folder, url, threads=threads, new_hour=None)
    return {"peer_load_s": load_s, "peer_train_s": train_s, "peer_first_predict_s": _since(t0)}


def _hours(n: int) -> Any:
    import pandas as pd

    return pd.Timedelta(hours=n)


def _since(t0: float) -> float:
    return time.perf_counter() - t0


# -- child: the timed hourly jobs -------------------------------------------------------------


def hourly_job(folder: Path, url: str, *, threads: int, new_hour: Path | None) -> int:
    """The peer's hourly script; ``new_hour=None`` forecasts from the newest stored hour."""
    import lightgbm as lgb
    import pandas as pd

    engine = peer_engine(folder, url)
    if new_hour is not None:
        new = pd.read_csv(new_hour, parse_dates=["ds"])
        new.to_sql("observations", engine, if_exists="append", index=False)
    newest = pd.read_sql("SELECT max(ds) AS ds FROM observations", engine)["ds"].iloc[0]
    since = pd.Timestamp(newest) - _hours(max(LAGS))  # to_sql stores UTC as naive text
    history = pd.read_sql(
        "SELECT unique_id, ds, y FROM observations WHERE ds > ?",
        engine,
        params=(since.strftime("%Y-%m-%d %H:%M:%S"),),
        parse_dates={"ds": {"utc": True}},
    )
    origin = history.groupby("unique_id")["ds"].max()
    steps = pd.to_timedelta(list(range(1, H + 1)) * len(origin), unit="h")
    future = pd.DataFrame(
        {"unique_id": origin.index.repeat(H), "ds": pd.DatetimeIndex(origin.repeat(H)) + steps}
    )
    frame = peer_features(pd.concat([history, future], ignore_index=True))
    rows = frame[frame["y"].isna()]
    booster = lgb.Booster(model_file=folder / "model.txt")
    forecasts = rows[["unique_id", "ds"]].assign(
        origin=rows["unique_id"].map(origin),
        yhat=booster.predict(rows[PEER_FEATURES], num_threads=threads),
    )
    forecasts["step"] = (forecasts["ds"] - forecasts["origin"]) // pd.Timedelta(hours=1)
    forecasts.to_sql("forecasts", engine, if_exists="append", index=False)
    engine.dispose()
    return len(forecasts)


def prevoir_job(folder: Path) -> int:
    """prevoir's hourly run: the four steps of the scheduled job, recorded in the store."""
    from prevoir.config import load_settings
    from prevoir.workflows.project import open_project
    from prevoir.workflows.runs import run_pipeline

    with open_project(load_settings(folder), migrate=True) as project:
        summary = run_pipeline(project, steps=["extract", "transform", "load", "predict"])
    if summary.status != "succeeded":
        raise SystemExit(f"prevoir hourly run failed: {summary.error}")
    return next(s.rows_out for s in summary.steps if s.name == "predict")


def resident_mb() -> float:
    """This process's resident set size now (Linux ``/proc``), in MB."""
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_case(case: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    if case == "setup":
        return setup(workdir, args.n_series, args.history, args.threads, args.url)
    if case == "prevoir":
        # imports timed apart from the job, as the peer's: the workflows, the steps the job
        # runs and the model family its champion unpickles (prevoir imports a step's and a
        # family's modules only when a job uses them)
        import prevoir.ingest.readers
        import prevoir.models.gbm
        import prevoir.workflows.runs  # noqa: F401

        for step in ("extract", "transform", "load", "predict"):
            importlib.import_module(f"prevoir.pipeline.steps.{step}")

        imports_s, import_mb, cpu0 = _since(t0), resident_mb(), cpu_seconds()
        t0 = time.perf_counter()
        written = prevoir_job(workdir / "prevoir")
    else:
        import lightgbm  # noqa: F401
        import pandas  # noqa: F401
        import sqlalchemy  # noqa: F401

        imports_s, import_mb, cpu0 = _since(t0), resident_mb(), cpu_seconds()
        t0 = time.perf_counter()
        new_hour = workdir / "peer" / "incoming" / "hour.csv"
        written = hourly_job(workdir / "peer", args.url, threads=args.threads, new_hour=new_hour)
    return {
        "s": _since(t0),
        "cpu_s": cpu_seconds() - cpu0,
        "imports_s": imports_s,
        "import_mb": import_mb,
        "rows": written,
    }


def cpu_seconds() -> float:
    """CPU time (user + system, all threads) this process has used so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- parent: orchestration (standard library only) --------------------------------------------


def child(case: str, workdir: Path, n_series: int, args: argparse.Namespace) -> dict[str, Any]:
    argv = [
        sys.executable,
        __file__,
        "--case",
        case,
        "--workdir",
        str(workdir),
        "--n-series",
        str(n_series),
        "--history",
        str(args.history),
        "--threads",
        str(args.threads),
        "--url",
        args.url,
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{case} ({n_series} series) failed")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def measure(n_series: int, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"prevoir-scale-{n_series}-", dir=args.workdir))
    try:
        if args.url.startswith("postgresql"):
            reset_pg_schema(args.admin_url)
        setup_times = child("setup", workdir, n_series, args)
        prevoir = child("prevoir", workdir, n_series, args)
        peer = child("peer", workdir, n_series, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for name, r in (("prevoir", prevoir), ("peer", peer)):
        if r["rows"] != n_series * H:
            raise SystemExit(f"{name} wrote {r['rows']} forecasts, expected {n_series * H}")
    return {"n": n_series, "setup": setup_times, "prevoir": prevoir, "peer": peer}


def reset_pg_schema(admin_url: str) -> None:
    code = (
        "import sqlalchemy as sa, sys\n"
        "e = sa.create_engine(sys.argv[1])\n"
        "with e.begin() as c:\n"
        f"    c.exec_driver_sql('DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE')\n"
        f"    c.exec_driver_sql('CREATE SCHEMA {PG_SCHEMA}')\n"
    )
    subprocess.run([sys.executable, "-c", code, admin_url], check=True)


def pg_store_url(admin_url: str) -> str:
    sep = "&" if "?" in admin_url else "?"
    return f"{admin_url}{sep}options=-csearch_path%3D{PG_SCHEMA}"


def print_header() -> None:
    print(
        f"{'series':>8} {'prevoir s':>10} {'cpu s':>6} {'µs/series':>10} {'peak MB':>8}"
        f" {'job MB':>7} {'peer s':>8} {'cpu s':>6} {'µs/series':>10} {'peak MB':>8}"
        f" {'job MB':>7} {'ratio':>6}"
        f" {'imports s (p/peer)':>19} {'set-up s (p/peer)':>18}"
    )


def print_row(r: dict[str, Any]) -> None:
    p, q, s, n = r["prevoir"], r["peer"], r["setup"], r["n"]
    prevoir_setup = s["prevoir_load_s"] + s["prevoir_train_s"] + s["prevoir_first_predict_s"]
    peer_setup = s["peer_load_s"] + s["peer_train_s"] + s["peer_first_predict_s"]
    print(
        f"{n:>8,} {p['s']:>10.2f} {p['cpu_s']:>6.1f} {p['s'] / n * 1e6:>10.0f}"
        f" {p['peak_mb']:>8.0f} {p['peak_mb'] - p['import_mb']:>7.0f} {q['s']:>8.2f}"
        f" {q['cpu_s']:>6.1f} {q['s'] / n * 1e6:>10.0f} {q['peak_mb']:>8.0f}"
        f" {q['peak_mb'] - q['import_mb']:>7.0f}"
        f" {p['s'] / q['s']:>6.2f} {p['imports_s']:>9.1f}/{q['imports_s']:<9.1f}"
        f" {prevoir_setup:>8.1f}/{peer_setup:<9.1f}",
        flush=True,
    )


def result_line(results: list[dict[str, Any]]) -> str:
    fields: dict[str, Any] = {}
    for r in results:
        k = f"{r['n'] // 1000}k"
        fields[f"s_{k}"] = round(r["prevoir"]["s"], 2)
        fields[f"cpu_s_{k}"] = round(r["prevoir"]["cpu_s"], 2)
        fields[f"peer_cpu_s_{k}"] = round(r["peer"]["cpu_s"], 2)
        fields[f"peak_mb_{k}"] = round(r["prevoir"]["peak_mb"])
        fields[f"peer_s_{k}"] = round(r["peer"]["s"], 2)
        fields[f"peer_peak_mb_{k}"] = round(r["peer"]["peak_mb"])
        fields[f"ratio_{k}"] = round(r["prevoir"]["s"] / r["peer"]["s"], 2)
    by_n = {r["n"]: r["prevoir"]["cpu_s"] for r in results}  # CPU: less load-sensitive
    if 1_000 in by_n and 10_000 in by_n:
        fields["growth_10k"] = round(by_n[10_000] / by_n[1_000] / 10, 2)
    if 10_000 in by_n and 100_000 in by_n:
        fields["growth_100k"] = round(by_n[100_000] / by_n[10_000] / 10, 2)
    return "RESULT " + " ".join(f"{k}={v}" for k, v in fields.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 series only")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--history", type=int, default=28 * 24, help="hours per series")
    parser.add_argument("--threads", type=int, default=threads_default())
    parser.add_argument("--pg", action="store_true", help="PostgreSQL stores instead of SQLite")
    parser.add_argument("--pg-url", default=os.environ.get("PREVOIR_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temp folders")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--n-series", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.workdir, args)))
        return
    args.admin_url = args.pg_url
    args.url = pg_store_url(args.pg_url) if args.pg else ""
    sizes = [1_000] if args.quick else args.sizes
    store = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"scale: {sizes} series x {args.history} h history, h = {H}, {store}, "
        f"{args.threads} thread(s), {os.cpu_count()} cores"
    )
    print("ratio = prevoir seconds / peer seconds (below 1: prevoir is faster)")
    results = []
    for n in sizes:
        results.append(measure(n, args))
        s = results[-1]["setup"]
        print(
            f"  {n:,} series: set-up generate {s['generate_s']:.1f}s | prevoir load "
            f"{s['prevoir_load_s']:.1f}s train {s['prevoir_train_s']:.1f}s first predict "
            f"{s['prevoir_first_predict_s']:.1f}s | peer load {s['peer_load_s']:.1f}s train "
            f"{s['peer_train_s']:.1f}s first run {s['peer_first_predict_s']:.1f}s",
            flush=True,
        )
        print_header()
        print_row(results[-1])
    print(result_line(results))


if __name__ == "__main__":
    main()
