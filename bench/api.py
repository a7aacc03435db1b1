"""API benchmark: "latest forecasts for one series" under 50 concurrent clients.

    python bench/api.py [--quick] [--seconds 20] [--connections 50] [--workers 1] [--pg]
    python bench/api.py --profile [--quick] [--pg]

Set-up (not timed): a fresh project in a temporary folder whose store (SQLite by default,
PostgreSQL with ``--pg``) holds ``--series`` (default 1,000) synthetic hourly series
(``prevoir.testing.make_series``, one week each) and, for each series, forecasts from
``--origins`` (default 4) consecutive hourly origins at 24 horizons with 80 % and 95 %
bands, written straight through ``upsert_observations`` / ``upsert_forecasts`` (96,000
forecast rows at the default size), plus one model version and one API key with role
``read``. Then ``prevoir serve`` starts as a subprocess (scheduler off, uvicorn log level
``warning`` so there is no access log) and the benchmark waits for ``/healthz``.
``--workers N`` (N > 1) runs the same ``create_app`` under ``uvicorn --workers N`` instead,
since ``prevoir serve`` runs one process.

Load: ``wrk -t2 -c50 -d<seconds> --latency`` on loopback (Debian: ``apt-get install wrk``;
macOS: ``brew install wrk``), closed loop: 50 connections each send a request as soon as
the previous answer arrives. Each endpoint gets a short warm-up run, then the measured run:

- ``latest``: ``GET /api/v1/forecasts/{forecaster}/{unique_id}/latest`` with the API key as
  ``Authorization: Bearer``; a Lua script rotates through every series id (the two wrk
  threads start half-way apart), so requests do not hit one cached row;
- ``/api/v1/me``: the trivial endpoint behind the same authentication (one API-key lookup in
  the store), the like-for-like ceiling;
- ``/healthz``: the trivial endpoint without authentication, the issue's ceiling.

Before the load, one request per series checks ``latest`` answers 200 with the newest origin
and 24 points; a 404 from the router (route not served yet) marks the row as pending
instead of failing. Reported: requests/s, p50 and p99 latency from wrk's histogram, non-2xx
answers and socket errors (any makes the row suspect), and the server's CPU microseconds per
request (user + system of the server process and its children from ``/proc``), which a
loaded machine distorts less than requests/s. Aims (issue 5): p99 < 50 ms and ``latest``
at least 1/3 of ``/healthz``'s requests/s.

wrk and the server share the machine's cores (2 on the project machine), so every figure is
a lower bound on what a server with its own cores would do. ``--profile`` does not start a
server: it calls the ``create_app`` application directly (ASGI, one request at a time, in
one thread) for 500 ``latest`` requests, times them, ``cProfile``s another 500 and prints
where the time goes.
The last line is machine-readable: ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "prevoir_bench_api"
SRC = Path(__file__).resolve().parents[1] / "src"  # run the checkout's prevoir
DATASET = "synthetic"
FORECASTER = "hourly"
H = 24
ORIGINS = 4  # default: forecasts from the newest 4 hours; "latest" must pick the newest
HISTORY = 168  # hours of observations per series
LEVELS = (80, 95)
LATEST = "/api/v1/forecasts/{forecaster}/{unique_id}/latest"
WRK_INSTALL = "install wrk: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)"

PROJECT = """\
[store]
url = "{url}"

[datasets.{dataset}]
source = {{ kind = "csv", path = "incoming/*.csv" }}
keys = ["unique_id"]
values = ["y"]
freq = "h"

