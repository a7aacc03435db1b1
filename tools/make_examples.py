"""Rebuild the example data shipped in ``src/prevoir/examples`` from ``../shared/data``.

Lines are copied verbatim (banner, header, row order, quoting, quirks): only a time window
and a set of files are chosen. Run from the repository root: ``python tools/make_examples.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "src" / "prevoir" / "examples"


def _copy_lines(src: Path, dst: Path, *, head: int, keep: object) -> int:
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    body = [line for line in lines[head:] if keep(line)]  # type: ignore[operator]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("".join(lines[:head] + body), encoding="utf-8")
    return len(body)


def bikes() -> None:
    """Fremont Bridge hourly counts and Sea-Tac daily weather, 2023-01-01 → 2024-12-31."""
    years = ("/2023 ", "/2024 ")
    n = _copy_lines(
        SHARED / "seattle_fremont_bike" / "FremontBridge.csv",
        EXAMPLES / "bikes" / "data" / "FremontBridge.csv",
        head=1,
        keep=lambda line: line[5:11] in years,
    )
    m = _copy_lines(
        SHARED / "seattle_fremont_bike" / "BicycleWeather.csv",
        EXAMPLES / "bikes" / "data" / "BicycleWeather.csv",
        head=1,
        keep=lambda line: line[14:19] in ('"2023', '"2024'),
    )
    print(f"bikes: {n} hourly rows, {m} daily weather rows")


def crypto() -> None:
    """Binance hourly candles of BTC, ETH and LTC, 2020-03-01 → 2020-09-28 (UTC)."""
    start = datetime(2020, 3, 1, tzinfo=UTC).timestamp()
    for pair in ("BTCUSDT", "ETHUSDT", "LTCUSDT"):
        n = _copy_lines(
            SHARED / "crypto_binance_ohlcv" / "hourly" / f"Binance_{pair}_1h.csv",
            EXAMPLES / "crypto" / "data" / f"Binance_{pair}_1h.csv",
            head=2,
            keep=lambda line: float(line.split(",", 1)[0]) >= start,
        )
        print(f"crypto {pair}: {n} hourly rows")


if __name__ == "__main__":
    bikes()
    crypto()
