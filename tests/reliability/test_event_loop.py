"""Nothing blocks the event loop: with the store stalled under twenty authenticated
requests, a real ``prevoir serve`` process still answers ``/healthz`` at once.

PostgreSQL only: it is where a test can stall a read (a lock on the API-key table makes
every authentication wait); SQLite in WAL mode never blocks readers. Before this change the
authentication read ran on the event loop, so the first stalled request froze the whole
process and ``/healthz`` timed out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa

from tests.e2e.test_serve_processes import free_port, healthy
from tests.integration.conftest import pg_schema_url  # noqa: F401 (fixture)
from tests.service.runs_helpers import crypto_project, key_headers, project_settings, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 20


@pytest.fixture
def served(tmp_path: Path, pg_schema_url: str) -> Iterator[tuple[str, dict[str, str]]]:  # noqa: F811
    """``prevoir serve`` on the crypto example and PostgreSQL: its URL and an API key."""
    project = crypto_project(tmp_path)
    headers = key_headers(project_settings(project, pg_schema_url), "read")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")}
    env |= {"PREVOIR_STORE__URL": pg_schema_url, "PREVOIR_SERVICE__SCHEDULER": "false"}
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "-m", "prevoir", "serve", "--project", str(project)]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: healthy(port) or (process.poll() is not None and -1) or None, timeout=60)
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        yield f"http://127.0.0.1:{port}", headers
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _get(url: str, headers: dict[str, str]) -> tuple[int, float]:
    answer = httpx2.get(url, headers=headers, timeout=60)
    return answer.status_code, time.monotonic()


def test_healthz_answers_while_every_request_waits_on_the_store(
    served: tuple[str, dict[str, str]],
    pg_schema_url: str,  # noqa: F811
) -> None:
    base, headers = served
    engine = sa.create_engine(pg_schema_url, poolclass=sa.pool.NullPool)
    locker = engine.connect()
    pool = ThreadPoolExecutor(CLIENTS)
    try:
        locker.begin()
        locker.exec_driver_sql("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        stalled: list[Future[tuple[int, float]]] = [
            pool.submit(_get, f"{base}/api/v1/series", headers) for _ in range(CLIENTS)
        ]

        def waiting() -> int | None:
            with engine.connect() as conn:
                found = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted "
                        "AND relation = 'api_keys'::regclass"
                    )
                ).scalar_one()
            return int(found) if found else None

        wait_for(waiting, timeout=30)  # the server's requests now wait on the lock
        probes = []
        for _ in range(5):
            answer = httpx2.get(f"{base}/healthz", timeout=5)
            probes.append((answer.status_code, time.monotonic()))
        assert [status for status, _ in probes] == [200] * 5
        assert not any(f.done() for f in stalled)  # answered while all twenty still waited
        locker.rollback()
        results = [f.result(timeout=60) for f in stalled]
        assert [status for status, _ in results] == [200] * CLIENTS
        assert min(done for _, done in results) > max(done for _, done in probes)
    finally:
        if locker.in_transaction():
            locker.rollback()
        locker.close()
        pool.shutdown(wait=False, cancel_futures=True)
        engine.dispose()
