"""What an operator sees and does: open runs with their owner and heartbeat, the locks and who
holds them, a manual release; and a run of another host reaped once its heartbeat is stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from prevoir.storage.locks import acquire_lock
from prevoir.storage.tables import runs
from tests.cli import Cli
from tests.reliability.snapshot import runs_of


def _insert_run(url: str, *, host: str, pid: int, heartbeat: datetime) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        run_id = conn.execute(
            sa.insert(runs)
            .values(
                profile="default",
                steps="train evaluate",
                trigger="cli",
                status="running",
                started_at=heartbeat - timedelta(minutes=5),
                host=host,
                pid=pid,
                heartbeat_at=heartbeat,
            )
            .returning(runs.c.id)
        ).scalar_one()
        owner = f"run {run_id} on {host} pid {pid}"
        acquire_lock(conn, "train:default:close_1h", owner, ttl=timedelta(minutes=5))
    engine.dispose()


def test_open_runs_show_their_owner_and_locks_can_be_listed_and_released(
    cli: Cli, store_url: str
) -> None:
    cli("run", "--steps", "extract")
    now = datetime.now(UTC)
    _insert_run(store_url, host="elsewhere", pid=4242, heartbeat=now - timedelta(seconds=5))
    shown = cli("runs", "--status", "running").stdout
    assert "elsewhere pid 4242" in shown and "s ago" in shown
    assert "succeeded" not in shown  # run 1 is filtered out
    assert "no cancelled runs" in cli("runs", "--status", "cancelled").stdout
    assert cli("runs", "--status", "bogus", check=False).returncode == 3
    listed = cli("locks", "list").stdout
    assert "train:default:close_1h" in listed and "run 2 on elsewhere pid 4242" in listed
    assert "live" in listed
    released = cli("locks", "release", "train:default:close_1h").stdout
    assert "released train:default:close_1h (held by run 2 on elsewhere pid 4242" in released
    assert "no locks" in cli("locks", "list").stdout
    missing = cli("locks", "release", "train:default:close_1h", check=False)
    assert missing.returncode == 4 and "no lock named" in missing.stderr


def test_a_run_of_another_host_is_reaped_once_its_heartbeat_is_older_than_the_ttl(
    cli: Cli, store_url: str
) -> None:
    cli("run", "--steps", "extract", "transform", "load", "features")
    now = datetime.now(UTC)
    _insert_run(store_url, host="elsewhere", pid=1, heartbeat=now - timedelta(seconds=20))
    refused = cli("run", "--steps", "train", check=False)  # alive: its heartbeat is fresh
    assert refused.returncode == 5 and "run 2 on elsewhere pid 1" in refused.stderr
    engine = sa.create_engine(store_url, poolclass=NullPool)
    with engine.begin() as conn:
        stale = datetime.now(UTC) - timedelta(seconds=90)
        conn.execute(sa.update(runs).where(runs.c.id == 2).values(heartbeat_at=stale))
    engine.dispose()
    cli("run", "--steps", "train")  # reaps it, takes its lease at once
    reaped = runs_of(store_url)[1]
    assert reaped["status"] == "abandoned"
    assert reaped["error"].startswith("abandoned in step 'train': no heartbeat since ")
    assert [r["status"] for r in runs_of(store_url)] == ["succeeded", "abandoned", "succeeded"]
