"""The MLflow mirror against a real local MLflow store (SQLite backend, files in tmp_path).

The crypto example runs once (dev profile, cheap LightGBM) with ``[mlflow]`` on; the tests
read MLflow back with its own client and compare it with prevoir's store, which stays the
source of truth.
"""

from __future__ import annotations

import hashlib
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from prevoir.config import Settings, load_settings
from prevoir.domain.records import CHALLENGER, CHAMPION
from prevoir.errors import ConfigError
from prevoir.registry.mlflow_mirror import SHA256_TAG, VERSION_TAG
from prevoir.workflows import (
    RunSummary,
    init_project,
    promote_version,
    recent_runs,
    rollback_champion,
    run_pipeline,
)
from tests.projects import opened

pytestmark = [
    pytest.mark.slow,
    # MLflow's own tracking store uses a SQLAlchemy loader strategy 2.1 deprecates
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning"),
]

FORECASTERS = ("close_1h", "close_naive", "close_up_1h", "close_1d")  # the crypto example
UP_TO_EVALUATE = ["extract", "transform", "load", "features", "train", "evaluate"]
CHEAP = {"close_1h": {"model": {"params": {"n_estimators": 20, "n_jobs": 1}}}}
PROD_MODEL = "prod.close_1h"


@dataclass
class Mirrored:
    """The crypto project after one mirrored dev run."""

    settings: Settings
    first: RunSummary
    client: MlflowClient


def _settings(project: Path, **mlflow: str) -> Settings:
    overrides = {"forecasters": CHEAP, "mlflow": mlflow}
    return load_settings(project, profile="dev", overrides=overrides)


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirrored]:
    project = tmp_path_factory.mktemp("mlflow") / "crypto"
    init_project(project, example="crypto")
    # relative: resolved against the project, files default to <project>/mlartifacts
    settings = _settings(project, tracking_uri="sqlite:///mlflow.db")
    uri = f"sqlite:///{project / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    # what an earlier prod run would have left: a dev run must never touch it
    client.create_registered_model(PROD_MODEL)
    client.create_model_version(PROD_MODEL, source=project.as_uri(), tags={VERSION_TAG: "999"})
    client.set_registered_model_alias(PROD_MODEL, CHAMPION, "1")
    first = run_pipeline(opened(settings), steps=UP_TO_EVALUATE)
    assert first.status == "succeeded", first.error
    yield Mirrored(settings, first, client)


def _store_alias(settings: Settings, forecaster: str, alias: str) -> int | None:
    version = opened(settings).registry().alias(forecaster, alias)
    return None if version is None else version.id


def _mlflow_alias(client: MlflowClient, forecaster: str, alias: str) -> int:
    """The prevoir version id behind an MLflow alias of the dev registered model."""
    found = client.get_model_version_by_alias(f"dev.{forecaster}", alias)
    return int(found.tags[VERSION_TAG])


def _assert_aliases_match(m: Mirrored) -> None:
    for forecaster in FORECASTERS:
        for alias in (CHAMPION, CHALLENGER):
            expected = _store_alias(m.settings, forecaster, alias)
            assert _mlflow_alias(m.client, forecaster, alias) == expected, (forecaster, alias)


def test_run_is_mirrored_with_params_metrics_plots_and_model(
    mirrored: Mirrored, tmp_path: Path
) -> None:
    m = mirrored
    assert not [n for n in m.first.notes if "MLflow" in n]
    runs = m.client.search_runs(
        [m.client.get_experiment_by_name("prevoir").experiment_id],
        filter_string=f"tags.`prevoir.run_id` = '{m.first.run_id}'",
    )
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {r.data.tags["prevoir.forecaster"]: r for r in runs if r not in parents}
    assert len(parents) == 1 and set(children) == set(FORECASTERS)
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["prevoir.profile"] == "dev"
    assert parent.data.tags["prevoir.trigger"] == "cli"
    assert parent.data.tags["prevoir.config_hash"] == m.settings.config_hash()

    registry = opened(m.settings).registry()
    for forecaster, run in children.items():
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        version = registry.get(int(run.data.tags[VERSION_TAG]))
        assert version.forecaster == forecaster
        params = run.data.params
        horizons = m.settings.forecasters[forecaster].horizons
        assert params["horizons"] == ",".join(map(str, horizons))
        assert params["model.kind"] == version.kind
        assert params["data_fingerprint"] == version.data_fingerprint
        assert params["train_end"] == str(version.train_end)
        score = "brier" if forecaster == "close_up_1h" else "mae"  # the classifier's
        assert run.data.metrics[score] == pytest.approx(version.metrics[score])
        files = {
            a.path
            for folder in ("plot", "metrics", "model")
            for a in m.client.list_artifacts(run.info.run_id, folder)
        }
        plot = "roc_curve" if forecaster == "close_up_1h" else "forecast_vs_actual"
        assert f"plot/{forecaster}_{plot}.png" in files
        assert f"metrics/{forecaster}_metrics.json" in files
        model_file = f"model/{Path(version.artifact_path).name}"
        assert model_file in files
        # the artifact root defaulted to the project's mlartifacts/ folder
        assert run.info.artifact_uri.startswith((m.settings.project_dir / "mlartifacts").as_uri())
        local = Path(m.client.download_artifacts(run.info.run_id, model_file, str(tmp_path)))
        assert hashlib.sha256(local.read_bytes()).hexdigest() == version.sha256
    assert children["close_1h"].data.params["model.n_estimators"] == "20"


