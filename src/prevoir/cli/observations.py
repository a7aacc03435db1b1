"""``prevoir observations``: undo a bad push (delete a series' values over a time range) and
read the record of such deletions."""

from __future__ import annotations

import getpass
import socket
import sys
from typing import Annotated

import typer
from rich.table import Table

from prevoir.cli.common import (
    ProfileOpt,
    ProjectOpt,
    command_group,
    err,
    guard,
    moment,
    opened,
    out,
    utc_time,
)

observations_app = command_group("Stored observations: remove a bad push, see what was removed.")

TimeOpt = Annotated[
    str | None, typer.Option(help="ISO 8601 time, inclusive (UTC when no offset); open if unset.")
]


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"


@observations_app.command("delete")
def observations_delete(
    dataset: Annotated[str, typer.Argument(help="Dataset of the series.")],
    series: Annotated[str, typer.Argument(help="Series id (unique_id).")],
    reason: Annotated[str, typer.Option(help="Why: kept with the record of the deletion.")],
    start: TimeOpt = None,
    end: TimeOpt = None,
    variable: Annotated[str | None, typer.Option(help="Only this variable.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Delete one series' observations between --start and --end, recorded with --reason."""
    from prevoir.workflows.series import delete_observations

    first = None if start is None else utc_time(start, "--start").to_pydatetime()
    last = None if end is None else utc_time(end, "--end").to_pydatetime()
    since = first.isoformat() if first else "the first"
    until = last.isoformat() if last else "the last"
    what = f"{variable or 'every variable'} of {series!r} in {dataset!r} from {since} to {until}"
    if not yes:
        if not sys.stdin.isatty():
            err.print(f"error: this deletes {what}; add --yes to confirm", highlight=False)
            raise typer.Exit(2)
        typer.confirm(f"delete {what}?", abort=True)
    with opened(project, profile) as handle:
        done = guard(
            lambda: delete_observations(
                handle,
                dataset,
                series,
                variable=variable,
                start=first,
                end=last,
                by=_who(),
                reason=reason,
            )
        )
    out.print(
        f"deleted {done.rows} observation(s): {what} (record {done.id})",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@observations_app.command("deletions")
def observations_deletions(
    limit: Annotated[int, typer.Option(help="How many to show.", min=1)] = 50,
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """List recorded deletions of observations, newest first."""
    from prevoir.workflows.series import observation_deletions

    with opened(project, profile) as handle:
        found = guard(lambda: observation_deletions(handle, limit=limit))
    if not found:
        out.print("no observations were ever deleted", markup=False)
        return
    table = Table("id", "when (UTC)", "by", "dataset", "series", "variable", "range", "rows")
    table.add_column("reason", overflow="fold")
    for d in found:
        span = f"{moment(d.range_start)} – {moment(d.range_end)}"
        table.add_row(
            str(d.id),
            moment(d.deleted_at),
            d.deleted_by,
            d.dataset,
            d.unique_id,
            d.variable or "all",
            span,
            str(d.rows),
            d.reason,
        )
    out.print(table)
