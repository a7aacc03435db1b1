"""A run stopped from outside: SIGTERM and Ctrl-C cancel it cleanly (143 / 130, one line, no
traceback, leases free); a database lost mid-step ends it with one clear message and exit 6,
leaving no model file that no version references."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.cli import Cli
from tests.reliability.conftest import RunProcess, admin_execute, fresh_pg_database
from tests.reliability.snapshot import runs_of, snapshot

pytestmark = pytest.mark.slow

SIGNALS = [
    pytest.param("sqlite", signal.SIGTERM, 143, id="sqlite-SIGTERM"),
    pytest.param("sqlite", signal.SIGINT, 130, id="sqlite-SIGINT"),
    pytest.param(
        "postgres", signal.SIGTERM, 143, id="postgres-SIGTERM", marks=pytest.mark.postgres
    ),
]


@pytest.mark.parametrize(("backend", "signum", "code"), SIGNALS)
def test_a_stop_signal_cancels_the_run_naming_its_step_and_frees_its_leases(
    backend: str, signum: signal.Signals, code: int, project: Path, tmp_path: Path
) -> None:
    databases = fresh_pg_database() if backend == "postgres" else None
    url = next(databases) if databases else f"sqlite:///{tmp_path}/store.db"
    try:
        Cli(project, url)("run", "--steps", "extract", "transform", "load", "features")
        stopped = RunProcess(project, url, "run", "--steps", "train", "evaluate")
        stopped.wait_for_line(r"step evaluate started")  # the leases are held by then
        stopped.popen.send_signal(signum)
        exit_code, _, stderr = stopped.finish()
        assert exit_code == code, stderr
        assert "Traceback" not in stderr
        (message,) = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert f"cancelled by {signum.name} in step 'evaluate'" in message
        run = runs_of(url)[-1]
        assert run["status"] == "cancelled" and "in step 'evaluate'" in run["error"]
        assert snapshot(url)["locks"] == []  # released, not left to lapse
        again = Cli(project, url)("run", "--steps", "train", "evaluate")  # at once
        assert runs_of(url)[-1]["status"] == "succeeded", again.stdout
    finally:
        if databases is not None:
            databases.close()


@pytest.mark.postgres
def test_a_database_lost_mid_step_ends_the_run_with_one_message_and_exit_6(
    project: Path,
) -> None:
    databases = fresh_pg_database()
    url = next(databases)
    database = sa.make_url(url).database
    try:
        Cli(project, url)("run", "--steps", "extract", "transform", "load", "features")
        lost = RunProcess(project, url, "run", "--steps", "train", "evaluate")
        lost.wait_for_line(r"step train started")
        # the server refuses the database from now on, and ends every session on it
        admin_execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        admin_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        exit_code, _, stderr = lost.finish()
        assert exit_code == 6, stderr
        assert "Traceback" not in stderr and "OperationalError" not in stderr, stderr
        (message,) = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert message.startswith("error: step 'train' failed (run 2): ")
        assert "check that the database is running" in message
        assert len(stderr.splitlines()) == 3, stderr  # step started, step failed, the error
        admin_execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        engine = sa.create_engine(url, poolclass=NullPool)
        with engine.connect() as conn:
            referenced = {
                row[0] for row in conn.execute(sa.text("SELECT artifact_path FROM model_versions"))
            }
        engine.dispose()
        on_disk = {str(path) for path in (project / "artifacts").rglob("*.pkl")}
        assert on_disk <= referenced  # a model file whose version was not recorded is gone
        assert Cli(project, url)("run", "--steps", "train", "evaluate").returncode == 0
        assert runs_of(url)[-2]["status"] == "abandoned"  # the lost run, reaped
    finally:
        databases.close()
