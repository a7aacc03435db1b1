"""End-to-end fixtures: a scaffolded project and a store URL per backend (SQLite, PostgreSQL).

Each PostgreSQL test gets a database of its own, created and dropped here, so runs never
see each other's rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("PREVOIR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Cli:
    """Runs ``python -m prevoir`` in a project folder with a given store URL (``python``:
    interpreter options before ``-m``, e.g. ``("-X", "importtime")``)."""

    project: Path
    store_url: str

    def __call__(
        self, *args: str, check: bool = True, python: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")}
        env |= {"PREVOIR_STORE__URL": self.store_url, "COLUMNS": "200", "NO_COLOR": "1"}
        done = subprocess.run(
            [sys.executable, *python, "-m", "prevoir", *args],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"prevoir {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def engine(self) -> sa.Engine:
        """An engine on the same store, for checking what the CLI wrote."""
        url = self.store_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = "sqlite:///" + str(self.project / url.removeprefix("sqlite:///"))
        return sa.create_engine(url)


def _pg_database() -> Iterator[str]:
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"prevoir_e2e_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _pg_database()
