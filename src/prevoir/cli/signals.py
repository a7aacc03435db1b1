"""Stop signals during ``prevoir run``: SIGTERM and Ctrl-C end the run cleanly.

Inside ``stop_signals()`` SIGTERM raises ``prevoir.errors.Interrupted`` and SIGINT
``KeyboardInterrupt`` in the main thread, each once: the run under way records itself
``cancelled``, releases its leases and rolls back the step's open transaction, and a second
signal during that clean-up is ignored (``kill -9`` still stops the process; the run is
then reaped as ``abandoned`` by the next one).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from prevoir.errors import Interrupted


@contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM / SIGINT raise in the main thread (once) while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
