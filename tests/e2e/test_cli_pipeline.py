"""The bikes example through the CLI, on SQLite and on PostgreSQL.

Covers the demo path a newcomer takes (init → run, through the real ``python -m prevoir``),
idempotent reloads, catch-up for appended rows only (the modules a predict-only run
imports, also in a real process), and the listing commands (in-process).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.storage import tables
from prevoir.storage.engine import head_revision
from tests.e2e.conftest import Cli, SubprocessCli
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

FREMONT = Path("data") / "FremontBridge.csv"
HELD_BACK = 5


def _forecasts(cli: Cli) -> pd.DataFrame:
    engine = cli.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tables.forecasts)).mappings().all()
            return pd.DataFrame([dict(row) for row in rows])
    finally:
        engine.dispose()


def _step_row(stdout: str, step: str) -> list[str]:
    """Cells of one step's row in the run summary table."""
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == step:
            return cells
    raise AssertionError(f"no {step!r} row in:\n{stdout}")


def _imported(stderr: str) -> set[str]:
    """Modules named by ``python -X importtime`` on stderr."""
    prefix = "import time:"
    return {
        line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith(prefix)
    }


def _hold_back_last_rows(project: Path, n: int) -> list[str]:
    path = project / FREMONT
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-n]))
    return lines[-n:]


def test_bikes_demo_catch_up_and_listings(tmp_path: Path, store_url: str) -> None:
    project = tmp_path / "bikes"
    SubprocessCli(tmp_path, store_url)("init", str(project), "--example", "bikes")
    cli, process = Cli(project, store_url), SubprocessCli(project, store_url)
    held = _hold_back_last_rows(project, HELD_BACK)

    first = process("run", "--profile", "dev")
    for step in ("extract", "transform", "load", "features", "train", "evaluate", "predict"):
        assert step in first.stdout
    assert "succeeded" in first.stdout and "files written" in first.stdout
    lines = [line.strip() for line in first.stdout.splitlines()]
    written = [Path(line) for line in lines if line.endswith((".png", ".json", ".parquet"))]
    assert any(p.suffix == ".png" and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)
    metrics = json.loads(next(p for p in written if p.name.endswith("_metrics.json")).read_text())
    model = json.loads(next(p for p in written if p.name.endswith("_model.json")).read_text())
    assert len(model["sha256"]) == 64 and model["forecaster"] in {
        "fremont_total",
        "fremont_weekly_naive",
    }
    assert {"mae", "rmse", "smape", "mase"} <= set(metrics["metrics"])

    before = _forecasts(cli)
    per_forecaster = before.groupby("forecaster").size().to_dict()
    assert per_forecaster == {"fremont_total": 24 * 24, "fremont_weekly_naive": 24 * 24}
    assert before["origin"].max() == pd.Timestamp(
        "2024-12-31 18:00", tz="America/Los_Angeles"
    ).tz_convert("UTC")

    again = cli("run", "--profile", "dev", "--steps", "extract", "transform", "load", "predict")
    assert "up to date" in again.stdout
    assert _step_row(again.stdout, "load")[-1] == "0"  # identical data: no row changed
    assert _step_row(again.stdout, "predict")[-1] == "0"
    pd.testing.assert_frame_equal(_forecasts(cli), before)

    (project / FREMONT).write_text((project / FREMONT).read_text() + "".join(held))
    steps = ("extract", "transform", "load", "predict")
    caught_up = process("run", "--profile", "dev", "--steps", *steps, python=("-X", "importtime"))
    imported = _imported(caught_up.stderr)
    assert "lightgbm" in imported  # the champion was loaded and predicted
    # the other families and the evaluate step's plots and scores stay unloaded
    unused = ("xgboost", "statsforecast", "matplotlib", "sklearn.ensemble", "prevoir.evaluation")
    assert not imported & set(unused)
    after = _forecasts(cli)
    assert len(after) == len(before) + 2 * HELD_BACK * 24
    new_origins = set(after["origin"]) - set(before["origin"])
    assert len(new_origins) == HELD_BACK
    old = after.merge(before, on=["forecaster", "unique_id", "origin", "step"], suffixes=("", "_0"))
    assert len(old) == len(before)
    assert (old["yhat"] == old["yhat_0"]).all() and (old["issued_at"] == old["issued_at_0"]).all()

    runs = cli("runs")
    assert runs.stdout.count("succeeded") == 3
    listed = json.loads(
        cli("forecasts", "--forecaster", "fremont_total", "--format", "json", "--limit", "3").stdout
    )
    assert len(listed) == 3
    assert {"unique_id", "origin", "ds", "step", "yhat"} <= set(listed[0])
    csv = cli("forecasts", "--series", "fremont", "--format", "csv", "--limit", "2").stdout
    assert csv.splitlines()[0].startswith("forecaster,") or "unique_id" in csv.splitlines()[0]


