"""Which model made a forecast: ``forecasts.refit_at``, the cut-off of the catch-up refit that
issued it (NULL: the stored version itself).

A refitted model is ephemeral (never stored as a version, see
``prevoir.pipeline.steps.predict``), so its forecasts keep the champion's
``model_version_id``; this column is what lets ``prevoir trace`` say that a refit on data up
to that time made the forecast. Nullable without a default: adding it rewrites no row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# timestamptz on PostgreSQL, epoch microseconds on SQLite (see prevoir.storage.types).
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    """Add ``forecasts.refit_at``."""
    op.add_column("forecasts", sa.Column("refit_at", UTC_TIME, nullable=True))


def downgrade() -> None:
    """Drop ``forecasts.refit_at`` (forecasts stay; who made them is forgotten)."""
    op.drop_column("forecasts", "refit_at")
