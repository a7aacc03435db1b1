"""What the dashboard shows, read from the open project's store.

Only the selected series' data is read: its actuals over a window before the latest forecast
origin, that origin's forecast path with its interval bands, and the forecasts issued ``h``
steps ahead over the same window. A forecaster coarser than its dataset is compared with
the same complete buckets its models are trained on (``prevoir.features.resample``).
The chart data is columnar (one shared time axis in epoch seconds, ``None`` for gaps), the
shape uPlot draws without any reshaping in the browser.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, hi_column, lo_column
from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.records import Run
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import DataValidationError, NotFoundError
from prevoir.features.resample import resample
from prevoir.storage.forecasts import read_forecasts
from prevoir.storage.observations import (
    last_observation_times,
    read_observations,
)
from prevoir.storage.series_summary import series_page
from prevoir.workflows.project import Project
from prevoir.workflows.runs import recent_runs

__all__ = [
    "WINDOWS",
    "chart_data",
    "forecaster_series",
    "model_versions",
    "resolve_spec",
    "run_history",
    "window_label",
]

EPOCH = pd.Timestamp(0, tz="UTC")
WINDOWS = (2, 7, 28)  # history shown, in multiples of the forecaster's longest horizon
METRIC_ORDER = ("mae", "rmse", "smape", "mase", "n")
MAX_METRICS = 8


def window_label(spec: ForecasterSpec, window: int) -> str:
    """``window`` longest-horizons of ``spec`` as a duration: ``7 days``, ``36 hours``."""
    span = pd.Timedelta(freq_to_ns(spec.freq) * spec.max_horizon * window, unit="ns")
    if span % pd.Timedelta(days=1) == pd.Timedelta(0):
        days = span // pd.Timedelta(days=1)
        return f"{days} day{'s' if days != 1 else ''}"
    hours = span / pd.Timedelta(hours=1)
    return f"{hours:g} hours"


def resolve_spec(project: Project, forecaster: str | None) -> ForecasterSpec | None:
    """The spec of ``forecaster`` (default: the first configured one); None if none exist."""
    if forecaster is None:
        if not project.settings.forecasters:
            return None
        forecaster = next(iter(project.settings.forecasters))
    return project.forecaster(forecaster)


def forecaster_series(
    project: Project, spec: ForecasterSpec, *, q: str | None = None, limit: int = 200
) -> tuple[list[str], int]:
    """The first ``limit`` series of ``spec``'s dataset that hold its target (or its
    declared subset), containing ``q`` when given, and how many match: the picker shows a
    page and searches on the server (the series summary, never the observations)."""
    if spec.series:
        wanted = [uid for uid in sorted(spec.series) if not q or q.casefold() in uid.casefold()]
        with project.store.read() as conn:
            page = series_page(conn, dataset=spec.dataset, variable=spec.target, limit=10**9)
        stored = set(page.rows[UNIQUE_ID].astype(str))
        ids = [uid for uid in wanted if uid in stored]
        return ids[:limit], len(ids)
    with project.store.read() as conn:
        page = series_page(conn, dataset=spec.dataset, variable=spec.target, q=q, limit=limit)
    return list(page.rows[UNIQUE_ID].astype(str)), page.total


def _latest_path(conn: Connection, spec: ForecasterSpec, unique_id: str) -> pd.DataFrame:
    """The forecast rows of the newest origin of ``unique_id`` (empty if none)."""
    newest = read_forecasts(
        conn, forecaster=spec.name, series=[unique_id], limit=len(spec.horizons)
    )
    if newest.empty:
        return newest
    return newest[newest[ORIGIN] == newest[ORIGIN].max()].reset_index(drop=True)


def _actuals(
    conn: Connection, spec: ForecasterSpec, unique_id: str, start: datetime | None
) -> pd.DataFrame:
    """``ds, <target>`` of the series from ``start``, in the forecaster's buckets."""
    frame = read_observations(
        conn, spec.dataset, variables=[spec.target], series=[unique_id], start=start
    )
    if spec.resample is not None and not frame.empty:
        frame = resample(frame, spec.resample, columns=[spec.target])
    return frame[[DS, spec.target]]


