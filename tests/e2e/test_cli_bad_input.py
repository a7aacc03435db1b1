"""Real broken inputs through the CLI: one clear message, a non-zero exit, nothing lost.

Each case starts from its own copy of the bikes example after ``prevoir run --profile
dev`` (``bikes_dev``, built once per session), breaks one thing and runs again. The
observations, forecasts, model versions and aliases must be exactly as before. The
commands run in-process, but for one case through the real ``python -m prevoir``: its exit
code, and no traceback on its stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import SubprocessCli
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

FREMONT = Path("data") / "FremontBridge.csv"
WEATHER = Path("data") / "BicycleWeather.csv"
IN_A_PROCESS = "malformed row"  # the case run as ``python -m prevoir``


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
        ["FremontBridge.csv", "lacks column(s)", "Cyclist East Sidewalk"],
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
def test_bad_input_fails_clearly_and_changes_nothing(bikes_dev: StoreCopy, case: str) -> None:
    relative, edit, code, words = CASES[case]
    cli = bikes_dev.cli()
    path = cli.project / relative
    before = cli.snapshot()
    changed = edit(path.read_text())
    if changed is None:
        path.unlink()
    else:
        path.write_text(changed)
    runner = SubprocessCli(cli.project, cli.store_url) if case == IN_A_PROCESS else cli
    done = runner("run", "--profile", "dev", check=False)
    assert done.returncode == code, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in message, message
    after = cli.snapshot()
    for table, frame in before.items():
        pd.testing.assert_frame_equal(after[table], frame, obj=table)