def test_each_version_is_registered_and_aliases_follow_every_move(mirrored: Mirrored) -> None:
    m = mirrored
    for forecaster in FORECASTERS:
        champion = _store_alias(m.settings, forecaster, CHAMPION)
        found = m.client.get_model_version_by_alias(f"dev.{forecaster}", CHAMPION)
        assert found.tags[VERSION_TAG] == str(champion)
        assert champion is not None
        assert found.tags[SHA256_TAG] == opened(m.settings).registry().get(champion).sha256
    _assert_aliases_match(m)

    second = run_pipeline(opened(m.settings), steps=["train", "evaluate"])
    assert second.status == "succeeded", second.error
    _assert_aliases_match(m)  # train moved challenger, evaluate (maybe) champion

    before = _store_alias(m.settings, "close_1h", CHAMPION)
    move = rollback_champion(opened(m.settings), "close_1h")
    assert move.old == before and move.new != before
    assert _mlflow_alias(m.client, "close_1h", CHAMPION) == move.new
    promote_version(opened(m.settings), before, reason="back again")
    assert _mlflow_alias(m.client, "close_1h", CHAMPION) == before
    _assert_aliases_match(m)
    versions = m.client.search_model_versions("name = 'dev.close_1h'")
    assert len(versions) == 2  # one per trained version: moves never register twice


def test_a_dev_run_does_not_touch_the_prod_registered_model(mirrored: Mirrored) -> None:
    m = mirrored
    names = {r.name for r in m.client.search_registered_models()}
    assert names == {PROD_MODEL, *(f"dev.{f}" for f in FORECASTERS)}
    prod = m.client.search_model_versions(f"name = '{PROD_MODEL}'")
    assert [v.tags[VERSION_TAG] for v in prod] == ["999"]
    assert str(m.client.get_model_version_by_alias(PROD_MODEL, CHAMPION).version) == "1"
    with pytest.raises(MlflowException):
        m.client.get_model_version_by_alias(PROD_MODEL, CHALLENGER)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_tracking_server_does_not_fail_the_run(
    mirrored: Mirrored, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = mirrored
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail fast, not in minutes
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    down = _settings(m.settings.project_dir, tracking_uri=f"http://127.0.0.1:{_closed_port()}")
    summary = run_pipeline(opened(down), steps=["train"])
    assert summary.status == "succeeded", summary.error
    notes = [n for n in summary.notes if "MLflow" in n]
    assert len(notes) == 1 and "could not be written" in notes[0]
    missed = _store_alias(down, "close_1h", CHALLENGER)
    assert missed not in {
        int(v.tags[VERSION_TAG]) for v in m.client.search_model_versions("name = 'dev.close_1h'")
    }
    promote_version(opened(down), missed)  # the store moves even though MLflow is down
    assert _store_alias(down, "close_1h", CHAMPION) == missed

    # MLflow back: the next move registers the version it missed, from the store's file
    promote_version(opened(m.settings), missed, reason="again, mirrored")
    found = m.client.get_model_version_by_alias("dev.close_1h", CHAMPION)
    assert found.tags[VERSION_TAG] == str(missed)
    assert found.source.startswith("file://")


def test_mlflow_section_without_mlflow_installed_is_a_config_error(
    mirrored: Mirrored, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = mirrored
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what `import mlflow` sees uninstalled
    monkeypatch.delitem(sys.modules, "prevoir.registry.mlflow_mirror")
    runs_before = len(recent_runs(opened(m.settings), limit=1000))
    with pytest.raises(ConfigError, match=r"pip install 'prevoir\[mlflow\]'"):
        run_pipeline(opened(m.settings), steps=["train"])
    with pytest.raises(ConfigError, match=r"\[mlflow\] section"):
        rollback_champion(opened(m.settings), "close_1h")
    assert len(recent_runs(opened(m.settings), limit=1000)) == runs_before  # nothing was started


def test_an_unsupported_tracking_uri_is_a_config_error_before_the_run(mirrored: Mirrored) -> None:
    m = mirrored
    wrong = _settings(m.settings.project_dir, tracking_uri="ftp://mlflow.example/store")
    runs_before = len(recent_runs(opened(m.settings), limit=1000))
    with pytest.raises(ConfigError, match=r"\[mlflow\] tracking_uri 'ftp://mlflow.example/store'"):
        run_pipeline(opened(wrong), steps=["train"])
    assert len(recent_runs(opened(m.settings), limit=1000)) == runs_before
