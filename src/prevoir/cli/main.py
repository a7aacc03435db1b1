"""The ``prevoir`` command: parse the arguments, call a workflow, print the result."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from prevoir.cli.exit_codes import FAILURE, OK, exit_code
from prevoir.cli.progress import RichProgress
from prevoir.cli.render import forecast_table, print_frame, runs_table, step_table
from prevoir.config import Settings, find_project_dir, load_settings
from prevoir.errors import PrevoirError
from prevoir.pipeline.runner import STEP_ORDER
from prevoir.workflows import (
    EXAMPLES,
    init_project,
    recent_runs,
    run_pipeline,
    stored_forecasts,
    upgrade_store,
)

app = typer.Typer(
    name="prevoir",
    help="Keep the forecasts of many time series up to date.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect the project configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the store's schema.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")

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

T = TypeVar("T")

# csv and json carry every stored column; the terminal table keeps these and the interval
# bands, one "lo – hi" column per level
TABLE_FORECAST_COLUMNS = ("forecaster", "unique_id", "origin", "ds", "step", "yhat")


def _guard(action: Callable[[], T]) -> T:
    """Run ``action``; a prevoir error becomes one red line on stderr and its exit code."""
    try:
        return action()
    except PrevoirError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code(exc)) from None


def _settings(project: Path | None, profile: str | None) -> Settings:
    folder = project if project is not None else find_project_dir(Path.cwd())
    return load_settings(folder, profile=profile)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    example: Annotated[
        str, typer.Option(help=f"Example to copy: {', '.join(EXAMPLES)}.")
    ] = "bikes",
    force: Annotated[bool, typer.Option(help="Overwrite an existing prevoir.toml.")] = False,
) -> None:
    """Create a ready project (prevoir.toml + real example data) in DIRECTORY."""
    files = _guard(lambda: init_project(directory, example=example, force=force))
    out.print(f"created the [bold]{example}[/] project in {directory} ({len(files)} files)")
    out.print(f"next: cd {directory} && prevoir run")


@app.command()
def run(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    steps: Annotated[
        list[str] | None,
        typer.Option(
            "--steps",
            "-s",
            help=f"Steps to run, in any order (default: all): {' '.join(STEP_ORDER)}. "
            "Accepts several names after one flag.",
        ),
    ] = None,
) -> None:
    """Run the pipeline (all steps, or those named) and print a per-step timing summary."""
    settings = _guard(lambda: _settings(project, profile))
    with RichProgress(err) as progress:
        summary = _guard(lambda: run_pipeline(settings, steps=steps, progress=progress))
    title = f"run {summary.run_id} · profile {settings.profile} · {summary.status}"
    out.print(step_table(summary.steps, title=title))
    for note in summary.notes:
        out.print(f"  • {note}", highlight=False)
    if summary.files:
        out.print("[bold]files written[/]")
        for path in summary.files:
            out.print(f"  {path}", highlight=False)
    if summary.error is not None:
        err.print(f"[bold red]error:[/] {summary.error}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code(summary.error))


@app.command()
def runs(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    limit: Annotated[int, typer.Option(help="How many runs to show.", min=1)] = 20,
) -> None:
    """List recent runs with their step timings."""
    settings = _guard(lambda: _settings(project, profile))
    out.print(runs_table(_guard(lambda: recent_runs(settings, limit=limit))))


@app.command()
def forecasts(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    forecaster: Annotated[str | None, typer.Option(help="Only this forecaster.")] = None,
    series: Annotated[str | None, typer.Option(help="Only this series id.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, csv or json.", case_sensitive=False)
    ] = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many rows.", min=1)] = None,
) -> None:
    """Print stored forecasts (newest origin first)."""
    if fmt not in ("table", "csv", "json"):
        err.print(f"[bold red]error:[/] --format must be table, csv or json, not {fmt!r}")
        raise typer.Exit(2)
    settings = _guard(lambda: _settings(project, profile))
    frame = _guard(
        lambda: stored_forecasts(settings, forecaster=forecaster, series=series, limit=limit)
    )
    if fmt == "table":
        frame = forecast_table(frame, TABLE_FORECAST_COLUMNS)
    print_frame(frame, fmt=fmt, console=out, title=f"{len(frame):,} forecasts")


@config_app.command("show")
def config_show(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """Print the effective configuration (file < profile < environment), secrets masked."""
    import tomli_w

    settings = _guard(lambda: _settings(project, profile))
    data: dict[str, Any] = _drop_none(settings.masked())
    out.print(tomli_w.dumps(data), highlight=False, markup=False)


@db_app.command("upgrade")
def db_upgrade(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """Create the store's tables or migrate them to the newest schema."""
    settings = _guard(lambda: _settings(project, profile))
    before, after = _guard(lambda: upgrade_store(settings))
    out.print(f"store schema: {before or 'empty'} → {after}")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _expand_greedy(argv: list[str], option: str) -> list[str]:
    """Let ``--steps a b c`` mean ``--steps a --steps b --steps c`` (click takes one value)."""
    expanded: list[str] = []
    greedy = False
    for arg in argv:
        if arg in (option, "-s"):
            expanded.append(option)
            greedy = True
            continue
        if greedy and not arg.startswith("-"):
            if expanded[-1] != option:
                expanded.append(option)
            expanded.append(arg)
            continue
        greedy = False
        expanded.append(arg)
    return expanded


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = _expand_greedy(sys.argv[1:], "--steps")
    try:
        app(args=argv, prog_name="prevoir")
    except SystemExit as exc:
        sys.exit(exc.code if exc.code is not None else OK)
    except KeyboardInterrupt:
        err.print("interrupted; stored data is consistent, run again to resume")
        sys.exit(FAILURE)
