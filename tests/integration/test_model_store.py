"""Model versions in any fsspec location, and artifacts that changed or vanished are refused
before anything is overwritten — on SQLite and PostgreSQL, through the real pipeline."""

from __future__ import annotations

import uuid
from pathlib import Path

import fsspec
import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.config import Settings, load_settings
from prevoir.errors import PartialRunError
from prevoir.storage import tables
from prevoir.workflows import init_project, list_versions, run_pipeline
from tests.integration.helpers import stored_forecasts
from tests.projects import opened
from tests.stores import StoreCopy

pytestmark = pytest.mark.slow

CHEAP = {"close_1h": {"model": {"params": {"n_estimators": 20, "n_jobs": 1}}}}


def _settings(tmp_path: Path, db_url: str, **more: object) -> Settings:
    init_project(tmp_path / "crypto", example="crypto")
    overrides = {"store": {"url": db_url}, "forecasters": CHEAP, **more}
    return load_settings(tmp_path / "crypto", profile="dev", overrides=overrides)


def test_versions_can_live_at_an_fsspec_url(tmp_path: Path, db_url: str) -> None:
    root = f"memory://prevoir-{uuid.uuid4().hex[:8]}/models"
    settings = _settings(tmp_path, db_url, model_store=root)
    assert run_pipeline(opened(settings)).status == "succeeded"
    versions = list_versions(opened(settings))
    assert versions and all(v.artifact_path.startswith(root + "/") for v in versions)
    fs = fsspec.filesystem("memory")
    assert all(fs.exists(v.artifact_path) for v in versions)
    assert not (settings.artifacts_path() / "models").exists()
    assert len(stored_forecasts(db_url)) > 0  # predict loaded the champions from there


def test_a_changed_or_missing_artifact_is_refused_and_forecasts_stay(
    crypto_dev_cheap: StoreCopy,
) -> None:
    """From a copy of the crypto example after ``prevoir run --profile dev``."""
    db_url = crypto_dev_cheap.store_url
    overrides = {"store": {"url": db_url}}
    settings = load_settings(crypto_dev_cheap.project, profile="dev", overrides=overrides)
    before = stored_forecasts(db_url)
    champion = next(
        v
        for v in list_versions(opened(settings))
        if "dev:champion" in v.aliases and v.forecaster == "close_1h"
    )
    artifact = Path(champion.artifact_path)
    original = artifact.read_bytes()
    newest = before["origin"].max()

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # make catch-up want the newest origin once more
        conn.execute(sa.delete(tables.forecasts).where(tables.forecasts.c.origin == newest))
    engine.dispose()
    remaining = stored_forecasts(db_url)
    others = before[before["forecaster"] != "close_1h"].reset_index(drop=True)
    for damage, message in (
        (lambda: artifact.write_bytes(original + b"x"), "was modified"),
        (artifact.unlink, "is missing"),
    ):
        damage()
        summary = run_pipeline(opened(settings), steps=["predict"])
        # one forecaster's broken artifact stops only it: the others forecast (run partial)
        assert summary.status == "partial" and isinstance(summary.error, PartialRunError)
        assert list(summary.error.failures) == ["close_1h"]
        assert str(artifact) in str(summary.error) and message in str(summary.error)
        after = stored_forecasts(db_url)
        pd.testing.assert_frame_equal(
            after[after["forecaster"] == "close_1h"].reset_index(drop=True),
            remaining[remaining["forecaster"] == "close_1h"].reset_index(drop=True),
        )
        pd.testing.assert_frame_equal(
            after[after["forecaster"] != "close_1h"].reset_index(drop=True), others
        )
    artifact.write_bytes(original)
    assert run_pipeline(opened(settings), steps=["predict"]).status == "succeeded"
    pd.testing.assert_frame_equal(stored_forecasts(db_url), before)


@pytest.mark.parametrize("location", ["models-elsewhere", "file://{tmp}/models-url"])
def test_a_local_folder_or_file_url_is_accepted(tmp_path: Path, location: str) -> None:
    init_project(tmp_path / "crypto", example="crypto")
    overrides = {"model_store": location.format(tmp=tmp_path)}
    settings = load_settings(tmp_path / "crypto", overrides=overrides)
    expected = (
        str(tmp_path / "crypto" / "models-elsewhere")
        if "://" not in location
        else f"file://{tmp_path}/models-url"
    )
    assert settings.model_store_location() == expected
