"""The store's schema as SQLAlchemy Core tables; ``migrations/`` creates exactly these.

Design notes:

* Observations are long and narrow — one row per (series, time) — with the dataset, key and
  variable factored out into ``series``. A 4-byte ``series_id`` instead of three strings keeps
  the big table small and its primary key short, which is what makes bulk upserts fast.
* On SQLite the two big tables are ``WITHOUT ROWID``: the primary key *is* the table (one
  B-tree instead of table + unique index). Measured on 2 M rows of the observations upsert:
  481k rows/s against 395k with a rowid table, a smaller file, and range reads per series
  that are sequential.
* Every time column is ``UtcDateTime`` (see ``types.py``).
* ``observations.series_id`` refers to ``series.id`` without a declared foreign key. The
  per-row referential-integrity trigger made the PostgreSQL bulk upsert 4.6x slower on the
  ingest benchmark (96k vs 441k rows/s) for no gain: the only writer, ``upsert_observations``,
  takes the ids from ``series`` in the same transaction, and nothing deletes series rows
  (an admin deletion removes observations only, see ``observation_deletions``).
* ``forecasts.intervals`` holds every interval level of a forecast in one nullable JSON
  value (``{"80": [lo, hi]}``): levels are configured per forecaster, so fixed columns
  would need a migration per level, and a child table would double the rows of the hottest
  write path. Added by migration 0002; older rows keep NULL.
* ``forecasts.run_id`` is deliberately not a foreign key: forecasts can be written outside a
  recorded run (tests, imports), and the hot bulk path should not pay a lookup per row.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from prevoir.domain.roles import ROLES
from prevoir.storage.types import UtcDateTime

__all__ = [
    "RUN_STATUSES",
    "RUN_TRIGGERS",
    "STEP_STATUSES",
    "alias_history",
    "aliases",
    "api_keys",
    "artifacts",
    "forecasts",
    "locks",
    "metadata",
    "model_versions",
    "observation_deletions",
    "observations",
    "revoked_tokens",
    "run_steps",
    "runs",
    "schedule_firings",
    "series",
    "series_summary",
    "users",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_TRIGGERS = ("cli", "schedule", "api")
# queued: recorded, waiting for a worker; partial: some forecasters failed, the others
# finished; abandoned: its process died (reaped); cancelled: stopped by a signal or shutdown
RUN_STATUSES = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "partial",
    "abandoned",
    "cancelled",
)
STEP_STATUSES = ("running", "succeeded", "failed", "skipped")

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# JSONB on PostgreSQL (compact, comparable); JSON text elsewhere.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting ``column`` to ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(200), nullable=False),
    sa.Column("unique_id", sa.String(200), nullable=False),
    sa.Column("variable", sa.String(200), nullable=False),
    sa.UniqueConstraint("dataset", "unique_id", "variable"),
)

# Per series: how many rows it stores, its first and last time; maintained by every load in
# the load's transaction (``storage/series_summary.py``), so listing series never
# aggregates observations (migration 0007 creates and back-fills it).
series_summary = sa.Table(
    "series_summary",
    metadata,
    sa.Column("series_id", sa.Integer, primary_key=True),  # references series.id
    sa.Column("n_obs", sa.BigInteger, nullable=False),
    sa.Column("first_ds", UtcDateTime(), nullable=True),
    sa.Column("last_ds", UtcDateTime(), nullable=True),
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("series_id", sa.Integer, primary_key=True),  # references series.id, see above
    sa.Column("ds", UtcDateTime(), primary_key=True),
    sa.Column("value", sa.Float, nullable=True),
    sqlite_with_rowid=False,
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("profile", sa.String(100), nullable=False),
    sa.Column("steps", sa.String(500), nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("config_hash", sa.String(64), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    # the process that runs it and its last sign of life (migration 0006)
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("heartbeat_at", UtcDateTime(), nullable=True),
    # the forecasters a run was asked for, space-separated; NULL: every forecaster (0009)
    sa.Column("forecasters", sa.Text, nullable=True),
    sa.CheckConstraint(_in("trigger", RUN_TRIGGERS), name="trigger"),
    sa.CheckConstraint(_in("status", RUN_STATUSES), name="status"),
)

run_steps = sa.Table(
    "run_steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("rows_out", sa.Integer, nullable=False),
    sa.Column("files", Json, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.CheckConstraint(_in("status", STEP_STATUSES), name="status"),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("forecaster", sa.String(200), nullable=False),
    sa.Column("profile", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("features", Json, nullable=False),
    sa.Column("train_start", UtcDateTime(), nullable=False),
    sa.Column("train_end", UtcDateTime(), nullable=False),
    sa.Column("data_fingerprint", sa.String(64), nullable=False),
    sa.Column("metrics", Json, nullable=False),
    sa.Column("library_versions", Json, nullable=False),
    sa.Column("artifact_path", sa.String(1000), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "forecaster", "profile"),
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("forecaster", sa.String(200), primary_key=True),
    sa.Column("profile", sa.String(100), primary_key=True),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Every move of an alias, newest last: what ``rollback`` walks back through, and the audit
# trail of who promoted what and why.
alias_history = sa.Table(
    "alias_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("forecaster", sa.String(200), nullable=False),
    sa.Column("profile", sa.String(100), nullable=False),
    sa.Column("alias", sa.String(100), nullable=False),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("previous_version_id", sa.Integer, nullable=True),
    sa.Column("action", sa.String(20), nullable=False),  # set | promote | rollback
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Index(None, "forecaster", "profile", "alias"),
)

# Leases: a named lock held by one owner until it is released or ``expires_at`` passes (so a
# crashed holder cannot block the others for ever). Train runs and scheduler firings use it.
locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

forecasts = sa.Table(
    "forecasts",
    metadata,
    sa.Column("forecaster", sa.String(200), primary_key=True),
    sa.Column("unique_id", sa.String(200), primary_key=True),
    sa.Column("origin", UtcDateTime(), primary_key=True),
    sa.Column("step", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("ds", UtcDateTime(), nullable=False),
    sa.Column("yhat", sa.Float, nullable=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=True),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.Column("intervals", Json, nullable=True),  # {"80": [lo, hi], ...}; migration 0002
    # cut-off of the catch-up refit that issued it, NULL: the version itself; migration 0005
    sa.Column("refit_at", UtcDateTime(), nullable=True),
    sqlite_with_rowid=False,
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("step", sa.String(100), nullable=False),
    sa.Column("forecaster", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("path", sa.String(1000), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("rows", sa.Integer, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index(None, "forecaster", "kind"),
)

# The service's people and machines. Passwords are stored as argon2 hashes; API keys as the
# sha256 of the key (a key is 32 random bytes, so a slow hash adds nothing) plus its first
# characters, which let a person tell keys apart without the secret.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint(_in("role", ROLES), name="role"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(20), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint(_in("role", ROLES), name="role"),
)

# Tokens logged out before they expire (their ``jti``): refused until ``expires_at``, then
# deleted (migration 0007).
revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=False),
)

# One row per firing of a scheduled job: the primary key makes the first server to insert
# it the only one that runs it, however many servers share the store.
schedule_firings = sa.Table(
    "schedule_firings",
    metadata,
    sa.Column("job", sa.String(200), primary_key=True),
    sa.Column("fire_time", UtcDateTime(), primary_key=True),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("claimed_at", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
)

# Every removal of observations by an administrator (a bad push undone): which series and
# variable, which time range, how many rows, who and why. Loads never delete, so this is the
# whole history of values that left the store (migration 0008).
observation_deletions = sa.Table(
    "observation_deletions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(200), nullable=False),
    sa.Column("unique_id", sa.String(200), nullable=False),
    sa.Column("variable", sa.String(200), nullable=True),  # NULL: every variable
    sa.Column("range_start", UtcDateTime(), nullable=True),  # NULL: from the first
    sa.Column("range_end", UtcDateTime(), nullable=True),  # NULL: to the last
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("deleted_by", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("deleted_at", UtcDateTime(), nullable=False),
)
