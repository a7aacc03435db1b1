"""Which origins a catch-up run forecasts from: pure planning, no data, no store.

For each series every grid time after its last issued origin, up to its newest observation,
is a new origin; with ``stride`` only every stride-th counted back from the newest (so the
newest observation is always an origin), and at most the newest ``max_catchup``. A series
never forecast before gets its newest ``initial_origins``. Planning from the store's two
timestamps per series, rather than from forecasts in memory, is what makes a killed run
resumable: running again plans exactly the origins that are still missing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from prevoir.domain.columns import ORIGIN, UNIQUE_ID
from prevoir.domain.records import CatchupSpec
from prevoir.errors import ConfigError, DataValidationError
from prevoir.features.grid import freq_to_ns, to_timestamps

__all__ = ["plan_origins"]


def plan_origins(
    last_obs: Mapping[str, pd.Timestamp],
    last_issued: Mapping[str, pd.Timestamp],
    *,
    freq: str,
    catchup: CatchupSpec,
) -> pd.DataFrame:
    """New origins per series as ``unique_id, origin`` (sorted, tz-aware UTC).

    ``last_obs`` is each series' newest observation time; ``last_issued`` its newest origin
    that already has forecasts (absent: never forecast). A series whose newest observation
    is not after its last issued origin gets no origin.
    """
    _check(catchup)
    ids = list(last_obs)
    period = freq_to_ns(freq) * catchup.stride
    newest = np.array([_ns(last_obs[s], what=f"last observation of {s!r}") for s in ids])
    newest = newest.astype(np.int64)
    counts = np.full(len(ids), catchup.initial_origins, dtype=np.int64)
    for i, sid in enumerate(ids):
        if sid in last_issued:
            issued = _ns(last_issued[sid], what=f"last issued origin of {sid!r}")
            gap = int(newest[i]) - issued
            counts[i] = min(-(-gap // period), catchup.max_catchup) if gap > 0 else 0
    rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    back = np.repeat(counts, counts) - 1 - rank  # oldest first within each series
    origins = np.repeat(newest, counts) - back * period
    frame = pd.DataFrame(
        {
            UNIQUE_ID: pd.Series(np.repeat(np.array(ids, dtype=object), counts), dtype=str),
            ORIGIN: to_timestamps(origins),
        }
    )
    return frame.sort_values([UNIQUE_ID, ORIGIN], ignore_index=True)


def _check(catchup: CatchupSpec) -> None:
    if catchup.stride < 1 or catchup.max_catchup < 1 or catchup.initial_origins < 0:
        raise ConfigError(
            "catchup needs stride >= 1, max_catchup >= 1 and initial_origins >= 0, got "
            f"stride={catchup.stride}, max_catchup={catchup.max_catchup}, "
            f"initial_origins={catchup.initial_origins}"
        )


def _ns(value: pd.Timestamp, *, what: str) -> int:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise DataValidationError(
            f"{what} is a naive timestamp ({stamp}); pass tz-aware UTC times from the store"
        )
    return int(stamp.tz_convert("UTC").as_unit("ns").value)
