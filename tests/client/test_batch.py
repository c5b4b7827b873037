"""custify.batch at the network edge: limits, replay safety, the status parser, polling by
expectation through the clock (§15: the job-status format is not documented)."""

from __future__ import annotations

import httpx
import pytest

from custify.batch import EXPECTED_FIRST_S, read_status
from custify.errors import RetriableError

PEOPLE = {"type": "people", "payload": {"email": "a@b.c"}}
EVENT = {"type": "event", "payload": {"name": "login", "created_at": "2024-01-01"}}
JOBS = [
    {"type": "people", "payload": {"user_id": "u1", "email": "u1@x.io"}},
    {"type": "people", "payload": {"user_id": "u2", "email": "u2@x.io"}},
    {
        "type": "event",
        "payload": {"name": "e", "created_at": "2024-01-01", "deduplication_id": "d3"},
    },
]


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


def _report(index=None, status="success", **extra):
    out = {"status": status, **extra}
    if index is not None:
        out["index"] = index
    return out


READABLE = {
    "results by index": (
        {"status": "completed", "results": [_report(0, id="p1"), _report(1, id="p2"),
                                            _report(2, "failed", error="bad name")]},
        [("success", "p1"), ("success", "p2"), ("failed", None)],
    ),
    "jobs with a done flag and state words": (
        {"done": True, "jobs": [{"index": 0, "state": "succeeded", "entityId": "p1"},
                                {"index": 2, "state": "error", "message": "no person"}]},
        [("success", "p1"), ("unknown", None), ("failed", None)],
    ),
    "nested under data, named by identifier, another order": (
        {"data": {"state": "finished", "data": [
            {"deduplication_id": "d3", "result": {"status": "ok"}},
            {"user_id": "u2", "email": "u2@x.io", "result": {"status": "ok", "id": "p2"}},
        ]}},
        [("unknown", None), ("success", "p2"), ("success", None)],
    ),
    "1-based indexes, told apart by the last one": (
        {"status": "done", "results": [_report(1, id="p1"), _report(3)]},
        [("success", "p1"), ("unknown", None), ("success", None)],
    ),
    "a boolean success per job": (
        {"status": "finished", "results": [{"index": 0, "success": True, "id": "p1"},
                                           {"index": 1, "success": False, "error": "x"}]},
        [("success", "p1"), ("failed", None), ("unknown", None)],
    ),
    "done with no results at all": ({"status": "completed"}, [("unknown", None)] * 3),
    "a failed job whose own code is a 5xx was not applied": (
        {"status": "completed", "results": [_report(0, "failed", statusCode=503)]},
        [("unknown", None), ("unknown", None), ("unknown", None)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("body, want", READABLE.values(), ids=list(READABLE))
def test_status_shapes_the_notes_allow_are_read(body, want) -> None:
    state = read_status(body, JOBS)
    assert state.state == "done"
    got = [(state.outcome(i).status, state.outcome(i).id) for i in range(len(JOBS))]
    assert got == want
    failed = [o for o in state.outcomes if o.status == "failed"]
    assert all(o.reason for o in failed)


UNREADABLE = {
    "a status word nobody uses": {"status": "ACK", "results": [_report(0), _report(1)]},
    "a word and a flag that disagree": {"status": "completed", "done": False},
    "no state at all": {"batchId": "j1", "progress": "100%"},
    "a list": [{"index": 0, "status": "success"}],
    "a string": "ok",
}


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=list(UNREADABLE))
def test_anything_else_is_unknown_never_success_or_failure(body) -> None:
    state = read_status(body, JOBS)
    assert state.state == "unknown" and state.unreadable
    assert {state.outcome(i).status for i in range(len(JOBS))} == {"unknown"}


def test_reports_that_cannot_be_placed_name_no_job() -> None:
    """Indexes that could be 0- or 1-based, an index whose identifier belongs to another job,
    two reports for one job, and positions alone are no evidence."""
    ambiguous = {"status": "completed", "results": [_report(1), _report(2)]}
    assert [o.status for o in read_status(ambiguous, JOBS).outcomes] == ["unknown"] * 3
    crossed = {"status": "completed", "results": [_report(0, user_id="u2")]}
    assert read_status(crossed, JOBS).outcome(0).status == "unknown"
    twice = {"status": "completed", "results": [_report(0), _report(0, "failed")]}
    assert read_status(twice, JOBS).outcome(0).status == "unknown"
    positional = {"status": "completed", "results": [{"status": "success"}] * 3}
    assert [o.status for o in read_status(positional, JOBS).outcomes] == ["unknown"] * 3


def test_pending_words_and_flags_are_pending() -> None:
    for body in ({"status": "queued"}, {"state": "in_progress"}, {"done": False},
                 {"data": {"status": "running"}}):  # fmt: skip
        assert read_status(body, JOBS).state == "pending", body


def test_run_batch_first_polls_when_jobs_are_expected_to_be_done(scripted, clock) -> None:
    """No poll right after the submit (it only ever says queued); later polls back off."""
    done = {
        "id": "j1",
        "status": "done",
        "jobs": [
            {"index": 0, "status": "success", "id": "p1"},
            {"index": 1, "status": "failed", "error": "email: invalid"},
        ],
    }
    client, script = scripted(
        httpx.Response(202, json={"id": "j1"}),
        httpx.Response(200, json={"id": "j1", "status": "pending"}),
        httpx.Response(200, json={"id": "j1", "status": "processing"}),
        httpx.Response(200, json=done),
    )
    start = clock.now()
    outcomes = client.run_batch([PEOPLE, PEOPLE])
    # first poll at the expected completion, then half of it, then double that
    assert clock.now() - start == pytest.approx(EXPECTED_FIRST_S * 2.5)
    assert [(o.index, o.status, o.id, o.reason) for o in outcomes] == [
        (0, "success", "p1", None),
        (1, "failed", None, "email: invalid"),
    ]
    assert [r.url.path for r in script.requests] == ["/batch"] + ["/batch/j1"] * 3
    # the next batch is expected to take as long as this one did: one poll
    assert client.batch_road.expected_s == pytest.approx(EXPECTED_FIRST_S * 2.5)
    client2_requests = len(script.requests)
    script.answers = [httpx.Response(202, json={"id": "j2"}), httpx.Response(200, json=done)]
    client.run_batch([PEOPLE, PEOPLE])
    assert len(script.requests) - client2_requests == 2


def test_server_timestamps_teach_a_shorter_expectation(scripted, clock) -> None:
    done = {"status": "completed", "created_at": "2024-01-01T00:00:00.000Z",
            "completed_at": "2024-01-01T00:00:00.500Z", "results": [_report(0)]}  # fmt: skip
    client, _ = scripted(httpx.Response(202, json={"id": "j1"}), httpx.Response(200, json=done))
    client.run_batch([PEOPLE])
    assert client.batch_road.expected_s == pytest.approx(0.55)


def test_run_batch_gives_up_after_its_timeout(scripted) -> None:
    client, _ = scripted(
        httpx.Response(202, json={"id": "j1"}),
        httpx.Response(200, json={"id": "j1", "status": "pending"}),
    )
    with pytest.raises(RetriableError, match="not done after 60s"):
        client.run_batch([PEOPLE], timeout_s=60.0)


def test_an_unreadable_status_ends_polling_and_closes_the_road(scripted) -> None:
    client, script = scripted(
        httpx.Response(202, json={"id": "j1"}), httpx.Response(200, json={"progress": "3/3"})
    )
    outcomes = client.run_batch([PEOPLE, PEOPLE])
    assert [o.status for o in outcomes] == ["unknown", "unknown"]
    assert len(script.requests) == 3  # submit + two polls, then no more
    assert not client.batch_road.open and "unreadable" in client.batch_road.why_closed()


def test_a_202_without_a_job_id_is_no_evidence(scripted) -> None:
    client, script = scripted(httpx.Response(202))
    assert [o.status for o in client.run_batch([PEOPLE])] == ["unknown"]
    assert len(script.requests) == 1


def test_the_batch_option_is_auto_or_off(tmp_path) -> None:
    from custify.errors import ConfigError
    from custify.settings import load_settings

    toml = tmp_path / "pipelines.toml"
    env = {"CUSTIFY_API_KEY": "sk_test_x"}
    toml.write_text('[custify]\nbatch = "off"\n')
    assert load_settings(toml, env=env).connection().batch == "off"
    toml.write_text("[custify]\n")
    assert load_settings(toml, env=env).connection().batch == "auto"
    toml.write_text('[custify]\nbatch = "sometimes"\n')
    with pytest.raises(ConfigError, match='batch must be "auto" or "off"'):
        load_settings(toml, env=env).connection()
