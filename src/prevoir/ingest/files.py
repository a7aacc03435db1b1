"""Read CSV and Parquet files matched by a glob into one raw frame: the file readers.

The extract step hands this frame, untouched, to the transform step: nothing is parsed,
renamed or added here. What this module owns is the boundary to pandas and pyarrow: every
failure a user can cause with a bad file (no match, empty file, ragged CSV line, missing
column, corrupt Parquet) becomes a :class:`~prevoir.errors.DataValidationError` that names
the file, the line where there is one, and what to do about it.
"""

from __future__ import annotations

import csv
import glob
import re
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from prevoir.domain.datasets import SourceSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.ingest.source import FILES_ATTR, RawColumns, Reader

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
_CHUNK_BYTES = 1 << 22  # read at a time when scanning a file for NUL bytes
_TAIL_BYTES = 64 * 1024  # enough for the last line of any export we have seen
_RAGGED_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_files(
    pattern: str,
    *,
    base_dir: Path,
    format: FileFormat | None = None,
    csv_options: Mapping[str, object] | None = None,
    columns: Sequence[str] | None = None,
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """Read every file matching ``pattern`` (relative to ``base_dir``) and stack them.

    Files are read in sorted path order so that the same glob always yields the same frame.
    ``format`` defaults to the file suffix. ``csv_options`` go to :func:`pandas.read_csv`
    (``skiprows``, ``sep``, ``na_values``, ``encoding``, ...). ``columns`` restricts the read
    to those raw column names (and the ``optional`` ones where a file has them) and makes
    their absence from any one file an error, so a renamed export fails here, naming the
    file, instead of as NaN values downstream that would overwrite stored ones.
    """
    paths = _expand(pattern, base_dir=base_dir)
    wanted = None if columns is None else RawColumns(tuple(columns), tuple(optional))
    frames = [
        _read_one(path, fmt=format or _format_of(path), csv_options=csv_options, wanted=wanted)
        for path in paths
    ]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame.attrs[FILES_ATTR] = tuple(
        (_shown(path, base_dir), len(part)) for path, part in zip(paths, frames, strict=True)
    )
    return frame


def _shown(path: Path, base_dir: Path) -> str:
    """A file as messages name it: relative to the project when inside it."""
    return str(path.relative_to(base_dir)) if path.is_relative_to(base_dir) else str(path)


def _pattern(source: SourceSpec) -> str:
    """The glob of a file source (the spec requires one)."""
    return str(source.path)


def _read_glob(
    source: SourceSpec, project_dir: Path, columns: RawColumns | None, *, fmt: FileFormat
) -> pd.DataFrame:
    """Every file of the source's glob read as ``fmt`` (the declared kind, not the suffix)."""
    return read_files(
        _pattern(source),
        base_dir=project_dir,
        format=fmt,
        csv_options=source.options,
        columns=None if columns is None else columns.required,
        optional=() if columns is None else columns.optional,
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
    wanted: RawColumns | None,
) -> pd.DataFrame:
    """One file as a frame with at least one data row and every required column."""
    if path.stat().st_size == 0:
        raise DataValidationError(
            f"file {path} is empty (0 bytes); re-export it or remove it from the source glob"
        )
    if fmt == "parquet":
        frame = _read_parquet(path, wanted=wanted)
    else:
        frame = _read_csv(path, options=dict(csv_options or {}), wanted=wanted)
    if frame.empty:
        raise DataValidationError(
            f"file {path} has no data rows (only a header); re-export it or remove it from "
            "the source glob"
        )
    return frame


def _read_csv(path: Path, *, options: dict[str, object], wanted: RawColumns | None) -> pd.DataFrame:
    """CSV through pandas' C parser, whose errors carry the line number we report."""
    # One pass over the whole file: chunked type inference warns on mixed-type columns.
    options.setdefault("low_memory", False)
    found = list(_call_read_csv(path, {**options, "nrows": 0}).columns)
    _check_text(path, options, fields=len(found))
    _require(path, wanted, found)
    # every column is parsed, not only the wanted ones: with ``usecols`` pandas' parser stops
    # refusing lines with more fields than the header
    frame = _call_read_csv(path, options)
    return frame if wanted is None else frame[wanted.present_in(found)]


def _refuse_nul(path: Path) -> None:
    """``DataValidationError`` naming the line of the first NUL byte of ``path``."""
    lines_before = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            at = chunk.find(b"\0")
            if at >= 0:
                line = lines_before + chunk.count(b"\n", 0, at) + 1
                raise DataValidationError(
                    f"file {path} line {line}: a NUL byte (\\x00), which CSV cannot hold; "
                    "the file is damaged or binary: re-export it"
                )
            lines_before += chunk.count(b"\n")


def _check_text(path: Path, options: Mapping[str, object], *, fields: int) -> None:
    """Refuse what pandas' parser would read without a word: a NUL byte (it ends the field
    there, so ``35\x0012`` is read as 35) and a last line with fewer fields than the header
    (a file cut short: an export still being written, a failed copy), whose partial row
    would be read as missing values. Compressed files, multi-byte encodings (UTF-16 holds
    NULs) and multi-character separators are not checked."""
    sep = options.get("sep", options.get("delimiter", ","))
    encoding = str(options.get("encoding", "utf-8")).lower().replace("_", "-")
    if (
        path.suffix.lower() in _COMPRESSION_SUFFIXES
        or not isinstance(sep, str)
        or len(sep) != 1
        or encoding.startswith(("utf-16", "utf-32", "utf16", "utf32"))
    ):
        return
    _refuse_nul(path)
    with path.open("rb") as handle:
        handle.seek(max(path.stat().st_size - _TAIL_BYTES, 0))
        tail = handle.read()
    lines = [line for line in tail.splitlines() if line.strip()]
    if len(lines) < 2:  # the header alone, or one line longer than the tail: nothing to say
        return
    text = lines[-1].decode(encoding, errors="replace")
    quote = str(options.get("quotechar", '"'))
    seen = len(next(csv.reader([text], delimiter=sep, quotechar=quote)))
    if seen < fields:
        ending = "" if tail.endswith((b"\n", b"\r")) else " and no line end"
        raise DataValidationError(
            f"file {path}: the last line has {seen} of the header's {fields} fields{ending} "
            f"({text[:80]!r}); the file looks cut short: re-export it, or remove that line"
        )


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


def _read_parquet(path: Path, *, wanted: RawColumns | None) -> pd.DataFrame:
    """Parquet through pyarrow, reading only the wanted columns."""
    try:
        found = pq.read_schema(path).names
        _require(path, wanted, found)
        table = pq.read_table(path, columns=None if wanted is None else wanted.present_in(found))
    except (pa.ArrowException, OSError) as exc:
        raise DataValidationError(
            f"file {path} is not a readable Parquet file ({exc}); re-export it, or declare "
            'format = "csv" if it is text'
        ) from exc
    return table.to_pandas()


def _require(path: Path, wanted: RawColumns | None, found: Sequence[str]) -> None:
    """``DataValidationError`` naming the file and the required columns it lacks."""
    missing = [] if wanted is None else wanted.missing_from(found)
    if missing:
        raise DataValidationError(
            f"file {path} lacks column(s) {missing}; columns found: {list(found)}; fix the "
            "file's header or the declared column names"
        )
