"""Scheduled jobs: their cron triggers, when they fire next, and which firing ran last.

A job's ``cron`` is a standard crontab line (minute hour day month weekday; 0 or 7 is
Sunday), or six fields with a leading seconds field. APScheduler 3 numbers weekdays from
Monday, so numeric weekdays are translated to names here: ``1-5`` stays Monday to Friday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from prevoir.config import ScheduledJobSettings, Settings
from prevoir.config.selection import select_forecasters
from prevoir.domain.records import Firing
from prevoir.errors import ConfigError
from prevoir.storage.schedule import list_firings
from prevoir.workflows.project import Project

__all__ = [
    "JobStatus",
    "ScheduledJob",
    "job_trigger",
    "latest_fire_time",
    "schedule_status",
    "scheduled_jobs",
]

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")
LOOKBACK = timedelta(days=800)  # a cron that has not fired for this long counts as never


@dataclass(frozen=True)
class ScheduledJob:
    """One configured job with its parsed trigger."""

    name: str
    settings: ScheduledJobSettings
    trigger: CronTrigger


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    """Every job of ``[service.schedule]``, its cron and its selection of forecasters
    checked (``ConfigError`` naming it)."""
    jobs = []
    for name, job in settings.service.schedule.items():
        try:
            select_forecasters(settings, job.forecasters, job.tags)
        except ConfigError as exc:
            raise ConfigError(f"[service.schedule.{name}]: {exc}") from None
        jobs.append(ScheduledJob(name, job, job_trigger(name, job)))
    return jobs


def job_trigger(name: str, job: ScheduledJobSettings) -> CronTrigger:
    """The trigger of ``job``: 5 crontab fields, or 6 with seconds first."""
    values = job.cron.split()
    if len(values) not in (5, 6):
        raise ConfigError(
            f"service.schedule.{name}.cron {job.cron!r} has {len(values)} fields; write five "
            "(minute hour day month weekday, e.g. '0 */6 * * *') or six with seconds first"
        )
    if len(values) == 5:
        values = ["0", *values]
    try:
        values[5] = _weekdays(values[5])
        return CronTrigger(**dict(zip(FIELDS, values, strict=True)), timezone=job.timezone)
    except (ValueError, LookupError) as exc:
        raise ConfigError(f"service.schedule.{name}: cron {job.cron!r} is invalid: {exc}") from exc


def _weekday(value: str) -> int:
    if value.isdigit() and int(value) <= 7:
        return int(value)
    if value.lower() in WEEKDAYS:
        return WEEKDAYS.index(value.lower())
    raise ValueError(f"weekday {value!r} is not 0-7 or one of {', '.join(WEEKDAYS)}")


def _weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler 3 day names (its own numbers start on Monday)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            low, high = (_weekday(v) for v in span.split("-", 1))
        else:
            low = high = _weekday(span)
            high = 7 if step else high  # "1/2": from Monday every other day
        stride = int(step) if step else 1
        if stride < 1 or low > high:
            raise ValueError(f"weekday range {part!r} is empty")
        days.update(day % 7 for day in range(low, high + 1, stride))
    return ",".join(WEEKDAYS[day] for day in sorted(days))


def latest_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The last time (UTC) at or before ``now`` when ``trigger`` fired, or None.

    Searches back in doubling windows so a per-second cron costs a few steps, a yearly one
    a few dozen, rather than walking every firing since some fixed past date.
    """
    window = timedelta(seconds=1)
    while window <= LOOKBACK:
        fire = trigger.get_next_fire_time(None, now - window)
        if fire is not None and fire <= now:
            while True:
                later = trigger.get_next_fire_time(None, fire + timedelta(microseconds=1))
                if later is None or later > now:
                    return fire.astimezone(UTC)
                fire = later
        window *= 2
    return None


def next_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The first time (UTC) after ``now`` when ``trigger`` fires, or None."""
    fire = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    return None if fire is None else fire.astimezone(UTC)


@dataclass(frozen=True)
class JobStatus:
    """One configured job, when it fires next, and its last claimed firing (if any)."""

    job: ScheduledJob
    next_fire_time: datetime | None
    last: Firing | None


def schedule_status(project: Project, *, now: datetime | None = None) -> list[JobStatus]:
    """Each job with its next fire time and last claimed firing (for the CLI)."""
    now = now or datetime.now(UTC)
    jobs = scheduled_jobs(project.settings)
    with project.store.read() as conn:
        last = {job.name: list_firings(conn, job.name, limit=1) for job in jobs}
    return [
        JobStatus(job, next_fire_time(job.trigger, now), next(iter(last[job.name]), None))
        for job in jobs
    ]
