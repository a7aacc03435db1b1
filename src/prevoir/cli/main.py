"""The ``prevoir`` command: parse the arguments, call a workflow, print the result.

Each command imports the workflows and renderers it uses (see ``prevoir.cli.common``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from prevoir.cli.common import (
    FormatOpt,
    ProfileOpt,
    ProjectOpt,
    err,
    guard,
    out,
    project_settings,
)
from prevoir.cli.exit_codes import FAILURE, OK, exit_code
from prevoir.cli.schedule import schedule_app
from prevoir.cli.service import keys_app, serve, users_app
from prevoir.domain.steps import STEP_ORDER
from prevoir.examples import EXAMPLES

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
models_app = typer.Typer(
    help="Model versions and their aliases (champion, challenger).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(schedule_app, name="schedule")
app.command()(serve)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "csv", "json"):
        err.print(f"[bold red]error:[/] --format must be table, csv or json, not {fmt!r}")
        raise typer.Exit(2)


# csv and json carry every stored column; the terminal table keeps these and the interval
# bands, one "lo – hi" column per level
TABLE_FORECAST_COLUMNS = ("forecaster", "unique_id", "origin", "ds", "step", "yhat")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    example: Annotated[
        str, typer.Option(help=f"Example to copy: {', '.join(EXAMPLES)}.")
    ] = "bikes",
    force: Annotated[bool, typer.Option(help="Overwrite an existing prevoir.toml.")] = False,
) -> None:
    """Create a ready project (prevoir.toml + real example data) in DIRECTORY."""
    from prevoir.workflows.project import init_project

    files = guard(lambda: init_project(directory, example=example, force=force))
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
    from prevoir.cli.progress import RichProgress
    from prevoir.cli.render import step_table
    from prevoir.workflows.runs import run_pipeline

    settings = guard(lambda: project_settings(project, profile))
    with RichProgress(err) as progress:
        summary = guard(lambda: run_pipeline(settings, steps=steps, progress=progress))
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
    from prevoir.cli.render import runs_table
    from prevoir.workflows.queries import recent_runs

    settings = guard(lambda: project_settings(project, profile))
    out.print(runs_table(guard(lambda: recent_runs(settings, limit=limit))))


@app.command()
def forecasts(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    forecaster: Annotated[str | None, typer.Option(help="Only this forecaster.")] = None,
    series: Annotated[str | None, typer.Option(help="Only this series id.")] = None,
    fmt: FormatOpt = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many rows.", min=1)] = None,
) -> None:
    """Print stored forecasts (newest origin first)."""
    from prevoir.cli.render import forecast_table, print_frame
    from prevoir.workflows.queries import stored_forecasts

    _check_format(fmt)
    settings = guard(lambda: project_settings(project, profile))
    frame = guard(
        lambda: stored_forecasts(settings, forecaster=forecaster, series=series, limit=limit)
    )
    if fmt == "table":
        frame = forecast_table(frame, TABLE_FORECAST_COLUMNS)
    print_frame(frame, fmt=fmt, console=out, title=f"{len(frame):,} forecasts")


@app.command()
def trace(
    forecaster: Annotated[str, typer.Option(help="Forecaster of the forecast.")],
    series: Annotated[str, typer.Option(help="Series id.")],
    origin: Annotated[str, typer.Option(help="Origin, ISO 8601 (UTC when no offset).")],
    step: Annotated[int, typer.Option(help="Horizon step.", min=1)] = 1,
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Where one forecast came from: model version, training window, data, runs, config."""
    import pandas as pd

    from prevoir.cli.render import trace_text
    from prevoir.workflows.queries import trace_forecast

    settings = guard(lambda: project_settings(project, profile))
    when = pd.Timestamp(origin)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    found = guard(
        lambda: trace_forecast(
            settings, forecaster=forecaster, series=series, origin=when, step=step
        )
    )
    out.print(trace_text(found), highlight=False, soft_wrap=True)


