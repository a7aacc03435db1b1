"""How many threads a model may use: a deliberate number, so a small box is not oversubscribed.

The libraries' own defaults (every logical core, each) multiply when several of them, or
several prevoir processes, share two cores. The forecaster's ``threads`` (project setting
``threads``) goes to LightGBM ``num_threads``, XGBoost ``nthread`` and scikit-learn
``n_jobs``; a thread parameter in the model's ``params`` still wins. Per-series models run
one after another, each with all of them.
"""

from __future__ import annotations

import os

from prevoir.domain.specs import ForecasterSpec

__all__ = ["available_cores", "thread_count"]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset
    narrow), not the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - platforms without affinity (macOS)


def thread_count(spec: ForecasterSpec) -> int:
    """``spec.threads`` (an int >= 1, the spec checked it), or ``available_cores()``."""
    return available_cores() if spec.threads is None else spec.threads
