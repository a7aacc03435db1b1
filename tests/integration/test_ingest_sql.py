"""The SQL dataset source: reads any SQLAlchemy URL, errors name the URL and the query."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from prevoir.domain.datasets import SourceSpec
from prevoir.errors import DataValidationError, StoreError
from prevoir.ingest.readers import read_source
from prevoir.ingest.sql import read_query


def test_reads_a_query_result_directly_and_as_the_sql_kind(db_url: str, tmp_path: Path) -> None:
    source = sa.create_engine(db_url)
    with source.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE prices (pair TEXT, ts TEXT, close FLOAT)")
        conn.exec_driver_sql("INSERT INTO prices VALUES ('BTC', '2024-01-01T00:00Z', 1.5)")
        conn.exec_driver_sql("INSERT INTO prices VALUES ('ETH', '2024-01-01T00:00Z', 2.5)")
    source.dispose()
    frame = read_query(db_url, "SELECT pair, close FROM prices ORDER BY pair")
    assert frame.to_dict("list") == {"pair": ["BTC", "ETH"], "close": [1.5, 2.5]}
    declared = SourceSpec(kind="sql", url=db_url, query="SELECT pair FROM prices WHERE close > 2")
    assert read_source(declared, tmp_path).to_dict("list") == {"pair": ["ETH"]}


def test_rejected_query_names_url_and_query(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/src.db"
    (tmp_path / "src.db").touch()
    with pytest.raises(DataValidationError) as caught:
        read_query(url, "SELECT * FROM no_such_table")
    assert "no_such_table" in str(caught.value)
    assert url in str(caught.value)


@pytest.mark.postgres
def test_unreachable_source_is_a_store_error_with_masked_password() -> None:
    url = "postgresql+psycopg://reader:s3cret@127.0.0.1:1/warehouse?connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        read_query(url, "SELECT 1")
    assert "s3cret" not in str(caught.value)
    assert "reader:***@" in str(caught.value)
    assert "SELECT 1" in str(caught.value)


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        read_query(f"sqlite:///{tmp_path}/typo.db", "SELECT 1")
    assert not (tmp_path / "typo.db").exists()


def test_statement_without_rows_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src.db").touch()
    with pytest.raises(DataValidationError, match="must be a SELECT"):
        read_query(f"sqlite:///{tmp_path}/src.db", "CREATE TABLE t (a INT)")