@config_app.command("show")
def config_show(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """Print the effective configuration (file < profile < environment), secrets masked."""
    import tomli_w

    settings = guard(lambda: project_settings(project, profile))
    data: dict[str, Any] = _drop_none(settings.masked())
    out.print(tomli_w.dumps(data), highlight=False, markup=False)


@db_app.command("upgrade")
def db_upgrade(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """Create the store's tables or migrate them to the newest schema."""
    from prevoir.workflows.queries import upgrade_store

    settings = guard(lambda: project_settings(project, profile))
    before, after = guard(lambda: upgrade_store(settings))
    out.print(f"store schema: {before or 'empty'} → {after}")


@models_app.command("list")
def models_list(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    forecaster: Annotated[str | None, typer.Option(help="Only this forecaster.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """List model versions, oldest first, with their backtest MAE and aliases."""
    from prevoir.cli.render import print_frame, versions_frame
    from prevoir.workflows.models import list_versions

    _check_format(fmt)
    settings = guard(lambda: project_settings(project, profile))
    versions = guard(lambda: list_versions(settings, forecaster=forecaster))
    frame = versions_frame(versions, profile=settings.profile)
    print_frame(frame, fmt=fmt, console=out, title=f"{len(frame)} model versions")


@models_app.command("show")
def models_show(
    version: Annotated[int, typer.Argument(help="Version id.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Everything recorded about one version: window, fingerprint, metrics, run, aliases."""
    from prevoir.cli.render import version_text
    from prevoir.workflows.models import show_version

    settings = guard(lambda: project_settings(project, profile))
    out.print(
        version_text(guard(lambda: show_version(settings, version))),
        highlight=False,
        soft_wrap=True,
    )


@models_app.command("compare")
def models_compare(
    first: Annotated[int, typer.Argument(help="Version id.")],
    second: Annotated[int, typer.Argument(help="Version id.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Backtest metrics of two versions side by side."""
    from prevoir.cli.render import print_frame
    from prevoir.workflows.models import compare_versions

    _check_format(fmt)
    settings = guard(lambda: project_settings(project, profile))
    frame = guard(lambda: compare_versions(settings, first, second))
    print_frame(frame, fmt=fmt, console=out, title=f"version {first} vs {second}")


@models_app.command("promote")
def models_promote(
    version: Annotated[int, typer.Argument(help="Version id.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    reason: Annotated[str, typer.Option(help="Why, for the alias history.")] = "manual",
) -> None:
    """Make VERSION the champion of its forecaster in this profile (skips the gates)."""
    from prevoir.workflows.models import promote_version

    settings = guard(lambda: project_settings(project, profile))
    move = guard(lambda: promote_version(settings, version, reason=reason))
    out.print(
        f"{move.forecaster} ({settings.profile}): champion {move.old or 'none'} → {move.new}",
        highlight=False,
    )


@models_app.command("rollback")
def models_rollback(
    forecaster: Annotated[str, typer.Option(help="Forecaster whose champion to restore.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Give the forecaster its previous champion back."""
    from prevoir.workflows.models import rollback_champion

    settings = guard(lambda: project_settings(project, profile))
    move = guard(lambda: rollback_champion(settings, forecaster))
    out.print(
        f"{move.forecaster} ({settings.profile}): champion {move.old} → {move.new} (rolled back)",
        highlight=False,
    )


@models_app.command("prune")
def models_prune(
    keep: Annotated[int, typer.Option(help="Newest versions to keep per forecaster.", min=0)],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    forecaster: Annotated[str | None, typer.Option(help="Only this forecaster.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
) -> None:
    """Delete old versions; never one an alias or a stored forecast refers to."""
    from prevoir.workflows.models import prune_versions

    settings = guard(lambda: project_settings(project, profile))
    gone = guard(
        lambda: prune_versions(settings, keep=keep, forecaster=forecaster, dry_run=dry_run)
    )
    verb = "would delete" if dry_run else "deleted"
    out.print(f"{verb} {len(gone)} versions: {', '.join(map(str, gone)) or '-'}")


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
