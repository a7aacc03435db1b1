"""Binary labels derived from the target, for classification forecasters.

A label compares y at the target time ``ds`` with y at the origin (rule ``up``) or with a
fixed threshold (rule ``above``). It is 1.0 or 0.0 where both sides are known and NaN where
one is missing (past the end of the data, a gap, an origin without a value), so that an
unknown future is never turned into a "no". Comparisons are strict: a flat close (e.g. an
outage filled forward) is not "up".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from prevoir.domain.specs import ForecasterSpec, LabelSpec
from prevoir.errors import ConfigError

__all__ = ["label_of", "label_values"]


def label_of(spec: ForecasterSpec) -> LabelSpec:
    """The label of a classification forecaster (``LabelSpec`` checked its rule); a regression
    forecaster has none, which is a config error."""
    label = spec.label
    if spec.task != "classification" or label is None:
        raise ConfigError(
            f"forecaster {spec.name!r} is not a classification forecaster with a label "
            f'(task={spec.task!r}, label={label!r}); set task = "classification" and '
            'label = { rule = "up" } or { rule = "above", threshold = ... }'
        )
    return label


def label_values(label: LabelSpec, *, at_target: ArrayLike, at_origin: ArrayLike) -> np.ndarray:
    """1.0 where the label holds, 0.0 where it does not, NaN where it cannot be known.

    ``at_target`` is y at each row's ``ds``; ``at_origin`` is y at its origin (used by
    ``up`` only; pass the same length either way).
    """
    target = np.asarray(at_target, dtype=np.float64)
    if label.rule == "up":
        reference = np.asarray(at_origin, dtype=np.float64)
    else:
        reference = np.full(target.shape, float(label.threshold))  # type: ignore[arg-type]
    known = ~(np.isnan(target) | np.isnan(reference))
    out = np.full(target.shape, np.nan)
    out[known] = (target[known] > reference[known]).astype(np.float64)
    return out
