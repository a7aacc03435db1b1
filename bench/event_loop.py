"""Event-loop benchmark: how fast ``/healthz`` answers while 20 clients hammer the API.

    python bench/event_loop.py [--quick] [--seconds 15] [--src DIR] [--threads N] [--heavy N]
                               [--nice-clients 10]

Set-up (not timed): a project in a temporary folder, a SQLite store with 20,000 series ×
48 hours (``--quick``: 2,000), one API key with role ``read``; then ``prevoir serve`` starts
as a subprocess (scheduler off, log level ``warning``) from ``--src`` (default: this
checkout's ``src``; point it at an export of an older commit to compare).

Load: 20 clients in two processes (10 threads each, so the client's own GIL does not
throttle them), each sending ``GET /api/v1/series?limit=5000`` as soon as the previous answer
arrives (the heaviest read: 5,000 series with their summaries, authenticated by API key);
meanwhile the main process asks ``/healthz`` every 20 ms and, separately, times
``/api/v1/me`` (the cheapest authenticated request). Reported: heavy requests/s, and p50,
p99 and max latency of ``/healthz`` and ``/api/v1/me`` under that load, and the same two
without load. The client processes share the 2 cores with the server.
The last line is machine-readable: ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

CLIENTS_PER_PROCESS = 10
PROCESSES = 2
HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, key: str | None = None, timeout: float = 60) -> float:
    """Seconds one GET took (raises on a non-2xx answer)."""
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        answer.read()
    return time.perf_counter() - began


def _hammer(url: str, key: str, until: float, done: multiprocessing.Queue, nice: int) -> None:  # type: ignore[type-arg]
    os.nice(nice)
    counts = [0] * CLIENTS_PER_PROCESS

    def client(i: int) -> None:
        while time.monotonic() < until:
            _get(url, key)
            counts[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS_PER_PROCESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.put(sum(counts))


def _probe(url: str, key: str | None, until: float, every: float) -> list[float]:
    times = []
    while time.monotonic() < until:
        times.append(_get(url, key) * 1000)
        time.sleep(every)
    return times


def _stats(name: str, times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        f"{name}_p50_ms": statistics.median(ordered),
        f"{name}_p99_ms": p99,
        f"{name}_max_ms": ordered[-1],
    }


def _setup(folder: Path, n_series: int) -> tuple[str, str]:
    """The store URL and a read API key."""
    import numpy as np
    import pandas as pd

    from prevoir.config import Settings
    from prevoir.storage.observations import upsert_observations
    from prevoir.workflows.access import create_key
    from prevoir.workflows.project import open_project

    url = f"sqlite:///{folder}/bench.db"
    (folder / "prevoir.toml").write_text('[store]\nurl = "sqlite:///bench.db"\n')
    project = open_project(Settings(project_dir=folder, store={"url": url}), migrate=True)
    try:
        ds = pd.date_range("2025-01-01", periods=48, freq="h", tz="UTC")
        for first in range(0, n_series, 5000):
            ids = [f"s{i:06d}" for i in range(first, min(first + 5000, n_series))]
            frame = pd.DataFrame(
                {
                    "unique_id": np.repeat(ids, len(ds)),
                    "ds": np.tile(ds, len(ids)),
                    "y": 1.0,
                }
            )
            with project.store.write() as conn:
                upsert_observations(conn, "bench", frame, ["y"])
        return url, create_key(project, "bench", "read")[1]
    finally:
        project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--src", type=Path, default=HERE.parent / "src")
    parser.add_argument("--threads", type=int, help="service.threads (default: the setting's)")
    parser.add_argument("--heavy", type=int, help="service.heavy_requests (default: the setting's)")
    parser.add_argument(
        "--nice-clients",
        type=int,
        default=0,
        help="niceness of the 20 clients' processes: 10 lets the server have the cores first, "
        "as clients on other machines would",
    )
    args = parser.parse_args()
    n_series = 2_000 if args.quick else 20_000
    seconds = 3.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store_url, key = _setup(folder, n_series)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")}
        env |= {
            "PREVOIR_STORE__URL": store_url,
            "PREVOIR_SERVICE__SCHEDULER": "false",
            "PYTHONPATH": str(args.src.resolve()),
        }
        if args.threads:
            env["PREVOIR_SERVICE__THREADS"] = str(args.threads)
        if args.heavy:
            env["PREVOIR_SERVICE__HEAVY_REQUESTS"] = str(args.heavy)
        command = [sys.executable, "-m", "prevoir", "serve", "--project", str(folder)]
        server = subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"], env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get(f"{base}/healthz", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            results: dict[str, float] = {}
            quiet_until = time.monotonic() + 2
            results |= _stats("quiet_healthz", _probe(f"{base}/healthz", None, quiet_until, 0.02))
            quiet_until = time.monotonic() + 2
            results |= _stats("quiet_me", _probe(f"{base}/api/v1/me", key, quiet_until, 0.02))
            heavy = f"{base}/api/v1/series?limit=5000"
            until = time.monotonic() + seconds
            done: multiprocessing.Queue[int] = multiprocessing.Queue()
            workers = [
                multiprocessing.Process(
                    target=_hammer, args=(heavy, key, until, done, args.nice_clients)
                )
                for _ in range(PROCESSES)
            ]
            for worker in workers:
                worker.start()
            time.sleep(1)  # let the load build up
            me: list[float] = []
            me_thread = threading.Thread(
                target=lambda: me.extend(_probe(f"{base}/api/v1/me", key, until, 0.05))
            )
            me_thread.start()
            health = _probe(f"{base}/healthz", None, until, 0.02)
            me_thread.join()
            served = sum(done.get(timeout=120) for _ in workers)
            for worker in workers:
                worker.join()
            results |= _stats("healthz", health) | _stats("me", me)
            results["heavy_rps"] = served / seconds
        finally:
            server.terminate()
            server.wait(timeout=20)
    for name, value in results.items():
        print(f"{name:20s} {value:10.1f}")
    load1, load5, _ = os.getloadavg()
    fields = " ".join(f"{k}={v:.1f}" for k, v in results.items())
    print(
        f"RESULT series={n_series} clients={PROCESSES * CLIENTS_PER_PROCESS} {fields} "
        f"load1={load1:.2f} load5={load5:.2f}"
    )


if __name__ == "__main__":
    main()
