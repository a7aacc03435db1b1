"""Ensembles (mean or median of member forecasts) and ``auto``, a documented default ensemble.

``kind = "ensemble"`` takes its members from ``spec.model.members`` (each a full
``ModelSpec``, nested ensembles allowed) and its combine rule from ``spec.model.combine``.
Every member sees the forecaster's spec with its own model in place (its name is
``"<forecaster>[<i>:<kind>]"`` so errors name the member), hence the same history, horizons
and features.

Training: ``fit(history)`` fits every member on the same history. ``fit_design(design)``
(the pipeline's train step) fits members that train from a design table (the direct ML
kinds and ``seasonal_naive``) and refuses, before any training, an ensemble holding a member
that needs the raw history (the statsforecast kinds), with a ``ConfigError`` naming it.

Prediction: members' forecasts are aligned on ``(unique_id, origin, step)`` and combined per
row; a NaN member forecast is left out, and a row is NaN only when every member is.

``kind = "auto"`` (``AutoForecaster``) picks its members from ``spec.freq`` (see
``auto_members``):

- sub-daily (hourly, 15 min...): median of global direct LightGBM, global direct XGBoost and
  the seasonal naive, season = periods per day (measured on M4 Hourly, ``bench/m4.py``: OWA
  0.472 against 0.483 for the mean of the two boosters and 0.508 for LightGBM alone);
- daily: global direct LightGBM + AutoETS (season 7), mean;
- anything else: AutoETS alone (season ``spec.model.season_length``).

ML members use the forecaster's features; when it declares no lags and no rolling windows,
they get a default set for the frequency (``default_features``). ``spec.model.params`` of an
``auto`` model maps a member kind to parameters merged over that member's defaults, e.g.
``params = { lightgbm = { n_estimators = 500 } }``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Self

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, FORECAST_COLUMNS, ORIGIN, STEP, UNIQUE_ID, YHAT
from prevoir.domain.grid import freq_to_ns
from prevoir.domain.records import FeatureSpec, ForecasterSpec, IntervalSpec, ModelSpec
from prevoir.errors import ConfigError
from prevoir.models.base import Exogenous, Forecaster
from prevoir.models.support import require_fitted, require_training_rows

__all__ = [
    "COMBINES",
    "AutoForecaster",
    "EnsembleForecaster",
    "auto_combine",
    "auto_members",
    "combine_forecasts",
    "default_features",
]

COMBINES = ("mean", "median")
_KEYS = [UNIQUE_ID, ORIGIN, STEP]
_DAY_NS = 86_400 * 10**9


class EnsembleForecaster(Forecaster):
    """Mean or median of member forecasts; members from ``spec.model.members``.

    ``fit_design`` works only when every member trains from a design table (direct ML kinds,
    ``seasonal_naive``, nested ensembles of those); otherwise it raises ``ConfigError`` naming
    the member, before training anything: such ensembles are trained with ``fit(history)``.
    """

    def __init__(self, spec: ForecasterSpec) -> None:
        super().__init__(spec)
        from prevoir.models.factory import make_model  # the factory imports this module

        if spec.model.combine not in COMBINES:
            raise ConfigError(
                f"forecaster {spec.name!r}: combine must be one of {list(COMBINES)}, "
                f"got {spec.model.combine!r}"
            )
        self.combine: str = spec.model.combine
        self.member_specs = self._member_specs(spec)
        if not self.member_specs:
            raise ConfigError(
                f"forecaster {spec.name!r}: an ensemble needs at least one member; add "
                '`members = [{ kind = "lightgbm" }, { kind = "seasonal_naive" }]` to its model'
            )
        self.members: list[Forecaster] = [make_model(s) for s in self.member_specs]

    def _member_specs(self, spec: ForecasterSpec) -> list[ForecasterSpec]:
        if spec.model.params:
            raise ConfigError(
                f"forecaster {spec.name!r}: an ensemble takes no params of its own "
                f"(got {sorted(spec.model.params)}); put them in its members' params"
            )
        return [_member(spec, i, m) for i, m in enumerate(spec.model.members)]

    @property
    def is_fitted(self) -> bool:
        """Whether every member has been fitted."""
        return all(m.is_fitted for m in self.members)

    def design_refusals(self) -> list[str]:
        """Names of the members (at any depth) that cannot train from a design table."""
        refused: list[str] = []
        for member in self.members:
            if isinstance(member, EnsembleForecaster):
                refused += member.design_refusals()
            elif type(member).fit_design is Forecaster.fit_design:
                refused.append(f"{member.spec.name} ({type(member).__name__})")
        return refused

    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Fit every member on the same history; returns self."""
        require_training_rows(history, self.spec, model=type(self).__name__)
        for member in self.members:
            member.fit(history, exog)
        return self

    def fit_design(self, design: pd.DataFrame) -> Self:
        """Fit every member from the design table, or refuse if one needs the raw history."""
        refused = self.design_refusals()
        if refused:
            raise ConfigError(
                f"{type(self).__name__} for forecaster {self.spec.name!r} cannot train from the "
                f"stored feature table: member(s) {refused} need the raw history. Use only "
                "direct ML kinds and seasonal_naive as members for the train step, or fit the "
                "ensemble with fit(history)"
            )
        for member in self.members:
            member.fit_design(design)
        return self

    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Each member's forecast, combined per ``(unique_id, origin, step)``."""
        require_fitted(self)
        frames = [m.predict(history, origins, exog) for m in self.members]
        return combine_forecasts(frames, self.combine)

    def predict_design(self, design: pd.DataFrame, *, since: pd.Timestamp) -> pd.DataFrame:
        """Each member's forecast from the design's origins at or after ``since``, combined."""
        require_fitted(self)
        frames = [m.predict_design(design, since=since) for m in self.members]
        return combine_forecasts(frames, self.combine)


