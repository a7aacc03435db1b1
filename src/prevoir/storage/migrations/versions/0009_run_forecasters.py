"""``runs.forecasters``: the forecasters a run was asked for (``prevoir run --forecaster`` /
``--tag``), so that a queued run's worker process runs the same selection. NULL: every
forecaster, which every earlier run was.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``runs.forecasters``."""
    op.add_column("runs", sa.Column("forecasters", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop ``runs.forecasters`` (the runs stay; their selection is forgotten)."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("forecasters")
