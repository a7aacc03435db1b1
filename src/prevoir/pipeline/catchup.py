"""Which origins a catch-up run forecasts from: pure planning, no data, no store.

For each series every grid time after its last issued origin, up to its newest observation,
is a new origin; with ``stride`` only every stride-th counted back from the newest (so the
newest observation is always an origin), and at most the newest ``max_catchup``. A series
never forecast before gets its newest ``initial_origins``. Planning from the store's two
timestamps per series, rather than from forecasts in memory, is what makes a killed run
resumable: running again plans exactly the origins that are still missing.

``plan_blocks`` then splits the planned origins into the blocks the predict step forecasts
and commits one after the other, and says which model each origin uses:

- ``never``: one block; every origin uses the champion.
- ``every``: time is cut into windows of ``refit_every * stride`` periods anchored at the
  Unix epoch (window ``k`` starts at ``B_k = k * refit_every * stride * freq``), so with
  ``stride = 1`` a window starts at every origin whose index since the epoch is a multiple
  of ``refit_every``. Each window is a block. A series' origins in the window of its last
  issued origin (or, never forecast, of its first planned origin) use the champion; in every
  later window they use a model refitted on the data at or before ``B_k`` -- at or before
  every origin of the window, so nothing leaks.
- ``always``: each distinct origin time is a block with a model refitted on the data at or
  before that origin.

The windows, the model of each origin and the refit cut-offs depend only on the origin
times and the stored last issued origins, never on where the previous run stopped: as long
as each series' block is committed whole, a killed run resumes to the uninterrupted result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from prevoir.domain.columns import ORIGIN, UNIQUE_ID
from prevoir.domain.frequency import freq_to_ns
from prevoir.domain.grid import to_timestamps
from prevoir.domain.specs import CatchupSpec
from prevoir.errors import DataValidationError

__all__ = ["BLOCK", "REFIT_AT", "plan_blocks", "plan_origins"]

BLOCK = "block"  # blocks are forecast and committed in increasing order
REFIT_AT = "refit_at"  # data cut-off of the origin's refitted model; NaT: the champion
_NAT = np.iinfo(np.int64).min


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


def plan_blocks(
    origins: pd.DataFrame,
    last_issued: Mapping[str, pd.Timestamp],
    *,
    freq: str,
    catchup: CatchupSpec,
) -> pd.DataFrame:
    """``origins`` (from ``plan_origins``) plus ``block`` and ``refit_at``, block order.

    ``block`` is an integer key, increasing with time; ``refit_at`` is the newest data time
    the origin's refitted model may see, or NaT when the origin uses the champion.
    """
    frame = origins[[UNIQUE_ID, ORIGIN]].reset_index(drop=True)
    stamps = frame[ORIGIN]
    if len(frame) and stamps.dt.tz is None:
        raise DataValidationError("planned origins are naive timestamps; plan_origins gives UTC")
    ns = stamps.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    if catchup.refit == "never":
        block = np.zeros(len(frame), dtype=np.int64)
        refit_at = np.full(len(frame), _NAT, dtype=np.int64)
    elif catchup.refit == "always":
        block = ns
        refit_at = ns
    else:
        width = freq_to_ns(freq) * catchup.stride * catchup.refit_every
        block = ns // width  # floor: epoch-anchored windows
        first_window = pd.Series(block).groupby(frame[UNIQUE_ID].to_numpy()).transform("min")
        # a series refits in every window after the one it starts in: that of its last
        # issued origin, or (never forecast) of its first planned origin
        issued = {
            s: _ns(t, what=f"last issued origin of {s!r}") // width for s, t in last_issued.items()
        }
        base = frame[UNIQUE_ID].map(issued).fillna(first_window).to_numpy(np.int64)
        refit_at = np.where(block > base, block * width, _NAT)
    frame[BLOCK] = block
    frame[REFIT_AT] = to_timestamps(refit_at)  # the int64 minimum is NaT
    return frame.sort_values([BLOCK, UNIQUE_ID, ORIGIN], ignore_index=True)


def _ns(value: pd.Timestamp, *, what: str) -> int:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise DataValidationError(
            f"{what} is a naive timestamp ({stamp}); pass tz-aware UTC times from the store"
        )
    return int(stamp.tz_convert("UTC").as_unit("ns").value)
