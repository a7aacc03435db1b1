"""Checks and frame assembly shared by every model adapter, so they refuse the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prevoir.domain.columns import DS, ORIGIN, STEP, UNIQUE_ID, YHAT, Y
from prevoir.domain.grid import to_timestamps
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import DataValidationError
from prevoir.features.grid import Panel
from prevoir.models.base import Forecaster, NotFittedError

__all__ = ["forecast_frame", "require_fitted", "require_training_rows"]


def require_training_rows(history: pd.DataFrame | None, spec: ForecasterSpec, *, model: str) -> int:
    """Number of observed target values; refuses empty or too-short history before any work.

    A retrain on empty or broken data must abort loudly so that the good model stays.
    """
    if history is None or len(history) == 0:
        raise DataValidationError(
            f"{model} for forecaster {spec.name!r} got an empty history (0 rows); "
            f"load observations of dataset {spec.dataset!r} before training"
        )
    if Y not in history.columns:
        raise DataValidationError(
            f"{model} for forecaster {spec.name!r}: history lacks column 'y' "
            f"(columns: {list(history.columns)}); pass a long frame unique_id, ds, y"
        )
    usable = int(pd.to_numeric(history[Y], errors="coerce").notna().sum())
    if usable < spec.min_train_rows:
        raise DataValidationError(
            f"{model} for forecaster {spec.name!r} got {usable} usable rows (non-missing y) "
            f"out of {len(history)}, fewer than min_train_rows={spec.min_train_rows}; "
            "load more history or lower min_train_rows"
        )
    return usable


def require_fitted(model: Forecaster) -> None:
    """Raise ``NotFittedError`` naming the model when ``fit`` has not run."""
    if not model.is_fitted:
        raise NotFittedError(
            f"{type(model).__name__} for forecaster {model.spec.name!r} is not fitted; "
            "call fit(history) or load a trained model version first"
        )


def forecast_frame(
    panel: Panel, codes: np.ndarray, origin_idx: np.ndarray, steps: np.ndarray, yhat: np.ndarray
) -> pd.DataFrame:
    """Forecast rows ``unique_id, origin, ds, step, yhat`` from grid coordinates."""
    return pd.DataFrame(
        {
            UNIQUE_ID: panel.ids.take(codes),
            ORIGIN: to_timestamps(panel.grid.times(origin_idx)),
            DS: to_timestamps(panel.grid.times(origin_idx + steps)),
            STEP: steps,
            YHAT: yhat,
        },
        copy=False,
    )
