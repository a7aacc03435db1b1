"""Scheduled jobs: cron parsing, one claim per firing across threads and servers, missed
firings at start (``run_once`` runs one, ``skip`` only logs)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import prevoir
from prevoir.config import ScheduledJobSettings, Settings
from prevoir.errors import ConfigError
from prevoir.service.metrics import ServiceMetrics
from prevoir.service.runs import RunLauncher
from prevoir.service.scheduler import JobScheduler
from prevoir.storage import tables
from prevoir.storage.engine import create_store_engine, schema_revision, upgrade_schema
from prevoir.storage.schedule import claim_firing, finish_firing, list_firings
from prevoir.workflows.project import open_project
from prevoir.workflows.schedule import job_trigger, latest_fire_time, scheduled_jobs
from tests.service.runs_helpers import ETL, crypto_project, project_settings, wait_for

SATURDAY = datetime(2024, 6, 8, 12, 0, tzinfo=UTC)


def trigger(cron: str, timezone: str = "UTC"):
    return job_trigger("nightly", ScheduledJobSettings(cron=cron, timezone=timezone))


def test_numeric_weekdays_are_crontabs_where_0_and_7_are_sunday() -> None:
    weekdays = trigger("0 9 * * 1-5")
    fires = [weekdays.get_next_fire_time(None, SATURDAY)]
    for _ in range(5):
        fires.append(weekdays.get_next_fire_time(None, fires[-1] + timedelta(seconds=1)))
    assert [f"{f:%a %H:%M}" for f in fires] == [
        "Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00", "Mon 09:00",
    ]  # fmt: skip
    for sunday in ("0", "7", "sun"):
        assert f"{trigger(f'30 2 * * {sunday}').get_next_fire_time(None, SATURDAY):%a}" == "Sun"
    every_other = trigger("0 0 * * */2")  # crontab: Sun, Tue, Thu, Sat
    fires = [every_other.get_next_fire_time(None, SATURDAY + timedelta(days=d)) for d in range(7)]
    days = {f"{fire:%a}" for fire in fires}
    assert days == {"Sun", "Tue", "Thu", "Sat"}


def test_six_fields_start_with_seconds_and_bad_crons_name_their_job() -> None:
    every_3s = trigger("*/3 * * * * *")
    assert every_3s.get_next_fire_time(None, SATURDAY + timedelta(seconds=1)) == SATURDAY.replace(
        second=3
    )
    for bad in ("* * *", "61 * * * *", "0 9 * * 8", "0 9 * * 5-1"):
        with pytest.raises(ConfigError, match=r"service\.schedule\.nightly"):
            trigger(bad)
    with pytest.raises(ConfigError, match="Mars/Base"):
        trigger("0 9 * * *", "Mars/Base")


@pytest.mark.parametrize(
    ("cron", "timezone"),
    [("*/3 * * * * *", "UTC"), ("0 9 * * 1-5", "Europe/Paris"), ("15 4 1 * *", "UTC")],
)
def test_latest_fire_time_is_the_last_firing_at_or_before_now(cron: str, timezone: str) -> None:
    cron_trigger = trigger(cron, timezone)
    dst_night = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # Paris skips 02:00-03:00
    for now in (SATURDAY, SATURDAY + timedelta(days=2, hours=9), dst_night):
        latest = latest_fire_time(cron_trigger, now)
        assert latest is not None and latest <= now and latest.tzinfo == UTC
        after = cron_trigger.get_next_fire_time(None, latest + timedelta(microseconds=1))
        assert after > now  # nothing fires between it and now
        assert cron_trigger.get_next_fire_time(None, latest) == latest  # it is a firing


def test_one_claim_per_firing_among_many_threads(db_url: str) -> None:
    engine = create_store_engine(db_url)
    upgrade_schema(engine)
    fire_times = [SATURDAY + timedelta(seconds=3 * i) for i in range(5)]
    threads = 12
    barrier = threading.Barrier(threads)
    wins: list[tuple[int, datetime]] = []
    errors: list[BaseException] = []

    def claim_all(worker: int) -> None:
        try:
            for fire_time in fire_times:
                barrier.wait(30)
                with engine.begin() as conn:
                    if claim_firing(conn, "etl", fire_time, f"worker {worker}"):
                        wins.append((worker, fire_time))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
            barrier.abort()

    try:
        pool = [threading.Thread(target=claim_all, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(120)
        assert errors == []
        assert sorted(t for _, t in wins) == fire_times  # each exactly once
        with engine.connect() as conn:
            rows = list_firings(conn, "etl")
        assert {(r.owner, r.fire_time) for r in rows} == {(f"worker {w}", t) for w, t in wins}
    finally:
        engine.dispose()


YEARLY = {"cron": "0 0 1 1 *", "steps": ETL}  # fires on no day this test runs


@pytest.fixture
def project(tmp_path: Path, no_prevoir_env: None) -> Path:
    return crypto_project(tmp_path)


def servers(settings: Settings, count: int) -> Iterator[JobScheduler]:
    """``count`` schedulers as separate servers have them: own engine, launcher, metrics."""
    for _ in range(count):
        project = open_project(settings, migrate=True)
        launcher = RunLauncher(project, ServiceMetrics())
        yield JobScheduler(scheduled_jobs(settings), project.store, launcher)


def with_old_firing(settings: Settings) -> tuple[datetime, datetime]:
    """Claim the yearly job's firing a year before its latest due one; (old, due)."""
    job = scheduled_jobs(settings)[0]
    due = latest_fire_time(job.trigger, datetime.now(UTC))
    assert due is not None
    old = latest_fire_time(job.trigger, due - timedelta(days=1))
    assert old is not None and old < due
    engine = create_store_engine(settings.store_url())
    upgrade_schema(engine)
    try:
        with engine.begin() as conn:
            assert claim_firing(conn, job.name, old, "a server long gone")
            finish_firing(conn, job.name, old, status="succeeded", run_id=None)
    finally:
        engine.dispose()
    return old, due


