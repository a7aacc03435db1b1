"""Service: users, API keys and the once-per-firing claims of scheduled jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# timestamptz on PostgreSQL, epoch microseconds on SQLite (see prevoir.storage.types).
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")
ROLE_CHECK = "role IN ('read', 'write', 'admin')"


def upgrade() -> None:
    """Create ``users``, ``api_keys`` and ``schedule_firings``."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.CheckConstraint(ROLE_CHECK, name="ck_api_keys_role"),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "schedule_firings",
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("fire_time", UTC_TIME, nullable=False),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("claimed_at", UTC_TIME, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("job", "fire_time", name="pk_schedule_firings"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("schedule_firings")
    op.drop_table("api_keys")
    op.drop_table("users")
