"""``prevoir schedule``: the scheduled jobs of ``[service.schedule]`` and where they stand."""

from __future__ import annotations

from rich.table import Table

from prevoir.cli.common import (
    ProfileOpt,
    ProjectOpt,
    command_group,
    guard,
    moment,
    opened,
    out,
    project_settings,
)

schedule_app = command_group("Scheduled jobs that `prevoir serve` runs.")


@schedule_app.command("list")
def schedule_list(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """List the jobs: cron, steps, next fire time and the last claimed firing (UTC)."""
    from prevoir.workflows.schedule import schedule_status, scheduled_jobs

    settings = guard(lambda: project_settings(project, profile))
    if not guard(lambda: scheduled_jobs(settings)):  # nothing to look up in the store
        out.print(
            "no scheduled jobs; add them under [service.schedule.<name>] in prevoir.toml",
            markup=False,
        )
        return
    with opened(project, profile) as handle:
        rows = guard(lambda: schedule_status(handle))
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
        job, last = row.job.settings, row.last
        cron = job.cron if job.timezone == "UTC" else f"{job.cron} ({job.timezone})"
        table.add_row(
            row.job.name,
            cron,
            " ".join(job.steps) if job.steps else "all",
            moment(row.next_fire_time),
            moment(last.fire_time if last else None),
            last.status if last else "—",
            str(last.run_id) if last and last.run_id is not None else "—",
        )
    out.print(table)
