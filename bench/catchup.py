"""Catch-up on M4 Hourly: forecasts at each of the last 168 hourly origins, h = 1 and h = 24.

prevoir runs its real user path (a project folder, a SQLite store, `run_pipeline`): the
history up to the first origin is ingested and trained on (set-up, timed apart), the next
167 hours are ingested, then the predict step forecasts all 168 origins and writes them to
the store; once with refit ``never`` and once with ``every = 24`` (a copy of the same store,
same champion); then all of that again with ``model.params.per_step = true`` (one LightGBM
per horizon step, as the peers below fit; rows labelled ``per-step``). The peers, in the
same process, on the same data and features:

- Darts ``historical_forecasts`` of a global ``LightGBMModel`` with ``retrain=False``;
- Darts per-series ``LightGBMModel`` with ``retrain=True`` (refit at every origin, the
  classic approach), timed on a subset of series and origins and extrapolated;
- mlforecast ``cross_validation`` with ``refit=False`` and ``refit=True``.

Every tool uses the same LightGBM parameters on 2 threads. MASE (m = 24) per series and
horizon is the mean |error| over the origins divided by the mean |y_t - y_{t-24}| of the
series up to and including the first origin; the table gives its mean over the series.

    python bench/catchup.py            # 414 series x 168 origins
    python bench/catchup.py --quick    # 4 series x 48 origins (~25 s of CPU)
"""

from __future__ import annotations

import os

THREADS = 2  # every library is pinned to the same thread count (the machine's 2 cores)
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, str(THREADS))
# OpenMP threads that spin while they wait make a 2-thread LightGBM fit ~13x slower when
# other processes share the 2 cores (measured: 17.9 s vs 1.3 s); every library here uses
# the same libgomp, so this treats all tools alike. Must be set before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tomli_w  # noqa: E402

from m4 import load, long_frame  # noqa: E402
from prevoir.config import Settings, load_settings  # noqa: E402
from prevoir.workflows import open_project, run_pipeline, stored_forecasts  # noqa: E402

