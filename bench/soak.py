"""Soak: an hour of operation compressed into a minute or two, against a real ``prevoir serve``.

    python bench/soak.py [--quick] [--hours 120] [--tick 0.5] [--series 200] [--clients 6] [--pg]

Set-up (not measured): a project in a temporary folder with ``--series`` synthetic hourly
series (two weeks of history, ``prevoir.testing.make_series``) and one forecaster
(seasonal naive, horizons 1, 2, 3 and 6, catch-up at every hour), a first ``prevoir run``
(train and forecast the history's last hour), an API key with role ``write``, then
``prevoir serve`` as a subprocess with one scheduled job, ``predict`` every
``--cron-seconds`` (APScheduler's six-field cron).

Load, all at once, on loopback:

- a publisher ``POST``s the next hour of every series each ``--tick`` seconds, ``--hours``
  times: one simulated hour per tick;
- ``--clients`` readers ask, as fast as the server answers, for the latest forecast of a
  random series, the first page of ``/series``, and ``/healthz``, in turn;
- the scheduler's ``predict`` issues the forecasts of every new hour (catch-up).

Reported: requests and errors per endpoint (any non-2xx answer or failed connection is an
error; aim 0), p50 and p99 latency, the server's resident memory (process tree, from
``/proc``) at the start of the load, at its end and at its peak (aim: flat), the scheduled
runs by status, and the check that every forecast was issued exactly once: for every series
and every hour pushed, one forecast per horizon (none missing, none extra), and the rows the
runs say they wrote equal the rows stored. This is a reliability benchmark: it has no peer to
compare with; the last line is machine-readable (``RESULT key=value ...``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "prevoir_bench_soak"
HORIZONS = (1, 2, 3, 6)
HISTORY_HOURS = 14 * 24

PROJECT = """\
[store]
url = "{url}"

[datasets.synthetic]
source = {{ kind = "csv", path = "history/*.csv" }}
keys = ["unique_id"]
values = ["y"]
freq = "h"

[forecasters.hourly]
dataset = "synthetic"
target = "y"
horizons = {horizons}
model = {{ kind = "seasonal_naive", season_length = 24 }}
catchup = {{ stride = 1, max_catchup = 100000, initial_origins = 1 }}

[service.schedule.tick]
cron = "*/{cron} * * * * *"
steps = ["predict"]
"""


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")} | {
        "PYTHONPATH": path
    }


def prevoir(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "prevoir", *args, "--project", str(folder)],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"prevoir {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build(folder: Path, *, series: int, cron: int, url: str) -> tuple[Any, str]:
    """The project, its first run and a write key; the history panel and the key."""
    from prevoir.testing import make_series

    (folder / "history").mkdir(parents=True)
    (folder / "prevoir.toml").write_text(
        PROJECT.format(url=url, horizons=list(HORIZONS), cron=cron)
    )
    panel = make_series(series, HISTORY_HOURS, seed=3, start="2026-01-01")
    panel.to_csv(folder / "history" / "panel.csv", index=False)
    prevoir(folder, "run")
    out = prevoir(folder, "keys", "create", "soak", "--role", "write")
    key = re.search(r"pv_\S+", out)
    if key is None:
        raise SystemExit(f"no key in the output of `prevoir keys create`:\n{out}")
    return panel, key.group()


@dataclass
class Log:
    """Every answer: latency and status per endpoint (thread-safe appends)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, name: str, request: urllib.request.Request) -> bytes | None:
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body: bytes | None = response.read()
                problem = None
        except urllib.error.HTTPError as exc:
            body, problem = None, f"{exc.code} {exc.read()[:200]!r}"
        except OSError as exc:
            body, problem = None, f"{type(exc).__name__}: {exc}"
        with self.lock:
            self.latencies[name].append(time.perf_counter() - t0)
            if problem is not None:
                self.errors[name].append(problem)
        return body


