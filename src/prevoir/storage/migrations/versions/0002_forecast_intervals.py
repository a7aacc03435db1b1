"""Prediction intervals on forecasts: one nullable JSON column ``forecasts.intervals``.

``{"80": [lo, hi], "95": [lo, hi]}`` per row (see ``prevoir.storage.forecasts``). Adding a
nullable column without a default rewrites no row on either backend (SQLite ``ALTER TABLE
ADD COLUMN``; PostgreSQL stores nothing for it), so upgrading a large store is instant and
every forecast already stored stays as it was, with NULL intervals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add ``forecasts.intervals``."""
    op.add_column("forecasts", sa.Column("intervals", JSON, nullable=True))


def downgrade() -> None:
    """Drop ``forecasts.intervals`` (the bands are lost, the point forecasts stay)."""
    op.drop_column("forecasts", "intervals")