[forecasters.{forecaster}]
dataset = "{dataset}"
target = "y"
horizons = {horizons}
model = {{ kind = "seasonal_naive", season_length = 24 }}
intervals = {{ levels = {levels} }}
"""


# -- set-up -----------------------------------------------------------------------------------


def build_project(folder: Path, n_series: int, *, origins: int, url: str) -> tuple[list[str], str]:
    """Write the project and fill its store; returns the series ids and a read API key."""
    from prevoir.config import load_settings
    from prevoir.storage import upsert_observations
    from prevoir.storage.forecasts import upsert_forecasts
    from prevoir.testing import make_series
    from prevoir.workflows.access import create_key
    from prevoir.workflows.project import open_project

    (folder / "prevoir.toml").write_text(
        PROJECT.format(
            url=url or "sqlite:///prevoir.db",
            dataset=DATASET,
            forecaster=FORECASTER,
            horizons=list(range(1, H + 1)),
            levels=list(LEVELS),
        )
    )
    settings = load_settings(folder)
    panel = make_series(n_series, HISTORY, seed=7, start="2026-01-01")
    with open_project(settings, migrate=True) as project:
        with project.store.write() as conn:
            upsert_observations(conn, DATASET, panel, ["y"])
            version = _add_version(conn, panel)
            upsert_forecasts(
                conn,
                FORECASTER,
                forecast_frame(panel, origins),
                model_version_id=version,
                run_id=None,
            )
        _, key = create_key(project, "bench-api", "read")
    return [str(u) for u in panel["unique_id"].unique()], key


def _add_version(conn: Any, panel: Any) -> int:
    from prevoir.storage.model_versions import add_model_version

    return add_model_version(
        conn,
        forecaster=FORECASTER,
        profile="default",
        kind="seasonal_naive",
        params={"season_length": 24},
        features=[],
        train_start=panel["ds"].min().to_pydatetime(),
        train_end=panel["ds"].max().to_pydatetime(),
        data_fingerprint="bench-api synthetic panel",
        artifact_path="models/bench-api.bin",
        sha256="0" * 64,
    )


def forecast_frame(panel: Any, origins: int) -> Any:
    """Forecasts from each of the newest ``origins`` hours, steps 1..H, with bands."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    last = panel.groupby("unique_id", sort=False).tail(origins)
    n = len(last) * H
    step = np.tile(np.arange(1, H + 1), len(last))
    origin = np.repeat(last["ds"].to_numpy(), H)
    yhat = np.repeat(last["y"].to_numpy(), H) + rng.normal(0.0, 1.0, n)
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(last["unique_id"].to_numpy(), H),
            "origin": origin,
            "step": step,
            "ds": pd.DatetimeIndex(origin) + pd.to_timedelta(step, unit="h"),
            "yhat": yhat,
        }
    )
    for level in LEVELS:
        width = level / 20 * np.sqrt(step)
        frame[f"yhat_lo_{level}"] = yhat - width
        frame[f"yhat_hi_{level}"] = yhat + width
    return frame


