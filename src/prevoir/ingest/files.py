"""Read CSV and Parquet files matched by a glob into one raw frame: the file readers.

The extract step hands this frame, untouched, to the transform step: nothing is parsed,
renamed or added here. What this module owns is the boundary to pandas and pyarrow: every
failure a user can cause with a bad file (no match, empty file, ragged CSV line, missing
column, corrupt Parquet) becomes a :class:`~prevoir.errors.DataValidationError` that names
the file, the line where there is one, and what to do about it.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from prevoir.domain.datasets import SourceSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.ingest.source import Reader

__all__ = ["CSV", "PARQUET", "FileFormat", "read_files"]

FileFormat = Literal["csv", "parquet"]

_SUFFIX_FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zip", ".xz", ".zst"}
# pandas' C parser: "Error tokenizing data. C error: Expected 9 fields in line 5, saw 10"
_RAGGED_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_files(
    pattern: str,
    *,
    base_dir: Path,
    format: FileFormat | None = None,
    csv_options: Mapping[str, object] | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read every file matching ``pattern`` (relative to ``base_dir``) and stack them.

    Files are read in sorted path order so that the same glob always yields the same frame.
    ``format`` defaults to the file suffix. ``csv_options`` go to :func:`pandas.read_csv`
    (``skiprows``, ``sep``, ``na_values``, ``encoding``, ...). ``columns`` restricts the read
    to those raw column names and makes their absence an error, so a renamed export fails
    here, naming the file, instead of as NaN columns downstream.
    """
    paths = _expand(pattern, base_dir=base_dir)
    frames = [
        _read_one(path, fmt=format or _format_of(path), csv_options=csv_options, columns=columns)
        for path in paths
    ]
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _pattern(source: SourceSpec) -> str:
    """The glob of a file source (the spec requires one)."""
    return str(source.path)


def _read_glob(source: SourceSpec, project_dir: Path, *, fmt: FileFormat) -> pd.DataFrame:
    """Every file of the source's glob read as ``fmt`` (the declared kind, not the suffix)."""
    return read_files(
        _pattern(source), base_dir=project_dir, format=fmt, csv_options=source.options
    )


CSV = Reader(read=partial(_read_glob, fmt="csv"), describe=_pattern)
PARQUET = Reader(read=partial(_read_glob, fmt="parquet"), describe=_pattern)


def _expand(pattern: str, *, base_dir: Path) -> list[Path]:
    """Sorted files matching ``pattern``; ``**`` recurses; absolute patterns ignore base_dir."""
    # Path.glob rejects absolute patterns, which users do write in project files.
    matches = glob.glob(pattern, root_dir=base_dir, recursive=True)  # noqa: PTH207
    paths = sorted(p for p in (base_dir / m for m in matches) if p.is_file())
    if not paths:
        raise DataValidationError(
            f"no file matches {pattern!r} under {base_dir}; check the source path and that "
            "the files were exported there"
        )
    return paths


def _format_of(path: Path) -> FileFormat:
    """File format from the suffix, looking through a compression suffix (``x.csv.gz``)."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    fmt = _SUFFIX_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise DataValidationError(
            f'cannot tell the format of {path} from its name; declare format = "csv" or '
            '"parquet" for this source'
        )
    return fmt


def _read_one(
    path: Path,
    *,
    fmt: FileFormat,
    csv_options: Mapping[str, object] | None,
    columns: Sequence[str] | None,
) -> pd.DataFrame:
    """One file as a frame with at least one data row and every declared column."""
    if path.stat().st_size == 0:
        raise DataValidationError(
            f"file {path} is empty (0 bytes); re-export it or remove it from the source glob"
        )
    if fmt == "parquet":
        frame = _read_parquet(path, columns=columns)
    else:
        frame = _read_csv(path, options=dict(csv_options or {}), columns=columns)
    if frame.empty:
        raise DataValidationError(
            f"file {path} has no data rows (only a header); re-export it or remove it from "
            "the source glob"
        )
    return frame


def _read_csv(
    path: Path, *, options: dict[str, object], columns: Sequence[str] | None
) -> pd.DataFrame:
    """CSV through pandas' C parser, whose errors carry the line number we report."""
    # One pass over the whole file: chunked type inference warns on mixed-type columns.
    options.setdefault("low_memory", False)
    if columns is not None:
        wanted = set(columns)
        usecols: Callable[[object], bool] = wanted.__contains__
        options["usecols"] = usecols
    frame = _call_read_csv(path, options)
    if columns is None:
        return frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        del options["usecols"]
        found = list(_call_read_csv(path, {**options, "nrows": 0}).columns)
        raise _missing_columns(path, missing=missing, found=found)
    return frame[list(columns)]


def _call_read_csv(path: Path, options: Mapping[str, object]) -> pd.DataFrame:
    """:func:`pandas.read_csv` with its errors translated into ones naming the file."""
    try:
        return pd.read_csv(path, **options)  # type: ignore[call-overload]
    except TypeError as exc:
        raise ConfigError(
            f"csv options {sorted(options)} for {path} are not all accepted by "
            f"pandas.read_csv ({exc}); fix the source's csv options"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        skipped = options.get("skiprows", 0)
        raise DataValidationError(
            f"file {path} has no header and no data rows (after skiprows={skipped}); "
            "re-export it, fix skiprows, or remove it from the source glob"
        ) from exc
    except pd.errors.ParserError as exc:
        raise _parser_error(path, exc) from exc
    except UnicodeDecodeError as exc:
        encoding = options.get("encoding", "utf-8")
        raise DataValidationError(
            f"file {path} is not valid {encoding} text (byte {exc.start}); declare the file's "
            'encoding in the source\'s csv options (e.g. encoding = "latin-1")'
        ) from exc


def _parser_error(path: Path, exc: pd.errors.ParserError) -> DataValidationError:
    """Rephrase pandas' tokenizer message as file, line, expected and seen field counts."""
    match = _RAGGED_LINE.search(str(exc))
    if match is None:
        return DataValidationError(
            f"file {path} is not valid CSV ({exc}); check the separator and quoting, or set "
            "sep/quotechar in the source's csv options"
        )
    expected, line, seen = match.groups()
    return DataValidationError(
        f"{path} line {line}: expected {expected} fields, saw {seen}; fix or remove that line"
    )


def _read_parquet(path: Path, *, columns: Sequence[str] | None) -> pd.DataFrame:
    """Parquet through pyarrow, reading only the declared columns."""
    try:
        found = pq.read_schema(path).names
        if columns is not None:
            missing = [c for c in columns if c not in found]
            if missing:
                raise _missing_columns(path, missing=missing, found=found)
        table = pq.read_table(path, columns=list(columns) if columns is not None else None)
    except (pa.ArrowException, OSError) as exc:
        raise DataValidationError(
            f"file {path} is not a readable Parquet file ({exc}); re-export it, or declare "
            'format = "csv" if it is text'
        ) from exc
    return table.to_pandas()


def _missing_columns(
    path: Path, *, missing: Sequence[str], found: Sequence[str]
) -> DataValidationError:
    return DataValidationError(
        f"file {path} lacks column(s) {list(missing)}; columns found: {list(found)}; fix the "
        "file's header or the declared column names"
    )