def store_rows(settings: Settings) -> tuple[list[dict], list[dict]]:
    engine = create_store_engine(settings.store_url())
    try:
        with engine.connect() as conn:
            firings = [dict(r) for r in conn.execute(sa.select(tables.schedule_firings)).mappings()]
            runs = [dict(r) for r in conn.execute(sa.select(tables.runs)).mappings()]
    finally:
        engine.dispose()
    return firings, runs


def test_a_missed_firing_runs_once_when_two_servers_start_together(
    project: Path,
    db_url: str,
) -> None:
    jobs = {"yearly": {**YEARLY, "missed": "run_once"}}
    settings = project_settings(project, db_url, schedule=jobs)
    old, due = with_old_firing(settings)
    two = list(servers(settings, 2))
    barrier = threading.Barrier(2)

    def start(scheduler: JobScheduler) -> None:
        barrier.wait(30)
        scheduler.start()

    try:
        starters = [threading.Thread(target=start, args=(s,)) for s in two]
        for thread in starters:
            thread.start()
        for thread in starters:
            thread.join(60)

        def finished() -> list[dict] | None:
            firings, _ = store_rows(settings)
            at_due = [f for f in firings if f["fire_time"] == due]
            return at_due if at_due and at_due[0]["status"] != "running" else None

        (firing,) = wait_for(finished)
    finally:
        for scheduler in two:
            scheduler.shutdown()
            scheduler.launcher.shutdown()
            scheduler.store.close()
    firings, runs = store_rows(settings)
    assert sorted(f["fire_time"] for f in firings) == [old, due]
    assert firing["status"] == "succeeded"
    (run,) = runs  # exactly one run, by whichever server won
    assert run["id"] == firing["run_id"] and run["trigger"] == "schedule"
    assert run["status"] == "succeeded" and run["steps"] == " ".join(ETL)
    labels = {"trigger": "schedule", "forecaster": "close_1h"}
    started = [
        s.launcher.metrics.registry.get_sample_value("prevoir_runs_started_total", labels)
        for s in two
    ]
    assert sorted(started, key=str) == [1.0, None]  # counted by the server that ran it


def test_a_missed_firing_is_only_logged_with_skip_and_a_new_job_has_none(
    project: Path,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = {"yearly": {**YEARLY, "missed": "skip"}, "fresh": {**YEARLY, "missed": "run_once"}}
    settings = project_settings(project, db_url, schedule=jobs)
    old, due = with_old_firing(settings)
    (scheduler,) = servers(settings, 1)
    try:
        with caplog.at_level(logging.INFO, logger="prevoir.service.scheduler"):
            scheduler.start()
        assert set(scheduler.next_fire_times()) == {"yearly", "fresh"}  # no catch-up job
    finally:
        scheduler.shutdown()
        scheduler.launcher.shutdown()
        scheduler.store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"job yearly missed its firing at {due:%Y-%m-%d %H:%M:%S} UTC (last one claimed: "
        f'{old:%Y-%m-%d %H:%M:%S} UTC); skipped (missed = "skip")'
    ]
    firings, runs = store_rows(settings)
    assert [(f["job"], f["fire_time"]) for f in firings] == [("yearly", old)] and runs == []


def test_servers_starting_together_on_a_fresh_store_all_migrate_it(
    db_url: str,
) -> None:
    # processes, not threads: alembic's migration context is global to a process
    script = (
        "import sys; from prevoir.storage.engine import create_store_engine, upgrade_schema;"
        "print(upgrade_schema(create_store_engine(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(prevoir.__file__).resolve().parents[1])}
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, db_url], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=180)[0].strip() for process in starts]
    assert [process.returncode for process in starts] == [0, 0, 0]
    engine = create_store_engine(db_url)
    try:
        assert outputs == [schema_revision(engine)] * 3
    finally:
        engine.dispose()
