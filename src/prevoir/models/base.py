"""The contract every forecasting model follows, whatever library is behind it.

Frames follow ``prevoir.domain.columns``: history is ``unique_id, ds, y`` on a regular grid
(missing values as NaN, ``ds`` tz-aware UTC); origins are ``unique_id, origin``; forecasts
are ``unique_id, origin, ds, step, yhat`` with ``origin < ds`` always, plus
``yhat_lo_<level>``/``yhat_hi_<level>`` for every level of ``spec.intervals`` when the model
issues intervals, with ``lo <= yhat <= hi`` and each level's band inside the next wider one.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Self

import pandas as pd

from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import ArtifactIntegrityError, PrevoirError
from prevoir.models.unpickling import restricted_loads

Exogenous = Mapping[str, pd.DataFrame]


class NotFittedError(PrevoirError):
    """predict was called on a model that was never fitted."""


class Forecaster(ABC):
    """Fit on history, then forecast every requested horizon from any set of origins."""

    def __init__(self, spec: ForecasterSpec) -> None:
        self.spec = spec

    @abstractmethod
    def fit(self, history: pd.DataFrame, exog: Exogenous | None = None) -> Self:
        """Learn from ``history``; returns self."""

    @abstractmethod
    def predict(
        self, history: pd.DataFrame, origins: pd.DataFrame, exog: Exogenous | None = None
    ) -> pd.DataFrame:
        """Forecast ``spec.horizons`` from each origin using only history at or before it."""

    def fit_design(self, design: pd.DataFrame) -> Self:
        """Learn from a table built by ``prevoir.features.build_design`` (the features step).

        A helper beside ``fit`` for pipelines that store the design; models that need the raw
        history keep this default, which refuses.
        """
        raise NotImplementedError(
            f"{type(self).__name__} trains from history only; call fit(history, exog)"
        )

    def predict_design(self, design: pd.DataFrame, *, since: pd.Timestamp) -> pd.DataFrame:
        """Forecasts from the origins of ``design`` at or after ``since``; the other rows
        serve only as the past (their ``y``) that some models read.

        What conformal calibration needs when a model trains from a design table; models
        that only forecast from history keep this default, which refuses.
        """
        raise NotImplementedError(
            f"{type(self).__name__} forecasts from history only; call predict(history, origins)"
        )

    @property
    @abstractmethod
    def is_fitted(self) -> bool:
        """Whether ``fit`` has run."""

    def to_bytes(self) -> bytes:
        """Serialise the fitted model; the registry stores these bytes with their sha256."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def from_bytes(data: bytes) -> Forecaster:
        """Load bytes written by ``to_bytes``; callers verify the sha256 first.

        Only prevoir's model classes and the library classes they hold are loaded
        (``prevoir.models.unpickling``): bytes naming anything else, e.g. ``os.system``, are
        refused with ``ArtifactIntegrityError`` before anything runs. Bytes whose classes no
        longer exist or changed shape (a model trained by a prevoir before 0.2, whose specs
        moved to ``prevoir.domain.specs``) are refused with what to do.
        """
        try:
            model = restricted_loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise ArtifactIntegrityError(
                f"the model artifact is not a readable prevoir model ({exc}); retrain it with "
                "`prevoir run --steps features train evaluate`"
            ) from exc
        except (AttributeError, ImportError, TypeError) as exc:
            raise ArtifactIntegrityError(
                f"the model artifact was written by another version of prevoir and cannot be "
                f"loaded by this one ({exc}); retrain it with `prevoir run --steps features "
                "train evaluate`"
            ) from exc
        if not isinstance(model, Forecaster):
            raise ArtifactIntegrityError(
                "artifact does not hold a prevoir model; retrain the forecaster"
            )
        return model