HOUR = pd.Timedelta(hours=1)
M = 24  # MASE seasonality
HORIZONS = (1, 24)
# the last origin sits at 23:00 so the 24-hour refit windows (epoch-anchored) are whole days
END = pd.Timestamp("2000-02-11 23:00", tz="UTC")
LAGS = (1, 2, 3, 24, 48, 168)
ROLLING = (24, 168)
CALENDAR = ("hour", "dayofweek")
LGBM: dict[str, Any] = {
    "n_estimators": 100,
    "learning_rate": 0.1,
    "num_leaves": 63,
    "min_child_samples": 20,
    "n_jobs": THREADS,
    "random_state": 0,
    "verbose": -1,
}
SETUP = ["extract", "transform", "load", "features", "train", "evaluate"]
INGEST = ["extract", "transform", "load"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Case:
    """The benchmark's size: series and origins, and the subsets the refit-every-origin
    methods run on (their time is extrapolated linearly to every series and origin)."""

    series: int | None
    origins: int
    refit_windows: int  # mlforecast refit=True: the newest windows (origins) only
    classic_series: int  # Darts per-series retrain=True: these series ...
    classic_origins: int  # ... at these newest origins


FULL = Case(series=None, origins=168, refit_windows=24, classic_series=2, classic_origins=6)
QUICK = Case(series=4, origins=48, refit_windows=2, classic_series=1, classic_origins=1)


@dataclass
class Row:
    """One line of the table: seconds (compute, set-up) and forecasts ``unique_id, origin,
    step, yhat`` (None when the method only ran on a subset)."""

    name: str
    seconds: float
    setup: float = float("nan")
    forecasts: pd.DataFrame | None = None
    note: str = ""
    origins: int = 0  # the newest origins the forecasts cover; 0: every origin
    mase: dict[int, float] = field(default_factory=dict)

    def mean_mase(self) -> float:
        """MASE averaged over the two horizons."""
        return float(np.mean(list(self.mase.values())))


@contextmanager
def stopwatch(out: list[float]) -> Iterator[None]:
    """Append the seconds the block took to ``out``."""
    t0 = time.perf_counter()
    yield
    out.append(time.perf_counter() - t0)


# -- data --------------------------------------------------------------------------------


def panel(case: Case) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """M4 Hourly train + test per series as ``unique_id, ds, y`` (every series ending at
    ``END``), and the origins: the last ``case.origins`` hours whose h = 24 target exists."""
    ids, train, test = load(case.series)
    full = [np.concatenate([x, t]) for x, t in zip(train, test, strict=True)]
    frame = long_frame(ids, full)
    frame["ds"] += END - frame["ds"].max()
    last = END - max(HORIZONS) * HOUR
    origins = pd.date_range(end=last, periods=case.origins, freq="h")
    return frame, origins


def mase_scales(frame: pd.DataFrame, first_origin: pd.Timestamp) -> pd.Series:
    """Per series: mean |y_t - y_{t-24}| over the history up to and including the first
    origin, the in-sample part every method trains on."""
    past = frame[frame["ds"] <= first_origin]
    diff = past.groupby("unique_id", sort=False)["y"].diff(M).abs()
    return diff.groupby(past["unique_id"], sort=False).mean()


def score(forecasts: pd.DataFrame, frame: pd.DataFrame, scales: pd.Series) -> dict[int, float]:
    """MASE per horizon: per series mean |error| over the origins / scale, mean over series."""
    actual = frame.set_index(["unique_id", "ds"])["y"]
    ds = forecasts["origin"] + forecasts["step"] * HOUR
    keys = pd.MultiIndex.from_arrays([forecasts["unique_id"], ds])
    error = (forecasts["yhat"].to_numpy() - actual.reindex(keys).to_numpy()).__abs__()
    errors = forecasts[["unique_id", "step"]].assign(error=error)
    per_series = errors.groupby(["step", "unique_id"])["error"].mean()
    scaled = per_series / scales.reindex(per_series.index.get_level_values("unique_id")).values
    means = scaled.groupby(level="step").mean()
    return {int(h): float(v) for h, v in zip(means.index.tolist(), means.tolist(), strict=True)}


def seasonal_naive(frame: pd.DataFrame, origins: pd.DatetimeIndex) -> Row:
    """The reference: y of the same hour one day before the target, known at the origin."""
    values = frame.set_index(["unique_id", "ds"])["y"]
    ids = frame["unique_id"].unique()
    parts = []
    for step in HORIZONS:
        grid = pd.MultiIndex.from_product([ids, origins], names=["unique_id", "origin"])
        keys = pd.MultiIndex.from_arrays(
            [grid.get_level_values(0), grid.get_level_values(1) + (step - M) * HOUR]
        )
        part = grid.to_frame(index=False).assign(step=step)
        parts.append(part.assign(yhat=values.reindex(keys).to_numpy()))
    forecasts = pd.concat(parts, ignore_index=True)
    return Row("seasonal naive m=24 (reference)", float("nan"), forecasts=forecasts)


def check_complete(
    name: str, forecasts: pd.DataFrame, n_series: int, origins: pd.DatetimeIndex
) -> None:
    """Every method must give one forecast per series, origin and horizon, and no NaN."""
    expected = n_series * len(origins) * len(HORIZONS)
    if (
        len(forecasts) != expected
        or forecasts["yhat"].isna().any()
        or not forecasts["origin"].isin(origins).all()
    ):
        raise SystemExit(
            f"{name}: {len(forecasts)} forecasts ({forecasts['yhat'].isna().sum()} NaN), "
            f"expected {expected} (series x origins x horizons)"
        )


# -- prevoir -----------------------------------------------------------------------------


def project_config(n_origins: int, *, per_step: bool = False) -> dict[str, Any]:
    """prevoir.toml of the benchmark project: one dataset, one LightGBM forecaster (one
    estimator per horizon step with ``per_step``)."""
    params = LGBM | {"per_step": True} if per_step else LGBM
    return {
        "store": {"url": "sqlite:///store.db"},
        "datasets": {
            "m4": {
                "source": {"kind": "csv", "path": "data/m4.csv"},
                "time": {"column": "ds", "unit": "s"},
                "keys": ["unique_id"],
                "values": ["y"],
                "freq": "h",
            }
        },
        "forecasters": {
            "m4": {
                "dataset": "m4",
                "target": "y",
                "horizons": list(HORIZONS),
                "model": {"kind": "lightgbm", "params": params},
                "features": {
                    "lags": list(LAGS),
                    "rolling": list(ROLLING),
                    "calendar": list(CALENDAR),
                },
                "catchup": {"max_catchup": n_origins, "initial_origins": n_origins},
                "backtest": {"folds": 1, "step": 24, "sample_series": 1},
            }
        },
    }


def write_csv(frame: pd.DataFrame, until: pd.Timestamp, path: Path) -> None:
    """The observations up to ``until``: what the source holds at that hour."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = frame[frame["ds"] <= until]
    seconds = rows["ds"].dt.as_unit("s").astype("int64")  # Unix seconds, as exporters write
    rows.assign(ds=seconds).to_csv(path, index=False)


def run_steps(settings: Settings, steps: list[str]) -> dict[str, float]:
    """Seconds per step of one pipeline run; stops the benchmark if the run fails."""
    with open_project(settings, migrate=True) as project:
        summary = run_pipeline(project, steps=steps)
    if summary.status != "succeeded":
        raise SystemExit(f"prevoir {steps} failed: {summary.error}")
    return {record.name: record.duration_s for record in summary.steps}


def store_settings(project: Path, url: str, refit: str) -> Settings:
    """The project's settings on store ``url`` with catch-up refit policy ``refit``."""
    catchup = {"refit": refit, "refit_every": 24}
    overrides = {"store": {"url": url}, "forecasters": {"m4": {"catchup": catchup}}}
    return load_settings(project, overrides=overrides)


def set_up(
    project: Path,
    url: str,
    frame: pd.DataFrame,
    origins: pd.DatetimeIndex,
    *,
    per_step: bool = False,
) -> dict[str, float]:
    """A project on store ``url`` trained on the history up to the first origin, then fed
    the hours up to the last origin: the state a catch-up starts from. Seconds per step."""
    project.mkdir()
    config = project_config(len(origins), per_step=per_step)
    (project / "prevoir.toml").write_text(tomli_w.dumps(config))
    csv = project / "data" / "m4.csv"
    write_csv(frame, origins[0], csv)
    setup = run_steps(store_settings(project, url, "never"), SETUP)
    write_csv(frame, origins[-1], csv)  # the hours that arrived since training
    ingest = run_steps(store_settings(project, url, "never"), INGEST)
    print(
        f"prevoir set-up on {url.split(':')[0]}: ingest+features+train+evaluate "
        f"{sum(setup.values()):.1f}s (train {setup['train']:.1f}s), ingest of the new hours "
        f"{sum(ingest.values()):.1f}s"
    )
    return setup


def catch_up(project: Path, url: str, refit: str, label: str, train_s: float) -> Row:
    """Time the predict step (planning, reading the store, features, predictions, writes)
    and read the forecasts back from the store."""
    settings = store_settings(project, url, refit)
    wall: list[float] = []
    with stopwatch(wall):
        steps = run_steps(settings, ["predict"])
    with open_project(settings) as project:
        stored = stored_forecasts(project, forecaster="m4")
    return Row(
        f"prevoir catch-up, {label}",
        steps["predict"],
        setup=train_s,
        forecasts=stored[["unique_id", "origin", "step", "yhat"]],
        note=f"predict step incl. store writes (run wall {wall[0]:.1f}s)",
    )


def run_prevoir(
    frame: pd.DataFrame, origins: pd.DatetimeIndex, folder: Path, *, per_step: bool = False
) -> list[Row]:
    """SQLite: one set-up, then the catch-up with refit ``never`` and ``every = 24`` on two
    copies of the same store (same champion, same observations). ``per_step``: one LightGBM
    per horizon step (``model.params.per_step = true``), rows labelled ``per-step``."""
    project = folder / ("prevoir-per-step" if per_step else "prevoir")
    url = f"sqlite:///{project / 'store.db'}"
    train_s = set_up(project, url, frame, origins, per_step=per_step)["train"]
    shutil.copy(project / "store.db", project / "store-every.db")
    every_url = f"sqlite:///{project / 'store-every.db'}"
    tag = "per-step, " if per_step else ""
    return [
        catch_up(project, url, "never", f"{tag}refit never", train_s),
        catch_up(project, every_url, "every", f"{tag}refit every 24", train_s),
    ]


def run_prevoir_pg(frame: pd.DataFrame, origins: pd.DatetimeIndex, folder: Path) -> list[Row]:
    """PostgreSQL (``PREVOIR_TEST_PG_URL``, default the local server): refit ``never`` in a
    schema of its own, dropped afterwards; no row when the server cannot be reached."""
    import sqlalchemy as sa

    admin = os.environ.get("PREVOIR_TEST_PG_URL", PG_URL)
    schema = f"prevoir_bench_catchup_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL at {admin} unreachable, its row is skipped: {exc.orig}")
        return []
    url = sa.make_url(admin).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        project = folder / "prevoir-pg"
        pg_url = url.render_as_string(hide_password=False)
        train_s = set_up(project, pg_url, frame, origins)["train"]
        row = catch_up(project, pg_url, "never", "refit never, PostgreSQL", train_s)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()
    return [row]