def rss_bytes(pid: int, *, children: bool = True) -> int:
    """Resident memory of ``pid`` and (``children``) its descendants; 0 once it is gone."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir() if children else ():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (OSError, AttributeError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def soak(args: argparse.Namespace) -> dict[str, Any]:
    url = _store_url(args)
    with tempfile.TemporaryDirectory(prefix="prevoir-soak-") as tmp:
        folder = Path(tmp) / "project"
        panel, key = build(folder, series=args.series, cron=args.cron_seconds, url=url)
        ids = sorted(panel["unique_id"].astype(str).unique())
        last_history = panel["ds"].max()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prevoir",
                "serve",
                "--project",
                str(folder),
                "--port",
                str(port),
            ],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_healthy(base, server)
            result = _load(args, base, key, server.pid, ids, panel)
            result["caught_up_s"] = _wait_caught_up(
                base, key, ids[0], last_history + np.timedelta64(args.hours, "h")
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                _, stderr = server.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                _, stderr = server.communicate()
        result["server_exit"] = server.returncode
        result["server_tracebacks"] = stderr.count("Traceback")
        # uvicorn re-raises SIGTERM after a graceful shutdown: exit -15 with this line is clean
        result["clean_shutdown"] = "Application shutdown complete" in stderr
        result |= _check_forecasts(url, folder, ids, last_history, args.hours)
    return result


def _store_url(args: argparse.Namespace) -> str:
    if not args.pg:
        return "sqlite:///prevoir.db"
    import sqlalchemy as sa

    engine = sa.create_engine(args.pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    engine.dispose()
    sep = "&" if "?" in args.pg_url else "?"
    return f"{args.pg_url}{sep}options=-csearch_path%3D{PG_SCHEMA}"


def _wait_healthy(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"the server stopped:\n{server.stderr.read() if server.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


def _load(
    args: argparse.Namespace, base: str, key: str, pid: int, ids: list[str], panel: Any
) -> dict[str, Any]:
    log = Log()
    stop = threading.Event()
    auth = {"Authorization": f"Bearer {key}"}
    memory: list[int] = []  # the server process alone (its run workers come and go)
    tree: list[int] = []  # with the run workers

    def publish() -> None:
        last = panel["ds"].max()
        recent = panel[panel["ds"] > last - np.timedelta64(24, "h")]
        season = recent.pivot(index="ds", columns="unique_id", values="y")
        start = time.monotonic()
        for hour in range(1, args.hours + 1):
            when = last + np.timedelta64(hour, "h")
            values = season.iloc[(hour - 1) % 24]
            rows = [
                {
                    "unique_id": uid,
                    "ds": when.isoformat(),
                    "y": float(values[uid]) + random.gauss(0, 1),
                }
                for uid in ids
            ]
            body = json.dumps({"rows": rows}).encode()
            log.call(
                "POST observations",
                urllib.request.Request(
                    f"{base}/api/v1/observations/synthetic",
                    data=body,
                    headers={**auth, "Content-Type": "application/json"},
                    method="POST",
                ),
            )
            time.sleep(max(0.0, start + hour * args.tick - time.monotonic()))

    def read(seed: int) -> None:
        rng = random.Random(seed)
        turn = 0
        while not stop.is_set():
            turn += 1
            if turn % 3 == 0:
                name, path, headers = "GET /healthz", "/healthz", {}
            elif turn % 3 == 1:
                uid = rng.choice(ids)
                name, path, headers = "GET latest", f"/api/v1/forecasts/hourly/{uid}/latest", auth
            else:
                name, path, headers = "GET /series", "/api/v1/series?limit=100", auth
            log.call(name, urllib.request.Request(base + path, headers=headers))

    def sample() -> None:
        while not stop.is_set():
            memory.append(rss_bytes(pid, children=False))
            tree.append(rss_bytes(pid))
            stop.wait(1.0)

    readers = [threading.Thread(target=read, args=(i,)) for i in range(args.clients)]
    sampler = threading.Thread(target=sample)
    sampler.start()
    for reader in readers:
        reader.start()
    t0 = time.monotonic()
    publish()
    elapsed = time.monotonic() - t0
    stop.set()
    for thread in (*readers, sampler):
        thread.join()
    return {"load_s": round(elapsed, 1), "log": log, "memory": memory, "tree": tree}


def _wait_caught_up(base: str, key: str, uid: str, last: Any) -> float:
    """Seconds until the scheduled predict forecast the last pushed hour (-1: never)."""
    t0 = time.monotonic()
    request = urllib.request.Request(
        f"{base}/api/v1/forecasts/hourly/{uid}/latest", headers={"Authorization": f"Bearer {key}"}
    )
    while time.monotonic() - t0 < 120:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                origin = np.datetime64(json.loads(response.read())["origin"][:19])
            if origin >= np.datetime64(str(last)[:19]):
                return round(time.monotonic() - t0, 1)
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.5)
    return -1.0


def _check_forecasts(
    url: str, folder: Path, ids: list[str], last_history: Any, hours: int
) -> dict[str, Any]:
    """Every (series, pushed hour) forecast once per horizon; runs' rows = stored rows."""
    import sqlalchemy as sa

    from prevoir.storage.engine import create_store_engine

    store_url = url if not url.startswith("sqlite:///") else f"sqlite:///{folder / 'prevoir.db'}"
    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT unique_id, origin, count(*) FROM forecasts GROUP BY unique_id, origin"
                )
            ).all()
            runs = conn.execute(
                sa.text(
                    "SELECT status, count(*) FROM runs WHERE \"trigger\" = 'schedule' "
                    "GROUP BY status"
                )
            ).all()
            written = conn.execute(
                sa.text(
                    "SELECT coalesce(sum(s.rows_out), 0) FROM run_steps s JOIN runs r "
                    "ON r.id = s.run_id WHERE r.\"trigger\" = 'schedule' AND s.name = 'predict'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    counts: dict[tuple[str, str], int] = {}
    for uid, origin, n in rows:
        when = str(np.datetime64(_as_utc_naive(origin), "h"))
        counts[(str(uid), when)] = int(n)
    first = np.datetime64(str(last_history)[:19], "h")
    expected = {(uid, str(first + np.timedelta64(h, "h"))) for uid in ids for h in range(hours + 1)}
    missing = len(expected - counts.keys())
    wrong = sum(1 for k in expected & counts.keys() if counts[k] != len(HORIZONS))
    extra = len(counts.keys() - expected)
    pushed = sum(n for k, n in counts.items() if k in expected and k[1] != str(first))
    return {
        "origins_expected": len(expected),
        "origins_missing": missing,
        "origins_wrong_count": wrong,
        "origins_unexpected": extra,
        "rows_issued_by_schedule": int(written),
        "rows_stored_after_history": pushed,
        "runs": {str(s): int(n) for s, n in runs},
    }


def _as_utc_naive(value: Any) -> str:
    import pandas as pd

    if isinstance(value, int | float):  # SQLite: epoch microseconds
        stamp = pd.Timestamp(int(value), unit="us", tz="UTC")
    else:
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.tz_localize(None).isoformat()


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    log: Log = result.pop("log")
    memory: list[int] = result.pop("memory")
    print(
        f"load {result['load_s']} s: {args.hours} hours of {args.series} series, "
        f"{args.clients} readers, predict every {args.cron_seconds} s; load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    print(f"{'endpoint':<20}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
    errors = 0
    p99s = []
    for name in sorted(log.latencies):
        lat = np.array(log.latencies[name]) * 1000
        errors += len(log.errors[name])
        p99s.append(float(np.percentile(lat, 99)))
        print(
            f"{name:<20}{lat.size:>10}{len(log.errors[name]):>8}"
            f"{np.percentile(lat, 50):>9.1f}{np.percentile(lat, 99):>9.1f}"
        )
        for problem in log.errors[name][:3]:
            print(f"    {problem}")
    tree_peak = max(result.pop("tree")) / 2**20
    mib = [m / 2**20 for m in memory if m]
    tenth = max(1, len(mib) // 10)
    start, end = float(np.median(mib[:tenth])), float(np.median(mib[-tenth:]))
    print(
        f"server process memory (MiB): start {start:.0f}, end {end:.0f}, peak {max(mib):.0f}; "
        f"with its run workers, peak {tree_peak:.0f}"
    )
    print(
        f"scheduled runs: {result['runs']}; caught up {result['caught_up_s']} s after the "
        f"last push; server exit {result['server_exit']} (clean shutdown: "
        f"{result['clean_shutdown']}), tracebacks "
        f"{result['server_tracebacks']}"
    )
    print(
        f"forecasts: {result['origins_expected']} (series, hour) origins expected, "
        f"{result['origins_missing']} missing, {result['origins_wrong_count']} with the "
        f"wrong number of horizons, {result['origins_unexpected']} unexpected; rows issued "
        f"by the schedule {result['rows_issued_by_schedule']}, stored "
        f"{result['rows_stored_after_history']}"
    )
    print(
        f"RESULT errors={errors} p99_ms={max(p99s):.1f} mem_start_mib={start:.0f} "
        f"mem_end_mib={end:.0f} mem_peak_mib={max(mib):.0f} "
        f"missing={result['origins_missing']} wrong={result['origins_wrong_count']} "
        f"extra={result['origins_unexpected']} issued={result['rows_issued_by_schedule']} "
        f"stored={result['rows_stored_after_history']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 hours, 50 series, 3 readers")
    parser.add_argument("--hours", type=int, default=120)
    parser.add_argument("--tick", type=float, default=0.5, help="seconds per pushed hour")
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--cron-seconds", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    if args.quick:
        args.hours, args.series, args.clients = 30, 50, 3
    report(soak(args), args)


if __name__ == "__main__":
    main()
