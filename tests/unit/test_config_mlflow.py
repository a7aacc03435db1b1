"""The optional ``[mlflow]`` section: off when absent, paths resolved, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevoir.config import load_settings, mlflow_spec
from prevoir.domain.specs import MlflowSpec

BASE = """
[datasets.a]
source = { kind = "csv", path = "data/*.csv" }
values = ["y"]
"""


@pytest.fixture
def project(tmp_path: Path, no_prevoir_env: None) -> Path:
    (tmp_path / "prevoir.toml").write_text(BASE)
    return tmp_path


def test_absent_section_means_no_mirror(project: Path) -> None:
    assert mlflow_spec(load_settings(project)) is None


def test_relative_sqlite_uri_and_artifact_root_resolve_against_the_project(project: Path) -> None:
    (project / "prevoir.toml").write_text(BASE + '[mlflow]\nregistered_model_prefix = "acme."\n')
    spec = mlflow_spec(load_settings(project))
    assert spec == MlflowSpec(
        tracking_uri=f"sqlite:///{project.resolve() / 'mlflow.db'}",
        experiment="prevoir",
        registered_model_prefix="acme.",
        artifact_location=(project.resolve() / "mlartifacts").as_uri(),
    )
    assert spec.registered_model("dev", "close_1h") == "acme.dev.close_1h"
    assert spec.registered_model("prod", "close_1h") != spec.registered_model("dev", "close_1h")


def test_a_tracking_server_keeps_its_own_artifact_root_and_its_password_is_masked(
    project: Path,
) -> None:
    uri = "http://ci:s3cret@mlflow.internal:5000"
    settings = load_settings(project, overrides={"mlflow": {"tracking_uri": uri}})
    spec = mlflow_spec(settings)
    assert spec is not None and spec.tracking_uri == uri and spec.artifact_location is None
    assert "s3cret" not in str(settings.masked())


def test_mirroring_does_not_change_the_config_hash(project: Path) -> None:
    plain = load_settings(project)
    mirrored = load_settings(project, overrides={"mlflow": {"experiment": "other"}})
    assert mirrored.config_hash() == plain.config_hash()
