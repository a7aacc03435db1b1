"""``prevoir models``: the versions of each forecaster and their aliases."""

from __future__ import annotations

from typing import Annotated

import typer

from prevoir.cli.common import (
    FormatOpt,
    ProfileOpt,
    ProjectOpt,
    check_format,
    command_group,
    guard,
    listing,
    nothing,
    opened,
    out,
)

models_app = command_group("Model versions and their aliases (champion, challenger).")


@models_app.command("list")
def models_list(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    forecaster: Annotated[str | None, typer.Option(help="Only this forecaster.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """List model versions, oldest first, with their backtest score and aliases."""
    from prevoir.cli.render import print_frame, versions_frame
    from prevoir.workflows.models import list_versions

    check_format(fmt)
    with listing(project, profile, "versions") as handle:
        if handle is None:
            return
        versions = guard(lambda: list_versions(handle, forecaster=forecaster))
        if not versions and fmt == "table":
            nothing(handle.settings, "versions")
            return
    frame = versions_frame(versions, profile=handle.profile)
    print_frame(frame, fmt=fmt, console=out, title=f"{len(frame)} model versions")


@models_app.command("show")
def models_show(
    version: Annotated[int, typer.Argument(help="Version id.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text or json.", case_sensitive=False)
    ] = "text",
) -> None:
    """Everything recorded about one version: window, fingerprint, metrics, run, aliases."""
    from prevoir.cli.render import version_json, version_text
    from prevoir.workflows.models import show_version

    check_format(fmt, ("text", "json"))
    with opened(project, profile) as handle:
        detail = guard(lambda: show_version(handle, version))
    if fmt == "json":
        out.file.write(version_json(detail) + "\n")
        return
    out.print(version_text(detail), highlight=False, soft_wrap=True, markup=False)


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

    check_format(fmt)
    with opened(project, profile) as handle:
        frame = guard(lambda: compare_versions(handle, first, second))
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

    with opened(project, profile) as handle:
        move = guard(lambda: promote_version(handle, version, reason=reason))
    out.print(
        f"{move.forecaster} ({handle.profile}): champion {move.old or 'none'} → {move.new}",
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

    with opened(project, profile) as handle:
        move = guard(lambda: rollback_champion(handle, forecaster))
    out.print(
        f"{move.forecaster} ({handle.profile}): champion {move.old} → {move.new} (rolled back)",
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

    with opened(project, profile) as handle:
        gone = guard(
            lambda: prune_versions(handle, keep=keep, forecaster=forecaster, dry_run=dry_run)
        )
    verb = "would delete" if dry_run else "deleted"
    out.print(f"{verb} {len(gone)} versions: {', '.join(map(str, gone)) or '-'}")
