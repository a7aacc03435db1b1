"""What every CLI module shares: the consoles, the project options, error handling.

The CLI modules import only typer, rich and light prevoir modules at the top; each command
imports the workflows it calls (and with them pandas, SQLAlchemy, the settings), so
``prevoir --help`` and a command's ``--help`` stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from prevoir.cli.exit_codes import exit_code
from prevoir.errors import PrevoirError

if TYPE_CHECKING:
    import pandas as pd

    from prevoir.config import Settings
    from prevoir.workflows.profiles import Holding
    from prevoir.workflows.project import Project

T = TypeVar("T")

out = Console()
err = Console(stderr=True)


def command_group(help: str, **options: Any) -> typer.Typer:
    """A typer app whose help is plain text: no rich markup, so ``[profiles.<name>]`` and
    every other bracketed word are printed as written (``tests/e2e/test_cli_help.py``)."""
    options.setdefault("no_args_is_help", True)
    return typer.Typer(help=help, rich_markup_mode=None, **options)


ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        "-C",
        help="Project folder (holds prevoir.toml). Default: the current folder or a parent.",
        file_okay=False,
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="Profile from [profiles.<name>] to apply."),
]

FormatOpt = Annotated[
    str, typer.Option("--format", help="table, csv or json.", case_sensitive=False)
]


def check_format(fmt: str, allowed: tuple[str, ...] = ("table", "csv", "json")) -> None:
    """Exit 2 unless ``fmt`` is one of the ``allowed`` output formats."""
    if fmt not in allowed:
        err.print(
            f"[bold red]error:[/] --format must be {', '.join(allowed)}, not {fmt!r}",
            highlight=False,
        )
        raise typer.Exit(2)


def utc_time(text: str, option: str) -> pd.Timestamp:
    """An ISO 8601 time given to ``option``, UTC when it has no offset; exit 2 if it is not
    one."""
    import pandas as pd

    try:
        when = pd.Timestamp(text)
    except ValueError:
        err.print(f"error: {option} {text!r} is not an ISO 8601 time", highlight=False)
        raise typer.Exit(2) from None
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def moment(value: datetime | None) -> str:
    """A stored time as tables show it (UTC, to the second); ``—`` for none."""
    return f"{value:%Y-%m-%d %H:%M:%S}" if value is not None else "—"


def guard(action: Callable[[], T]) -> T:
    """Run ``action``; a prevoir error becomes one red line on stderr and its exit code."""
    try:
        return action()
    except PrevoirError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code(exc)) from None


def project_settings(project: Path | None, profile: str | None) -> Settings:
    from prevoir.config import find_project_dir, load_settings

    folder = project if project is not None else find_project_dir(Path.cwd())
    return load_settings(folder, profile=profile)


@contextmanager
def opened(
    project: Path | None, profile: str | None, *, migrate: bool = False
) -> Iterator[Project]:
    """The project under ``profile`` with its store open for this one command, closed after.

    ``migrate``: the command may create or upgrade the schema; otherwise a store not at
    this prevoir's head stops the command with the one that upgrades it.
    """
    from prevoir.workflows.project import open_project

    settings = guard(lambda: project_settings(project, profile))
    handle = guard(lambda: open_project(settings, migrate=migrate))
    try:
        yield handle
    finally:
        handle.close()


def nothing(settings: Settings, what: Holding, *, why: str = "") -> None:
    """Say that the profile's store holds no ``what`` (and ``why``), and which other
    profiles' stores do."""
    from prevoir.workflows.profiles import profiles_holding

    others = guard(lambda: profiles_holding(settings, what))
    out.print(
        f"no {what} in the store of profile {settings.profile!r}{why}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    for name in others:
        how = "run it without --profile" if name == "default" else f"add --profile {name}"
        out.print(f"  profile {name!r} has some: {how}", highlight=False, markup=False)


@contextmanager
def listing(project: Path | None, profile: str | None, what: Holding) -> Iterator[Project | None]:
    """The project of a command that lists ``what``, its store open; None, once that was said
    (with the profiles that have some), when the store has no prevoir tables yet."""
    settings = guard(lambda: project_settings(project, profile))
    handle = guard(lambda: _open_unless_empty(settings))
    if handle is None:
        nothing(settings, what, why=": it has no prevoir tables yet (run `prevoir run`)")
        yield None
        return
    try:
        yield handle
    finally:
        handle.close()


def _open_unless_empty(settings: Settings) -> Project | None:
    from prevoir.errors import EmptyStoreError
    from prevoir.workflows.project import open_project

    try:
        return open_project(settings)
    except EmptyStoreError:
        return None
