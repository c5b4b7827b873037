"""Injectable clock: every component that waits or stamps time takes one.

Tests hand the same ``FakeClock`` to the sandbox and the client, so a 10-second rate window or a
backoff costs no real time.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

#: How far Custify's clock may differ from ours when a record's ``updated_at`` is compared with
#: the times the reverse ETL's ledger recorded (echo detection in the ELT's trigger events, and
#: "Custify changed it since we confirmed" in the reverse ETL's diff).
ECHO_SKEW_S = 30.0


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall time: it is shared across processes)."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; a fake clock advances instead of blocking."""


class RealClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "RealClock()"


class FakeClock:
    """A clock that moves only when told to, or when somebody sleeps on it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += seconds

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now():.3f})"
