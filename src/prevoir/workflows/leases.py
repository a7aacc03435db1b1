"""Runs that belong to a live process: who runs a run, its heartbeat, the reaper of dead
runs, and the operator's view of the leases.

A run records its owner (``host``, ``pid``). While its process lives, a daemon thread
(``Heartbeat``) touches the run's ``heartbeat_at`` and renews the training leases it holds
every ``HEARTBEAT_EVERY`` seconds, so a lease outlives its holder by at most ``LEASE_TTL``
however long a step takes. ``reap_abandoned`` (at the start of every run and at server
start) closes as ``abandoned`` every open run whose process is gone: on this host, its pid no
longer runs; elsewhere, its heartbeat is older than ``LEASE_TTL``. Its leases are released
at once, so the next run starts without waiting for them to lapse.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prevoir.domain.records import Run
from prevoir.errors import NotFoundError
from prevoir.storage.locks import Lease, force_release, list_locks, release_owned, renew_lock
from prevoir.storage.runs import active_runs, beat, finish_run
from prevoir.storage.store import Store
from prevoir.workflows.project import Project

logger = logging.getLogger(__name__)

HOST = socket.gethostname()
LEASE_TTL = timedelta(seconds=60)  # a dead holder blocks others at most this long
HEARTBEAT_EVERY = 15.0  # seconds between heartbeats: four per TTL


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we know
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class Heartbeat:
    """A daemon thread that keeps a run's heartbeat and leases fresh while it lives."""

    def __init__(
        self,
        store: Store,
        run_id: int,
        *,
        owner: str,
        leases: Callable[[], tuple[str, ...]],
        every: float = HEARTBEAT_EVERY,
    ) -> None:
        self._store, self._run_id, self._owner, self._leases = store, run_id, owner, leases
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"prevoir-heartbeat-{run_id}", daemon=True
        )

    def start(self) -> None:
        """Start beating."""
        self._thread.start()

    def stop(self) -> None:
        """Stop beating (the run ended); waits for a beat under way."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def beat(self) -> None:
        """One heartbeat: the run's ``heartbeat_at`` and every lease it holds."""
        with self._store.write() as conn:
            beat(conn, self._run_id)
            for name in self._leases():
                if not renew_lock(conn, name, self._owner, ttl=LEASE_TTL):
                    logger.warning("run %s: lease %s lapsed and was taken", self._run_id, name)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.beat()
            except Exception as exc:  # the store is away: the run itself will say so
                logger.info("run %s: heartbeat failed: %s", self._run_id, exc)


def why_dead(run: Run, *, now: datetime, ttl: timedelta = LEASE_TTL) -> str | None:
    """Why ``run`` (queued or running) has no live process, or None while it has one."""
    if run.host == HOST and run.pid is not None:
        if process_alive(run.pid):
            return None
        return f"its process {run.pid} on {run.host} is gone"
    last = run.heartbeat_at or run.started_at
    if now - last <= ttl:
        return None
    return f"no heartbeat since {last:%Y-%m-%d %H:%M:%S} UTC (more than {ttl.seconds} s)"


def reap_abandoned(store: Store) -> list[int]:
    """Close every open run whose process is dead as ``abandoned``, naming the step it died
    in, and release its leases; the ids reaped."""
    with store.read() as conn:
        open_runs = active_runs(conn)
    now = datetime.now(UTC)
    reaped = []
    for run in open_runs:
        why = why_dead(run, now=now)
        if why is None:
            continue
        if run.status == "queued":
            error = f"abandoned before it started: {why} (the server that queued it stopped)"
        else:
            where = f"in step {run.next_step!r}" if run.next_step else "after its last step"
            error = f"abandoned {where}: {why}; its leases were released"
        with store.write() as conn:
            if finish_run(conn, run.id, status="abandoned", error=error, only_if=(run.status,)):
                release_owned(conn, run.owner)
                reaped.append(run.id)
        logger.warning("run %s %s", run.id, error)
    return reaped


def list_leases(project: Project) -> list[Lease]:
    """Every lease in the store, live or lapsed, by name."""
    with project.store.read() as conn:
        return list_locks(conn)


def release_lease(project: Project, name: str) -> Lease:
    """Delete lease ``name`` whoever holds it; the lease it was (``NotFoundError`` if none)."""
    with project.store.write() as conn:
        lease = force_release(conn, name)
    if lease is None:
        raise NotFoundError(f"no lock named {name!r}; list them with `prevoir locks list`")
    logger.warning("lock %s released by hand (held by %s)", name, lease.owner)
    return lease
