"""Trained stores built once per test session; each test gets a copy of its own.

A *master* is an example project (``prevoir.toml``, data, ``artifacts/`` with the model
versions, plots and feature tables) and its store, brought to a state through the CLI (for
``crypto_dev``: ``prevoir init crypto --example crypto`` then ``prevoir run --profile
dev``). It is built once per session and backend, under a lock, by whichever test worker
needs it first; the other worker waits for it and reuses it. Nobody works in a master:

* a test gets a copy — the project folder copied, and the store copied with it: the SQLite
  file, or on PostgreSQL a new database ``CREATE DATABASE … TEMPLATE <master>`` (the
  master has no connection open once built, which the template copy requires); paths the
  store and the run's JSON files record under the master's folder (model artifacts, run
  files) are rewritten to the copy's, so a test that damages or prunes an artifact damages
  its own;
* each worker checks at the end of the session that the masters it copied (files and
  SQLite store) are byte for byte as built.

Masters live in ``<tmp>/prevoir-tests-<pid of the pytest main process>``: the main
process empties it when the session starts and removes it, and drops the PostgreSQL
masters, when the session ends (this module is a plugin of ``tests/conftest.py``).

Building and copying go through the CLI and plain SQL only, never through
``prevoir.workflows`` or ``prevoir.storage``: the states a master holds are what a user
gets from the commands.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.cli import Cli
from tests.integration.conftest import _require_pg, pg_admin_url

__all__ = [
    "BACKENDS",
    "CHEAP_CLOSE_1H",
    "Master",
    "StoreCopy",
    "admin_execute",
    "bikes_dev",
    "copy_of",
    "crypto_dev",
    "crypto_dev_cheap",
    "master",
]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# the main pytest process: itself, or the parent of an xdist worker
_OWNER = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
SHARED = Path(tempfile.gettempdir()) / f"prevoir-tests-{_OWNER}"
_PG_MASTERS = SHARED / "postgres-masters"  # one database name per line
# paths a store records (absolute, under the project folder): rewritten in each copy
_RELOCATE = {
    "sqlite": [
        "UPDATE model_versions SET artifact_path = replace(artifact_path, :old, :new)",
        "UPDATE artifacts SET path = replace(path, :old, :new)",
        "UPDATE run_steps SET files = replace(files, :old, :new)",
    ],
    "postgres": [
        "UPDATE model_versions SET artifact_path = replace(artifact_path, :old, :new)",
        "UPDATE artifacts SET path = replace(path, :old, :new)",
        "UPDATE run_steps SET files = replace(files::text, :old, :new)::jsonb",
    ],
}


@dataclass(frozen=True)
class Master:
    """A built state: its project folder, its store, and the digest of its files."""

    key: str
    backend: str
    project: Path
    store_url: str
    digest: str


@dataclass(frozen=True)
class StoreCopy:
    """A test's own copy of a master: project folder and store URL."""

    project: Path
    store_url: str

    def cli(self) -> Cli:
        """The in-process CLI in the copy's project, on its store."""
        return Cli(self.project, self.store_url)


_built: dict[str, Master] = {}  # this worker's masters, checked at the end of the session


def master(name: str, backend: str, *, example: str, build: Callable[[Cli], object]) -> Master:
    """The master ``name`` on ``backend``: ``example`` scaffolded, then ``build(cli)``
    run on it; built by the first worker that asks, under a lock, and reused after."""
    key = f"{name}-{backend}"
    if key in _built:
        return _built[key]
    if backend != "sqlite":
        _require_pg(pg_admin_url())
    folder = SHARED / key
    with _locked(SHARED / f"{key}.lock"):
        failed, ready = folder / "failed.txt", folder / "master.json"
        if failed.exists():
            pytest.fail(f"building the master {key} failed earlier:\n{failed.read_text()}")
        if not ready.exists():
            try:
                _build(folder, backend, example=example, build=build)
            except BaseException:
                failed.write_text(traceback.format_exc())
                raise
        info = json.loads(ready.read_text())
    _built[key] = Master(key, backend, Path(info["project"]), info["store_url"], info["digest"])
    return _built[key]


def _build(folder: Path, backend: str, *, example: str, build: Callable[[Cli], object]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    project = folder / example
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
    else:
        database = f"prevoir_master_{_OWNER}_{folder.name.replace('-', '_')}"
        with _PG_MASTERS.open("a") as names:  # registered first: dropped even if this fails
            names.write(database + "\n")
        admin_execute(f'CREATE DATABASE "{database}"')
        url = _database_url(database)
    Cli(folder, url)("init", str(project), "--example", example)
    build(Cli(project, url))
    if backend != "sqlite":  # a template must have no connection open
        admin_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{sa.make_url(url).database}' AND pid <> pg_backend_pid()"
        )
    info = {"project": str(project), "store_url": url, "digest": _digest(folder)}
    (folder / "master.json").write_text(json.dumps(info))


