"""The catalogue of bad inputs, through the CLI and the API: each is refused with a message
that names the place and what to do, a known exit code or status, and a store left exactly
as it was (observations, forecasts, model versions, aliases).

CLI cases break one file of a copy of the crypto example after ``prevoir run --profile
dev`` (three CSV files matched by one glob; the copy is shared by the module and each case
restores what it broke) and run ``extract transform load``. They run on SQLite; the ones in
``ON_POSTGRES`` on PostgreSQL too (a refused input never reaches the store, so the backend
matters only for the proof that nothing was written). API cases post to a bikes project on
both backends, in one test per backend that runs every case and reports every failure.
A rule both paths share (``prevoir.domain.admission``: ids, finite values, the grid) is
checked by the same words on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.cli import STORED, Cli, store_snapshot
from tests.service.conftest import Service
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


# ---------------------------------------------------------------------------------------
# the API: a bikes project on each backend, seeded with observations, an external forecast
# and one forecast issued by a (pretend) prevoir run

API = "/api/v1"
GOOD = {"unique_id": "fremont", "ds": "2024-05-01T00:00:00Z", "total": 10.0, "west": 4.0}
FORECAST = {
    "unique_id": "fremont",
    "origin": "2024-05-01T00:00:00Z",
    "ds": "2024-05-01T01:00:00Z",
    "step": 1,
    "yhat": 11.0,
}
ISSUED_ORIGIN = "2024-05-02T00:00:00Z"  # fremont_total's own forecast, run 1


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    user: str | None = "wendy"  # None: no credentials
    json: Any = None
    content: bytes | None = None  # a raw body (what json= cannot send)
    params: dict[str, str] | None = None


def _obs(**row: Any) -> Call:
    return Call("POST", f"{API}/observations/fremont", json={"rows": [GOOD, {**GOOD, **row}]})


def _raw_obs(value: bytes) -> Call:
    body = b'{"rows": [{"unique_id": "fremont", "ds": "2024-05-01T02:00:00Z", "total": %s}]}'
    return Call("POST", f"{API}/observations/fremont", content=body % value)


def _fc(forecaster: str = "ext", **row: Any) -> Call:
    return Call("POST", f"{API}/forecasts/{forecaster}", json={"rows": [{**FORECAST, **row}]})


def _delete(user: str = "alice", **params: str) -> Call:
    path = f"{API}/series/fremont/fremont/observations"
    return Call("DELETE", path, user=user, params=params)


LATER = "2024-05-01T03:00:00Z"
API_CASES: dict[str, tuple[Call, int, tuple[str, ...]]] = {
    # values: JSON has no NaN or infinity; the strict decoder names the literal
    "NaN literal": (_raw_obs(b"NaN"), 422, ("NaN is not JSON", "send null")),
    "Infinity literal": (_raw_obs(b"Infinity"), 422, ("Infinity is not JSON",)),
    "-Infinity literal": (_raw_obs(b"-Infinity"), 422, ("-Infinity is not JSON",)),
    "1e309": (_raw_obs(b"1e309"), 422, ("1e309 is beyond the largest float",)),
    "value as text": (_obs(ds=LATER, total="12a"), 422, ("total",)),
    # series ids: the words of the pipeline's rule (key_problem)
    "id over 200 characters": (
        _obs(unique_id="x" * 201),
        422,
        ("has 201 characters, over the limit of 200",),
    ),
    "id with a control character": (_obs(unique_id="a\u0001b"), 422, ("control character",)),
    "id with a terminal escape": (_obs(unique_id="\u001b[31m"), 422, ("control character",)),
    "empty id": (_obs(unique_id=""), 422, ("is empty",)),
    "id as a number": (_obs(unique_id=12), 422, ("unique_id",)),
    # times
    "off-grid time": (
        _obs(ds="2024-05-01T00:30:00Z"),
        422,
        ("nearest valid: 2024-05-01T00:00:00+00:00 or 2024-05-01T01:00:00+00:00",),
    ),
    "naive time": (_obs(ds="2024-05-01T02:00:00"), 422, ("timezone",)),
    "year 3000": (_obs(ds="3000-01-01T00:00:00Z"), 422, ("1700-2200",)),
    "not a time": (_obs(ds="yesterday"), 422, ("ds",)),
    # rows and bodies
    "undeclared variable": (_obs(ds=LATER, colour=1.0), 422, ("not a value of this dataset",)),
    "repeated series and time": (_obs(), 422, ("repeats",)),
    "undeclared dataset": (
        Call("POST", f"{API}/observations/nope", json={"rows": [GOOD]}),
        404,
        ("no dataset 'nope'",),
    ),
    "rows not a list": (
        Call("POST", f"{API}/observations/fremont", json={"rows": GOOD}),
        422,
        ("rows",),
    ),
    "body not JSON": (
        Call("POST", f"{API}/observations/fremont", content=b"hello"),
        422,
        ("JSON",),
    ),
    "truncated JSON": (
        Call("POST", f"{API}/observations/fremont", content=b'{"rows": [{"unique_id": "fr'),
        422,
        ("JSON",),
    ),
    "over 100,000 rows": (
        Call(
            "POST",
            f"{API}/observations/fremont",
            json={"rows": [{"unique_id": "f", "ds": LATER, "total": 1}] * 100_001},
        ),
        422,
        ("the limit is 100,000",),
    ),
    "no credentials": (replace(_obs(ds=LATER), user=None), 401, ("not authenticated",)),
    "read role writes": (replace(_obs(ds=LATER), user="rita"), 403, ("needs 'write'",)),
    # forecasts
    "forecast of an undeclared forecaster": (_fc("typo"), 404, ("accepted: ext",)),
    "forecast over prevoir's own": (
        _fc("fremont_total", origin=ISSUED_ORIGIN, ds="2024-05-02T01:00:00Z"),
        409,
        ("from run 1", "nothing was written"),
    ),
    "forecast ds not after origin": (_fc(ds=FORECAST["origin"]), 422, ("must be after origin",)),
    "forecast Infinity": (
        Call(
            "POST",
            f"{API}/forecasts/ext",
            content=b'{"rows": [{"unique_id": "fremont", "origin": "2024-05-01T00:00:00Z", '
            b'"ds": "2024-05-01T01:00:00Z", "step": 1, "yhat": Infinity}]}',
        ),
        422,
        ("Infinity is not JSON",),
    ),
    "forecast of an unknown version": (
        _fc(model_version_id=999),
        422,
        ("no model version 999",),
    ),
    "forecast interval level 100": (_fc(intervals={"100": [1.0, 2.0]}), 422, ("intervals",)),
    "forecast band of one number": (_fc(intervals={"80": [1.0]}), 422, ("intervals",)),
    "forecast step 0": (_fc(step=0), 422, ("step",)),
    # deletions
    "delete by a writer": (_delete(user="wendy", reason="x"), 403, ("needs 'admin'",)),
    "delete without a reason": (_delete(), 422, ("reason",)),
    "delete backwards range": (
        _delete(reason="x", start=LATER, end=GOOD["ds"]),
        422,
        ("swap start and end",),
    ),
    "delete of an unknown variable": (
        _delete(reason="x", variable="colour"),
        404,
        ("has no variable 'colour'",),
    ),
    # path ids
    "series id of 201 characters in a path": (
        Call("GET", f"{API}/series/fremont/{'x' * 201}/observations", user="rita"),
        422,
        ("200 characters",),
    ),
    "unknown series in a path": (
        Call("GET", f"{API}/series/fremont/nope/observations", user="rita"),
        404,
        ("no series 'nope'",),
    ),
}


def _send(service: Service, call: Call) -> Any:
    headers = service.auth(call.user) if call.user else {}
    if call.content is not None:
        headers = {**headers, "Content-Type": "application/json"}
    return service.client.request(
        call.method,
        call.path,
        json=call.json,
        content=call.content,
        params=call.params,
        headers=headers,
    )


@pytest.fixture
def seeded_service(service_client: Callable[..., Service], db_url: str) -> Service:
    """A bikes service with one observation row, one external and one issued forecast."""
    from prevoir.storage.forecasts import upsert_forecasts

    service = service_client(db_url, external_forecasters=["ext"])
    assert _send(
        service, Call("POST", f"{API}/observations/fremont", json={"rows": [GOOD]})
    ).is_success
    assert _send(service, _fc()).is_success
    issued = pd.DataFrame(
        {
            "unique_id": ["fremont"],
            "origin": [pd.Timestamp(ISSUED_ORIGIN)],
            "ds": [pd.Timestamp("2024-05-02T01:00:00Z")],
            "step": [1],
            "yhat": [5.0],
        }
    )
    with service.engine.begin() as conn:  # forecasts.run_id is no foreign key
        upsert_forecasts(conn, "fremont_total", issued, model_version_id=None, run_id=1)
    return service


def test_api_refuses_and_keeps_the_store(seeded_service: Service) -> None:
    """Every case of ``API_CASES``: its status, its words, an unchanged store; all cases
    run and the failures are reported together."""
    tables = (*STORED, "observation_deletions")
    failures = []
    for name, (call, status, words) in API_CASES.items():
        before = store_snapshot(seeded_service.engine, tables)
        response = _send(seeded_service, call)
        text = response.text
        problems = [f"status {response.status_code}"] if response.status_code != status else []
        problems += [f"no {word!r}" for word in words if word not in text]
        after = store_snapshot(seeded_service.engine, tables)
        problems += [f"{t} changed" for t in tables if not after[t].equals(before[t])]
        if problems:
            failures.append(f"{name}: {', '.join(problems)}: {text[:300]}")
    assert not failures, "\n".join(failures)
