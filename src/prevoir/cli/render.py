"""Tables and formats the CLI prints; nothing here touches the store."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from prevoir.domain.columns import hi_column, interval_levels, lo_column
from prevoir.domain.records import StepRecord


def step_table(steps: Sequence[StepRecord], *, title: str) -> Table:
    """Per-step status, duration and row counts, with a total line."""
    table = Table(title=title)
    for name, justify in (
        ("step", "left"),
        ("status", "left"),
        ("seconds", "right"),
        ("rows in", "right"),
        ("rows out", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for record in steps:
        colour = "green" if record.status == "succeeded" else "red"
        table.add_row(
            record.name,
            f"[{colour}]{record.status}[/]",
            f"{record.duration_s:.2f}",
            f"{record.rows_in:,}",
            f"{record.rows_out:,}",
        )
    table.add_section()
    table.add_row("total", "", f"{sum(r.duration_s for r in steps):.2f}", "", "")
    return table


def runs_table(runs: Sequence[dict[str, Any]]) -> Table:
    """Recent runs, one block each, with the seconds of every step on its own line."""
    table = Table(title="recent runs (times UTC)", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("run", "status", "started", "profile · via", "step seconds", "total"):
        table.add_column(name, no_wrap=True, justify="right" if name == "total" else "left")
    for run in runs:
        steps = run["step_records"]
        colour = {"succeeded": "green", "failed": "red"}.get(run["status"], "yellow")
        table.add_row(
            str(run["id"]),
            f"[{colour}]{run['status']}[/]",
            pd.Timestamp(run["started_at"]).strftime("%Y-%m-%d %H:%M"),
            f"{run['profile']} · {run['trigger']}",
            "\n".join(f"{s['name']:<10}{s['duration_s']:>7.2f}" for s in steps),
            f"{sum(s['duration_s'] for s in steps):.2f}",
        )
    return table


def print_frame(frame: pd.DataFrame, *, fmt: str, console: Console, title: str) -> None:
    """Print a frame as a rich table, CSV or JSON records (times in ISO 8601 UTC)."""
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
        console.file.write(buffer.getvalue())
        return
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))
        console.file.write(json.dumps(records, indent=2) + "\n")
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for column in frame.columns:
        numeric = frame[column].dtype.kind in "if"
        table.add_column(str(column), justify="right" if numeric else "left", no_wrap=True)
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    console.print(table)


def forecast_table(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` of a forecast frame, then one ``<level>%`` column of ``lo – hi`` text per
    interval level (instead of two numeric bounds), so a forecast and its bands fit a line."""
    out = frame[[c for c in columns if c in frame.columns]].copy()
    for level in interval_levels(frame.columns):
        lo, hi = frame[lo_column(level)], frame[hi_column(level)]
        out[f"{level}%"] = [
            "" if pd.isna(a) or pd.isna(b) else f"{_cell(float(a))} – {_cell(float(b))}"
            for a, b in zip(lo, hi, strict=True)
        ]
    return out


def _cell(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.4g}"
    return str(value)
