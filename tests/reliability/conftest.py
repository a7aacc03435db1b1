"""Fixtures of the reliability suite: a small real project (the crypto candles, two cheap
forecasters), its store on SQLite or PostgreSQL, real ``prevoir run`` processes to kill; and,
borrowed from the service suite, a started app on a fresh store of either backend
(``service_client(db_url)``) with its users and their tokens."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa

import prevoir.examples
from tests.cli import ENV, Cli
from tests.integration.conftest import _require_pg, pg_admin_url
from tests.service.conftest import db_url, password_hash, pg_schema_url, service_client
from tests.stores import admin_execute

__all__ = ["admin_execute", "db_url", "password_hash", "pg_schema_url", "service_client"]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# the crypto candles with two forecasters: a small LightGBM (one thread: the same bytes
# every time) and a seasonal naive; about two seconds for every step on a quiet box
PROJECT_TOML = """
threads = 1

[datasets.candles]
source = { kind = "csv", path = "data/Binance_*_1h.csv", options = { skiprows = 1 } }
time = { column = "Unix Timestamp", unit = "s" }
keys = ["Symbol"]
values = ["open", "high", "low", "close", "volume"]
freq = "h"
fill = "ffill"
rename = { Open = "open", High = "high", Low = "low", Close = "close", "Volume USDT" = "volume" }

[forecasters.close_1h]
dataset = "candles"
target = "close"
horizons = [1, 6, 12, 24]
train_window = 1440
model = { kind = "lightgbm", params = { n_estimators = 20, num_leaves = 15, n_jobs = 1 } }
features = { lags = [1, 2, 24], rolling = [24], calendar = ["hour"] }
catchup = { stride = 1, max_catchup = 168, initial_origins = 48 }
backtest = { folds = 2, step = 24, sample_series = 3 }

[forecasters.close_naive]
dataset = "candles"
target = "close"
horizons = [1, 6, 12, 24]
model = { kind = "seasonal_naive", season_length = 1 }
catchup = { stride = 1, max_catchup = 168, initial_origins = 48 }
backtest = { folds = 2, step = 24, sample_series = 3 }
"""


def make_project(folder: Path) -> Path:
    """The small crypto project in ``folder`` (its data copied from the example)."""
    folder.mkdir(parents=True)
    shutil.copytree(Path(prevoir.examples.__file__).parent / "crypto" / "data", folder / "data")
    (folder / "prevoir.toml").write_text(PROJECT_TOML)
    return folder


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: a SQLite file, or a PostgreSQL database of its own (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db"
        return
    yield from fresh_pg_database()


def fresh_pg_database() -> Generator[str, None, None]:
    """A new PostgreSQL database's URL (generator: dropped, connections and all, after)."""
    admin = pg_admin_url()
    _require_pg(admin)
    name = f"prevoir_rel_{uuid.uuid4().hex[:12]}"
    admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        admin_execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh small project (no store yet)."""
    return make_project(tmp_path / "project")


@pytest.fixture
def cli(project: Path, store_url: str) -> Cli:
    """The in-process CLI in ``project`` on ``store_url``."""
    return Cli(project, store_url)


class RunProcess:
    """A real ``python -m prevoir`` process whose progress lines are read as they come."""

    def __init__(self, project: Path, store_url: str, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")}
        env |= ENV | {"PREVOIR_STORE__URL": store_url}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "prevoir", *args],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []

    def wait_for_line(self, pattern: str, *, timeout: float = 120) -> str:
        """Read stderr until a line matches ``pattern``; that line."""
        deadline = time.monotonic() + timeout
        stream: IO[str] | None = self.popen.stderr
        assert stream is not None
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                raise AssertionError(f"the process ended before {pattern!r}:\n{self.text()}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line {pattern!r} after {timeout} s:\n{self.text()}")

    def finish(self, timeout: float = 300) -> tuple[int, str, str]:
        """Wait for the process; (exit code, stdout, all of stderr)."""
        out, err = self.popen.communicate(timeout=timeout)
        self.lines.append(err)
        return self.popen.returncode, out, "".join(self.lines)

    def text(self) -> str:
        return "".join(self.lines)
