"""``prevoir serve`` and the service's people: ``users`` and ``keys``."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.table import Table

from prevoir.cli.common import (
    ProfileOpt,
    ProjectOpt,
    command_group,
    err,
    guard,
    opened,
    out,
    project_settings,
)
from prevoir.domain.roles import ROLES

users_app = command_group("People who log in to the API and dashboard.")
keys_app = command_group("Long-lived API keys for machines.")

RoleOpt = Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")]


def serve(
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (0: any free one).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the API, dashboard and metrics, and run the scheduled jobs."""
    import uvicorn

    from prevoir.service import create_app

    settings = guard(lambda: project_settings(project, profile))
    listen = host or settings.service.host
    guard(lambda: settings.service.check_listen(listen))  # dev: loopback only
    app = guard(lambda: create_app(settings))
    logging.getLogger("prevoir").setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=listen,
        port=settings.service.port if port is None else port,
        log_level=log_level,
    )


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: RoleOpt = "read",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="PREVOIR_USER_PASSWORD",
            help="Asked for when not given (or set PREVOIR_USER_PASSWORD).",
        ),
    ] = "",
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Add a user who logs in with a password."""
    from prevoir.workflows.access import create_user

    with opened(project, profile, migrate=True) as handle:
        guard(lambda: create_user(handle, username, password, role))
    out.print(f"user [bold]{username}[/] added with role {role}")


@users_app.command("remove")
def users_remove(
    username: Annotated[str, typer.Argument(help="Login name.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Remove a user; their tokens stop working at once."""
    from prevoir.workflows.access import remove_user

    with opened(project, profile) as handle:
        guard(lambda: remove_user(handle, username))
    out.print(f"user [bold]{username}[/] removed")


@users_app.command("list")
def users_list(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """List users and their roles."""
    from prevoir.workflows.access import list_users

    with opened(project, profile) as handle:
        users = guard(lambda: list_users(handle))
    table = Table("user", "role", "created (UTC)", title="users")
    for user in users:
        table.add_row(user.username, user.role, f"{user.created_at:%Y-%m-%d %H:%M}")
    out.print(table)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'ingest-bot'.")],
    role: RoleOpt = "write",
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Create an API key; it is printed once and cannot be shown again."""
    from prevoir.workflows.access import create_key

    with opened(project, profile, migrate=True) as handle:
        key_id, key = guard(lambda: create_key(handle, name, role))
    err.print(f"API key {key_id} ({name}, role {role}); store it now, it is not shown again:")
    print(key)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="Key id from `prevoir keys list`.")],
    project: ProjectOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Revoke an API key; requests with it are refused from now on."""
    from prevoir.workflows.access import revoke_key

    with opened(project, profile) as handle:
        guard(lambda: revoke_key(handle, key_id))
    out.print(f"API key {key_id} revoked")


@keys_app.command("list")
def keys_list(project: ProjectOpt = None, profile: ProfileOpt = None) -> None:
    """List API keys (never the keys themselves)."""
    from prevoir.workflows.access import list_keys

    with opened(project, profile) as handle:
        keys = guard(lambda: list_keys(handle))
    table = Table("id", "name", "starts with", "role", "created (UTC)", "revoked", title="keys")
    for key in keys:
        revoked = key.revoked_at
        table.add_row(
            str(key.id),
            key.name,
            key.prefix + "…",
            key.role,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{revoked:%Y-%m-%d %H:%M}" if revoked else "",
        )
    out.print(table)
