"""One training per forecaster at a time, whoever asks: CLI and API runs of the same
forecasters never both train (409 / exit 5, and a refused run leaves no row), concurrent
identical POSTs accept exactly one; and one forecaster's failure is its own (``partial``)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.pool import NullPool

from prevoir.config import Settings, load_settings
from prevoir.service import create_app
from tests.cli import Cli
from tests.reliability.conftest import RunProcess
from tests.reliability.snapshot import runs_of
from tests.service.runs_helpers import key_headers, wait_for

pytestmark = pytest.mark.slow

PREPARE = ("run", "--steps", "extract", "transform", "load", "features")
RUNS = "/api/v1/runs"
TRAIN = {"steps": ["train", "evaluate"]}


@pytest.fixture
def settings(project: Path, store_url: str, no_prevoir_env: None) -> Settings:
    Cli(project, store_url)(*PREPARE)
    overrides = {"store": {"url": store_url}, "service": {"scheduler": False}}
    return load_settings(project, overrides=overrides)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _versions_by_run(store_url: str) -> list[tuple[str, int]]:
    engine = sa.create_engine(store_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT forecaster, run_id FROM model_versions"))
            return sorted((row[0], row[1]) for row in rows)
    finally:
        engine.dispose()


def _finished(client: TestClient, run_id: int, headers: dict[str, str]) -> dict | None:
    body = client.get(f"{RUNS}/{run_id}", headers=headers).json()
    return body if body["status"] not in ("queued", "running") else None


def test_an_api_run_is_refused_with_409_while_a_cli_run_trains(
    settings: Settings, client: TestClient, project: Path, store_url: str
) -> None:
    writer = key_headers(settings, "write")
    cli_run = RunProcess(project, store_url, "run", "--steps", "train", "evaluate")
    cli_run.wait_for_line(r"step train started")
    refused = client.post(RUNS, json=TRAIN, headers=writer)
    assert refused.status_code == 409, refused.text
    assert "is being trained by run 2 on" in refused.json()["detail"]
    code, _out, err = cli_run.finish()
    assert code == 0, err
    assert [run["status"] for run in runs_of(store_url)] == ["succeeded", "succeeded"]
    assert _versions_by_run(store_url) == [("close_1h", 2), ("close_naive", 2)]


def test_a_cli_run_exits_5_while_an_api_run_of_the_same_forecasters_is_under_way(
    settings: Settings, client: TestClient, project: Path, store_url: str
) -> None:
    writer = key_headers(settings, "write")
    accepted = client.post(RUNS, json=TRAIN, headers=writer)
    assert accepted.status_code == 202, accepted.text
    refused = Cli(project, store_url)("run", "--steps", "train", check=False)
    assert refused.returncode == 5, refused.stderr
    assert "will be trained by run 2" in refused.stderr or "is being trained by run 2" in (
        refused.stderr
    )
    run = wait_for(lambda: _finished(client, accepted.json()["run_id"], writer))
    assert run["status"] == "succeeded", run
    assert [r["id"] for r in runs_of(store_url)] == [1, 2]  # the refused run left no row
    assert _versions_by_run(store_url) == [("close_1h", 2), ("close_naive", 2)]


def test_concurrent_identical_posts_accept_exactly_one(
    settings: Settings, client: TestClient, store_url: str
) -> None:
    writer = key_headers(settings, "write")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.post(RUNS, json=TRAIN, headers=writer), range(6)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [202, 409, 409, 409, 409, 409], [a.text for a in answers]
    (accepted,) = [a.json()["run_id"] for a in answers if a.status_code == 202]
    run = wait_for(lambda: _finished(client, accepted, writer))
    assert run["status"] == "succeeded", run
    assert [r["id"] for r in runs_of(store_url)] == [1, accepted]  # 409s left no row
    assert _versions_by_run(store_url) == [("close_1h", accepted), ("close_naive", accepted)]


def test_one_broken_forecaster_leaves_the_others_forecasting_and_the_run_partial(
    cli: Cli, store_url: str
) -> None:
    cli("run")
    engine = sa.create_engine(store_url, poolclass=NullPool)
    with engine.begin() as conn:
        (artifact,) = conn.execute(
            sa.text(
                "SELECT v.artifact_path FROM model_versions v JOIN aliases a ON a.version_id "
                "= v.id WHERE a.forecaster = 'close_1h' AND a.alias = 'champion'"
            )
        ).one()
        counts_before = _counts(conn)
        newest = conn.execute(sa.text("SELECT max(origin) FROM forecasts")).scalar_one()
        conn.execute(sa.text("DELETE FROM forecasts WHERE origin = :o"), {"o": newest})
        left = _counts(conn)
    Path(artifact).write_bytes(b"not a model")
    done = cli("run", "--steps", "predict", check=False)
    assert done.returncode == 9, done.stderr
    (message,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "1 failed (close_1h: predict failed: artifact" in message and "modified" in message
    assert runs_of(store_url)[-1]["status"] == "partial"
    with engine.connect() as conn:
        after = _counts(conn)
    engine.dispose()
    assert after["close_1h"] == left["close_1h"] < counts_before["close_1h"]  # untouched
    assert after["close_naive"] == counts_before["close_naive"] > left["close_naive"]


def _counts(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(sa.text("SELECT forecaster, count(*) FROM forecasts GROUP BY forecaster"))
    return {row[0]: row[1] for row in rows}


def test_a_model_file_whose_version_could_not_be_recorded_is_removed(
    cli: Cli, project: Path, store_url: str
) -> None:
    cli(*PREPARE)
    engine = sa.create_engine(store_url, poolclass=NullPool)
    with engine.begin() as conn:  # the store refuses new versions from now on
        conn.execute(sa.text("ALTER TABLE alias_history RENAME TO alias_history_gone"))
    failed = cli("run", "--steps", "train", check=False)
    assert failed.returncode == 6, failed.stderr
    assert "alias_history" in failed.stderr
    assert list((project / "artifacts").rglob("*.pkl")) == []
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE alias_history_gone RENAME TO alias_history"))
        assert conn.execute(sa.text("SELECT count(*) FROM model_versions")).scalar_one() == 0
    engine.dispose()
    assert cli("run", "--steps", "train").returncode == 0
    assert len(list((project / "artifacts").rglob("*.pkl"))) == 2


def test_a_model_that_fails_to_train_stops_only_its_forecaster(
    cli: Cli, project: Path, store_url: str
) -> None:
    cli("run")
    engine = sa.create_engine(store_url, poolclass=NullPool)
    champions = "SELECT forecaster, version_id FROM aliases WHERE alias = 'champion'"
    with engine.connect() as conn:
        before = dict(conn.execute(sa.text(champions)).all())
    toml = project / "prevoir.toml"
    toml.write_text(toml.read_text().replace("num_leaves = 15", "num_leaves = -3"))
    done = cli("run", "--steps", "features", "train", "evaluate", "predict", check=False)
    assert done.returncode == 9, done.stderr
    assert "close_1h: train failed:" in done.stderr
    with engine.connect() as conn:
        after = dict(conn.execute(sa.text(champions)).all())
        trained = conn.execute(
            sa.text("SELECT forecaster FROM model_versions WHERE run_id = 2")
        ).all()
    engine.dispose()
    assert after["close_1h"] == before["close_1h"]  # its champion stays
    assert [row[0] for row in trained] == ["close_naive"]  # the other one trained
    assert runs_of(store_url)[-1]["status"] == "partial"
