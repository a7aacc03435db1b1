"""The README tour as a newcomer types it: commands that find nothing say so, and which other
profile has data; a read-only command never creates a store; output to a pipe has one plain
line per step. In process (typer's runner), on SQLite: the stores are the point here."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from prevoir.cli.main import app
from prevoir.cli.progress import PlainProgress, progress_for
from prevoir.config import load_settings
from prevoir.domain.records import StepRecord
from prevoir.storage.engine import upgrade_schema
from prevoir.storage.runs import start_run
from prevoir.storage.store import Store
from tests.configs import DATASET_A_FORECASTER_F
from tests.integration.helpers import START
from tests.projects import opened

TOML = (
    '[store]\nurl = "sqlite:///main.db"\n'
    + DATASET_A_FORECASTER_F
    + '[profiles.dev]\nstore = { url = "sqlite:///dev.db" }\n[profiles.same]\n'
)


@pytest.fixture
def project(tmp_path: Path, no_prevoir_env: None) -> Path:
    (tmp_path / "prevoir.toml").write_text(TOML)
    return tmp_path


def _prevoir(project: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--project", str(project)])
    assert result.exit_code == 0, result.output
    return result.output


def test_listings_of_an_empty_store_say_which_profile_has_data(project: Path) -> None:
    dev = load_settings(project, profile="dev")
    with opened(dev).store.write() as conn:  # dev has run once
        start_run(conn, profile="dev", steps=["extract"], trigger="cli", config_hash="x")
    runs, forecasts = _prevoir(project, "runs"), _prevoir(project, "forecasts")
    for said, what in ((runs, "runs"), (forecasts, "forecasts")):
        assert f"no {what} in the store of profile 'default'" in said
        assert "no prevoir tables yet" in said
    assert "profile 'dev' has some: add --profile dev" in runs
    assert "has some" not in forecasts  # dev ran, but forecast nothing
    assert not (project / "main.db").exists()  # looking never creates the store
    models = _prevoir(project, "models", "list", "--profile", "dev")
    assert "no versions in the store of profile 'dev'" in models and "has some" not in models
    runs = _prevoir(project, "runs", "--profile", "same")  # shares the default store: no hint
    assert "profile 'dev' has some: add --profile dev" in runs


def test_a_read_only_command_on_an_outdated_store_says_to_upgrade(project: Path) -> None:
    with Store.connect(load_settings(project).store_url()) as store:
        upgrade_schema(store.engine, "0003")  # what an older prevoir left
    result = CliRunner().invoke(app, ["runs", "--project", str(project)])
    assert result.exit_code == 6
    assert "at schema revision 0003" in result.output and "`prevoir db upgrade`" in result.output
    assert "0003 →" in _prevoir(project, "db", "upgrade")
    assert "no runs in the store of profile 'default'" in _prevoir(project, "runs")


def test_output_that_is_not_a_terminal_gets_one_plain_line_per_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rich.console import Console

    console = Console(file=None, force_terminal=False, width=20)
    progress = progress_for(console)
    assert isinstance(progress, PlainProgress)
    with progress:
        progress.step_started("transform")
        progress.task("predict f", total=3).advance(3)  # no bar drawn
        record = StepRecord("transform", "succeeded", START, 1.234, 18_264, 18_275)
        progress.step_ended(record)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # width 20 does not wrap them
    assert lines[0].endswith("Z step transform started")
    assert lines[1].endswith("step transform succeeded in 1.23 s, 18,264 rows in, 18,275 rows out")
    assert "\x1b" not in "".join(lines)
