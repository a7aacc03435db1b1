"""``prevoir locks``: the leases in the store (trainings, scheduled firings), and the rare
manual release of one whose holder is known to be gone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from prevoir.cli.common import ProfileOpt, ProjectOpt, command_group, guard, opened, out

locks_app = command_group("Leases held in the store: who trains what, until when.")


@locks_app.command("list")
def locks_list(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """List the leases: name, holder, since when and until when (UTC), live or lapsed."""
    from prevoir.workflows.leases import list_leases

    with opened(project, profile) as handle:
        leases = guard(lambda: list_leases(handle))
    if not leases:
        out.print(f"no locks in the store of profile {handle.profile!r}", markup=False)
        return
    now = datetime.now(UTC)
    table = Table("name", "held by", "since (UTC)", "until (UTC)", "state", title="locks")
    for lease in leases:
        table.add_row(
            lease.name,
            lease.owner,
            f"{lease.acquired_at:%Y-%m-%d %H:%M:%S}",
            f"{lease.expires_at:%Y-%m-%d %H:%M:%S}",
            "live" if lease.expires_at >= now else "lapsed",
        )
    out.print(table)


@locks_app.command("release")
def locks_release(
    name: Annotated[str, typer.Argument(help="The lock's name, as `prevoir locks list` shows.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Delete a lease whoever holds it. Rarely needed: a dead run's leases are released when
    the next run starts; release one by hand only when you know its holder is gone."""
    from prevoir.workflows.leases import release_lease

    with opened(project, profile) as handle:
        lease = guard(lambda: release_lease(handle, name))
    out.print(
        f"released {lease.name} (held by {lease.owner} since "
        f"{lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC)",
        markup=False,
        highlight=False,
    )
