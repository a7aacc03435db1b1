"""``prevoir models`` and ``prevoir trace`` through the CLI on SQLite and PostgreSQL:
list, show, compare, promote, rollback, prune, tracing a forecast, and the errors a user
meets.

The project is a copy of the crypto example after ``prevoir run --profile dev`` (every
step; ``crypto_dev``, built once per session); the commands run in-process.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Cli
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow


def _versions(cli: Cli) -> list[dict[str, object]]:
    return json.loads(cli("models", "list", "--profile", "dev", "--format", "json").stdout)


def test_models_commands(crypto_dev: StoreCopy) -> None:
    cli = crypto_dev.cli()
    cli("run", "--profile", "dev", "--steps", "train")  # a second, unevaluated challenger
    versions = _versions(cli)
    lgbm = [v for v in versions if v["forecaster"] == "close_1h"]
    first, second = (int(v["version"]) for v in lgbm)  # type: ignore[call-overload]
    assert lgbm[0]["aliases"] == "champion" and lgbm[1]["aliases"] == "challenger"

    shown = cli("models", "show", str(first), "--profile", "dev").stdout
    for field in ("data_fingerprint", "sha256", "config_hash", "train_start", "mae", "lightgbm"):
        assert field in shown
    assert "  num_leaves = " in shown or "  n_estimators = " in shown  # params as key = value
    assert "all_missing_features" not in shown  # an empty list is left out
    record = json.loads(
        cli("models", "show", str(first), "--profile", "dev", "--format", "json").stdout
    )
    assert record["id"] == first and record["kind"] == "lightgbm" and len(record["sha256"]) == 64
    assert record["trained_by"]["trigger"] == "cli" and "dev:champion" in record["aliases"]
    scores = {v["forecaster"]: v for v in versions}
    assert scores["close_up_1h"]["metric"] == "brier" and scores["close_1h"]["metric"] == "mae"
    compared = cli("models", "compare", str(first), str(second), "--format", "csv").stdout
    assert compared.splitlines()[0] == f"metric,v{first},v{second},difference"
    assert any(line.startswith("mae,") for line in compared.splitlines())

    promoted = cli("models", "promote", str(second), "--profile", "dev", "--reason", "test")
    assert f"champion {first} → {second}" in promoted.stdout
    rolled = cli("models", "rollback", "--forecaster", "close_1h", "--profile", "dev")
    assert f"champion {second} → {first}" in rolled.stdout
    again = cli("models", "rollback", "--forecaster", "close_1h", "--profile", "dev", check=False)
    assert again.returncode == 5 and "no earlier champion" in again.stderr

    # the second version has no alias left for close_1h except challenger: prune keeps it
    # (aliased); nothing of close_1h goes, the first is champion and has forecasts
    pruned = cli("models", "prune", "--keep", "0", "--dry-run")
    assert "would delete 0 versions" in pruned.stdout

    listed = cli("forecasts", "--profile", "dev", "--forecaster", "close_1h", "--format", "json")
    newest = json.loads(listed.stdout)[-1]
    traced = cli(
        "trace",
        "--profile",
        "dev",
        "--forecaster",
        "close_1h",
        "--series",
        newest["unique_id"],
        "--origin",
        newest["origin"],
        "--step",
        str(newest["step"]),
    ).stdout
    assert f"version          {first} (lightgbm, profile dev)" in traced
    assert "trained by run   1 (cli, succeeded" in traced and "config " in traced

    missing = cli("models", "show", "999", check=False)
    assert missing.returncode == 4 and "model version 999 does not exist" in missing.stderr
    unknown = cli("models", "rollback", "--forecaster", "nope", check=False)
    assert unknown.returncode == 4 and "close_1h" in unknown.stderr
