"""Promotion gates: may a freshly trained version replace the champion?

Three checks, all of which must pass (an empty champion slot skips only the last):

1. enough training rows with a known target (``min_rows``) — a retrain on a truncated
   extract must not become the model every forecast uses;
2. no feature that is missing on every training row — the sign of an exogenous source
   (weather) that was absent or misjoined, which the model would silently learn to ignore;
3. the backtest metric is not worse than the champion's by more than ``tolerance``
   (relative), compared on the same folds unless configured otherwise.

Each failed check yields one human sentence; the evaluate step prints them as the reason the
champion stays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from prevoir.domain.columns import Y
from prevoir.domain.specs import ForecasterSpec, GateSpec
from prevoir.features import feature_columns

TRAIN_ROWS = "train_rows"
ALL_MISSING = "all_missing_features"


def training_facts(design: pd.DataFrame, spec: ForecasterSpec) -> dict[str, Any]:
    """What the training gates need to know about a design: usable rows, empty features."""
    known = design[design[Y].notna()]
    features = [c for c in feature_columns(spec) if c in known.columns]
    empty = [c for c in features if known[c].isna().all()]
    return {TRAIN_ROWS: len(known), ALL_MISSING: sorted(empty)}


def training_failures(facts: Mapping[str, Any], gates: GateSpec) -> list[str]:
    """Reasons from checks 1 and 2; empty when both pass (unknown facts are not failures)."""
    reasons = []
    rows = facts.get(TRAIN_ROWS)
    if rows is not None and rows < gates.min_rows:
        reasons.append(
            f"only {rows} training rows with a known target, fewer than gates.min_rows="
            f"{gates.min_rows}"
        )
    empty: Sequence[str] = facts.get(ALL_MISSING) or ()
    if empty:
        reasons.append(
            f"feature(s) {', '.join(empty)} missing on every training row (is an exogenous "
            "source absent or not covering the training window?)"
        )
    return reasons


def metric_failure(
    candidate: float | None, champion: float | None, *, metric: str, tolerance: float
) -> str | None:
    """Reason from check 3 (lower is better), or None when the candidate may win."""
    if candidate is None or not math.isfinite(candidate):
        return f"its backtest {metric} could not be computed"
    if champion is None or not math.isfinite(champion):
        return None
    if candidate <= champion * (1 + tolerance):  # metrics here are >= 0, lower is better
        return None
    return (
        f"backtest {metric} {candidate:.4g} is worse than the champion's {champion:.4g} by "
        f"more than {tolerance:.0%}"
    )
