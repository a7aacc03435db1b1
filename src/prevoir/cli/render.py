"""Tables and formats the CLI prints; nothing here touches the store."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from prevoir.domain.columns import hi_column, interval_levels, lo_column
from prevoir.domain.records import ModelVersion, Run, StepRecord
from prevoir.domain.specs import PROMOTION_METRIC

if TYPE_CHECKING:
    from prevoir.workflows.forecasts import ForecastTrace
    from prevoir.workflows.models import VersionDetail


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


def runs_table(runs: Sequence[Run]) -> Table:
    """Recent runs, one block each, with the seconds of every step on its own line; runs
    still queued or running also show their owner (host, pid) and heartbeat age."""
    table = Table(title="recent runs (times UTC)", box=box.SIMPLE_HEAD, pad_edge=False)
    owners = any(run.is_open for run in runs)
    columns = ["run", "status", "started", "profile · via", "step seconds", "total"]
    for name in columns + (["owner · heartbeat"] if owners else []):
        table.add_column(name, no_wrap=True, justify="right" if name == "total" else "left")
    now = pd.Timestamp.now(tz="UTC")
    for run in runs:
        steps = run.step_records
        colour = {"succeeded": "green", "failed": "red", "abandoned": "red"}.get(
            run.status, "yellow"
        )
        cells = [
            str(run.id),
            f"[{colour}]{run.status}[/]",
            pd.Timestamp(run.started_at).strftime("%Y-%m-%d %H:%M"),
            f"{run.profile} · {run.trigger}",
            "\n".join(f"{s.name:<10}{s.duration_s:>7.2f}" for s in steps),
            f"{sum(s.duration_s for s in steps):.2f}",
        ]
        if owners:
            cells.append(_owner(run, now))
        table.add_row(*cells)
    return table


def _owner(run: Run, now: pd.Timestamp) -> str:
    if not run.is_open:
        return ""
    age = "no heartbeat"
    if run.heartbeat_at is not None:
        age = f"{(now - pd.Timestamp(run.heartbeat_at)).total_seconds():.0f} s ago"
    return f"{run.host or '?'} pid {run.pid if run.pid is not None else '?'} · {age}"


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
        numeric = frame[column].dtype.kind in "ifM"
        table.add_column(  # numbers and times never wrap; text folds when space is short
            str(column),
            justify="right" if numeric else "left",
            no_wrap=numeric,
            overflow="ellipsis" if numeric else "fold",
        )
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
        if pd.isna(value):
            return ""
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4g}"  # prices stay legible
    return str(value)


def versions_frame(versions: Sequence[ModelVersion], *, profile: str) -> pd.DataFrame:
    """One row per version (fits 80 columns); ``profile``'s aliases bare, others profile:alias.

    The score is the backtest metric that decides promotion for the version's task: MAE for
    regression, the Brier score for classification. ``prevoir models show`` has the rest.
    """
    metrics = [PROMOTION_METRIC.get(v.params.get("task", "regression"), "mae") for v in versions]
    one_metric = len(set(metrics)) == 1  # its name heads the column; else a column says which
    rows = []
    for v, metric in zip(versions, metrics, strict=True):
        others = [a for a in v.aliases if not a.startswith(f"{profile}:")]
        row = {
            "version": v.id,
            "forecaster": v.forecaster,
            "kind": v.kind,
            "trained to": pd.Timestamp(v.train_end),
            **({} if one_metric else {"metric": metric}),
            metric if one_metric else "score": v.metrics.get(metric),
            "aliases": ", ".join([*v.aliases_in(profile), *others]),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def version_text(detail: VersionDetail) -> str:
    """A version's metadata as aligned ``field  value`` lines; params, metrics and library
    versions as ``key = value`` lines; empty fields left out."""
    v, run = detail.version, detail.trained_by
    trained_by = None if run is None else f"{run.id} ({run.trigger}, {run.status})"
    fields: list[tuple[str, object]] = [
        ("id", v.id),
        ("forecaster", v.forecaster),
        ("profile", v.profile),
        ("kind", v.kind),
        ("aliases", ", ".join(v.aliases)),
        ("created_at", v.created_at),
        ("train_start", v.train_start),
        ("train_end", v.train_end),
        ("data_fingerprint", v.data_fingerprint),
        ("sha256", v.sha256),
        ("artifact_path", v.artifact_path),
        ("trained by run", trained_by),
        ("config_hash", None if run is None else run.config_hash),
        ("features", ", ".join(map(str, v.features or []))),
    ]
    lines = [f"{name:<17}{_plain(value)}" for name, value in fields if _plain(value)]
    for group, values in (
        ("params", v.params),
        ("metrics", v.metrics),
        ("library_versions", v.library_versions),
    ):
        shown = {k: x for k, x in sorted(values.items()) if _plain(x)}
        if shown:
            lines.append(f"{group}:")
            lines += [f"  {key} = {_plain(value)}" for key, value in shown.items()]
    return "\n".join(lines)


def version_json(detail: VersionDetail) -> str:
    """The version and the run that trained it as JSON (times ISO 8601)."""
    data = asdict(detail.version) | {
        "trained_by": None if detail.trained_by is None else asdict(detail.trained_by)
    }
    return json.dumps(data, indent=2, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _plain(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(_plain, value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    return "" if value is None else str(value)


def trace_text(found: ForecastTrace) -> str:
    """The chain forecast → version → training run → issuing run, one block each."""
    f, v = found.forecast, found.version
    lines = [
        f"forecast         {f['forecaster']} · {f['unique_id']} · origin "
        f"{_plain(f['origin'])} · step {f['step']} → ds {_plain(f['ds'])}",
        f"  yhat           {_plain(f['yhat'])}   issued {_plain(f['issued_at'])}",
    ]
    if v is None:
        lines.append("version          none recorded (written outside a trained version)")
    else:
        refit = f.get("refit_at")
        made_by = (
            f"version {v.id} itself"
            if refit is None or pd.isna(refit)
            else f"a catch-up refit of version {v.id}'s spec on the data up to "
            f"{_plain(refit)} (ephemeral: not stored as a version)"
        )
        lines += [
            f"made by          {made_by}",
            f"version          {v.id} ({v.kind}, profile {v.profile})",
            f"  trained on     {_plain(v.train_start)} … {_plain(v.train_end)}",
            f"  data           {v.data_fingerprint}",
            f"  artifact       {v.sha256}",
            f"  metrics        {_plain(v.metrics)}",
        ]
    for label, run in (("trained by run", found.trained_by), ("issued by run", found.issued_by)):
        if run is not None:
            lines.append(
                f"{label:<17}{run.id} ({run.trigger}, {run.status}, started "
                f"{_plain(run.started_at)}) config {run.config_hash}"
            )
    return "\n".join(lines)
