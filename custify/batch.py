"""``POST /batch`` and ``GET /batch/{id}`` (custify-api.md §15): the pure part, no I/O.

The limits, the job-id and status parsing, the one poll schedule (``poll_waits``) and what a
client learned about the road (``BatchRoad``); ``custify.batch_worker`` sends the requests.

The batch endpoint takes up to 100 jobs (each ``{type: people|company|event|custom-data,
payload}``), answers 202 with a job id, and keeps the job's status for 6 hours. A row is only
done when there is evidence (``POST /batch`` is asynchronous); the status format is not
documented, so ``custify.batch_status`` reads it without guessing.

Each client keeps a ``BatchRoad``: what it learned about ``/batch`` on its account.

- **Refused**: a 400/403/404/405 on ``POST /batch`` itself closes the road for the client's
  life (the reverse ETL also remembers it per connection across runs); the first submit of an
  unknown road goes alone, so a refusal costs one request, not one per batch in flight.
- **Expected completion**: a job is polled first when jobs of this client took to complete
  (an initial guess, then what the last completed job took, capped), and then with a growing
  wait: a poll right after the submit only ever says "queued" and costs a request.
- **Unreadable**: a status that stays unknown ends the polling early. A status whose format
  cannot be read at all closes the road for the client's life: without a readable status a
  batch saves nothing (every row needs a read-back or a resend), so the single endpoints are
  cheaper from then on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from custify.batch_status import (
    NOT_REPORTED,
    BatchStatus,
    JobOutcome,
    read_status,
)
from models.registry import BATCH_JOB_IDENTIFIERS, BATCH_MAX_JOBS

__all__ = [
    "NOT_REPORTED", "BatchRoad", "BatchStatus", "JobOutcome", "job_id_of", "poll_waits",
    "read_status", "replay_safe", "validate_jobs",
]  # fmt: skip

JOB_TYPES = frozenset(BATCH_JOB_IDENTIFIERS)
#: the first guess of how long a job takes (INF: §15 gives no processing time), and its bounds
EXPECTED_FIRST_S = 2.0
EXPECTED_MIN_S = 0.25
EXPECTED_MAX_S = 60.0
#: the longest wait between two polls of a job that is still pending
POLL_MAX_S = 16.0
POLL_TIMEOUT_S = 900.0
#: polls an unknown status gets before the caller looks for other evidence
UNKNOWN_POLLS = 2


@dataclass
class BatchRoad:
    """What one client learned about ``/batch`` on its account (thread-safe)."""

    mode: str = "auto"
    #: why the road is closed ("404 on POST /batch"), None while it is open
    refused: str | None = None
    #: the road was closed by an earlier run (the reverse ETL's memory), not by this client
    remembered: bool = False
    expected_s: float = EXPECTED_FIRST_S
    #: batches whose status this client could not read
    unreadable: int = 0
    #: a submit was accepted: the road is known to be open
    accepted: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _probe: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def open(self) -> bool:
        return self.mode != "off" and self.refused is None

    def why_closed(self) -> str:
        if self.mode == "off":
            return "batch = off"
        return self.refused or ""

    def refuse(self, reason: str, *, remembered: bool = False) -> None:
        with self._lock:
            if self.refused is None:
                self.refused, self.remembered = reason, remembered

    @contextmanager
    def probe(self) -> Iterator[None]:
        """Hold the first submit of a road not yet known to be open; later ones pass."""
        if self.accepted:
            yield
            return
        with self._probe:
            yield

    def learn(self, duration_s: float | None, elapsed_s: float) -> None:
        """A job completed: poll the next one when this one took (server timestamps when
        they are sane, else our first poll that saw it done, an upper bound)."""
        measured = duration_s is not None and 0 <= duration_s < 0.9 * elapsed_s
        took = duration_s * 1.1 if measured else elapsed_s  # type: ignore[operator]
        with self._lock:
            self.expected_s = min(EXPECTED_MAX_S, max(EXPECTED_MIN_S, took))

    def saw_unreadable(self) -> None:
        with self._lock:
            self.unreadable += 1

    def unknown_polls(self) -> int:
        return 1 if self.unreadable else UNKNOWN_POLLS


def validate_jobs(jobs: list[dict[str, Any]]) -> None:
    """At most 100 jobs (§15), each with a known type and an object payload."""
    if not jobs:
        raise ValueError("a batch needs at least one job")
    if len(jobs) > BATCH_MAX_JOBS:
        raise ValueError(f"a batch takes at most {BATCH_MAX_JOBS} jobs, got {len(jobs)} (§15)")
    for i, job in enumerate(jobs):
        if job.get("type") not in JOB_TYPES:
            raise ValueError(f"job {i}: type must be one of {sorted(JOB_TYPES)}")
        if not isinstance(job.get("payload"), dict | list):
            raise ValueError(f"job {i}: payload must be an object")


def replay_safe(jobs: list[dict[str, Any]]) -> bool:
    """Re-submitting is harmless when every job is an upsert or a deduplicated event (§4)."""
    for job in jobs:
        if job["type"] == "event" and not job["payload"].get("deduplication_id"):
            return False
    return True


def job_id_of(body: Any) -> str | None:
    """The id of a submitted batch, at the top of the answer or one wrapper down."""
    if not isinstance(body, dict):
        return None
    for doc in (body, *(body.get(k) for k in ("data", "batch", "job"))):
        if not isinstance(doc, dict):
            continue
        for key in ("id", "jobId", "job_id", "batchId", "batch_id"):
            if doc.get(key) not in (None, ""):
                return str(doc[key])
    return None


def poll_waits(expected_s: float) -> Iterator[float]:
    """The waits before each poll of one job: first what jobs take (``expected_s``), then
    half that, doubling up to ``POLL_MAX_S`` (a poll right after the submit only ever says
    "queued" and costs a request)."""
    wait, later = expected_s, max(EXPECTED_MIN_S, expected_s / 2)
    while True:
        yield wait
        wait, later = later, min(POLL_MAX_S, later * 2)
