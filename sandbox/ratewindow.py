"""Custify's rate limit: 100 requests per fixed 10-second window (§1.8, quirk 16).

The spec counts ``Retry-After`` "from the window's first request", so the window is a fixed
one that opens at the first request after the previous window ran out (INF). ``Retry-After``
is the whole seconds left, rounded down, so a client close to the window's end can be told
``0`` and must still wait for the reset. Rejected (429) requests do not consume the window.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int | None
    remaining: int | None
    retry_after: int | None = None


class RateWindow:
    """Fixed window of ``limit`` requests per ``window_s`` seconds; ``limit=None`` is off."""

    def __init__(self, limit: int | None = 100, window_s: float = 10.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._start: float | None = None
        self._count = 0
        self._lock = threading.Lock()

    def _roll(self, now: float) -> None:
        if self._start is not None and now >= self._start + self.window_s:
            self._start, self._count = None, 0

    def acquire(self, now: float) -> Decision:
        """Count one request at ``now`` if the window has room; otherwise a 429 decision."""
        with self._lock:
            if self.limit is None:
                return Decision(True, None, None)
            self._roll(now)
            if self._count >= self.limit:
                return Decision(False, self.limit, 0, self._retry_after(now))
            if self._start is None:
                self._start = now
            self._count += 1
            return Decision(True, self.limit, self.limit - self._count)

    def peek(self, now: float) -> Decision:
        """The headers' view without counting (401 answers, storm 429s)."""
        with self._lock:
            if self.limit is None:
                return Decision(True, None, None)
            self._roll(now)
            remaining = max(0, self.limit - self._count)
            return Decision(remaining > 0, self.limit, remaining, self._retry_after(now))

    def _retry_after(self, now: float) -> int:
        if self._start is None:
            return 0
        return max(0, math.floor(self._start + self.window_s - now))

    def reset(self) -> None:
        with self._lock:
            self._start, self._count = None, 0
