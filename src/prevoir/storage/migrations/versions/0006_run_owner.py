"""Runs that recover by themselves: the owner of a run (``host``, ``pid``) and its last
``heartbeat_at``, and the statuses ``queued``, ``partial``, ``abandoned``, ``cancelled``.

SQLite cannot alter a CHECK constraint: the ``runs`` table is rebuilt in batch mode (a copy,
done in the migration's transaction). Existing rows keep their values; the new columns are
NULL for them (a run recorded before 0006 has no known owner).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# timestamptz on PostgreSQL, epoch microseconds on SQLite (see prevoir.storage.types).
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")
OLD_STATUSES = "status IN ('running', 'succeeded', 'failed')"
NEW_STATUSES = (
    "status IN ('queued', 'running', 'succeeded', 'failed', 'partial', 'abandoned', 'cancelled')"
)


def upgrade() -> None:
    """Add ``runs.host``, ``runs.pid``, ``runs.heartbeat_at``; widen the status CHECK."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", UTC_TIME, nullable=True))
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.create_check_constraint("ck_runs_status", sa.text(NEW_STATUSES))


def downgrade() -> None:
    """Back to three statuses: runs in the new ones become ``failed``; the owner is dropped."""
    op.execute(
        "UPDATE runs SET status = 'failed' WHERE status NOT IN ('running', 'succeeded', 'failed')"
    )
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.create_check_constraint("ck_runs_status", sa.text(OLD_STATUSES))
        batch.drop_column("heartbeat_at")
        batch.drop_column("pid")
        batch.drop_column("host")