def test_steps_without_their_inputs_name_the_step_to_run_first(
    tmp_path: Path, store_url: str
) -> None:
    project = tmp_path / "bikes"
    Cli(tmp_path, store_url)("init", str(project), "--example", "bikes")
    cli = Cli(project, store_url)
    cases = {  # on an empty store every hint starts at extract, the first missing step
        "load": "prevoir run --steps extract transform load",
        "features": "prevoir run --steps extract transform load",
        "train": "prevoir run --steps extract transform load features",
        "predict": "prevoir run --steps extract transform load features train evaluate",
    }
    for step, hint in cases.items():
        done = cli("run", "--steps", step, check=False)
        assert done.returncode == 7, done.stderr
        assert hint in " ".join(done.stderr.split())


def test_in_process_commands_print_what_a_pipe_gets(crypto_dev: StoreCopy) -> None:
    """What the in-process ``Cli`` (used by most tests here) shows is what ``python -m
    prevoir`` writes to a pipe: the same exit code, stdout and stderr."""
    cli = crypto_dev.cli()
    process = SubprocessCli(crypto_dev.project, crypto_dev.store_url)
    for args in (
        ["models", "list", "--profile", "dev"],
        ["forecasts", "--forecaster", "close_1h", "--limit", "5"],
        ["models", "show", "999"],
    ):
        inside, outside = cli(*args, check=False), process(*args, check=False)
        assert (inside.returncode, inside.stdout, inside.stderr) == (
            outside.returncode,
            outside.stdout,
            outside.stderr,
        ), args


def test_help_explains_every_command(tmp_path: Path) -> None:
    cli = Cli(tmp_path, "sqlite:///unused.db")
    top = cli("--help").stdout
    for command in ("init", "run", "runs", "forecasts", "config", "db"):
        assert command in top
    for command in (
        ["init"],
        ["run"],
        ["runs"],
        ["forecasts"],
        ["config", "show"],
        ["db", "upgrade"],
    ):
        text = cli(*command, "--help").stdout
        assert "Usage" in text and len(text.splitlines()) > 4


def test_config_show_masks_secrets_and_applies_profile(tmp_path: Path) -> None:
    project = tmp_path / "crypto"
    Cli(tmp_path, "sqlite:///x.db")("init", str(project), "--example", "crypto")
    cli = Cli(project, "postgresql+psycopg://prevoir:hunter2@db.internal/prevoir")
    shown = cli("config", "show", "--profile", "dev").stdout
    assert "hunter2" not in shown and "prevoir:***@db.internal" in shown
    assert "n_estimators = 50" in shown
    assert 'profile = "dev"' in shown


def test_db_upgrade_creates_the_schema_then_is_a_no_op(tmp_path: Path, store_url: str) -> None:
    project = tmp_path / "crypto"
    Cli(tmp_path, store_url)("init", str(project), "--example", "crypto")
    cli = Cli(project, store_url)
    head = head_revision()
    assert f"empty → {head}" in cli("db", "upgrade").stdout
    assert f"{head} → {head}" in cli("db", "upgrade").stdout
    engine = cli.engine()
    try:
        assert {"observations", "forecasts", "runs", "run_steps", "model_versions"} <= set(
            sa.inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
