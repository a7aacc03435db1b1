"""bench/api.py reads wrk's report and states its aims correctly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "api.py"

# wrk 4.1.0's report (trimmed run against a server answering 404), and one with socket errors
WRK_404 = """\
Running 1s test @ http://127.0.0.1:8765/nonexistent
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    24.83ms   22.14ms 113.24ms   78.91%
    Req/Sec   121.45     75.59   260.00     70.00%
  Latency Distribution
     50%   15.55ms
     75%   37.61ms
     90%   56.29ms
     99%   98.03ms
  251 requests in 1.06s, 127.46KB read
  Non-2xx or 3xx responses: 251
Requests/sec:    236.98
Transfer/sec:    120.34KB
"""
WRK_ERRORS = """\
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    1.90ms
     99%    1.02s
  48000 requests in 10.00s, 6.95MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
Requests/sec:   4800.12
Transfer/sec:    711.43KB
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_api", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_api"] = module
    spec.loader.exec_module(module)
    return module


def test_parse_wrk_reads_rate_percentiles_and_failures(bench: ModuleType) -> None:
    r = bench.parse_wrk(WRK_404)
    assert r == {
        "rps": 236.98,
        "p50_ms": 15.55,
        "p99_ms": 98.03,
        "requests": 251,
        "non2xx": 251,
        "errors": 0,
    }


def test_parse_wrk_converts_units_and_counts_socket_errors(bench: ModuleType) -> None:
    r = bench.parse_wrk(WRK_ERRORS)
    assert r["p50_ms"] == pytest.approx(0.812)
    assert r["p99_ms"] == pytest.approx(1020.0)
    assert (r["requests"], r["non2xx"], r["errors"]) == (48000, 0, 5)


def test_parse_wrk_refuses_output_without_figures(bench: ModuleType) -> None:
    with pytest.raises(SystemExit, match="could not read"):
        bench.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def _row(rps: float, p99: float) -> dict[str, float]:
    return {"rps": rps, "p50_ms": p99 / 2, "p99_ms": p99, "cpu_us": 500.0}


def test_result_line_checks_both_aims(bench: ModuleType) -> None:
    rows = {"latest": _row(1000, 40), "/api/v1/me": _row(2000, 30), "/healthz": _row(3000, 20)}
    line = bench.result_line(rows, 1000, 1)
    assert line.startswith("RESULT series=1000 workers=1 latest_rps=1000 ")
    assert "ratio_healthz=0.33 ratio_me=0.5 aims_met=yes" in line
    slow = rows | {"latest": _row(1000, 60)}
    assert bench.result_line(slow, 1000, 1).endswith("aims_met=no")
    few = rows | {"latest": _row(900, 40)}
    assert bench.result_line(few, 1000, 1).endswith("aims_met=no")


def test_result_line_marks_a_missing_endpoint_pending(bench: ModuleType) -> None:
    rows = {"latest": None, "/api/v1/me": _row(2000, 30), "/healthz": _row(3000, 20)}
    line = bench.result_line(rows, 100, 2)
    assert "latest=pending" in line and "ratio" not in line and "aims_met" not in line
