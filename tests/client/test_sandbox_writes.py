"""Write semantics against the sandbox: lost answers, batches, rejections."""

from __future__ import annotations

import pytest

from custify.errors import RecordRejected, RetriableError


def once(values: list[bool]):
    """A replacement for ``Faults.roll`` that answers from a list, then False."""

    def roll(rate: float) -> bool:
        return values.pop(0) if values and rate > 0 else False

    return roll


def test_lost_answer_on_a_create_is_not_resent(sb_client, sandbox) -> None:
    """The note reached Custify, the answer was lost: raise, never create it twice."""
    sandbox.faults.update(apply_then_drop=True, drop_rate=1.0)
    company = sandbox.store.rows("companies")[0]["id"]
    body = {"text": "<p>only once</p>", "entity": company, "entityModel": "Company"}
    with pytest.raises(RetriableError) as exc:
        sb_client.notes_create(body)
    assert exc.value.maybe_applied is True
    assert len(sandbox.store.find("notes", text="<p>only once</p>")) == 1
    assert sandbox.journal.count("POST", "/note") == 1


def test_lost_answer_on_an_upsert_is_resent(sb_client, sandbox, monkeypatch) -> None:
    sandbox.faults.update(apply_then_drop=True, drop_rate=0.5)
    monkeypatch.setattr(sandbox.faults, "roll", once([True]))  # only the first answer is lost
    made = sb_client.people_upsert({"user_id": "u-lost", "email": "lost@example.com"})
    assert [p["id"] for p in sandbox.store.find("people", user_id="u-lost")] == [made["id"]]
    assert sandbox.journal.count("POST", "/people") == 2


def test_5xx_before_applying_a_create_is_raised_not_guessed(sb_client, sandbox) -> None:
    """A 5xx might have applied the write (we cannot know): the caller decides."""
    sandbox.faults.update(error_rate_5xx=1.0)
    with pytest.raises(RetriableError) as exc:
        sb_client.tasks_create({"name": "x", "priority": "low", "status": "open"})
    assert exc.value.maybe_applied and exc.value.status in (500, 502, 503)
    assert sandbox.journal.count("POST", "/task") == 1


def test_rejected_record_is_record_rejected(sb_client, sandbox) -> None:
    sandbox.faults.update(reject={"bad-co"})
    with pytest.raises(RecordRejected) as exc:
        sb_client.companies_upsert({"company_id": "bad-co", "name": "Bad"})
    assert exc.value.status == 400 and exc.value.path == "/company"
    with pytest.raises(RecordRejected, match="priority"):
        sb_client.tasks_create({"name": "x", "priority": "urgent", "status": "open"})


def test_run_batch_polls_until_done_and_reports_each_job(sb_client, sandbox, clock) -> None:
    sandbox.faults.update(batch_delay_s=30.0)
    person = next(p for p in sandbox.store.rows("people") if p.get("user_id"))
    jobs = [
        {"type": "people", "payload": {"user_id": "u-batch", "email": "batch@example.com"}},
        {"type": "company", "payload": {"company_id": "co-batch", "name": "Batch Co"}},
        {"type": "event", "payload": {"name": "seen", "created_at": "2024-05-01T00:00:00Z",
                                      "user_id": person["user_id"], "deduplication_id": "b1"}},
        {"type": "event", "payload": {"name": "seen", "created_at": "2024-05-01T00:00:00Z",
                                      "user_id": "nobody", "deduplication_id": "b2"}},
    ]  # fmt: skip
    start = clock.now()
    outcomes = sb_client.run_batch(jobs)
    assert [o.status for o in outcomes] == ["success", "success", "success", "failed"]
    assert "People not found" in outcomes[3].reason
    (new_person,) = sandbox.store.find("people", user_id="u-batch")
    assert outcomes[0].id == new_person["id"]
    assert sandbox.store.find("companies", company_id="co-batch")
    assert clock.now() - start >= 30.0  # waited on the (fake) clock for the job
    assert sandbox.journal.count("GET", "/batch/") >= 2


def test_submit_batch_limit_matches_the_sandbox(sb_client, sandbox) -> None:
    job = {"type": "people", "payload": {"email": "x@example.com"}}
    assert sb_client.submit_batch([job] * 100)
    with pytest.raises(ValueError, match="at most 100"):
        sb_client.submit_batch([job] * 101)
    assert sandbox.journal.count("POST", "/batch") == 1
