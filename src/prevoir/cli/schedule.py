"""``prevoir schedule``: the scheduled jobs of ``[service.schedule]`` and where they stand."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from prevoir.cli.common import ProfileOpt, ProjectOpt, guard, out, project_settings

schedule_app = typer.Typer(help="Scheduled jobs that `prevoir serve` runs.", no_args_is_help=True)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value is not None else "—"


@schedule_app.command("list")
def schedule_list(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """List the jobs: cron, steps, next fire time and the last claimed firing (UTC)."""
    from prevoir.workflows.schedule import schedule_status

    settings = guard(lambda: project_settings(project, profile))
    rows = guard(lambda: schedule_status(settings))
    if not rows:
        out.print(
            "no scheduled jobs; add them under [service.schedule.<name>] in prevoir.toml",
            markup=False,
        )
        return
    table = Table(
        "job",
        "cron",
        "steps",
        "next fire (UTC)",
        "last firing (UTC)",
        "status",
        "run",
        title="scheduled jobs",
    )
    for row in rows:
        cron = row["cron"] if row["timezone"] == "UTC" else f"{row['cron']} ({row['timezone']})"
        table.add_row(
            row["job"],
            cron,
            " ".join(row["steps"]) if row["steps"] else "all",
            _when(row["next_fire_time"]),
            _when(row["last_fire_time"]),
            row["last_status"] or "—",
            str(row["last_run_id"]) if row["last_run_id"] is not None else "—",
        )
    out.print(table)