class AutoForecaster(EnsembleForecaster):
    """A default ensemble chosen from ``spec.freq``; see the module docstring and
    ``auto_members``. Same training rules as ``EnsembleForecaster``."""

    def __init__(self, spec: ForecasterSpec) -> None:
        super().__init__(spec)
        self.combine = auto_combine(spec)

    def _member_specs(self, spec: ForecasterSpec) -> list[ForecasterSpec]:
        return auto_members(spec)


def _member(
    spec: ForecasterSpec, i: int, model: ModelSpec, features: FeatureSpec | None = None
) -> ForecasterSpec:
    return replace(
        spec,
        name=f"{spec.name}[{i}:{model.kind}]",
        model=model,
        features=features if features is not None else spec.features,
        intervals=IntervalSpec(),  # the combined forecast gets the intervals, not members
    )


def default_features(spec: ForecasterSpec) -> FeatureSpec:
    """The forecaster's features, or defaults for ``spec.freq`` when it declares no lags or
    rolling windows: sub-daily with ``m`` periods a day → lags ``m, 2m, 3m, 7m``, rolling
    ``m, 7m``, hour and day of week; daily → lags 1, 7, 14, 28, rolling 7, 28, day of week."""
    declared = spec.features
    if declared.lags or declared.rolling:
        return declared
    step = freq_to_ns(spec.freq)
    if step < _DAY_NS:
        m = max(_DAY_NS // step, 1)
        return replace(
            declared,
            lags=(m, 2 * m, 3 * m, 7 * m),
            rolling=(m, 7 * m),
            calendar=declared.calendar or ("hour", "dayofweek"),
            cyclic=declared.cyclic or ("hour",),
        )
    return replace(
        declared,
        lags=(1, 7, 14, 28),
        rolling=(7, 28),
        calendar=declared.calendar or ("dayofweek",),
    )


def auto_members(spec: ForecasterSpec) -> list[ForecasterSpec]:
    """The members ``auto`` uses for ``spec.freq`` (module docstring), with user overrides."""
    return _auto_rule(spec)[0]


def auto_combine(spec: ForecasterSpec) -> str:
    """How ``auto`` combines its members for ``spec.freq``."""
    return _auto_rule(spec)[1]


def _auto_rule(spec: ForecasterSpec) -> tuple[list[ForecasterSpec], str]:
    overrides = dict(spec.model.params)
    try:
        step: int | None = freq_to_ns(spec.freq)
    except ConfigError:
        step = None  # calendar frequencies (MS, W): not fixed, so statistics only
    scope = spec.model.scope
    if step is not None and step < _DAY_NS:
        m = max(_DAY_NS // step, 1)
        models = [
            ModelSpec(kind="lightgbm", season_length=m, scope=scope),
            ModelSpec(kind="xgboost", season_length=m, scope=scope),
            ModelSpec(kind="seasonal_naive", season_length=m),
        ]
        combine = "median"
    elif step == _DAY_NS:
        models = [
            ModelSpec(kind="lightgbm", season_length=7, scope=scope),
            ModelSpec(kind="auto_ets", season_length=7),
        ]
        combine = "mean"
    else:
        models = [ModelSpec(kind="auto_ets", season_length=spec.model.season_length)]
        combine = "mean"
    kinds = [m.kind for m in models]
    unknown = sorted(set(overrides) - set(kinds))
    if unknown:
        raise ConfigError(
            f"forecaster {spec.name!r}: auto's params map a member kind to its parameters; "
            f"for frequency {spec.freq!r} the members are {kinds}, not {unknown}"
        )
    members = []
    for i, model in enumerate(models):
        params = overrides.get(model.kind, {})
        if not isinstance(params, dict):
            raise ConfigError(
                f"forecaster {spec.name!r}: auto params[{model.kind!r}] must be a table of "
                f"parameters, got {params!r}"
            )
        model = replace(model, params=dict(params))
        is_ml = model.kind in ("lightgbm", "xgboost")
        members.append(_member(spec, i, model, default_features(spec) if is_ml else None))
    return members, combine


def combine_forecasts(frames: Sequence[pd.DataFrame], how: str) -> pd.DataFrame:
    """Rows of every frame, aligned on ``(unique_id, origin, step)``; ``yhat`` the NaN-ignoring
    mean or median of the members' values (NaN only where every member is NaN)."""
    if how not in COMBINES:
        raise ConfigError(f"combine must be one of {list(COMBINES)}, got {how!r}")
    frames = [f.drop_duplicates(_KEYS) for f in frames]
    first = frames[0]
    if all(_same_keys(first, f) for f in frames[1:]):
        rows = first[[UNIQUE_ID, ORIGIN, DS, STEP]].reset_index(drop=True)
        values = np.column_stack([f[YHAT].to_numpy(np.float64) for f in frames])
    else:
        rows = pd.concat(
            [f[[UNIQUE_ID, ORIGIN, DS, STEP]] for f in frames], ignore_index=True
        ).drop_duplicates(_KEYS, ignore_index=True)
        index = pd.MultiIndex.from_frame(rows[_KEYS])
        values = np.column_stack(
            [f.set_index(_KEYS)[YHAT].reindex(index).to_numpy(np.float64) for f in frames]
        )
    if values.shape[0] == 0:
        yhat = np.empty(0, dtype=np.float64)
    elif how == "mean":
        count = np.sum(~np.isnan(values), axis=1)
        total = np.nansum(values, axis=1)
        yhat = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN
            yhat = np.nanmedian(values, axis=1)
    return rows.assign(**{YHAT: yhat})[list(FORECAST_COLUMNS)]


def _same_keys(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b):
        return False
    return all(np.array_equal(a[k].to_numpy(), b[k].to_numpy()) for k in _KEYS)
