"""Login throttling: after a few failed passwords, each further try waits, doubling.

Two counters are kept per server process, in memory: one per user name (someone guessing
alice's password from many addresses) and one per client address (one machine trying many
names). A key with ``attempts`` failures may try again only ``base_delay_s * 2^(failures -
attempts)`` seconds after its last failure (capped at ``max_delay_s``); until then the
login answers 429 with ``Retry-After`` and the password is not even checked (no hashing
cost). A success clears the user's counter, not the address's. A key forgets its failures
``forget_after_s`` after the last one. The table is bounded (least recently failed keys are
dropped first), so random user names cannot grow it without limit.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle", "ThrottlePolicy", "retry_after_header"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free (per user, per address), and the delays after them."""

    attempts: int = 5
    address_attempts: int = 20
    base_delay_s: float = 1.0
    max_delay_s: float = 900.0
    forget_after_s: float = 3600.0
    max_keys: int = 100_000


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failed logins per user name and per client address (see the module)."""

    def __init__(
        self, policy: ThrottlePolicy | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()  # the token route runs in FastAPI's thread pool

    def retry_after(self, username: str, address: str) -> tuple[float, str] | None:
        """``(seconds, "user" | "address")`` to wait before this login may be tried, or None."""
        now = self.clock()
        with self._lock:
            waits = [
                (self._wait(("user", username.casefold()), self.policy.attempts, now), "user"),
                (self._wait(("address", address), self.policy.address_attempts, now), "address"),
            ]
        wait, reason = max(waits)
        return (wait, reason) if wait > 0 else None

    def failed(self, username: str, address: str) -> None:
        """Count a failed login of ``username`` from ``address``."""
        now = self.clock()
        with self._lock:
            for key in (("user", username.casefold()), ("address", address)):
                entry = self._live(key, now)
                if entry is None:
                    entry = self._failures[key] = _Failures(0, now)
                entry.count += 1
                entry.last = now
                self._failures.move_to_end(key)
            while len(self._failures) > self.policy.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """Forget the failures of ``username`` (not those of the address it came from)."""
        with self._lock:
            self._failures.pop(("user", username.casefold()), None)

    def _live(self, key: tuple[str, str], now: float) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last > self.policy.forget_after_s:
            del self._failures[key]
            return None
        return entry

    def _wait(self, key: tuple[str, str], free: int, now: float) -> float:
        entry = self._live(key, now)
        if entry is None or entry.count < free:
            return 0.0
        delay = self.policy.base_delay_s * 2.0 ** min(entry.count - free, 30)
        return max(0.0, min(delay, self.policy.max_delay_s) - (now - entry.last))


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` in whole seconds, never 0."""
    return str(max(1, math.ceil(seconds)))
