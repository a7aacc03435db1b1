"""Migrations, engine creation and the UTC type, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc as sa_exc

from prevoir.errors import DataValidationError, StoreError
from prevoir.storage.engine import (
    _alembic_config,
    create_store_engine,
    is_at_head,
    require_head,
    schema_revision,
    upgrade_schema,
)
from prevoir.storage.model_versions import list_alias_history
from prevoir.storage.store import Store
from prevoir.storage.tables import aliases, metadata, runs
from tests.integration.helpers import START, add_version

EXPECTED_TABLES = {
    "alias_history",
    "aliases",
    "alembic_version",
    "api_keys",
    "artifacts",
    "forecasts",
    "locks",
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
}


def test_upgrade_reaches_head_and_matches_tables(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        assert schema_revision(engine) is None
        assert not is_at_head(engine)
        with pytest.raises(StoreError, match="prevoir db upgrade"):
            require_head(engine)
        head = upgrade_schema(engine)
        assert schema_revision(engine) == head
        assert is_at_head(engine)
        require_head(engine)
        assert upgrade_schema(engine) == head  # idempotent
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) == EXPECTED_TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_0003_seeds_the_alias_history_from_existing_aliases(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0002")
            add_version(conn, "f")  # tables unchanged since 0001
            conn.execute(
                sa.insert(aliases).values(
                    forecaster="f", profile="prod", alias="champion", version_id=1, updated_at=START
                )
            )
        upgrade_schema(engine)
        with engine.connect() as conn:
            history = list_alias_history(conn, "f", "prod", "champion")
    finally:
        engine.dispose()
    assert [(h.version_id, h.action) for h in history] == [(1, "set")]


def test_check_constraints_guard_run_status(engine: sa.Engine) -> None:
    row = {
        "profile": "dev",
        "steps": "load",
        "trigger": "cli",
        "status": "exploded",
        "started_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    with pytest.raises(sa_exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(runs).values(row))


def test_naive_datetime_is_rejected(engine: sa.Engine) -> None:
    row = {"profile": "dev", "steps": "load", "trigger": "cli", "status": "running"}
    with pytest.raises(sa_exc.StatementError) as caught, engine.begin() as conn:
        conn.execute(sa.insert(runs).values({**row, "started_at": datetime(2024, 1, 1)}))
    assert isinstance(caught.value.orig, DataValidationError)
    assert "naive" in str(caught.value.orig)


def test_utc_datetime_round_trips_any_zone_as_utc(engine: sa.Engine) -> None:
    paris = timezone(timedelta(hours=2))
    local = datetime(2024, 6, 1, 14, 30, 15, 123456, tzinfo=paris)
    row = {"profile": "dev", "steps": "load", "trigger": "cli", "status": "running"}
    with engine.begin() as conn:
        conn.execute(sa.insert(runs).values({**row, "started_at": local}))
        stored = conn.execute(sa.select(runs.c.started_at)).scalar_one()
    assert stored == datetime(2024, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_bad_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a valid SQLAlchemy URL"):
        create_store_engine("not a url")


def test_unsupported_backend_is_a_store_error() -> None:
    with pytest.raises(StoreError, match=r"runs on SQLite .* or PostgreSQL"):
        create_store_engine("mysql://u:p@localhost/db")


def test_missing_sqlite_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory exists"):
        create_store_engine(f"sqlite:///{tmp_path}/missing/dir/store.db")


@pytest.mark.postgres
def test_unreachable_postgres_masks_password() -> None:
    url = "postgresql+psycopg://bob:hunter2@127.0.0.1:1/nowhere?connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        create_store_engine(url)
    message = str(caught.value)
    assert "hunter2" not in message
    assert "bob:***@127.0.0.1:1/nowhere" in message
    assert "check host, port" in message


def test_a_store_opened_without_migrating_says_which_command_creates_or_upgrades_it(
    db_url: str,
) -> None:
    with pytest.raises(StoreError, match=r"no prevoir tables yet: run .*`prevoir run`"):
        Store.open(db_url)
    with Store.connect(db_url) as store:
        upgrade_schema(store.engine, "0003")
    with pytest.raises(StoreError, match=r"at schema revision 0003, .*`prevoir db upgrade`"):
        Store.open(db_url)
    with Store.open(db_url, migrate=True) as store, store.read() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == schema_revision(
            store.engine
        )
    with Store.open(db_url) as store:  # at the head now: opens without migrating
        assert store.upgrade()[0] == store.upgrade()[1]


def test_a_missing_sqlite_store_is_not_created_by_looking_at_it(tmp_path: Path) -> None:
    path = tmp_path / "other-profile.db"
    assert Store.existing(f"sqlite:///{path}") is None
    assert not path.exists()
    with Store.open(f"sqlite:///{path}", migrate=True):
        pass
    found = Store.existing(f"sqlite:///{path}")
    assert found is not None
    found.close()


def test_a_write_block_commits_everything_or_nothing(db_url: str) -> None:
    with Store.open(db_url, migrate=True) as store:
        with pytest.raises(RuntimeError), store.write() as conn:
            add_version(conn, "f1")
            raise RuntimeError("interrupted")
        with store.write() as conn:
            add_version(conn, "f2")
        with store.read() as conn:
            names = conn.execute(sa.text("SELECT forecaster FROM model_versions")).scalars()
            assert list(names) == ["f2"]
