"""custify.batch at the network edge: limits, replay safety, polling through the clock (§15)."""

from __future__ import annotations

import httpx
import pytest

from custify.errors import RetriableError

PEOPLE = {"type": "people", "payload": {"email": "a@b.c"}}
EVENT = {"type": "event", "payload": {"name": "login", "created_at": "2024-01-01"}}


def test_more_than_100_jobs_is_refused_before_sending(scripted) -> None:
    client, script = scripted(httpx.Response(202, json={"id": "j1"}))
    with pytest.raises(ValueError, match="at most 100 jobs"):
        client.submit_batch([PEOPLE] * 101)
    with pytest.raises(ValueError, match="type must be one of"):
        client.submit_batch([{"type": "deal", "payload": {}}])
    with pytest.raises(ValueError, match="at least one job"):
        client.submit_batch([])
    assert script.requests == []


def test_submit_returns_the_job_id(scripted) -> None:
    client, script = scripted(httpx.Response(202, json={"id": "j1"}))
    assert client.submit_batch([PEOPLE] * 100) == "j1"
    body = script.requests[0].read()
    assert b'"returnJobId":true' in body and b'"synchronous":false' in body


def test_upsert_batches_are_resubmitted_after_a_5xx(scripted) -> None:
    client, script = scripted(httpx.Response(502), httpx.Response(202, json={"id": "j1"}))
    assert (
        client.submit_batch(
            [PEOPLE, {**EVENT, "payload": {**EVENT["payload"], "deduplication_id": "d1"}}]
        )
        == "j1"
    )
    assert len(script.requests) == 2


def test_batches_with_undeduplicated_events_are_not(scripted) -> None:
    client, script = scripted(httpx.Response(502), httpx.Response(202, json={"id": "j1"}))
    with pytest.raises(RetriableError) as exc:
        client.submit_batch([PEOPLE, EVENT])
    assert exc.value.maybe_applied and len(script.requests) == 1


def test_run_batch_polls_through_the_clock(scripted, clock) -> None:
    done = {
        "id": "j1",
        "status": "done",
        "jobs": [
            {"status": "success", "id": "p1"},
            {"status": "failed", "error": "email: invalid"},
        ],
    }
    client, script = scripted(
        httpx.Response(202, json={"id": "j1"}),
        httpx.Response(200, json={"id": "j1", "status": "pending"}),
        httpx.Response(200, json={"id": "j1", "status": "processing"}),
        httpx.Response(200, json=done),
    )
    start = clock.now()
    outcomes = client.run_batch([PEOPLE, PEOPLE], poll_interval_s=5.0)
    assert clock.now() - start == pytest.approx(10.0)
    assert [(o.index, o.status, o.id, o.reason) for o in outcomes] == [
        (0, "success", "p1", None),
        (1, "failed", None, "email: invalid"),
    ]
    assert [r.url.path for r in script.requests] == ["/batch"] + ["/batch/j1"] * 3


def test_run_batch_gives_up_after_its_timeout(scripted) -> None:
    client, _ = scripted(
        httpx.Response(202, json={"id": "j1"}),
        httpx.Response(200, json={"id": "j1", "status": "pending"}),
    )
    with pytest.raises(RetriableError, match="not done after 60s"):
        client.run_batch([PEOPLE], poll_interval_s=10.0, timeout_s=60.0)
