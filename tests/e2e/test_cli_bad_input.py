"""Real broken inputs through the CLI: one clear message, a non-zero exit, nothing lost.

A project first runs the whole pipeline; then each case breaks one thing and runs again.
The observations, forecasts, model versions and aliases must be exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.e2e.conftest import Cli, _pg_database

FREMONT = Path("data") / "FremontBridge.csv"
WEATHER = Path("data") / "BicycleWeather.csv"
TABLES = ("series", "observations", "forecasts", "model_versions", "aliases", "alias_history")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def ran(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A bikes project that ran the whole dev pipeline once."""
    root = tmp_path_factory.mktemp("bad-input")
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{root / 'store.db'}"])
    else:
        urls = _pg_database()
    url = next(urls)
    Cli(root, url)("init", str(root / "bikes"), "--example", "bikes")
    cli = Cli(root / "bikes", url)
    cli("run", "--profile", "dev")
    yield cli
    for _ in urls:  # drops the PostgreSQL database
        pass


def _snapshot(cli: Cli) -> dict[str, pd.DataFrame]:
    engine = cli.engine()
    try:
        with engine.connect() as conn:
            frames = {t: pd.read_sql(sa.text(f"SELECT * FROM {t}"), conn) for t in TABLES}
    finally:
        engine.dispose()
    return {
        table: frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
        for table, frame in frames.items()
    }


def _edit_line(number: int, change: Callable[[str], str]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        lines[number - 1] = change(lines[number - 1])
        return "".join(lines)

    return edit


CASES = {
    # name: (file, edit, exit code, words the message must contain)
    "malformed row": (
        FREMONT,
        lambda text: text + "12/31/2024 11:00:00 PM,31,9,22,7,7\n",
        3,
        ["FremontBridge.csv", "17535"],
    ),
    "missing column": (
        FREMONT,
        lambda text: text.replace("Cyclist East Sidewalk", "Cyclist Middle Sidewalk", 1),
        3,
        ["FremontBridge.csv", "east"],
    ),
    "non-numeric value": (
        FREMONT,
        _edit_line(100, lambda line: line.rsplit(",", 1)[0] + ",12a\n"),
        3,
        ["FremontBridge.csv", "12a"],
    ),
    "unparseable time": (
        FREMONT,
        _edit_line(200, lambda line: "13/45/2024 08:00:00 AM," + line.split(",", 1)[1]),
        3,
        ["FremontBridge.csv", "13/45/2024"],
    ),
    "empty file": (FREMONT, lambda text: "", 3, ["FremontBridge.csv"]),
    # the exogenous (weather) source gone: retraining aborts before any write
    "missing weather source": (WEATHER, lambda text: None, 3, ["BicycleWeather.csv"]),
    "config typo": (
        Path("prevoir.toml"),
        lambda text: text.replace("train_stride = 3", "train_strid = 3"),
        2,
        ["train_strid"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_clearly_and_changes_nothing(ran: Cli, case: str) -> None:
    relative, edit, code, words = CASES[case]
    path = ran.project / relative
    original = path.read_text()
    before = _snapshot(ran)
    changed = edit(original)
    if changed is None:
        path.unlink()
    else:
        path.write_text(changed)
    try:
        done = ran("run", "--profile", "dev", check=False)
    finally:
        path.write_text(original)
    assert done.returncode == code, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in message, message
    after = _snapshot(ran)
    for table in TABLES:
        pd.testing.assert_frame_equal(after[table], before[table], obj=table)
