"""Two real ``prevoir serve`` processes on one store: every firing of a job runs once.

Both servers run the same job (every 3 s, extract + transform + load on the crypto example)
for about ten seconds; the store must show each fire time claimed once, each claimed firing
with exactly one run triggered by the schedule, and no scheduled run without a firing.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa

import prevoir
from prevoir.storage import tables
from prevoir.storage.engine import create_store_engine
from prevoir.storage.schedule import claim_firing, finish_firing
from tests.e2e.conftest import Cli
from tests.integration.conftest import db_url, pg_schema_url  # noqa: F401 (fixtures)
from tests.service.runs_helpers import crypto_project, wait_for

pytestmark = pytest.mark.slow

JOB = """
[service.schedule.etl]
cron = "*/3 * * * * *"
steps = ["extract", "transform", "load"]
missed = "run_once"
"""
SERVE_FOR_S = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(port: int) -> int | None:
    try:
        return httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
    except httpx2.HTTPError:
        return None


@pytest.fixture
def servers(tmp_path: Path, db_url: str) -> Iterator[list[tuple[int, Path]]]:  # noqa: F811
    """Two ``prevoir serve`` processes on ``db_url``: (port, log file) each; stopped after."""
    project = crypto_project(tmp_path)
    with (project / "prevoir.toml").open("a") as toml:
        toml.write(JOB)
    src = str(Path(prevoir.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")}
    env |= {"PREVOIR_STORE__URL": db_url, "PYTHONPATH": src, "NO_COLOR": "1"}
    processes = []
    for name in ("a", "b"):
        port, log = free_port(), tmp_path / f"serve-{name}.log"
        command = [sys.executable, "-m", "prevoir", "serve", "--port", str(port)]
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        processes.append((process, port, log))
    try:
        yield [(port, log) for _, port, log in processes]
    finally:
        for process, _, _ in processes:
            process.send_signal(signal.SIGTERM)
        for process, _, _ in processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_servers_run_each_firing_of_a_job_once(
    servers: list[tuple[int, Path]],
    db_url: str,  # noqa: F811
) -> None:
    for port, log in servers:
        status = wait_for(lambda port=port: healthy(port), timeout=180, every=0.5)
        assert status == 200, log.read_text()
    time.sleep(SERVE_FOR_S)
    for port, _ in servers:
        assert healthy(port) == 200  # both still serve while the job runs
    engine = create_store_engine(db_url)
    try:
        # a firing claimed just now may still be running: let it finish
        wait_for(lambda: _all_finished(engine), timeout=120, every=0.5)
        with engine.connect() as conn:
            firings = list(conn.execute(sa.select(tables.schedule_firings)).mappings())
            runs = list(conn.execute(sa.select(tables.runs)).mappings())
    finally:
        engine.dispose()
    times = sorted(f["fire_time"] for f in firings)
    assert len(times) >= 3 and len(set(times)) == len(times)
    assert all(t.second % 3 == 0 and t.microsecond == 0 for t in times)  # the cron's instants
    assert {f["job"] for f in firings} == {"etl"}
    assert all(f["status"] == "succeeded" and f["run_id"] is not None for f in firings)
    scheduled = [r for r in runs if r["trigger"] == "schedule"]
    assert sorted(r["id"] for r in scheduled) == sorted(f["run_id"] for f in firings)
    assert all(r["status"] == "succeeded" for r in scheduled)
    assert len(runs) == len(scheduled)  # nothing else ran
    for _, log in servers:
        assert "Traceback" not in log.read_text()


def _all_finished(engine: sa.Engine) -> bool | None:
    with engine.connect() as conn:
        running = conn.execute(
            sa.select(sa.func.count()).where(tables.schedule_firings.c.status == "running")
        ).scalar_one()
    return True if running == 0 else None


def test_schedule_list_shows_each_job_with_its_next_and_last_firing(
    tmp_path: Path, store_url: str
) -> None:
    project = crypto_project(tmp_path)
    cli = Cli(project, store_url)
    empty = cli("schedule", "list").stdout
    assert "add them under [service.schedule.<name>] in prevoir.toml" in empty
    with (project / "prevoir.toml").open("a") as toml:
        toml.write(JOB.replace("*/3 * * * * *", "0 9 * * 1-5"))
        toml.write('[service.schedule.weekly]\ncron = "30 2 * * 0"\ntimezone = "Europe/Paris"\n')
    fresh = cli("schedule", "list", check=False)  # a read-only command never creates tables
    assert fresh.returncode == 6 and "`prevoir db upgrade`" in fresh.stderr
    cli("db", "upgrade")
    listed = cli("schedule", "list").stdout
    assert "etl" in listed and "0 9 * * 1-5" in listed and "extract transform load" in listed
    assert "30 2 * * 0 (Europe/Paris)" in listed and "all" in listed
    engine = cli.engine()
    fire = datetime(2024, 6, 7, 9, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            assert claim_firing(conn, "etl", fire, "a server")
            finish_firing(conn, "etl", fire, status="succeeded", run_id=42)
    finally:
        engine.dispose()
    etl = next(line for line in cli("schedule", "list").stdout.splitlines() if "etl" in line)
    assert "2024-06-07 09:00:00" in etl and "succeeded" in etl and "42" in etl
    next_fire = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", etl)[0]
    assert datetime.fromisoformat(next_fire).weekday() < 5  # Monday to Friday
