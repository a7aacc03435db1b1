"""Alembic environment for the prevoir store, driven from ``prevoir.storage.engine``.

``upgrade_schema`` passes an open connection in ``config.attributes["connection"]`` so the
migration runs inside the caller's transaction. The ``sqlalchemy.url`` fallback only exists
for developers running the ``alembic`` command by hand (``alembic -x`` is not needed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from prevoir.storage.tables import metadata

config = context.config


def _configure(connection: sa.Connection) -> None:
    """Shared options: compare types for autogenerate, batch mode for SQLite ALTERs."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on one opened from ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them online")
run_migrations_online()
