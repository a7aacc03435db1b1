"""Two ways to run ``prevoir``: in this process, or as a real ``python -m prevoir``.

``Cli`` calls the console entry point (``prevoir.cli.main.main``: the same ``--steps``
expansion and exit codes) inside click's ``CliRunner`` isolation, so a command costs what
its work costs, not an interpreter start and the imports of pandas and the model libraries
(two to three seconds each on a busy two-core box), and its code counts towards coverage.
``SubprocessCli`` starts the real process; the suite keeps it for what only a process
shows: the installed entry point, exit codes and output through a pipe, imports
(``-X importtime``), and servers.

Both take the project folder and the store URL, hide the developer's ``PREVOIR_*``
variables, set ``PREVOIR_STORE__URL``, ``COLUMNS=200`` and ``NO_COLOR=1``, and return a
``CompletedProcess`` (``returncode``, ``stdout``, ``stderr``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from rich.console import Console
from typer.testing import CliRunner

WIDTH = 200
# what a refused input must leave exactly as it was
STORED = ("series", "observations", "forecasts", "model_versions", "aliases", "alias_history")
ENV = {"COLUMNS": str(WIDTH), "NO_COLOR": "1"}


def _environment(store_url: str) -> dict[str, str | None]:
    """The variables a command sees changed: ``None`` removes one."""
    hidden: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PREVOIR_")}
    return hidden | ENV | {"PREVOIR_STORE__URL": store_url}


@contextlib.contextmanager
def _plain_consoles() -> Iterator[None]:
    """Rebind the CLI's module-level rich consoles to ones that print what a pipe gets.

    ``prevoir.cli.common.out`` and ``err`` were made at import with the width and colours
    of whatever ``sys.stdout`` was then; the command modules import them by name. Fresh
    consoles without a file write to the ``sys.stdout``/``sys.stderr`` of the moment (the
    runner's capture), 200 columns wide and without colour, as the subprocess does.
    """
    from prevoir.cli import common

    plain = {
        "out": Console(width=WIDTH, color_system=None, force_terminal=False, no_color=True),
        "err": Console(
            width=WIDTH, color_system=None, force_terminal=False, no_color=True, stderr=True
        ),
    }
    made_at_import = {attr: getattr(common, attr) for attr in plain}
    rebound = []
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith("prevoir.cli"):
            continue
        for attr, console in plain.items():
            if getattr(module, attr, None) is made_at_import[attr]:
                rebound.append((module, attr, made_at_import[attr]))
                setattr(module, attr, console)
    try:
        yield
    finally:
        for module, attr, console in rebound:
            setattr(module, attr, console)


def store_snapshot(engine: sa.Engine, tables: tuple[str, ...] = STORED) -> dict[str, pd.DataFrame]:
    """Every row of ``tables`` in the store of ``engine``, sorted."""
    with engine.connect() as conn:
        frames = {t: pd.read_sql(sa.text(f"SELECT * FROM {t}"), conn) for t in tables}
    return {
        table: frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
        for table, frame in frames.items()
    }


@dataclass
class _Base:
    project: Path
    store_url: str

    def engine(self) -> sa.Engine:
        """An engine on the same store, for checking what the CLI wrote."""
        url = self.store_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = "sqlite:///" + str(self.project / url.removeprefix("sqlite:///"))
        return sa.create_engine(url)

    def snapshot(self, tables: tuple[str, ...] = STORED) -> dict[str, pd.DataFrame]:
        """Every row of ``tables``, sorted: compare two to prove a command changed nothing."""
        engine = self.engine()
        try:
            return store_snapshot(engine, tables)
        finally:
            engine.dispose()

    @staticmethod
    def _checked(
        done: subprocess.CompletedProcess[str], check: bool
    ) -> subprocess.CompletedProcess[str]:
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(done.args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done


class Cli(_Base):
    """Runs ``prevoir`` in this process, in the project folder (see the module)."""

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        from prevoir.cli.main import main

        argv = ["prevoir", *args]
        code: int | str | None = 0
        runner = CliRunner()
        with (
            runner.isolation(env=_environment(self.store_url)) as (stdout, stderr, _),
            contextlib.chdir(self.project),
            _plain_consoles(),
        ):
            old_argv, sys.argv = sys.argv, argv
            try:
                main()
            except SystemExit as exc:  # what the process would exit with
                code = exc.code
            finally:
                sys.argv = old_argv
                sys.stdout.flush()
                sys.stderr.flush()
            out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
        returncode = 0 if code is None else code if isinstance(code, int) else 1
        return self._checked(subprocess.CompletedProcess(argv, returncode, out, err), check)


class SubprocessCli(_Base):
    """Runs ``python -m prevoir`` in the project folder (``python``: interpreter options
    before ``-m``, e.g. ``("-X", "importtime")``)."""

    def __call__(
        self, *args: str, check: bool = True, python: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in _environment(self.store_url).items() if v is not None}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREVOIR_")} | env
        done = subprocess.run(
            [sys.executable, *python, "-m", "prevoir", *args],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        return self._checked(done, check)
