"""The shared rate budget: ONE sliding-window log per Custify account (custify-api.md §1.8).

Custify allows 100 requests per 10-second window for the whole account, reads and writes alike,
and answers 429 beyond it. Extraction and pushes, in any number of threads and processes, share
that one budget (design.md "One HTTP stack, one rate budget"). So the log of grants lives in a
SQLite file (WAL mode, every decision inside ``BEGIN IMMEDIATE``) that every process on the
account opens; ``path=None`` keeps it in memory for one process.

Algorithm: a sliding-window log. A grant is allowed when fewer than ``limit`` grants happened in
the last ``window_s + safety_s`` seconds. A sliding window is stricter than the server's fixed
window (any fixed window is one of the sliding ones), and the ``safety_s`` margin absorbs
network jitter: a request granted at t reaches Custify at t + latency, so as long as latencies
differ by less than ``safety_s`` no server window of ``window_s`` seconds can see more than
``limit`` of our requests. When the log is full, ``acquire`` sleeps exactly until the oldest
relevant grant leaves the window (no spinning).

Corrections (``observe``): ``X-RateLimit-Remaining`` lower than our own count says somebody else
uses the account (another tool): we add phantom grants so that our view matches the server's.
A 429's ``Retry-After`` blocks every user of the file until then.

Why not pyrate-limiter (installed, with SQLite buckets): its blocking waits call ``time.sleep``
and its SQLite bucket reads SQLite's own clock, so neither the FakeClock nor the sandbox's clock
can drive it; sharing across processes needs its extra file lock; and it has no notion of
"blocked until" (Retry-After) or of correcting the count from a response header. The log below
is ~100 lines and does exactly those things in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from models.clock import Clock, RealClock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grants (t REAL NOT NULL);
CREATE INDEX IF NOT EXISTS grants_t ON grants (t);
CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v REAL NOT NULL);
"""
#: never sleep less than this when waiting: guards against float rounding loops
_MIN_WAIT_S = 0.001
#: float slack when comparing clock times: a grant exactly one span old has left the window
_EPS = 1e-6
#: a Retry-After block further away than this is from another clock era: ignore it
_MAX_BLOCK_S = 3600.0


class RateBudget:
    """``acquire()`` blocks (through ``clock.sleep``) until one request may be sent."""

    def __init__(
        self,
        limit: int = 100,
        window_s: float = 10.0,
        *,
        path: Path | None = None,
        clock: Clock | None = None,
        safety_s: float = 0.25,
    ) -> None:
        if limit < 1 or window_s <= 0 or safety_s < 0:
            raise ValueError("limit >= 1, window_s > 0 and safety_s >= 0 are required")
        self.limit = limit
        self.window_s = float(window_s)
        self.safety_s = float(safety_s)
        self.path = Path(path) if path is not None else None
        self.clock: Clock = clock or RealClock()
        self._lock = threading.Lock()
        self._db = self._connect()
        self._pid = os.getpid()

    @property
    def span_s(self) -> float:
        """The length of our sliding window: the server's window plus the jitter margin."""
        return self.window_s + self.safety_s

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            target = ":memory:"
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self.path)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; the lock guards threads.
        db = sqlite3.connect(target, timeout=60.0, isolation_level=None, check_same_thread=False)
        if self.path is not None:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return db

    def _transaction(self, fn):  # type: ignore[no-untyped-def]
        """Run ``fn(db, now)`` inside BEGIN IMMEDIATE: one writer across threads and processes.

        ``now`` is read only once the transaction is ours: a time read before waiting for the
        lock would be stale and could slip a grant into the past.
        """
        with self._lock:
            if self._pid != os.getpid():  # forked: a SQLite handle must not cross a fork
                self._db, self._pid = self._connect(), os.getpid()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db, self.clock.now())
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def try_acquire(self) -> float:
        """Take a slot now and return 0.0, or return how long to wait before asking again."""
        return self._transaction(self._decide)

    def _decide(self, db: sqlite3.Connection, now: float) -> float:
        # grants older than a span have left; "future" ones mean the clock went back (NTP, or
        # a FakeClock test after a real one on the same file): forget them rather than stall
        db.execute(
            "DELETE FROM grants WHERE t <= ? OR t > ?",
            (now - self.span_s + _EPS, now + self.span_s),
        )
        row = db.execute("SELECT v FROM state WHERE k = 'blocked_until'").fetchone()
        if row and now + _EPS < row[0] <= now + _MAX_BLOCK_S:
            return row[0] - now
        count = db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
        if count < self.limit:
            db.execute("INSERT INTO grants (t) VALUES (?)", (now,))
            return 0.0
        # the grant that must leave the window before a slot frees up
        (oldest,) = db.execute(
            "SELECT t FROM grants ORDER BY t LIMIT 1 OFFSET ?", (count - self.limit,)
        ).fetchone()
        return oldest + self.span_s - now

    def acquire(self) -> None:
        """Block until a request may be sent; sleeps until the oldest grant leaves the window."""
        while True:
            wait = self.try_acquire()
            if wait <= 0:
                return
            self.clock.sleep(max(wait, _MIN_WAIT_S))

    def observe(self, remaining: int | None = None, retry_after: float | None = None) -> None:
        """Correct the budget from a response (§1.8).

        ``remaining`` (``X-RateLimit-Remaining``) below what we think is left means another
        client uses the account: take the server's word by adding phantom grants now.
        ``retry_after`` (a 429's ``Retry-After``, 0 allowed) blocks every user until then.
        """
        if remaining is None and retry_after is None:
            return

        def apply(db: sqlite3.Connection, now: float) -> None:
            if retry_after is not None:
                db.execute(
                    "INSERT INTO state (k, v) VALUES ('blocked_until', ?) "
                    "ON CONFLICT(k) DO UPDATE SET v = max(v, excluded.v)",
                    (now + retry_after,),
                )
            if remaining is not None:
                db.execute("DELETE FROM grants WHERE t <= ?", (now - self.span_s,))
                count = db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
                deficit = (self.limit - count) - max(0, remaining)
                if deficit > 0:
                    db.executemany("INSERT INTO grants (t) VALUES (?)", [(now,)] * deficit)

        self._transaction(apply)

    def in_window(self) -> int:
        """Grants (real and phantom) in the current sliding window; for tests and stats."""
        return self._transaction(
            lambda db, now: db.execute(
                "SELECT COUNT(*) FROM grants WHERE t > ?", (now - self.span_s,)
            ).fetchone()[0]
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"RateBudget({self.limit}/{self.window_s:g}s, safety={self.safety_s:g}s, {where})"
