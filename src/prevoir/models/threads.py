"""How many threads a model may use: a deliberate number, so a small box is not oversubscribed.

The libraries' own defaults (every logical core, each) multiply when several of them, or
several prevoir processes, share two cores. The forecaster's ``threads`` (project setting
``threads``) goes to LightGBM ``num_threads``, XGBoost ``nthread`` and scikit-learn
``n_jobs``; a thread parameter in the model's ``params`` still wins. Per-series models run
one after another, each with all of them.
"""

from __future__ import annotations

import os

from prevoir.domain.records import ForecasterSpec
from prevoir.errors import ConfigError

__all__ = ["available_cores", "thread_count"]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset
    narrow), not the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - platforms without affinity (macOS)


def thread_count(spec: ForecasterSpec) -> int:
    """``spec.threads``, or ``available_cores()`` when unset; not an int >= 1: refused."""
    threads = spec.threads
    if threads is None:
        return available_cores()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(
            f"forecaster {spec.name!r}: threads must be an integer >= 1, got {threads!r}; "
            f"leave it unset to use the {available_cores()} core(s) this process may run on"
        )
    return threads