# -- peers -------------------------------------------------------------------------------


def naive(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps without a zone: what the peers' frequency handling expects."""
    return frame.assign(ds=frame["ds"].dt.tz_localize(None))


def mlforecast_cv(frame: pd.DataFrame, n_windows: int, n_origins: int, *, refit: bool) -> Row:
    """mlforecast ``cross_validation``: one window per origin (h = 24, step 1), models for
    horizons 1 and 24 only, features from the same lags, windows and calendar. Run on the
    newest ``n_windows`` origins; the time is extrapolated to ``n_origins``."""
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, RollingStd
    from mlforecast.target_transforms import LocalStandardScaler

    rolling: list[Any] = [t(window_size=w) for w in ROLLING for t in (RollingMean, RollingStd)]
    fcst = MLForecast(
        models={"lgbm": LGBMRegressor(**LGBM)},
        freq="h",
        lags=list(LAGS),
        lag_transforms={1: rolling},
        date_features=list(CALENDAR),
        target_transforms=[LocalStandardScaler()],
        num_threads=THREADS,
    )
    seconds: list[float] = []
    with stopwatch(seconds):
        cv = fcst.cross_validation(
            naive(frame),
            n_windows=n_windows,
            h=max(HORIZONS),
            step_size=1,
            refit=refit,
            horizons=list(HORIZONS),
        )
    step = ((cv["ds"] - cv["cutoff"]) / HOUR).astype(int)
    forecasts = pd.DataFrame(
        {
            "unique_id": cv["unique_id"],
            "origin": cv["cutoff"].dt.tz_localize("UTC"),
            "step": step,
            "yhat": cv["lgbm"],
        }
    )
    label = "refit=True" if refit else "refit=False"
    fits = n_windows if refit else 1
    note = f"{fits} fit(s) x {len(HORIZONS)} horizon models, included"
    if n_windows != n_origins:
        note = (
            f"EXTRAPOLATED x{n_origins / n_windows:.0f} from {seconds[0]:.1f}s on the newest "
            f"{n_windows} origins ({note}); MASE on those origins"
        )
    return Row(
        f"mlforecast cross_validation {label}",
        seconds[0] * n_origins / n_windows,
        forecasts=forecasts[forecasts["step"].isin(HORIZONS)],
        note=note,
        origins=n_windows,
    )


def darts_series(frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """Darts target series and past covariates (rolling mean/std ending at each time)."""
    from darts import TimeSeries

    data = naive(frame)
    by_id = data.groupby("unique_id", sort=False)["y"]
    for w in ROLLING:
        data[f"mean_{w}"] = by_id.transform(lambda y, w=w: y.rolling(w, min_periods=1).mean())
        data[f"std_{w}"] = by_id.transform(lambda y, w=w: y.rolling(w, min_periods=2).std())
    data = data.fillna(0.0)
    covariates = [c for c in data.columns if c.startswith(("mean_", "std_"))]
    kwargs = {"group_cols": "unique_id", "time_col": "ds", "freq": "h"}
    targets = TimeSeries.from_group_dataframe(data, value_cols="y", **kwargs)
    past = TimeSeries.from_group_dataframe(data, value_cols=covariates, **kwargs)
    return targets, past


def darts_model(step: int) -> Any:
    """A Darts LightGBM forecasting exactly ``step`` hours ahead (one output, shifted)."""
    from darts.models import LightGBMModel

    return LightGBMModel(
        lags=[-k for k in LAGS],
        lags_past_covariates=[-1],
        lags_future_covariates=[0],
        output_chunk_length=1,
        output_chunk_shift=step - 1,
        add_encoders={"datetime_attribute": {"future": list(CALENDAR)}},
        use_static_covariates=False,  # the id is no feature in any tool
        **LGBM,
    )


def hourly_forecasts(
    model: Any, series: Any, past: Any, first: pd.Timestamp, *, retrain: bool
) -> Any:
    """``historical_forecasts`` from every hour from ``first`` on, one point each."""
    return model.historical_forecasts(
        series,
        past_covariates=past,
        start=first + HOUR,  # the origin's next hour; the model's shift adds the rest
        forecast_horizon=1,
        stride=1,
        retrain=retrain,
        last_points_only=True,
        show_warnings=False,
    )


def darts_frame(outputs: list[Any], ids: list[str], step: int) -> pd.DataFrame:
    """Darts forecasts (one TimeSeries per series) as ``unique_id, origin, step, yhat``."""
    parts = []
    for uid, out in zip(ids, outputs, strict=True):
        values = out.to_series() if hasattr(out, "to_series") else out.pd_series()
        origin = (values.index - step * HOUR).tz_localize("UTC")
        parts.append(pd.DataFrame({"unique_id": uid, "origin": origin, "step": step}))
        parts[-1]["yhat"] = values.to_numpy(float)
    return pd.concat(parts, ignore_index=True)


def darts_global(frame: pd.DataFrame, origins: pd.DatetimeIndex) -> Row:
    """Global LightGBM per horizon, fitted once on every series up to the first origin,
    then ``retrain=False`` at every origin. The target is standardised per series with the
    mean and std up to the first origin (as mlforecast's ``LocalStandardScaler``), and the
    rolling covariates are computed from the standardised target, so every input of the
    global model is on one scale."""
    first_utc = origins[0]
    stats = frame[frame["ds"] <= first_utc].groupby("unique_id")["y"].agg(["mean", "std"])
    mean, std = frame["unique_id"].map(stats["mean"]), frame["unique_id"].map(stats["std"])
    scaled_frame = frame.assign(y=(frame["y"] - mean) / std)
    scaled, past_scaled = darts_series(scaled_frame)
    ids = [str(s.static_covariates["unique_id"].iloc[0]) for s in scaled]
    first = first_utc.tz_localize(None)
    fit_seconds: list[float] = []
    forecast_seconds: list[float] = []
    parts = []
    for step in HORIZONS:
        model = darts_model(step)
        with stopwatch(fit_seconds):
            model.fit(
                [s.drop_after(first + HOUR) for s in scaled],
                past_covariates=past_scaled,
            )
        with stopwatch(forecast_seconds):
            out = hourly_forecasts(model, scaled, past_scaled, first, retrain=False)
        parts.append(darts_frame(out, ids, step))
    forecasts = pd.concat(parts, ignore_index=True)
    forecasts = forecasts[forecasts["origin"].isin(origins)]
    uid = forecasts["unique_id"]
    forecasts["yhat"] = forecasts["yhat"] * uid.map(stats["std"]) + uid.map(stats["mean"])
    return Row(
        "darts historical_forecasts global retrain=False",
        sum(forecast_seconds),
        setup=sum(fit_seconds),
        forecasts=forecasts,
        note=f"{len(HORIZONS)} models (one per horizon), fit apart",
    )


def darts_classic(frame: pd.DataFrame, origins: pd.DatetimeIndex, case: Case) -> Row:
    """Per-series LightGBM refitted at every origin (``retrain=True``): timed on
    ``case.classic_series`` series x the last ``case.classic_origins`` origins, then
    extrapolated linearly to every series and origin."""
    targets, past = darts_series(frame)
    subset = slice(0, case.classic_series)
    first = origins[-case.classic_origins].tz_localize(None)
    seconds: list[float] = []
    with stopwatch(seconds):
        for step in HORIZONS:
            for series, covariates in zip(targets[subset], past[subset], strict=True):
                hourly_forecasts(darts_model(step), series, covariates, first, retrain=True)
    measured = seconds[0]
    factor = (len(targets) / case.classic_series) * (len(origins) / case.classic_origins)
    return Row(
        "darts per-series retrain=True (classic)",
        measured * factor,
        note=(
            f"EXTRAPOLATED x{factor:.0f} from {measured:.1f}s on {case.classic_series} "
            f"series x {case.classic_origins} origins"
        ),
    )


def first_run(frame: pd.DataFrame, origins: pd.DatetimeIndex) -> dict[str, float]:
    """Import + first call of each peer on 2 series x 2 origins: any one-off cost (imports,
    JIT compilation) paid by a fresh process, reported apart from the timed runs."""
    small = frame[frame["unique_id"].isin(frame["unique_id"].unique()[:2])]
    out: dict[str, float] = {}
    seconds: list[float] = []
    with stopwatch(seconds):
        mlforecast_cv(small, 2, 2, refit=False)
    out["mlforecast"] = seconds[-1]
    with stopwatch(seconds):
        darts_global(small, origins[-2:])
    out["darts"] = seconds[-1]
    out["numba_loaded"] = float("numba" in sys.modules)
    return out


# -- report ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 series x 48 origins")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    case = QUICK if args.quick else FULL
    warnings.filterwarnings("ignore", category=FutureWarning)
    frame, origins = panel(case)
    n_series = frame["unique_id"].nunique()
    print(
        f"M4 Hourly catch-up: {n_series} series x {len(origins)} origins x h {HORIZONS}; "
        f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
        f"{THREADS} threads per library"
    )
    warm = first_run(frame, origins)
    print(
        f"first run (imports + first call, 2 series x 2 origins): mlforecast "
        f"{warm['mlforecast']:.1f}s, darts {warm['darts']:.1f}s; numba loaded: "
        f"{bool(warm['numba_loaded'])}"
    )
    runners: list[Callable[[], Row | list[Row]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        runners = [
            lambda: run_prevoir(frame, origins, Path(tmp)),
            lambda: run_prevoir(frame, origins, Path(tmp), per_step=True),
            lambda: run_prevoir_pg(frame, origins, Path(tmp)),
            lambda: darts_global(frame, origins),
            lambda: mlforecast_cv(frame, len(origins), len(origins), refit=False),
            lambda: mlforecast_cv(frame, case.refit_windows, len(origins), refit=True),
            lambda: darts_classic(frame, origins, case),
        ]
        rows: list[Row] = [seasonal_naive(frame, origins)]
        for runner in runners:
            result = runner()
            rows += result if isinstance(result, list) else [result]
    scales = mase_scales(frame, origins[0])
    for row in rows:
        if row.forecasts is not None:
            covered = origins[-row.origins :] if row.origins else origins
            check_complete(row.name, row.forecasts, n_series, covered)
            row.mase = score(row.forecasts, frame, scales)
    newest = origins[-case.refit_windows :]
    for row in [r for r in rows if r.name.startswith("prevoir") and "PostgreSQL" not in r.name]:
        assert row.forecasts is not None  # prevoir again, on mlforecast refit=True's origins
        subset = row.forecasts[row.forecasts["origin"].isin(newest)]
        rows.append(Row(f"{row.name} (newest {len(newest)})", float("nan"), forecasts=subset))
        rows[-1].mase = score(subset, frame, scales)
    report(rows, n_series, len(origins), len(newest))


def report(rows: list[Row], n_series: int, n_origins: int, n_newest: int) -> None:
    """The table, the three aims as ratios, and the RESULT line."""
    print(f"{'method':<50}{'seconds':>10}{'set-up s':>10}{'MASE h1':>9}{'MASE h24':>9}  note")
    for row in rows:
        h1, h24 = (row.mase.get(h, float("nan")) for h in HORIZONS)
        print(
            f"{row.name:<50}{row.seconds:>10.2f}{row.setup:>10.2f}{h1:>9.3f}{h24:>9.3f}  {row.note}"
        )
    by = {row.name: row for row in rows}
    never = by["prevoir catch-up, refit never"]
    every = by["prevoir catch-up, refit every 24"]
    classic = by["darts per-series retrain=True (classic)"]
    ml_refit = by["mlforecast cross_validation refit=True"]
    never_newest = by[f"{never.name} (newest {n_newest})"]
    every_newest = by[f"{every.name} (newest {n_newest})"]
    per_step = by["prevoir catch-up, per-step, refit never"]
    per_step_newest = by[f"{per_step.name} (newest {n_newest})"]
    peers = [by["darts historical_forecasts global retrain=False"]]
    peers.append(by["mlforecast cross_validation refit=False"])
    fastest = min(peers, key=lambda r: r.seconds)
    ratio_fastest = never.seconds / fastest.seconds
    speedup_classic = classic.seconds / never.seconds
    speedup_ml_refit = ml_refit.seconds / never.seconds
    print(
        f"aim 1: prevoir never {never.seconds:.2f}s / fastest peer ({fastest.name}) "
        f"{fastest.seconds:.2f}s = {ratio_fastest:.2f}x (aim <= 2x)\n"
        f"aim 2: refit at every origin (extrapolated): Darts per-series {classic.seconds:.0f}s "
        f"= {speedup_classic:.0f}x prevoir never, mlforecast global refit "
        f"{ml_refit.seconds:.0f}s = {speedup_ml_refit:.0f}x (aim >= 50x)\n"
        f"aim 3: MASE mean(h1, h24) on the newest {n_newest} origins: prevoir never "
        f"{never_newest.mean_mase():.3f}, every-24 {every_newest.mean_mase():.3f} vs "
        f"mlforecast refit=True {ml_refit.mean_mase():.3f} (aim: no worse); on all "
        f"{n_origins}: prevoir never {never.mean_mase():.3f}, every-24 {every.mean_mase():.3f}\n"
        f"per-step estimators: MASE h1 on the newest {n_newest} origins, prevoir never "
        f"{never_newest.mase[1]:.3f}, per-step never {per_step_newest.mase[1]:.3f}, mlforecast "
        f"refit=True {ml_refit.mase[1]:.3f}; catch-up {per_step.seconds:.2f}s vs "
        f"{never.seconds:.2f}s, train {per_step.setup:.1f}s vs {never.setup:.1f}s"
    )
    fields = {
        "series": n_series,
        "origins": n_origins,
        "prevoir_never_s": f"{never.seconds:.2f}",
        "prevoir_every24_s": f"{every.seconds:.2f}",
        "fastest_peer_s": f"{fastest.seconds:.2f}",
        "ratio_to_fastest": f"{ratio_fastest:.2f}",
        "classic_s_extrapolated": f"{classic.seconds:.0f}",
        "speedup_vs_classic": f"{speedup_classic:.0f}",
        "mlforecast_refit_s_extrapolated": f"{ml_refit.seconds:.0f}",
        "mase_prevoir_never": f"{never.mean_mase():.3f}",
        "mase_prevoir_every24": f"{every.mean_mase():.3f}",
        "mase_prevoir_never_newest": f"{never_newest.mean_mase():.3f}",
        "mase_mlforecast_refit_newest": f"{ml_refit.mean_mase():.3f}",
        "prevoir_per_step_never_s": f"{per_step.seconds:.2f}",
        "mase_prevoir_per_step_never_newest": f"{per_step_newest.mean_mase():.3f}",
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