def _seconds(times: pd.Series) -> np.ndarray:
    """Epoch seconds of tz-aware times, whatever their resolution."""
    return np.asarray((times - EPOCH) // pd.Timedelta(seconds=1), dtype=np.int64)


def _column(index: pd.Index, times: pd.Series, values: pd.Series) -> list[float | None]:
    """``values`` placed on the shared time axis ``index``; None where absent or NaN."""
    placed = pd.Series(np.asarray(values, dtype=np.float64), index=_seconds(times))
    placed = placed[~placed.index.duplicated(keep="last")].reindex(index)
    return [None if math.isnan(v) else float(v) for v in placed.to_numpy()]


def _levels(frame: pd.DataFrame) -> list[int]:
    return sorted(
        int(c.removeprefix("yhat_lo_"))
        for c in frame.columns
        if c.startswith("yhat_lo_") and frame[c].notna().any()
    )


def chart_data(
    project: Project,
    spec: ForecasterSpec,
    unique_id: str,
    *,
    horizon: int | None = None,
    window: int = WINDOWS[1],
) -> dict[str, Any]:
    """Actuals, the latest forecast path with bands and the ``horizon``-step forecasts over
    the last ``window`` longest-horizons before the latest origin, as uPlot columns."""
    horizon = spec.horizons[0] if horizon is None else horizon
    if horizon not in spec.horizons:
        raise DataValidationError(
            f"horizon {horizon} is not one of {spec.name!r}'s horizons {list(spec.horizons)}"
        )
    if window not in WINDOWS:
        raise DataValidationError(f"window {window} is not one of {list(WINDOWS)}")
    with project.store.read() as conn:
        frames = _chart_frames(conn, spec, unique_id, horizon=horizon, window=window)
    return _columns(spec, unique_id, horizon=horizon, window=window, frames=frames)


def _chart_frames(
    conn: Connection, spec: ForecasterSpec, unique_id: str, *, horizon: int, window: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Actuals, the latest forecast path and the ``horizon``-step forecasts of the window."""
    latest = _latest_path(conn, spec, unique_id)
    span = pd.Timedelta(freq_to_ns(spec.freq) * spec.max_horizon * window, unit="ns")
    if latest.empty:  # nothing forecast yet: the window ends at the newest actual
        newest = last_observation_times(conn, spec.dataset, spec.target).get(unique_id)
        margin = pd.Timedelta(2 * freq_to_ns(spec.freq), unit="ns")  # whole (DST-long) buckets
        since = None if newest is None else (newest - span - margin).to_pydatetime()
        actuals = _actuals(conn, spec, unique_id, since)
        if not actuals.empty:
            actuals = actuals[actuals[DS] >= actuals[DS].max() - span]
        start = None if actuals.empty else actuals[DS].min().to_pydatetime()
    else:
        start = (latest[ORIGIN].iloc[0] - span).to_pydatetime()
        actuals = _actuals(conn, spec, unique_id, start)
    past = read_forecasts(conn, forecaster=spec.name, series=[unique_id], start=start)
    return actuals, latest, past[past[STEP] == horizon]


def _columns(
    spec: ForecasterSpec,
    unique_id: str,
    *,
    horizon: int,
    window: int,
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> dict[str, Any]:
    """The chart's columns on one time axis, plus what the page says about them."""
    actuals, latest, past = frames
    classification = spec.task == "classification"
    if classification:  # yhat is a probability: the target's scale does not compare
        actuals = actuals.iloc[0:0]
    axis = np.unique(np.concatenate([_seconds(f[DS]) for f in (actuals, latest, past)]))
    if not len(axis):
        raise NotFoundError(
            f"series {unique_id!r} of forecaster {spec.name!r} has neither observations of "
            f"{spec.target!r} nor forecasts"
        )
    index = pd.Index(axis)
    series: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []

    def add(key: str, label: str, frame: pd.DataFrame, column: str) -> None:
        series.append(
            {"key": key, "label": label, "values": _column(index, frame[DS], frame[column])}
        )

    if not classification:
        add("actual", "actual", actuals, spec.target)
    origin = None if latest.empty else latest[ORIGIN].iloc[0]
    if origin is not None:
        levels = _levels(latest)
        shown = f" ({'/'.join(map(str, levels))}% bands)" if levels else ""
        add("latest", f"forecast from {origin:%Y-%m-%d %H:%M}{shown}", latest, YHAT)
        for level in reversed(levels):
            add(f"latest_lo_{level}", f"{level}% low", latest, lo_column(level))
            add(f"latest_hi_{level}", f"{level}% high", latest, hi_column(level))
            bands.append({"lo": f"latest_lo_{level}", "hi": f"latest_hi_{level}", "level": level})
    add("past", f"{horizon}-step-ahead forecasts", past, YHAT)
    past_levels = _levels(past)
    if past_levels:
        widest = past_levels[-1]
        series[-1]["label"] += f" ({widest}% band)"
        add("past_lo", f"{horizon}-step {widest}% low", past, lo_column(widest))
        add("past_hi", f"{horizon}-step {widest}% high", past, hi_column(widest))
        bands.append({"lo": "past_lo", "hi": "past_hi", "level": widest})
    return {
        "forecaster": spec.name,
        "unique_id": unique_id,
        "target": spec.target,
        "task": spec.task,
        "freq": spec.freq,
        "horizon": horizon,
        "horizons": list(spec.horizons),
        "window": window,
        "windows": [{"value": w, "label": window_label(spec, w)} for w in WINDOWS],
        "origin": None if origin is None else origin.isoformat(),
        "model_version": _version_of(latest),
        "x": [int(t) for t in axis],
        "series": series,
        "bands": bands,
        "accuracy": None if classification else _accuracy(actuals, past, spec.target),
    }


def _version_of(latest: pd.DataFrame) -> int | None:
    if latest.empty or pd.isna(latest["model_version_id"].iloc[0]):
        return None
    return int(latest["model_version_id"].iloc[0])


def _accuracy(actuals: pd.DataFrame, past: pd.DataFrame, target: str) -> dict[str, Any] | None:
    """MAE of the shown h-step forecasts against the actuals at the same times."""
    joined = past[[DS, YHAT]].merge(actuals, on=DS, how="inner").dropna()
    if joined.empty:
        return None
    return {"mae": float((joined[YHAT] - joined[target]).abs().mean()), "n": len(joined)}


def model_versions(project: Project, spec: ForecasterSpec, *, limit: int = 20) -> dict[str, Any]:
    """The forecaster's newest versions with their metrics and this profile's aliases."""
    newest = project.registry().versions(spec.name)[::-1][:limit]
    versions = [
        {
            "id": v.id,
            "kind": v.kind,
            "profile": v.profile,
            "created_at": v.created_at,
            "train_start": v.train_start,
            "train_end": v.train_end,
            "run_id": v.run_id,
            "aliases": list(v.aliases_in(project.profile)),
            "metrics": {k: m for k, m in v.metrics.items() if _is_number(m)},
        }
        for v in newest
    ]
    return {"versions": versions, "metric_names": _metric_names(versions)}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _metric_names(versions: list[dict[str, Any]]) -> list[str]:
    names = {k for v in versions for k in v["metrics"]}
    ordered = [m for m in METRIC_ORDER if m in names]
    ordered += sorted(n for n in names if n not in METRIC_ORDER and n.startswith("coverage"))
    return ordered[:MAX_METRICS]


def run_history(project: Project, *, limit: int = 10) -> list[Run]:
    """The newest runs with their steps' timings (the page shows status, time, rows)."""
    return recent_runs(project, limit=limit)
