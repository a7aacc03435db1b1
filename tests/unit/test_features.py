"""Oracle tests for the design matrix: lags, origin statistics, calendar, training origins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.domain.specs import FeatureSpec
from prevoir.errors import DataValidationError
from prevoir.features import build_design, feature_columns
from prevoir.testing import make_series, make_spec

H = pd.Timedelta(hours=1)
FREMONT = Path(__file__).parents[2] / "src/prevoir/examples/bikes/data/FremontBridge.csv"


def _one_series(length: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-03-01", periods=length, freq="h", tz="UTC")
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": rng.uniform(0.0, 100.0, length)})


def _origins(*times: str, uid: str = "a") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "origin": pd.to_datetime(list(times), utc=True)})


def test_lags_read_only_values_at_or_before_the_origin() -> None:
    history = _one_series()
    spec = make_spec(horizons=(1, 23, 24, 25, 48), features=FeatureSpec(lags=(1, 24, 168)))
    design = build_design(history, spec, origins=_origins("2024-03-10 12:00"))
    y = history.set_index("ds")["y"]
    origin = pd.Timestamp("2024-03-10 12:00", tz="UTC")
    for row in design.itertuples():
        assert row.ds == origin + row.step * H
        for k in (1, 24, 168):
            got = getattr(row, f"lag_{k}")
            if row.step <= k:
                assert got == y[row.ds - k * H]
                assert row.ds - k * H <= origin
            else:
                assert np.isnan(got)
    assert list(design["lag_24"].notna()) == [True, True, True, False, False]


def test_origin_statistics_end_at_the_origin_and_skip_gaps() -> None:
    history = _one_series()
    origin = pd.Timestamp("2024-03-10 12:00", tz="UTC")
    history.loc[history["ds"] == origin - 3 * H, "y"] = np.nan  # a gap inside the window
    spec = make_spec(horizons=(1, 5), features=FeatureSpec(rolling=(6, 24)))
    design = build_design(history, spec, origins=_origins(str(origin)))
    y = history.set_index("ds")["y"]
    for w in (6, 24):
        window = y[(y.index > origin - w * H) & (y.index <= origin)].dropna()
        assert len(window) == w - 1
        assert design[f"rolling_mean_{w}"].tolist() == pytest.approx([window.mean()] * 2)
        assert design[f"rolling_std_{w}"].tolist() == pytest.approx([window.std(ddof=1)] * 2)
    assert design["last_y"].tolist() == [y[origin]] * 2
    assert design["scale"].iloc[0] == pytest.approx(y[y.index > origin - 24 * H][:origin].mean())


def test_changing_values_after_the_origin_changes_no_feature() -> None:
    history = make_series(3, 500, seed=3)
    spec = make_spec(
        horizons=(1, 12, 24, 36),
        features=FeatureSpec(
            lags=(1, 2, 24, 168), rolling=(3, 24, 168), calendar=("hour",), cyclic=("hour",)
        ),
    )
    cut = pd.Timestamp("2024-01-15 06:00", tz="UTC")
    origins = pd.DataFrame({"unique_id": ["s0", "s1", "s2"], "origin": cut})
    before = build_design(history, spec, origins=origins, with_target=False)
    changed = history.copy()
    after_cut = changed["ds"] > cut
    changed.loc[after_cut, "y"] = np.random.default_rng(9).uniform(-1e6, 1e6, after_cut.sum())
    after = build_design(changed, spec, origins=origins, with_target=False)
    pd.testing.assert_frame_equal(before, after)


def test_calendar_reads_the_wall_clock_across_a_dst_change() -> None:
    history = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2024-03-29", periods=96, freq="h", tz="UTC"),
            "y": 1.0,
        }
    )
    features = FeatureSpec(
        calendar=("hour", "dayofweek", "is_weekend", "month", "dayofyear"),
        cyclic=("hour", "dayofweek"),
        timezone="Europe/Paris",
    )
    spec = make_spec(horizons=(1, 2, 23), features=features)
    design = build_design(history, spec, origins=_origins("2024-03-30 23:00"))
    # 00:00 UTC is 01:00 CET; 01:00 UTC is 03:00 CEST (the clock jumped); 22:00 UTC is 00:00
    # CEST on Monday 1 April, no longer the weekend.
    assert design["ds"].dt.strftime("%d %H").tolist() == ["31 00", "31 01", "31 22"]
    assert design["hour"].tolist() == [1, 3, 0]
    assert design["dayofweek"].tolist() == [6, 6, 0]
    assert design["is_weekend"].tolist() == [1, 1, 0]
    assert design["month"].tolist() == [3, 3, 4]
    assert design["dayofyear"].tolist() == [91, 91, 92]
    assert design["hour_sin"].tolist() == pytest.approx(
        np.sin(2 * np.pi * np.array([1, 3, 0]) / 24)
    )
    assert design["dayofweek_cos"].tolist() == pytest.approx(
        np.cos(2 * np.pi * np.array([6, 6, 0]) / 7)
    )


def test_calendar_hour_matches_the_counter_local_clock_on_real_data() -> None:
    raw = pd.read_csv(FREMONT, usecols=[0, 1], nrows=3000)
    local = pd.to_datetime(raw["Date"], format="%m/%d/%Y %I:%M:%S %p")
    raw = raw[(local >= "2023-03-08") & (local < "2023-03-16")]  # clocks spring forward on 12
    stamps = local[raw.index].dt.tz_localize(
        "America/Los_Angeles", ambiguous="NaT", nonexistent="NaT"
    )
    keep = stamps.notna().to_numpy()
    history = pd.DataFrame(
        {"unique_id": "fremont", "ds": stamps[keep].dt.tz_convert("UTC"), "y": raw.iloc[keep, 1]}
    )
    spec = make_spec(
        horizons=tuple(range(1, 25)),
        features=FeatureSpec(calendar=("hour",), timezone="America/Los_Angeles"),
    )
    design = build_design(history, spec, with_target=True)
    known = design[design["y"].notna()].merge(
        history.assign(local_hour=local[raw.index][keep].dt.hour.to_numpy()), on="ds"
    )
    assert len(known) > 100
    assert (~keep).sum() == 1  # the file's empty 02:00 row of 12 March does not exist locally
    assert (known["hour"] == known["local_hour"]).all()


def test_training_origins_respect_warmup_window_and_stride() -> None:
    history = _one_series(length=300)
    features = FeatureSpec(lags=(24, 48), rolling=(72,))
    spec = make_spec(horizons=(1, 24), features=features)
    design = build_design(history, spec)
    start, end = history["ds"].iloc[0], history["ds"].iloc[-1]
    origins = design["origin"].drop_duplicates()
    assert origins.min() == start + 71 * H  # 72 values behind the first origin
    assert origins.max() == end - H  # the newest origin with a known target
    assert len(design) == 2 * len(origins)

    strided = build_design(history, make_spec(horizons=(1, 24), features=features, train_stride=5))
    got = strided["origin"].drop_duplicates()
    assert got.max() == end - H
    assert ((got.max() - got) / H % 5 == 0).all()

    windowed = build_design(history, make_spec(horizons=(1,), features=features, train_window=10))
    assert windowed["origin"].min() == end - 9 * H
    assert windowed["lag_48"].notna().all()  # lags may still read before the window


def test_columns_and_row_count() -> None:
    history = make_series(4, 300)
    spec = make_spec()
    origins = history.groupby("unique_id", as_index=False)["ds"].max()
    origins = origins.rename(columns={"ds": "origin"})
    design = build_design(history, spec, origins=origins, with_target=False)
    assert len(design) == 4 * len(spec.horizons)
    assert list(design.columns) == ["unique_id", "origin", "step", "ds", "y", "scale"] + [
        c for c in feature_columns(spec) if c != "step"
    ]
    assert design["y"].isna().all()
    assert feature_columns(spec)[:4] == ["step", "lag_24", "lag_48", "last_y"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda h: pd.concat([h, h.iloc[:1]]), "duplicate"),
        (
            lambda h: h.assign(ds=h["ds"] + pd.Timedelta(minutes=5) * (h.index == 3).astype(int)),
            "grid",
        ),
        (lambda h: h.assign(ds=h["ds"].dt.tz_localize(None)), "tz-aware"),
        (lambda h: h.drop(columns="y"), "lacks columns"),
        (lambda h: h.assign(unique_id=h["unique_id"].where(h.index != 5)), "without a unique_id"),
        (lambda h: h.assign(y="x"), "numeric"),
    ],
)
def test_bad_history_is_refused_with_a_clear_message(mutate: object, message: str) -> None:
    history = _one_series(100)
    with pytest.raises(DataValidationError, match=message):
        build_design(mutate(history), make_spec(horizons=(1,)))  # type: ignore[operator]


def test_unknown_names_are_refused_by_the_spec_and_unknown_series_by_the_design() -> None:
    history = _one_series(100)
    with pytest.raises(ValidationError, match="'hour', 'minute'"):
        FeatureSpec(calendar=("fortnight",))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="fixed duration"):
        make_spec(freq="MS")
    with pytest.raises(DataValidationError, match="absent from history"):
        build_design(history, make_spec(), origins=_origins("2024-03-02", uid="zz"))
