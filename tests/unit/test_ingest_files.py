"""read_files: globs, CSV options, Parquet, and error messages that name file and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from prevoir.errors import ConfigError, DataValidationError
from prevoir.ingest.files import read_files

BROKEN = Path(__file__).parents[1] / "data" / "broken"
SHARED = Path(__file__).parents[2].parent / "shared" / "data"
BINANCE = SHARED / "crypto_binance_ohlcv"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_glob_reads_files_in_sorted_order_and_adds_nothing(tmp_path: Path) -> None:
    _write(tmp_path / "in" / "b.csv", "t,v\n2,20\n")
    _write(tmp_path / "in" / "a.csv", "t,v\n1,10\n")
    _write(tmp_path / "in" / "c.txt.bak", "ignored")
    frame = read_files("in/*.csv", base_dir=tmp_path)
    assert list(frame.columns) == ["t", "v"]
    assert frame["t"].tolist() == [1, 2]
    assert frame.index.tolist() == [0, 1]


def test_recursive_and_absolute_patterns(tmp_path: Path) -> None:
    _write(tmp_path / "x" / "y" / "deep.csv", "t,v\n1,10\n")
    assert len(read_files("**/*.csv", base_dir=tmp_path)) == 1
    absolute = str(tmp_path / "x" / "y" / "deep.csv")
    assert len(read_files(absolute, base_dir=Path("/nonexistent"))) == 1


def test_csv_options_and_column_selection(tmp_path: Path) -> None:
    _write(tmp_path / "f.csv", "banner line\nt;v;w\n1;n/a;x\n2;3;y\n")
    frame = read_files(
        "f.csv",
        base_dir=tmp_path,
        csv_options={"skiprows": 1, "sep": ";", "na_values": ["n/a"]},
        columns=["v", "t"],
    )
    assert list(frame.columns) == ["v", "t"]
    assert frame["v"].isna().tolist() == [True, False]


def test_parquet_roundtrip_with_columns(tmp_path: Path) -> None:
    source = pd.DataFrame({"t": [1, 2], "v": [1.5, 2.5], "k": ["a", "b"]})
    source.to_parquet(tmp_path / "f.parquet")
    frame = read_files("*.parquet", base_dir=tmp_path, columns=["k", "v"])
    assert list(frame.columns) == ["k", "v"]
    assert frame["v"].tolist() == [1.5, 2.5]


def test_no_match_names_pattern_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match=r"no file matches 'nope/\*\.csv' under"):
        read_files("nope/*.csv", base_dir=tmp_path)


def test_unknown_suffix_asks_for_format(tmp_path: Path) -> None:
    _write(tmp_path / "data.dat", "t,v\n1,2\n")
    with pytest.raises(DataValidationError, match=r"data\.dat.*declare format"):
        read_files("data.dat", base_dir=tmp_path)
    assert len(read_files("data.dat", base_dir=tmp_path, format="csv")) == 1


def test_malformed_row_names_file_line_and_counts() -> None:
    with pytest.raises(DataValidationError) as info:
        read_files("malformed_row.csv", base_dir=BROKEN)
    assert str(info.value) == (
        f"{BROKEN / 'malformed_row.csv'} line 4: expected 3 fields, saw 4; fix or remove that line"
    )


def test_malformed_line_number_counts_skipped_banner(tmp_path: Path) -> None:
    _write(tmp_path / "f.csv", "banner\nt,v\n1,2\n3,4,5\n")
    with pytest.raises(DataValidationError, match=r"f\.csv line 4: expected 2 fields, saw 3"):
        read_files("f.csv", base_dir=tmp_path, csv_options={"skiprows": 1})


def test_empty_file_is_named() -> None:
    with pytest.raises(DataValidationError, match=r"empty\.csv is empty \(0 bytes\)"):
        read_files("empty.csv", base_dir=BROKEN)


def test_header_only_file_has_no_data_rows() -> None:
    with pytest.raises(DataValidationError, match=r"header_only\.csv has no data rows"):
        read_files("header_only.csv", base_dir=BROKEN)


def test_skipping_everything_is_reported(tmp_path: Path) -> None:
    _write(tmp_path / "f.csv", "banner\n")
    with pytest.raises(DataValidationError, match=r"f\.csv has no header and no data rows"):
        read_files("f.csv", base_dir=tmp_path, csv_options={"skiprows": 1})


def test_missing_declared_column_names_column_file_and_found_columns() -> None:
    with pytest.raises(DataValidationError) as info:
        read_files("missing_column.csv", base_dir=BROKEN, columns=["time", "count"])
    message = str(info.value)
    assert str(BROKEN / "missing_column.csv") in message
    assert "lacks column(s) ['count']" in message
    assert "columns found: ['time', 'site', 'cnt']" in message


def test_missing_parquet_column(tmp_path: Path) -> None:
    pd.DataFrame({"t": [1]}).to_parquet(tmp_path / "f.parquet")
    with pytest.raises(DataValidationError, match=r"f\.parquet lacks column\(s\) \['v'\]"):
        read_files("f.parquet", base_dir=tmp_path, columns=["t", "v"])


def test_unreadable_parquet_is_named() -> None:
    with pytest.raises(DataValidationError, match=r"not_parquet\.parquet is not a readable"):
        read_files("not_parquet.parquet", base_dir=BROKEN)


def test_bad_encoding_asks_for_encoding(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_bytes("t,v\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataValidationError, match=r"f\.csv is not valid utf-8 text"):
        read_files("f.csv", base_dir=tmp_path)
    frame = read_files("f.csv", base_dir=tmp_path, csv_options={"encoding": "latin-1"})
    assert frame["v"].tolist() == ["café"]


def test_unknown_csv_option_is_a_config_error(tmp_path: Path) -> None:
    _write(tmp_path / "f.csv", "t,v\n1,2\n")
    with pytest.raises(ConfigError, match=r"not all accepted by pandas\.read_csv"):
        read_files("f.csv", base_dir=tmp_path, csv_options={"sepp": ";"})


@pytest.mark.skipif(not BINANCE.is_dir(), reason="shared Binance data not present")
def test_binance_hourly_files_with_banner_concatenate() -> None:
    frame = read_files("hourly/Binance_*USDT_1h.csv", base_dir=BINANCE, csv_options={"skiprows": 1})
    assert len(frame) == 27_316 + 27_316 + 24_491 + 25_043
    # sorted file names: BTC, ETH, LTC, NEO; each file is newest first
    assert frame["Symbol"].iloc[0] == "BTCUSDT"
    assert frame["Symbol"].iloc[-1] == "NEOUSDT"
    assert frame["Unix Timestamp"].iloc[0] == 1601276400.0
