"""``prevoir observations delete|deletions``: an admin undoes a bad push from the shell, the
deletion is recorded, and nothing is deleted without confirmation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

WINDOW = ("--start", "2024-12-31T20:00", "--end", "2024-12-31 23:00+00:00")


def _count(cli_engine: sa.Engine, variable: str) -> int:
    with cli_engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM observations o JOIN series s ON s.id = o.series_id "
                    "WHERE s.dataset = 'fremont' AND s.variable = :v"
                ),
                {"v": variable},
            ).scalar_one()
        )


def test_delete_a_window_of_one_variable_and_list_the_record(bikes_dev: StoreCopy) -> None:
    cli = bikes_dev.cli()
    engine = cli.engine()
    try:
        before = {v: _count(engine, v) for v in ("total", "west")}
        unconfirmed = cli(
            "observations", "delete", "fremont", "fremont", *WINDOW, "--reason", "glitch",
            "--variable", "total", "--profile", "dev", check=False,
        )  # fmt: skip
        assert unconfirmed.returncode == 2 and "add --yes" in unconfirmed.stderr
        assert _count(engine, "total") == before["total"]
        done = cli(
            "observations", "delete", "fremont", "fremont", *WINDOW, "--reason", "glitch",
            "--variable", "total", "--yes", "--profile", "dev",
        )  # fmt: skip
        assert "deleted 4 observation(s): total of 'fremont' in 'fremont'" in done.stdout
        assert _count(engine, "total") == before["total"] - 4
        assert _count(engine, "west") == before["west"]
        missing = cli(
            "observations", "delete", "fremont", "nope", "--reason", "x", "--yes",
            "--profile", "dev", check=False,
        )  # fmt: skip
        assert missing.returncode == 4 and "has no series 'nope'" in missing.stderr
    finally:
        engine.dispose()
    listed = cli("observations", "deletions", "--profile", "dev").stdout
    assert "glitch" in listed and "fremont" in listed and "cli:" in listed
