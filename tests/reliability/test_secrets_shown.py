"""``prevoir config show`` never prints a password, whatever form its URL takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import Cli

URLS = [
    "postgresql+psycopg://prevoir:hunter2@db.internal/prevoir",
    "postgresql+psycopg://prevoir:hun@ter2@db.internal/prevoir",
    "postgresql+psycopg://prevoir@db.internal/prevoir?password=hunter2",
    "mysql+pymysql://root:hunter2@db.internal/prevoir?charset=utf8mb4",
    "sqlite+pysqlcipher://:hunter2@/secret.db",
    "postgresql+psycopg:///?host=db.internal&user=u&password=hunter2",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("show")
    Cli(folder, "sqlite:///x.db")("init", str(folder / "crypto"), "--example", "crypto")
    return folder / "crypto"


@pytest.mark.parametrize("url", URLS)
def test_config_show_masks_the_store_password(project: Path, url: str) -> None:
    shown = Cli(project, url)("config", "show").stdout
    assert "hunter2" not in shown and "ter2" not in shown
    assert "***" in shown


def test_config_show_masks_a_sql_source_and_the_mlflow_uri(project: Path) -> None:
    config = project / "prevoir.toml"
    original = config.read_text()
    config.write_text(
        original
        + '\n[mlflow]\ntracking_uri = "https://bot:hunter2@mlflow.internal"\n'
        + "[datasets.remote]\nvalues = ['y']\nfreq = 'h'\ntime = { column = 'ds' }\n"
        + "source = { kind = 'sql', url = 'postgresql://u:p@hunter2@h/db', query = 'SELECT 1' }\n"
    )
    try:
        shown = Cli(project, "sqlite:///x.db")("config", "show").stdout
    finally:
        config.write_text(original)
    assert "hunter2" not in shown
    assert "bot:***@mlflow.internal" in shown and "u:***@h/db" in shown
