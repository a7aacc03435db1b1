"""What every CLI module shares: the consoles, the project options, error handling.

The CLI modules import only typer, rich and light prevoir modules at the top; each command
imports the workflows it calls (and with them pandas, SQLAlchemy, the settings), so
``prevoir --help`` and a command's ``--help`` stay fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from prevoir.cli.exit_codes import exit_code
from prevoir.errors import PrevoirError

if TYPE_CHECKING:
    from prevoir.config import Settings

T = TypeVar("T")

out = Console()
err = Console(stderr=True)

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
