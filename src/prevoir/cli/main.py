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
    check_format,
    command_group,
    err,
    guard,
    listing,
    nothing,
    opened,
    out,
    project_settings,
    utc_time,
)
from prevoir.cli.exit_codes import INTERRUPTED, OK, SIGNALS, exit_code
from prevoir.cli.locks import locks_app
from prevoir.cli.models import models_app
from prevoir.cli.observations import observations_app
from prevoir.cli.schedule import schedule_app
from prevoir.cli.service import keys_app, serve, users_app
from prevoir.domain.steps import STEP_ORDER
from prevoir.errors import Interrupted
from prevoir.examples import EXAMPLES

app = command_group(
    "Keep the forecasts of many time series up to date.",
    name="prevoir",
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = command_group("Inspect the project configuration.")
db_app = command_group("Manage the store's schema.")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(observations_app, name="observations")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(schedule_app, name="schedule")
app.add_typer(locks_app, name="locks")
app.command()(serve)


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
    from prevoir.workflows.scaffold import init_project

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
    run_id: Annotated[
        int | None,
        typer.Option(
            "--run-id",
            help="Execute this queued run (recorded by the API), with its own steps.",
            min=1,
        ),
    ] = None,
    forecaster: Annotated[
        list[str] | None,
        typer.Option(
            "--forecaster",
            "-f",
            help="Only this forecaster (repeat for several); its datasets only are loaded.",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Only forecasters with this tag, KEY=VALUE (repeat: all must match)."),
    ] = None,
) -> None:
    """Run the pipeline (all steps, or those named) and print a per-step timing summary.

    --forecaster and --tag select the forecasters (both given: both must hold); only the
    datasets they read are extracted and loaded. SIGTERM or Ctrl-C stop it cleanly: the run
    is recorded as cancelled, its leases are released, and it exits 143 or 130.
    """
    from prevoir.cli.progress import progress_for
    from prevoir.cli.render import step_table
    from prevoir.cli.signals import stop_signals
    from prevoir.config.selection import parse_tags
    from prevoir.workflows.runs import run_pipeline, start_queued

    tags = guard(lambda: parse_tags(tag or ()))
    with (
        stop_signals(),
        opened(project, profile, migrate=True) as handle,
        progress_for(err) as progress,
    ):
        if run_id is not None:
            if steps or forecaster or tag:
                err.print(
                    "[bold red]error:[/] --run-id runs the recorded steps and forecasters: "
                    "drop --steps, --forecaster and --tag"
                )
                raise typer.Exit(2)
            queued = run_id
            summary = guard(lambda: start_queued(handle, queued).execute(progress))
        else:
            summary = guard(
                lambda: run_pipeline(
                    handle,
                    steps=steps,
                    progress=progress,
                    forecasters=forecaster or (),
                    tags=tags,
                )
            )
    title = f"run {summary.run_id} · profile {handle.profile} · {summary.status}"
    out.print(step_table(summary.steps, title=title))
    for note in summary.notes:
        out.print(f"  • {note}", highlight=False, markup=False, soft_wrap=True)
    if summary.files:
        out.print("[bold]files written[/]")
        for path in summary.files:
            out.print(f"  {path}", highlight=False, markup=False, soft_wrap=True)
    if summary.error is not None:
        err.print(f"[bold red]error:[/] {summary.error}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code(summary.error))


@app.command()
def runs(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    limit: Annotated[int, typer.Option(help="How many runs to show.", min=1)] = 20,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only runs in this status: queued, running, succeeded, failed, partial, "
            "abandoned, cancelled."
        ),
    ] = None,
) -> None:
    """List recent runs with their step timings (open runs with their owner and heartbeat)."""
    from prevoir.cli.render import runs_table
    from prevoir.workflows.runs import recent_runs

    with listing(project, profile, "runs") as handle:
        if handle is None:
            return
        found = guard(lambda: recent_runs(handle, limit=limit, status=status))
        if not found and status is not None:
            out.print(f"no {status} runs in the store of profile {handle.profile!r}")
            return
        if not found:
            nothing(handle.settings, "runs")
            return
    out.print(runs_table(found))


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
    from prevoir.workflows.forecasts import stored_forecasts

    check_format(fmt)
    with listing(project, profile, "forecasts") as handle:
        if handle is None:
            return
        frame = guard(
            lambda: stored_forecasts(handle, forecaster=forecaster, series=series, limit=limit)
        )
        if frame.empty and fmt == "table":
            nothing(handle.settings, "forecasts")
            return
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
    from prevoir.cli.render import trace_text
    from prevoir.workflows.forecasts import trace_forecast

    when = utc_time(origin, "--origin")
    with opened(project, profile) as handle:
        found = guard(
            lambda: trace_forecast(
                handle, forecaster=forecaster, series=series, origin=when, step=step
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
    from prevoir.workflows.project import upgrade_store

    settings = guard(lambda: project_settings(project, profile))
    before, after = guard(lambda: upgrade_store(settings))
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
        sys.exit(INTERRUPTED)
    except Interrupted as exc:
        err.print(f"stopped by {exc.signal_name}; stored data is consistent, run again to resume")
        sys.exit(SIGNALS.get(exc.signal_name, INTERRUPTED))
