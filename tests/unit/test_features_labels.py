"""Labels of classification forecasters on real Binance BTC/USDT candles.

The hourly file has a real gap (2017-09-22 20:00-23:00 missing), flat maintenance candles
(2020-06-28 02:00-04:00: close unchanged) and an end: labels must be NaN wherever the close
at the target or at the origin is unknown, never a "no".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.domain.specs import FeatureSpec, LabelSpec
from prevoir.errors import ConfigError
from prevoir.features import build_design
from prevoir.features.labels import label_of, label_values
from prevoir.features.lags import LAST_Y
from prevoir.models.gbm import LightGBMClassifier
from prevoir.testing import binance_closes, make_spec

SHARED = Path(__file__).parents[2].parent / "shared" / "data"
BTC = SHARED / "crypto_binance_ohlcv" / "hourly"
HORIZONS = (1, 6, 24)
H = pd.Timedelta(hours=1)


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    """BTC closes from 2017-09-20 to the end, gaps left as gaps (no fill)."""
    if not BTC.is_dir():
        pytest.skip("shared Binance data not present")
    return binance_closes(BTC, ["BTCUSDT"], since="2017-09-20")


def _design(history: pd.DataFrame, label: LabelSpec) -> pd.DataFrame:
    features = FeatureSpec(lags=(1, 2), rolling=(3,))
    spec = make_spec(horizons=HORIZONS, features=features, task="classification", label=label)
    return build_design(history, spec)


def _oracle(history: pd.DataFrame, design: pd.DataFrame, label: LabelSpec) -> np.ndarray:
    """The label from a plain hourly reindex of the closes (NaN where the hour is missing)."""
    close = history.set_index("ds")["y"]
    grid = close.reindex(pd.date_range(close.index.min(), close.index.max(), freq="h"))
    at_target = grid.reindex(pd.DatetimeIndex(design["ds"])).to_numpy()
    at_origin = grid.reindex(pd.DatetimeIndex(design["origin"])).to_numpy()
    reference = at_origin if label.rule == "up" else np.full(len(design), label.threshold)
    known = ~(np.isnan(at_target) | np.isnan(reference))
    return np.where(known, (at_target > reference).astype(float), np.nan)


@pytest.mark.parametrize(
    "label", [LabelSpec("up"), LabelSpec("above", threshold=10_000.0)], ids=["up", "above"]
)
def test_labels_match_a_plain_reindex_of_the_real_closes(
    btc: pd.DataFrame, label: LabelSpec
) -> None:
    design = _design(btc, label)
    values = label_values(label, at_target=design["y"], at_origin=design[LAST_Y])
    np.testing.assert_array_equal(values, _oracle(btc, design, label))
    assert set(np.unique(values[~np.isnan(values)])) == {0.0, 1.0}


def test_no_label_where_the_close_is_unknown(btc: pd.DataFrame) -> None:
    up = LabelSpec("up")
    design = _design(btc, up).set_index(["origin", "step"])
    values = pd.Series(
        label_values(up, at_target=design["y"], at_origin=design[LAST_Y]), index=design.index
    )
    # the gap: closes of 2017-09-22 20:00-23:00 are missing, as targets and as origins
    assert np.isnan(values[(_utc("2017-09-22 19:00"), 1)])
    assert np.isnan(values[(_utc("2017-09-22 14:00"), 6)])
    assert not np.isnan(values[(_utc("2017-09-22 13:00"), 6)])
    assert not np.isnan(design.loc[(_utc("2017-09-22 21:00"), 24), "y"])
    assert np.isnan(values[(_utc("2017-09-22 21:00"), 24)])
    # the end: from the last origins, the steps past 2020-09-28 07:00 are unknown
    last = btc["ds"].max()
    assert np.isnan(values[(last - H, 6)]) and np.isnan(values[(last - H, 24)])
    assert not np.isnan(values[(last - H, 1)])
    assert np.isnan(values[(last - 23 * H, 24)]) and not np.isnan(values[(last - 24 * H, 24)])
    # flat maintenance candles: equal closes are not "up"
    flat = btc.set_index("ds")["y"]
    assert flat[_utc("2020-06-28 03:00")] == flat[_utc("2020-06-28 02:00")]
    assert values[(_utc("2020-06-28 02:00"), 1)] == 0.0


def test_a_classifier_trains_only_on_known_labels(btc: pd.DataFrame) -> None:
    recent = btc[btc["ds"] >= _utc("2020-08-01")]
    up = LabelSpec("up")
    design = _design(recent, up)
    spec = make_spec(
        horizons=HORIZONS,
        features=FeatureSpec(lags=(1, 2), rolling=(3,)),
        task="classification",
        label=up,
    )
    model = LightGBMClassifier(spec).fit_design(design)
    known = ~np.isnan(label_values(up, at_target=design["y"], at_origin=design[LAST_Y]))
    assert model.n_train_rows_ == known.sum() < len(design)


def test_label_of_refuses_regression_and_malformed_labels() -> None:
    spec = make_spec()
    with pytest.raises(ConfigError, match="not a classification forecaster"):
        label_of(spec)
    with pytest.raises(ValidationError, match="needs a threshold"):
        LabelSpec("above")
    with pytest.raises(ValidationError, match="'up' or 'above'"):
        LabelSpec("down")  # type: ignore[arg-type]
