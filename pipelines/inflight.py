"""How many of an extract's requests are on the way at once: as few as keep the answers coming.

Requests in flight hide Custify's round trip (a few hundred ms against 10 requests/s, §1.8).
Where answers come back within a millisecond or two (a server nearby, a proxy, the sandbox),
the request threads wait on each other instead of on the network: every request in flight past
the few that keep the process busy adds contention for the GIL and no throughput. Measured on
the bench's extract against a local server: 8 in flight cost ~8% more CPU than 2 to 4, for the
same wall time (bench/README.md).

``InFlightLimit`` is a gate in front of every request of the ``Fetcher``. It starts at the
connection's ``concurrency`` (so a run too short to measure anything behaves as before) and
climbs a ladder of halvings and doublings by the completion rate it measures (``Climb``):

- an epoch lasts ``EPOCH_PER_SLOT`` completions per slot and at least ``EPOCH_S`` seconds;
- only a *crowded* epoch, one in which a request had to wait for a slot, says something about
  the limit; in any other the work, not the limit, set the rate;
- a halving is kept when the rate stays within ``KEEP_LOSS`` of the rate before it, a doubling
  when it raises the rate by ``KEEP_GAIN`` or more; a probe that fails is undone and the next
  one, the other way, waits ``HOLD_EPOCHS`` epochs, so a run whose answers slow down climbs
  again;
- while the rate budget makes requests wait (``SlidingWindowBudget.waits`` grew in the
  epoch), the limit is the ceiling: the budget paces the run, a thread waiting for it sleeps,
  and a request ready when the window opens is sent at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: the fewest requests in flight: one answer is read while the next is on its way
FLOOR = 2
EPOCH_PER_SLOT = 4
EPOCH_S = 0.1
#: a halving that keeps the rate within this fraction stays
KEEP_LOSS = 0.15
#: a doubling that raises the rate by this fraction or more stays
KEEP_GAIN = 0.25
HOLD_EPOCHS = 16


class Climb:
    """The limit's decisions, one per crowded or paced epoch (no clock, no threads)."""

    def __init__(self, ceiling: int, floor: int = FLOOR) -> None:
        self.ceiling = max(1, ceiling)
        self.floor = max(1, min(floor, self.ceiling))
        self.limit = self.ceiling
        self._probe: tuple[int, float] | None = None  # (the limit before it, the rate at it)
        self._down = True  # the direction of the next probe
        self._hold = 0

    def epoch(self, rate: float, crowded: bool, paced: bool) -> int:
        """The limit for the next epoch, given the completion rate of the one that ended."""
        if paced:
            self.limit, self._probe, self._hold, self._down = self.ceiling, None, 0, True
            return self.limit
        if not crowded:
            return self.limit
        if self._probe is not None:
            before, before_rate = self._probe
            self._probe = None
            went_down = self.limit < before
            kept = (
                rate >= before_rate * (1 - KEEP_LOSS)
                if went_down
                else rate >= before_rate * (1 + KEEP_GAIN)
            )
            if not kept:
                self.limit, self._hold, self._down = before, HOLD_EPOCHS, not went_down
                return self.limit
            self._down = went_down  # it paid: one more step the same way, if there is one
        elif self._hold > 0:
            self._hold -= 1
            return self.limit
        self._step(rate)
        return self.limit

    def _step(self, rate: float) -> None:
        """Probe one rung the current way; at the end of the ladder, turn and wait."""
        at_end = self.limit <= self.floor if self._down else self.limit >= self.ceiling
        if at_end:
            self._down = not self._down
            if self.floor < self.ceiling:
                self._hold = HOLD_EPOCHS
            return
        down = max(self.floor, self.limit // 2)
        target = down if self._down else min(self.ceiling, self.limit * 2)
        self._probe, self.limit = (self.limit, rate), target


class InFlightLimit:
    """A gate of ``limit`` slots around requests (``with gate:`` holds one; a class rather
    than a generator context, as it wraps every request); the limit follows ``Climb``.

    ``budget_waits`` returns how often the rate budget has made a request wait so far (a
    counter that only grows).
    """

    def __init__(
        self,
        ceiling: int,
        budget_waits: Callable[[], int],
        *,
        floor: int = FLOOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.climb = Climb(ceiling, floor)
        self._budget_waits = budget_waits
        self._clock = clock
        self._cond = threading.Condition()
        self._active = 0
        self._started = clock()
        self._done = 0
        self._crowded = False
        self._waits = budget_waits()

    @property
    def limit(self) -> int:
        return self.climb.limit

    def __enter__(self) -> InFlightLimit:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        with self._cond:
            if self._active >= self.climb.limit:
                self._crowded = True
                while self._active >= self.climb.limit:
                    self._cond.wait()
            self._active += 1

    def release(self) -> None:
        with self._cond:
            self._active -= 1
            self._done += 1
            before = self.climb.limit
            if self._done >= EPOCH_PER_SLOT * before:
                self._end_epoch()
            if self.climb.limit > before:
                self._cond.notify_all()
            else:
                self._cond.notify()

    def _end_epoch(self) -> None:
        now = self._clock()
        elapsed = now - self._started
        if elapsed < EPOCH_S:
            return
        waits = self._budget_waits()
        self.climb.epoch(self._done / elapsed, self._crowded, waits != self._waits)
        self._started, self._done, self._crowded, self._waits = now, 0, False, waits