def copy_of(built: Master, destination: Path) -> Iterator[StoreCopy]:
    """A copy of ``built`` under ``destination`` (generator: drops a PostgreSQL copy after)."""
    project = destination / built.project.name
    shutil.copytree(built.project, project)
    database = None
    if built.backend == "sqlite":
        source = Path(sa.make_url(built.store_url).database or "")
        for suffix in ("", "-wal", "-shm"):
            if source.with_name(source.name + suffix).exists():
                shutil.copyfile(
                    source.with_name(source.name + suffix), destination / f"store.db{suffix}"
                )
        url = f"sqlite:///{destination / 'store.db'}"
    else:
        database = f"prevoir_copy_{uuid.uuid4().hex[:12]}"
        template = sa.make_url(built.store_url).database
        admin_execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        url = _database_url(database)
    try:
        _relocate(url, built.backend, old=str(built.project), new=str(project))
        for report in project.rglob("*.json"):  # run files naming artifacts (model JSON)
            text = report.read_text()
            if str(built.project) in text:
                report.write_text(text.replace(str(built.project), str(project)))
        yield StoreCopy(project, url)
    finally:
        if database is not None:
            admin_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _relocate(url: str, backend: str, *, old: str, new: str) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for statement in _RELOCATE[backend]:
                conn.execute(sa.text(statement), {"old": old, "new": new})
    finally:
        engine.dispose()


def check_unchanged() -> None:
    """Fail if a master this worker used changed since it was built."""
    changed = [m.key for m in _built.values() if _digest(m.project.parent) != m.digest]
    _built.clear()
    assert not changed, f"a test wrote into the shared masters {changed}; copy them instead"


def pytest_configure(config: pytest.Config) -> None:
    """The main process starts without masters (a stale folder of a reused process id)."""
    if not hasattr(config, "workerinput"):  # not an xdist worker
        shutil.rmtree(SHARED, ignore_errors=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The main process, after every worker finished, drops the PostgreSQL masters and
    removes the folder."""
    if hasattr(config, "workerinput"):
        return
    if _PG_MASTERS.exists():
        for database in _PG_MASTERS.read_text().split():
            admin_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    shutil.rmtree(SHARED, ignore_errors=True)


def _digest(folder: Path) -> str:
    """sha256 over the relative path and bytes of every file (markers excluded)."""
    total = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name in ("master.json", "failed.txt"):
            continue
        total.update(str(path.relative_to(folder)).encode())
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _database_url(database: str) -> str:
    return sa.make_url(pg_admin_url()).set(database=database).render_as_string(False)


def admin_execute(statement: str) -> None:
    """Run one statement on the suite's PostgreSQL server, outside a transaction."""
    engine = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _masters_unchanged() -> Iterator[None]:
    yield
    check_unchanged()


def _run_dev(cli: Cli) -> None:
    cli("run", "--profile", "dev")


DEV_CLOSE_1H = "[profiles.dev.forecasters.close_1h]\ntrain_window = 1440\nmodel = { params = { "
CHEAP_CLOSE_1H = "n_estimators = 20, n_jobs = 1"


def _run_dev_cheap(cli: Cli) -> None:
    toml = cli.project / "prevoir.toml"
    text = toml.read_text()
    assert f"{DEV_CLOSE_1H}n_estimators = 50" in text, "the crypto example's dev profile changed"
    toml.write_text(text.replace(f"{DEV_CLOSE_1H}n_estimators = 50", DEV_CLOSE_1H + CHEAP_CLOSE_1H))
    _run_dev(cli)


def _copies(key: str, *, example: str, build: Callable[[Cli], object], doc: str) -> Any:
    """A fixture (named ``key`` with ``_``) giving each test its copy of the master ``key``,
    on SQLite and on PostgreSQL."""

    def copies(
        request: pytest.FixtureRequest, tmp_path: Path, _masters_unchanged: None
    ) -> Iterator[StoreCopy]:
        yield from copy_of(master(key, request.param, example=example, build=build), tmp_path)

    copies.__doc__ = doc
    return pytest.fixture(params=BACKENDS, name=key.replace("-", "_"))(copies)


crypto_dev = _copies(
    "crypto-dev",
    example="crypto",
    build=_run_dev,
    doc="""The crypto example after ``prevoir run --profile dev`` (every step: four
    forecasters trained and evaluated, champions, 24 initial origins forecast), copied.""",
)
crypto_dev_cheap = _copies(
    "crypto-dev-cheap",
    example="crypto",
    build=_run_dev_cheap,
    doc="""``crypto_dev`` with a smaller ``close_1h`` in the dev profile (``n_estimators = 20,
    n_jobs = 1`` in the copy's ``prevoir.toml``), for tests that retrain it.""",
)
bikes_dev = _copies(
    "bikes-dev",
    example="bikes",
    build=_run_dev,
    doc="The bikes example after ``prevoir run --profile dev``, copied.",
)
