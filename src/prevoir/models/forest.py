"""scikit-learn RandomForest as a direct forecaster (see ``prevoir.models.direct``), and as a
classifier (see ``prevoir.models.classify``).

Missing inputs (lags before the start of a series, gaps) stay NaN: scikit-learn's
``RandomForestRegressor`` has handled NaN in features natively since 1.4 (the dependency
floor), learning at each split which side missing values go to, so no imputation rule is
needed. Threads: ``n_jobs`` is the forecaster's ``threads`` (``prevoir.models.threads``)
unless ``params`` set it, for training (trees in parallel) and prediction (row chunks in
parallel, so the result is bit-for-bit repeatable; scikit-learn's own threaded predict is
not).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from prevoir.models.classify import DirectClassifier
from prevoir.models.direct import DirectForecaster
from prevoir.models.threads import thread_count

__all__ = ["FOREST_DEFAULTS", "ForestClassifier", "RandomForestForecaster"]

FOREST_DEFAULTS: dict[str, object] = {
    "n_estimators": 200,
    "min_samples_leaf": 5,
    "max_features": 0.5,
    "random_state": 0,
}
_ALIASES = {"num_threads": "n_jobs", "nthread": "n_jobs", "seed": "random_state"}


class RandomForestForecaster(DirectForecaster):
    """Direct ``RandomForestRegressor`` on ``build_design`` rows.

    Defaults: ``FOREST_DEFAULTS`` (200 trees, leaves of at least 5 rows, half the inputs per
    split), ``n_jobs`` from the forecaster's ``threads``. An unknown parameter name or a
    rejected value is a ``ConfigError``.
    """

    library = "scikit-learn RandomForestRegressor"
    # the scikit-learn estimator trained; the classifier (``ForestClassifier``) swaps it
    estimator_class: ClassVar[Any] = RandomForestRegressor

    def _library_params(self, params: Mapping[str, object]) -> dict[str, object]:
        merged = dict(FOREST_DEFAULTS)
        for key, value in params.items():
            merged[_ALIASES.get(key, key)] = value
        merged.setdefault("n_jobs", thread_count(self.spec))
        known = self.estimator_class().get_params()
        unknown = sorted(set(merged) - set(known))
        if unknown:
            raise self._refused(
                ValueError(f"unknown parameter(s) {unknown}; known: {sorted(known)}")
            )
        return merged

    def _train(self, matrix: np.ndarray, target: np.ndarray) -> Any:
        try:
            forest = self.estimator_class(**self.params).fit(matrix, target)
        except ValueError as exc:
            # scikit-learn's InvalidParameterError is both a ValueError and a TypeError;
            # other ValueErrors are about the data and propagate unchanged.
            if not isinstance(exc, TypeError):
                raise
            raise self._refused(exc) from exc
        # scikit-learn's threaded predict sums trees in whatever order threads finish, so
        # the last bit varies between calls; predict single-threaded per chunk instead.
        return forest.set_params(n_jobs=1)

    def _predict_matrix(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        """Rows split into ``n_jobs`` chunks predicted in threads (trees release the GIL)."""
        jobs = max(int(self.params.get("n_jobs") or 1), 1)  # type: ignore[call-overload]
        if jobs == 1 or len(matrix) < 2 * jobs:
            return np.asarray(self._predict_chunk(estimator, matrix), dtype=np.float64)
        chunks = np.array_split(matrix, jobs)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            parts = list(pool.map(lambda chunk: self._predict_chunk(estimator, chunk), chunks))
        return np.concatenate(parts).astype(np.float64, copy=False)

    def _predict_chunk(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        """One estimator's outputs for some rows, single-threaded."""
        return np.asarray(estimator.predict(matrix), dtype=np.float64)

    def _importance(self, estimator: Any) -> np.ndarray:
        return np.asarray(estimator.feature_importances_, dtype=np.float64)


class ForestClassifier(DirectClassifier, RandomForestForecaster):
    """scikit-learn ``RandomForestClassifier``: the share of trees' votes for the label."""

    library = "scikit-learn RandomForestClassifier"
    estimator_class = RandomForestClassifier

    def _predict_chunk(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        """P(label) from ``predict_proba``; a model that saw one class only gives 0 or 1."""
        classes = list(estimator.classes_)
        if 1.0 not in classes:
            return np.zeros(len(matrix), dtype=np.float64)
        proba = estimator.predict_proba(matrix)
        return np.asarray(proba[:, classes.index(1.0)], dtype=np.float64)
