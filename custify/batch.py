"""``POST /batch`` and ``GET /batch/{id}`` (custify-api.md §15).

The batch endpoint takes up to 100 jobs (each ``{type: people|company|event|custom-data,
payload}``), answers 202 with a job id, and keeps the job's status for 6 hours. A row is only
done when the job says so (design.md "POST /batch is asynchronous"), so ``run`` polls through the
injected clock and returns one outcome per job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from custify.errors import FatalError, RetriableError
from custify.http import decode_json
from models.registry import BATCH_MAX_JOBS, BATCH_PATH, BATCH_STATUS_PATH

if TYPE_CHECKING:
    from custify.client import CustifyClient

JOB_TYPES = frozenset({"people", "company", "event", "custom-data"})
#: job-level states that mean the job will not change any more
_DONE = frozenset({"done", "completed", "complete", "finished", "success", "failed", "error"})
_OK = frozenset({"success", "succeeded", "ok", "done", "completed", "processed"})
#: ``JobOutcome.reason`` of a job the status did not mention (not the row's fault: resend)
NOT_REPORTED = "the batch status did not report this job"


@dataclass(frozen=True)
class JobOutcome:
    """What happened to one job of a batch: ``status`` is "success" or "failed"."""

    index: int
    type: str
    status: str
    reason: str | None = None
    id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


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


def submit(client: CustifyClient, jobs: list[dict[str, Any]]) -> str:
    validate_jobs(jobs)
    response = client.request(
        "POST",
        BATCH_PATH,
        json={"jobs": jobs, "synchronous": False, "returnJobId": True},
        replay_safe=replay_safe(jobs),
    )
    body = decode_json(response) or {}
    job_id = _first(body, ("id", "jobId", "job_id", "batchId")) if isinstance(body, dict) else None
    if not job_id:
        raise FatalError("POST /batch answered without a job id", method="POST", path=BATCH_PATH)
    return str(job_id)


def status(client: CustifyClient, job_id: str) -> dict[str, Any]:
    body = client.get_json(BATCH_STATUS_PATH.format(id=job_id))
    if not isinstance(body, dict):
        raise FatalError(
            "GET /batch/{id} answered without an object", method="GET", path=BATCH_PATH
        )
    return body


def run(
    client: CustifyClient,
    jobs: list[dict[str, Any]],
    *,
    poll_interval_s: float = 2.0,
    timeout_s: float = 900.0,
) -> list[JobOutcome]:
    """Submit, then poll every ``poll_interval_s`` (clock time) until the batch is done."""
    job_id = submit(client, jobs)
    deadline = client.clock.now() + timeout_s
    while True:
        state = status(client, job_id)
        if is_done(state):
            return outcomes(state, jobs)
        if client.clock.now() >= deadline:
            raise RetriableError(
                f"batch {job_id} not done after {timeout_s:g}s; poll batch_status later",
                maybe_applied=True,
                method="GET",
                path=BATCH_STATUS_PATH,
            )
        client.clock.sleep(poll_interval_s)


def is_done(state: dict[str, Any]) -> bool:
    value = str(_first(state, ("status", "state")) or "").lower()
    return value in _DONE


def outcomes(state: dict[str, Any], jobs: list[dict[str, Any]]) -> list[JobOutcome]:
    """One outcome per submitted job, in order; a missing job report counts as failed."""
    reports = [r for r in (_first(state, ("results", "jobs")) or []) if isinstance(r, dict)]
    by_index = {r["index"]: r for r in reports if isinstance(r.get("index"), int)}
    out = []
    for i, job in enumerate(jobs):
        report = by_index.get(i) or (reports[i] if not by_index and i < len(reports) else {})
        raw = str(_first(report, ("status", "state")) or "").lower()
        ok = raw in _OK
        reason = _first(report, ("error", "reason", "message"))
        if not report:
            reason = NOT_REPORTED
        result = report.get("result") if isinstance(report.get("result"), dict) else {}
        rid = _first(report, ("id", "entityId")) or _first(result, ("id",))
        out.append(
            JobOutcome(
                index=i,
                type=job["type"],
                status="success" if ok else "failed",
                reason=None if ok else (str(reason) if reason else raw or "failed"),
                id=str(rid) if rid else None,
            )
        )
    return out


def _first(mapping: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if mapping.get(key) not in (None, ""):
            return mapping[key]
    return None
