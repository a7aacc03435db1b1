"""Every kind of source feeds the same pipeline: CSV globs, Parquet globs, SQL queries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from prevoir.config import load_settings
from prevoir.storage.observations import read_observations
from prevoir.testing import make_series
from prevoir.workflows import run_pipeline
from tests.projects import opened

CONFIG = """
[datasets.panel]
source = {source}
time = {{ column = "ts" }}
keys = ["sid"]
values = ["y"]
freq = "h"

[forecasters.naive]
dataset = "panel"
target = "y"
horizons = [1, 24]
model = {{ kind = "seasonal_naive", season_length = 24 }}
backtest = {{ folds = 1, step = 24, sample_series = 1 }}
"""


def _panel() -> pd.DataFrame:
    frame = make_series(n_series=3, length=200, seed=4)
    return pd.DataFrame(
        {
            "sid": frame["unique_id"].astype(str),
            "ts": frame["ds"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "y": frame["y"],
        }
    )


def _run(project: Path, source: str, db_url: str) -> pd.DataFrame:
    (project / "prevoir.toml").write_text(CONFIG.format(source=source))
    settings = load_settings(project, overrides={"store": {"url": db_url}})
    summary = run_pipeline(opened(settings))
    assert summary.status == "succeeded", summary.error
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return read_observations(conn, "panel", variables=["y"])
    finally:
        engine.dispose()


def test_parquet_glob_source(tmp_path: Path, db_url: str) -> None:
    panel = _panel()
    (tmp_path / "data").mkdir()
    for i, (_, part) in enumerate(panel.groupby("sid")):
        part.to_parquet(tmp_path / "data" / f"part-{i}.parquet", index=False)
    stored = _run(tmp_path, '{ kind = "parquet", path = "data/part-*.parquet" }', db_url)
    assert len(stored) == len(panel)
    assert sorted(stored["unique_id"].unique()) == sorted(panel["sid"].unique())


def test_sql_query_source(tmp_path: Path, db_url: str) -> None:
    panel = _panel()
    source_url = f"sqlite:///{tmp_path / 'upstream.db'}"
    upstream = sa.create_engine(source_url)
    with upstream.begin() as conn:
        panel.to_sql("readings", conn, index=False)
    upstream.dispose()
    query = "SELECT sid, ts, y FROM readings WHERE y > 0"
    source = f'{{ kind = "sql", url = "{source_url}", query = "{query}" }}'
    stored = _run(tmp_path, source, db_url)
    assert len(stored) == int((panel["y"] > 0).sum())
    first = stored.sort_values(["unique_id", "ds"]).iloc[0]
    assert first["ds"] == pd.Timestamp(panel.sort_values(["sid", "ts"])["ts"].iloc[0])
