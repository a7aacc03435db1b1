"""``observation_deletions``: the record of observations an administrator removed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# timestamptz on PostgreSQL, epoch microseconds on SQLite (see prevoir.storage.types).
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    """Create ``observation_deletions``."""
    op.create_table(
        "observation_deletions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("unique_id", sa.String(200), nullable=False),
        sa.Column("variable", sa.String(200), nullable=True),
        sa.Column("range_start", UTC_TIME, nullable=True),
        sa.Column("range_end", UTC_TIME, nullable=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("deleted_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("deleted_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_observation_deletions"),
    )


def downgrade() -> None:
    """Drop the record (the deleted observations stay deleted)."""
    op.drop_table("observation_deletions")
