"""The ``POST /batch`` worker (custify-api.md §15): submit, then poll by expectation.

What a client learned about the road, the limits, the job-id and status parsing and the poll
schedule are ``custify.batch`` (pure); this module sends the requests. It talks to any
``BatchTransport`` (``CustifyClient`` is one), so the client can offer ``run_batch`` without
the two modules importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from custify.batch import (
    POLL_TIMEOUT_S,
    BatchRoad,
    BatchStatus,
    JobOutcome,
    job_id_of,
    poll_waits,
    read_status,
    replay_safe,
    validate_jobs,
)
from custify.errors import CustifyError, RetriableError, endpoint_refused
from custify.http import decode_json
from models.clock import Clock
from models.registry import BATCH_PATH, BATCH_STATUS_PATH


class BatchTransport(Protocol):
    """What the worker needs of a client: its requests, its clock and its batch road."""

    batch_road: BatchRoad
    clock: Clock

    def request(
        self, method: str, path: str, *, json: Any = None, replay_safe: bool | None = None
    ) -> httpx.Response: ...

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any: ...


def submit(client: BatchTransport, jobs: list[dict[str, Any]]) -> str | None:
    """``POST /batch``; the job id, or None when the 202 carries none (§1.9: 202 bodies may
    be empty), in which case only other evidence can tell what happened."""
    validate_jobs(jobs)
    response = client.request(
        "POST",
        BATCH_PATH,
        json={"jobs": jobs, "synchronous": False, "returnJobId": True},
        replay_safe=replay_safe(jobs),
    )
    client.batch_road.accepted = True
    return job_id_of(decode_json(response))


def status(client: BatchTransport, job_id: str) -> Any:
    """``GET /batch/{id}``, decoded as it came (see ``custify.batch.read_status``)."""
    return client.get_json(BATCH_STATUS_PATH.format(id=job_id))


def poll(
    client: BatchTransport,
    job_id: str | None,
    jobs: list[dict[str, Any]],
    *,
    submitted_at: float,
    timeout_s: float = POLL_TIMEOUT_S,
) -> BatchStatus:
    """Wait for the job by expectation; done, still pending at ``timeout_s``, or unknown."""
    road, clock = client.batch_road, client.clock
    if job_id is None:
        road.saw_unreadable()
        clock.sleep(road.expected_s)  # no id to poll: give it the time jobs take, then look
        return BatchStatus("unknown", detail="POST /batch answered without a job id", jobs=jobs)
    unknown = 0
    for wait in poll_waits(road.expected_s):
        clock.sleep(wait)
        state = _read(client, job_id, jobs)
        if state.state == "done":
            road.learn(state.duration_s, clock.now() - submitted_at)
            return state
        if state.state == "unknown":
            unknown += 1
            if unknown >= road.unknown_polls():
                road.saw_unreadable()
                if state.unreadable:
                    road.refuse(state.detail or "unreadable batch status")
                return state
        if clock.now() - submitted_at >= timeout_s:
            return state
    raise AssertionError("poll_waits never ends")  # pragma: no cover


def _read(client: BatchTransport, job_id: str, jobs: list[dict[str, Any]]) -> BatchStatus:
    """One poll; a status endpoint that is refused or keeps failing is an unknown status."""
    try:
        return read_status(status(client, job_id), jobs)
    except RetriableError as exc:
        return BatchStatus("unknown", detail=str(exc), jobs=jobs)
    except CustifyError as exc:
        if not endpoint_refused(exc):
            raise
        return BatchStatus("unknown", detail=str(exc), jobs=jobs)


def run(
    client: BatchTransport, jobs: list[dict[str, Any]], *, timeout_s: float = POLL_TIMEOUT_S
) -> list[JobOutcome]:
    """Submit and poll; one outcome per job ("unknown" where the status gave no evidence).

    Raises ``RetriableError`` when the job is still pending after ``timeout_s``."""
    job_id = submit(client, jobs)
    state = poll(client, job_id, jobs, submitted_at=client.clock.now(), timeout_s=timeout_s)
    if state.state == "pending":
        raise RetriableError(
            f"batch {job_id} not done after {timeout_s:g}s; poll batch_status later",
            maybe_applied=True,
            method="GET",
            path=BATCH_STATUS_PATH,
        )
    return [state.outcome(i) for i in range(len(jobs))]
