"""``prevoir run --forecaster/--tag``: a run for chosen forecasters loads only the datasets
they read, trains only them, and records its selection; a selection of none is refused
before anything is recorded."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from prevoir.config import load_settings
from prevoir.config.selection import datasets_of, select_forecasters
from prevoir.errors import ConfigError
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

NAIVE, TOTAL = "fremont_weekly_naive", "fremont_total"


def _scalar(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar_one()


def test_a_run_for_one_forecaster_reads_its_dataset_and_trains_it_alone(
    bikes_dev: StoreCopy,
) -> None:
    cli = bikes_dev.cli()
    engine = cli.engine()
    try:
        before = {
            name: _scalar(
                engine, f"SELECT count(*) FROM model_versions WHERE forecaster = '{name}'"
            )
            for name in (NAIVE, TOTAL)
        }
        cli("run", "--profile", "dev", "--forecaster", NAIVE, "--steps", "extract", "train")
        with engine.connect() as conn:
            run_id, chosen = conn.execute(
                sa.text("SELECT id, forecasters FROM runs ORDER BY id DESC")
            ).first()
        extracted = _scalar(
            engine, f"SELECT rows_in FROM run_steps WHERE run_id = {run_id} AND name = 'extract'"
        )
        after = {
            name: _scalar(
                engine, f"SELECT count(*) FROM model_versions WHERE forecaster = '{name}'"
            )
            for name in (NAIVE, TOTAL)
        }
    finally:
        engine.dispose()
    assert chosen == NAIVE
    fremont_rows = len((cli.project / "data" / "FremontBridge.csv").read_text().splitlines()) - 1
    assert extracted == fremont_rows  # the weather file, which only fremont_total reads, is not
    assert after == {NAIVE: before[NAIVE] + 1, TOTAL: before[TOTAL]}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--forecaster", "nope"), "no forecaster 'nope' in the project"),
        (("--tag", "granularity=day"), "has the tags granularity=day (tags declared: none)"),
        (("--tag", "granularity"), "is not KEY=VALUE"),
    ],
)
def test_a_selection_of_none_is_refused_before_a_run_is_recorded(
    bikes_dev: StoreCopy, args: tuple[str, ...], words: str
) -> None:
    cli = bikes_dev.cli()
    runs_before = cli.snapshot(("runs",))["runs"]
    done = cli("run", "--profile", "dev", *args, check=False)
    assert done.returncode == 2, done.stderr
    assert words in " ".join(done.stderr.split())
    assert len(cli.snapshot(("runs",))["runs"]) == len(runs_before)


def test_tags_select_and_their_forecasters_bring_their_exogenous_datasets(
    bikes_dev: StoreCopy,
) -> None:
    toml = bikes_dev.project / "prevoir.toml"
    toml.write_text(
        toml.read_text().replace(
            'target = "total"\nhorizons', 'target = "total"\ntags = { kind = "ml" }\nhorizons', 1
        )
    )
    settings = load_settings(bikes_dev.project)
    assert settings.forecasters[TOTAL].tags == {"kind": "ml"}
    chosen = select_forecasters(settings, tags={"kind": "ml"})
    assert chosen == (TOTAL,)
    assert datasets_of(settings, chosen) == ("fremont", "weather")
    assert datasets_of(settings, (NAIVE,)) == ("fremont",)
    assert select_forecasters(settings) == ()  # nothing asked: every forecaster
    with pytest.raises(ConfigError, match="no forecaster of fremont_weekly_naive has the tags"):
        select_forecasters(settings, [NAIVE], {"kind": "ml"})


def test_a_scheduled_job_names_its_forecasters_and_a_wrong_name_stops_the_server_start(
    bikes_dev: StoreCopy,
) -> None:
    from prevoir.workflows.schedule import scheduled_jobs

    def job(**selection: object) -> dict[str, object]:
        return {"service": {"schedule": {"hourly": {"cron": "5 * * * *", **selection}}}}

    fine = load_settings(bikes_dev.project, overrides=job(forecasters=[NAIVE]))
    assert [j.settings.forecasters for j in scheduled_jobs(fine)] == [(NAIVE,)]
    wrong = load_settings(bikes_dev.project, overrides=job(forecasters=["nope"]))
    with pytest.raises(ConfigError, match=r"\[service.schedule.hourly\]: no forecaster 'nope'"):
        scheduled_jobs(wrong)
