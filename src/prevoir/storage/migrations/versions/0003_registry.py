"""Registry: alias history (for rollback and audit) and leases (one trainer at a time).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# timestamptz on PostgreSQL, epoch microseconds on SQLite (see prevoir.storage.types).
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    """Create ``alias_history`` (seeded with the current aliases) and ``locks``."""
    op.create_table(
        "alias_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("forecaster", sa.String(200), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("previous_version_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("changed_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name="fk_alias_history_version_id_model_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alias_history"),
    )
    op.create_index(
        "ix_alias_history_forecaster_profile_alias",
        "alias_history",
        ["forecaster", "profile", "alias"],
    )
    op.execute(
        "INSERT INTO alias_history "
        "(forecaster, profile, alias, version_id, action, reason, changed_at) "
        "SELECT forecaster, profile, alias, version_id, 'set', 'before history was kept', "
        "updated_at "
        "FROM aliases"
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("acquired_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("locks")
    op.drop_index("ix_alias_history_forecaster_profile_alias", table_name="alias_history")
    op.drop_table("alias_history")
