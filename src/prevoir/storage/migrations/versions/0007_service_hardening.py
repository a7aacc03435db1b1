"""Service hardening: revoked sessions, and the series summary.

``revoked_tokens`` holds the ``jti`` of every token logged out before it expired; a token
whose ``jti`` is there is refused. Rows are useless once ``expires_at`` passes and are
deleted then.

``series_summary`` holds, per series, its row count and first and last time, maintained by
every load (``prevoir.storage.series_summary``); it is back-filled here from the stored
observations, one grouped scan of the primary key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# timestamptz on PostgreSQL, epoch microseconds on SQLite (see prevoir.storage.types).
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    """Create ``revoked_tokens``, and ``series_summary`` filled from the observations."""
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_revoked_tokens"),
    )
    op.create_index("ix_revoked_tokens_expires_at", "revoked_tokens", ["expires_at"])
    op.create_table(
        "series_summary",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("n_obs", sa.BigInteger(), nullable=False),
        sa.Column("first_ds", UTC_TIME, nullable=True),
        sa.Column("last_ds", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("series_id", name="pk_series_summary"),
    )
    op.execute(
        "INSERT INTO series_summary (series_id, n_obs, first_ds, last_ds) "
        "SELECT s.id, count(o.ds), min(o.ds), max(o.ds) FROM series s "
        "LEFT JOIN observations o ON o.series_id = s.id GROUP BY s.id"
    )


def downgrade() -> None:
    """Drop both (logged-out tokens work again until they expire)."""
    op.drop_table("series_summary")
    op.drop_index("ix_revoked_tokens_expires_at", table_name="revoked_tokens")
    op.drop_table("revoked_tokens")
