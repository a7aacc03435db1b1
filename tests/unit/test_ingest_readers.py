"""The source registry: every declarable kind has a reader, dispatched by kind, named safely."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pandas as pd

from prevoir.domain.datasets import SourceKind, SourceSpec
from prevoir.ingest.readers import READERS, describe_source, read_source


def test_every_kind_the_spec_admits_has_a_reader() -> None:
    assert set(READERS) == set(get_args(SourceKind)) == {"csv", "parquet", "sql"}


def test_csv_kind_is_read_as_csv_whatever_the_suffix(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prices.dat").write_text("# export\nts;y\n2024-01-01;1.5\n")
    declared = SourceSpec("csv", path="data/*.dat", options={"sep": ";", "skiprows": 1})
    frame = read_source(declared, tmp_path)
    assert frame.to_dict("list") == {"ts": ["2024-01-01"], "y": [1.5]}


def test_parquet_kind_is_read_as_parquet_whatever_the_suffix(tmp_path: Path) -> None:
    pd.DataFrame({"ts": ["2024-01-01"], "y": [2.0]}).to_parquet(tmp_path / "p.bin")
    frame = read_source(SourceSpec("parquet", path="*.bin"), tmp_path)
    assert frame.to_dict("list") == {"ts": ["2024-01-01"], "y": [2.0]}


def test_descriptions_name_the_glob_or_the_masked_url() -> None:
    assert describe_source(SourceSpec("csv", path="data/*.csv")) == "data/*.csv"
    url = "postgresql+psycopg://etl:hunter2@db:5432/shop"
    sql = SourceSpec("sql", url=url, query="SELECT 1")
    assert describe_source(sql) == "postgresql+psycopg://etl:***@db:5432/shop"
