"""The source registry: kinds dispatched to their readers, declarations checked, names masked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from prevoir.config import SourceSettings
from prevoir.errors import ConfigError
from prevoir.ingest.readers import READERS, check_source, describe_source, read_source

KEY = "datasets.prices.source"


@dataclass(frozen=True)
class Declared:
    """Any object with a declaration's attributes is one (the readers' protocol)."""

    kind: str
    path: str | None = None
    url: str | None = None
    query: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


def test_csv_parquet_and_sql_are_registered() -> None:
    assert set(READERS) == {"csv", "parquet", "sql"}


def test_unknown_kind_is_refused_naming_the_dataset_key() -> None:
    with pytest.raises(ConfigError, match=rf"^{KEY}: source kind 'http' has no reader; use one of"):
        check_source(Declared("http", url="https://example.org/prices"), key=KEY)
    with pytest.raises(ConfigError, match="source kind 'http' has no reader"):
        read_source(Declared("http"), Path())


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (Declared("sql", url="sqlite:///x.db"), "a sql source needs `url` and `query`"),
        (Declared("sql", query="SELECT 1"), "a sql source needs `url` and `query`"),
        (Declared("csv"), "a csv source needs `path` \\(a glob\\)"),
        (Declared("parquet", path=""), "a parquet source needs `path` \\(a glob\\)"),
    ],
)
def test_a_declaration_lacking_what_its_reader_needs_is_refused(
    declared: Declared, message: str
) -> None:
    with pytest.raises(ConfigError, match=rf"^{KEY}: {message}$"):
        check_source(declared, key=KEY)


def test_the_settings_model_is_a_declaration() -> None:
    check_source(SourceSettings(kind="csv", path="data/*.csv"), key=KEY)
    with pytest.raises(ConfigError, match="a sql source needs"):
        check_source(SourceSettings(kind="sql", url="sqlite:///x.db"), key=KEY)


def test_csv_kind_is_read_as_csv_whatever_the_suffix(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prices.dat").write_text("# export\nts;y\n2024-01-01;1.5\n")
    declared = Declared("csv", path="data/*.dat", options={"sep": ";", "skiprows": 1})
    frame = read_source(declared, tmp_path)
    assert frame.to_dict("list") == {"ts": ["2024-01-01"], "y": [1.5]}


def test_parquet_kind_is_read_as_parquet_whatever_the_suffix(tmp_path: Path) -> None:
    pd.DataFrame({"ts": ["2024-01-01"], "y": [2.0]}).to_parquet(tmp_path / "p.bin")
    frame = read_source(Declared("parquet", path="*.bin"), tmp_path)
    assert frame.to_dict("list") == {"ts": ["2024-01-01"], "y": [2.0]}


def test_descriptions_name_the_glob_or_the_masked_url() -> None:
    assert describe_source(Declared("csv", path="data/*.csv")) == "data/*.csv"
    sql = Declared("sql", url="postgresql+psycopg://etl:hunter2@db:5432/shop", query="SELECT 1")
    assert describe_source(sql) == "postgresql+psycopg://etl:***@db:5432/shop"
