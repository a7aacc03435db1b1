"""The catalogue of bad inputs, through the CLI and the API: each is refused with a message
that names the place and what to do, a known exit code or status, and a store left exactly
as it was (observations, forecasts, model versions, aliases).

CLI cases break one file of a copy of the crypto example after ``prevoir run --profile
dev`` (three CSV files matched by one glob; the copy is shared by the module and each case
restores what it broke) and run ``extract transform load``. They run on SQLite; the ones in
``ON_POSTGRES`` on PostgreSQL too (a refused input never reaches the store, so the backend
matters only for the proof that nothing was written). API cases post to a bikes project on
both backends. The same rule gives the same words on both paths (``SHARED_WORDS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.cli import Cli
from tests.stores import copy_of, master

pytestmark = pytest.mark.slow

BTC, ETH, LTC = (Path("data") / f"Binance_{c}USDT_1h.csv" for c in ("BTC", "ETH", "LTC"))
TOML = Path("prevoir.toml")
Edit = Callable[[bytes], bytes | None]  # None: delete the file


def _line(number: int, change: Callable[[list[bytes]], list[bytes]]) -> Edit:
    """Edit the fields of one line (1-based; line 1 is the banner, 2 the header)."""

    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[number - 1] = b",".join(change(lines[number - 1].split(b",")))
        return b"\n".join(lines)

    return edit


def _field(number: int, index: int, value: bytes) -> Edit:
    def change(fields: list[bytes]) -> list[bytes]:
        fields[index] = value
        return fields

    return _line(number, change)


def _replace(old: bytes, new: bytes) -> Edit:
    def edit(data: bytes) -> bytes:
        assert old in data, old
        return data.replace(old, new, 1)

    return edit


def _drop_column(index: int) -> Edit:
    def edit(data: bytes) -> bytes:
        banner, *rows = data.split(b"\n")
        kept = [b",".join(f for i, f in enumerate(r.split(b",")) if i != index) for r in rows]
        return b"\n".join([banner, *kept])

    return edit


def _cut_last_line(*, keep_newline: bool) -> Edit:
    def edit(data: bytes) -> bytes:
        body = data.rstrip(b"\n")
        head, last = body.rsplit(b"\n", 1)
        return head + b"\n" + last[: len(last) // 3] + (b"\n" if keep_newline else b"")

    return edit


def _repeat_line(number: int, index: int, value: bytes) -> Edit:
    """Repeat one line with one field changed: the same (series, time), another value."""

    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        fields = lines[number - 1].split(b",")
        fields[index] = value
        return b"\n".join([*lines[:number], b",".join(fields), *lines[number:]])

    return edit


def _append(extra: bytes) -> Edit:
    return lambda data: data + extra


@dataclass(frozen=True)
class Case:
    file: Path
    edit: Edit
    code: int
    words: tuple[str, ...]


UNIX, SYMBOL, CLOSE = 0, 2, 6  # field positions in the Binance files
NEWEST = 3  # the first data line: 2020-09-28 07:00 UTC

CLI_CASES = {
    # one file of the glob no longer matches the declaration: that file, that column
    "value column renamed in one file": Case(
        ETH, _replace(b"Volume USDT", b"Volume USD"), 3, (str(ETH.name), "'Volume USDT'")
    ),
    "key column renamed in one file": Case(
        LTC, _replace(b"Symbol", b"Pair"), 3, (str(LTC.name), "'Symbol'")
    ),
    "time column renamed in one file": Case(
        BTC, _replace(b"Unix Timestamp", b"Unix Time"), 3, (str(BTC.name), "'Unix Timestamp'")
    ),
    "value column dropped from one file": Case(
        ETH, _drop_column(CLOSE), 3, (str(ETH.name), "'Close'")
    ),
    # a file cut short: its partial last row is not read as missing values
    "last line cut, no line end": Case(
        BTC, _cut_last_line(keep_newline=False), 3, (BTC.name, "cut short", "no line end")
    ),
    "last line cut, with a line end": Case(
        LTC, _cut_last_line(keep_newline=True), 3, (LTC.name, "cut short", "of the header's 9")
    ),
    # values
    "inf value": Case(BTC, _field(NEWEST, CLOSE, b"inf"), 3, ("row 1", "'close'", "finite")),
    "-inf value": Case(ETH, _field(NEWEST, CLOSE, b"-inf"), 3, ("'close'", "-inf", "finite")),
    "Infinity value": Case(BTC, _field(9, CLOSE, b"Infinity"), 3, ("row 7", "finite")),
    "1e309 value": Case(LTC, _field(NEWEST, CLOSE, b"1e309"), 3, ("'close'", "finite")),
    "non-numeric value": Case(BTC, _field(NEWEST, CLOSE, b"12a"), 3, ("'12a'", "not a number")),
    "NUL byte in a value": Case(ETH, _field(NEWEST, CLOSE, b"35\x0012"), 3, (ETH.name,)),
    # series ids
    "series id over 200 characters": Case(
        BTC, _field(NEWEST, SYMBOL, b"X" * 201), 3, ("row 1", "201 characters", "limit of 200")
    ),
    "series id with a control character": Case(
        ETH, _field(NEWEST, SYMBOL, b"ETH\x01USDT"), 3, ("control character '\\x01'",)
    ),
    "series id with a terminal escape": Case(
        LTC, _field(NEWEST, SYMBOL, b"\x1b[31mLTC"), 3, ("control character '\\x1b'",)
    ),
    "empty series id": Case(BTC, _field(NEWEST, SYMBOL, b""), 3, ("'Symbol' is empty",)),
    # times
    "off-grid time": Case(
        BTC,
        _field(NEWEST, UNIX, b"1601278200.0"),
        3,
        ("2020-09-28T07:30:00+00:00", "nearest valid: 2020-09-28T07:00:00+00:00 or"),
    ),
    "time after 2262": Case(ETH, _field(NEWEST, UNIX, b"99999999999"), 3, (ETH.name, "2262")),
    "time before 1677": Case(LTC, _field(NEWEST, UNIX, b"-9999999999"), 3, (LTC.name, "1677")),
    "unparseable time": Case(BTC, _field(NEWEST, UNIX, b"yesterday"), 3, ("'yesterday'",)),
    "empty time": Case(ETH, _field(NEWEST, UNIX, b""), 3, (ETH.name, "time")),
    # rows and files
    "conflicting duplicate row": Case(
        BTC, _repeat_line(NEWEST, CLOSE, b"1.0"), 3, ("different values", "close")
    ),
    "extra field on a line": Case(
        ETH, _line(10, lambda f: [*f, b"surplus"]), 3, (ETH.name, "line 10", "expected 9")
    ),
    "quote never closed": Case(LTC, _field(NEWEST, SYMBOL, b'"LTCUSDT'), 3, (LTC.name,)),
    "not UTF-8": Case(BTC, _field(NEWEST, 1, b"\xff\xfe"), 3, (BTC.name, "utf-8", "encoding")),
    "empty file": Case(ETH, lambda _: b"", 3, (ETH.name, "empty")),
    "header only": Case(
        LTC, lambda d: b"\n".join(d.split(b"\n")[:2]) + b"\n", 3, (LTC.name, "no data rows")
    ),
    "binary garbage": Case(
        BTC, lambda _: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, 3, (BTC.name,)
    ),
    "every file gone": Case(Path("data"), lambda _: None, 3, ("no file matches",)),
    # the declaration
    "unknown key in a dataset": Case(
        TOML, _replace(b'fill = "ffill"', b'fil = "ffill"'), 2, ("fil",)
    ),
    "unknown frequency": Case(TOML, _replace(b'freq = "h"', b'freq = "hourly"'), 2, ("hourly",)),
    "unknown model kind": Case(
        TOML, _replace(b'kind = "lightgbm"', b'kind = "lightgbn"'), 2, ("lightgbn",)
    ),
    "negative horizon": Case(
        TOML, _replace(b"horizons = [1, 6, 12, 24]", b"horizons = [-1]"), 2, ("horizons",)
    ),
    "broken TOML": Case(TOML, _append(b"\n[[[\n"), 2, ("prevoir.toml",)),
    "forecaster of an undeclared dataset": Case(
        TOML, _replace(b'dataset = "candles"', b'dataset = "candle"'), 2, ("'candle'",)
    ),
    "unknown time zone": Case(
        TOML,
        _replace(b'unit = "s" }', b'unit = "s", timezone = "Mars/Olympus" }'),
        2,
        ("Mars/Olympus",),
    ),
    "value column the files lack": Case(
        TOML,
        _replace(b'values = ["open",', b'values = ["vwap", "open",'),
        3,
        ("'vwap'", BTC.name),
    ),
    "derived column dividing by zero": Case(
        TOML,
        _replace(
            b'freq = "h"', b'freq = "h"\nderived = [{ name = "r", expr = "high / (low - low)" }]'
        ),
        3,
        ("'r'", "infinite"),
    ),
    "skiprows that keeps the banner": Case(
        TOML, _replace(b"skiprows = 1", b"skiprows = 0"), 3, ("'Unix Timestamp'",)
    ),
    "csv option pandas rejects": Case(
        TOML, _replace(b"skiprows = 1 }", b"skiprows = 1, bogus = 1 }"), 2, ("bogus",)
    ),
    "external forecaster named like an own one": Case(
        TOML, lambda d: b'external_forecasters = ["close_1h"]\n' + d, 2, ("close_1h",)
    ),
}
ON_POSTGRES = ("value column renamed in one file", "off-grid time", "inf value", "broken TOML")


def _cli_params() -> Iterator[Any]:
    for name in CLI_CASES:
        yield pytest.param(name, "sqlite", id=f"{name}-sqlite")
        if name in ON_POSTGRES:
            yield pytest.param(name, "postgres", id=f"{name}-postgres", marks=pytest.mark.postgres)


@pytest.fixture(scope="module")
def crypto_cli(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cli]:
    """A copy of the crypto-dev master on the backend ``request.param``, shared by the
    module's cases (each restores what it broke)."""
    built = master("crypto-dev", request.param, example="crypto", build=_run_dev)
    for copy in copy_of(built, tmp_path_factory.mktemp(f"bad-inputs-{request.param}")):
        yield copy.cli()


def _run_dev(cli: Cli) -> None:
    cli("run", "--profile", "dev")


@pytest.mark.parametrize(("case", "crypto_cli"), list(_cli_params()), indirect=["crypto_cli"])
def test_cli_refuses_and_keeps_the_store(
    crypto_cli: Cli, case: str, _masters_unchanged: None
) -> None:
    bad = CLI_CASES[case]
    cli = crypto_cli
    path = cli.project / bad.file
    saved = {p: p.read_bytes() for p in ([path] if path.is_file() else sorted(path.glob("*")))}
    before = cli.snapshot()
    try:
        changed = bad.edit(path.read_bytes() if path.is_file() else b"")
        if changed is None:
            for p in saved:
                p.unlink()
        else:
            path.write_bytes(changed)
        done = cli(
            "run", "--profile", "dev", "--steps", "extract", "transform", "load", check=False
        )
    finally:
        for p, data in saved.items():
            p.write_bytes(data)
    message = " ".join(done.stderr.split())
    assert done.returncode == bad.code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for word in bad.words:
        assert word in message, message
    after = cli.snapshot()
    for table, frame in before.items():
        pd.testing.assert_frame_equal(after[table], frame, obj=table)