def reset_pg_schema(admin_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    finally:
        engine.dispose()


def pg_store_url(admin_url: str) -> str:
    sep = "&" if "?" in admin_url else "?"
    return f"{admin_url}{sep}options=-csearch_path%3D{PG_SCHEMA}"


# -- the server -------------------------------------------------------------------------------


def server_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return os.environ | {"PYTHONPATH": path, "PREVOIR_SERVICE__SCHEDULER": "false"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``prevoir serve`` (one process), or ``uvicorn --workers N`` on the same app factory."""
    if workers == 1:
        argv = [sys.executable, "-m", "prevoir", "serve", "--project", str(folder)]
        argv += ["--port", str(port), "--log-level", "warning"]
    else:
        (folder / "bench_app.py").write_text(
            "from pathlib import Path\n"
            "from prevoir.config import load_settings\n"
            "from prevoir.service import create_app\n"
            f"app = create_app(load_settings(Path({str(folder)!r})))\n"
        )
        argv = [sys.executable, "-m", "uvicorn", "bench_app:app", "--app-dir", str(folder)]
        argv += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(argv, env=server_env(), cwd=folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} before answering")
        try:
            if get(port, "/healthz")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not answer /healthz within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get(port: int, path: str, key: str | None = None) -> tuple[int, Any]:
    """Status and JSON body of one GET (errors included)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body.startswith(b"{") else body


def check_latest(port: int, key: str, ids: list[str], newest: str) -> bool:
    """Every series' latest answers 200 with the newest origin and H points; False: no route."""
    for unique_id in ids:
        status, body = get(port, latest_path(unique_id), key)
        if status == 404 and body == {"detail": "Not Found"}:
            return False  # the router's own 404: the endpoint is not served by this build
        if status != 200:
            raise SystemExit(f"latest for {unique_id!r} answered {status}: {body}")
        points = body.get("points", [])
        if body.get("unique_id") != unique_id or len(points) != H:
            raise SystemExit(f"latest for {unique_id!r}: unexpected body {str(body)[:300]}")
        if not str(body.get("origin", "")).startswith(newest):
            raise SystemExit(f"latest for {unique_id!r}: origin {body.get('origin')}, not {newest}")
    return True


def latest_path(unique_id: str) -> str:
    from urllib.parse import quote

    return LATEST.format(forecaster=FORECASTER, unique_id=quote(unique_id, safe=""))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        pending += [int(c) for c in children]
    return total


# -- load with wrk ----------------------------------------------------------------------------

LUA = """\
local paths = {{{paths}}}
local headers = {{{headers}}}
local started = 0
function setup(thread)
  thread:set("offset", started * math.floor(#paths / 2))
  started = started + 1
end
local n = 0
function init(args)
  n = offset or 0
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], headers)
end
"""


def lua_script(folder: Path, name: str, paths: list[str], key: str | None) -> Path:
    script = folder / f"{name}.lua"
    headers = f'["Authorization"] = "Bearer {key}"' if key else ""
    script.write_text(LUA.format(paths=", ".join(json.dumps(p) for p in paths), headers=headers))
    return script


def run_wrk(
    port: int, script: Path, *, seconds: int, connections: int, threads: int = 2
) -> dict[str, Any]:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    argv += ["--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(text: str) -> dict[str, Any]:
    """Requests/s, p50/p99 (ms), requests, non-2xx answers and socket errors from wrk."""

    def latency(percent: int) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        if found is None:
            raise SystemExit(f"no {percent}% latency in wrk's output:\n{text}")
        return float(found[1]) * _UNITS[found[2]]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    total = re.search(r"^\s*(\d+) requests in", text, re.M)
    if rate is None or total is None:
        raise SystemExit(f"could not read wrk's output:\n{text}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    return {
        "rps": float(rate[1]),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "requests": int(total[1]),
        "non2xx": int(non2xx[1]) if non2xx else 0,
        "errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


def measure(
    proc: subprocess.Popen[bytes], port: int, script: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """A warm-up run, then the measured one with the server's CPU time around it."""
    run_wrk(port, script, seconds=args.warmup, connections=args.connections)
    cpu0 = cpu_seconds(proc.pid)
    result = run_wrk(port, script, seconds=args.seconds, connections=args.connections)
    result["cpu_us"] = (cpu_seconds(proc.pid) - cpu0) / max(result["requests"], 1) * 1e6
    return result


# -- profile ----------------------------------------------------------------------------------


def profile(folder: Path, ids: list[str], key: str, n: int = 500) -> None:
    """cProfile ``n`` latest requests through the ASGI app in this thread; print the top.

    No HTTP server and no thread pool: sync endpoints and dependencies run inline (FastAPI's
    ``run_in_threadpool`` is swapped for a direct call), so the profile sees every frame of
    the app (middleware, routing, authentication, the handler, the JSON response) and none
    of uvicorn's HTTP parsing.
    """
    import asyncio
    import cProfile
    import pstats

    import fastapi.dependencies.utils
    import fastapi.routing

    from prevoir.config import load_settings
    from prevoir.service import create_app

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = inline  # type: ignore[assignment]
    os.environ["PREVOIR_SERVICE__SCHEDULER"] = "false"
    app = create_app(load_settings(folder))
    auth = (b"authorization", f"Bearer {key}".encode())

    async def call(path: str) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), auth],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def requests(count: int) -> None:
        for i in range(count):
            status, body = await call(latest_path(ids[i % len(ids)]))
            if status != 200:
                raise SystemExit(f"latest answered {status}: {body[:300]!r}")

    asyncio.run(requests(50))  # warm: first-call imports, pool, statement caches
    t0 = time.perf_counter()
    asyncio.run(requests(n))
    plain = (time.perf_counter() - t0) / n
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(requests(n))
    profiler.disable()
    print(f"profile: {n} latest requests through the ASGI app, {plain * 1e3:.2f} ms each")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)
    print(f"RESULT latest_app_ms={plain * 1e3:.2f}")


# -- report -----------------------------------------------------------------------------------


def print_table(rows: dict[str, dict[str, Any] | None]) -> None:
    ceiling = rows["/healthz"]
    print(
        f"{'endpoint':<34} {'auth':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'CPU µs/req':>10} {'non-2xx':>7} {'errors':>6} {'vs /healthz':>11}"
    )
    for name, r in rows.items():
        auth = "no" if name == "/healthz" else "key"
        if r is None:
            print(f"{name:<34} {auth:>5} {'pending: endpoint not served by this build':>40}")
            continue
        ratio = r["rps"] / ceiling["rps"] if ceiling else float("nan")
        print(
            f"{name:<34} {auth:>5} {r['rps']:>8,.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}"
            f" {r['cpu_us']:>10,.0f} {r['non2xx']:>7} {r['errors']:>6} {ratio:>11.2f}"
        )


def result_line(rows: dict[str, dict[str, Any] | None], n_series: int, workers: int) -> str:
    fields: dict[str, Any] = {"series": n_series, "workers": workers}
    for name, prefix in (("latest", "latest"), ("/api/v1/me", "me"), ("/healthz", "healthz")):
        r = rows[name]
        if r is None:
            fields[prefix] = "pending"
            continue
        fields |= {
            f"{prefix}_rps": round(r["rps"]),
            f"{prefix}_p50_ms": round(r["p50_ms"], 2),
            f"{prefix}_p99_ms": round(r["p99_ms"], 2),
            f"{prefix}_cpu_us": round(r["cpu_us"]),
        }
    latest, healthz, me = rows["latest"], rows["/healthz"], rows["/api/v1/me"]
    if latest is not None and healthz is not None and me is not None:
        ratio = latest["rps"] / healthz["rps"]
        fields["ratio_healthz"] = round(ratio, 2)
        fields["ratio_me"] = round(latest["rps"] / me["rps"], 2)
        met = latest["p99_ms"] < 50 and ratio >= 1 / 3
        fields["aims_met"] = "yes" if met else "no"
    return "RESULT " + " ".join(f"{k}={v}" for k, v in fields.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 series, 3 s runs")
    parser.add_argument("--series", type=int, default=1_000)
    parser.add_argument("--origins", type=int, default=ORIGINS, help=f"<= {HISTORY}")
    parser.add_argument("--seconds", type=int, default=20, help="measured run per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up run per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help=">1: uvicorn --workers N")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL store instead of SQLite")
    parser.add_argument("--pg-url", default=os.environ.get("PREVOIR_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--profile", action="store_true", help="cProfile latest in-process")
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temp folder")
    args = parser.parse_args()
    if args.quick:
        args.series, args.seconds, args.warmup = 100, 3, 1
    if not args.profile and shutil.which("wrk") is None:
        raise SystemExit(f"bench/api.py needs the wrk load generator; {WRK_INSTALL}")
    sys.path.insert(0, str(SRC))
    url = ""
    if args.pg:
        reset_pg_schema(args.pg_url)
        url = pg_store_url(args.pg_url)
    folder = Path(tempfile.mkdtemp(prefix="prevoir-api-", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        ids, key = build_project(folder, args.series, origins=args.origins, url=url)
        store = "PostgreSQL" if args.pg else "SQLite"
        print(
            f"api: {args.series:,} series x {args.origins} origins x {H} steps in {store} "
            f"(set-up {time.perf_counter() - t0:.1f} s); wrk -t2 -c{args.connections} "
            f"-d{args.seconds}s; {args.workers} server process(es); "
            f"{os.cpu_count()} cores shared by wrk and the server",
            flush=True,
        )
        if args.profile:
            profile(folder, ids, key)
            return
        rows = serve_and_load(folder, ids, key, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    print(result_line(rows, args.series, args.workers))


def serve_and_load(
    folder: Path, ids: list[str], key: str, args: argparse.Namespace
) -> dict[str, dict[str, Any] | None]:
    import pandas as pd

    newest = (pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=HISTORY - 1)).isoformat()
    port = free_port()
    proc = start_server(folder, port, args.workers)
    try:
        if get(port, "/api/v1/me", key)[0] != 200:
            raise SystemExit("the API key was refused by /api/v1/me")
        served = check_latest(port, key, ids, newest[:19])
        scripts = {
            "latest": lua_script(folder, "latest", [latest_path(u) for u in ids], key),
            "/api/v1/me": lua_script(folder, "me", ["/api/v1/me"], key),
            "/healthz": lua_script(folder, "healthz", ["/healthz"], None),
        }
        rows: dict[str, dict[str, Any] | None] = {}
        for name, script in scripts.items():
            rows[name] = measure(proc, port, script, args) if served or name != "latest" else None
    finally:
        stop_server(proc)
    return rows


if __name__ == "__main__":
    main()
