"""Reads against the sandbox (in-process, one FakeClock): lists, gets, auth, faults, 429s."""

from __future__ import annotations

import json
import logging

import pytest

from custify.client import CustifyClient
from custify.errors import AuthError, NotFound
from custify.settings import ApiKey, ConnectionSettings
from models.registry import EXTRACTED
from models.types import Envelope
from tests.client.conftest import SECRET


def listed_ids(client: CustifyClient, sandbox, obj) -> list[str]:
    if obj.per_parent:  # objectives: one scan per company (quirk 18)
        companies = [c["id"] for c in sandbox.store.rows("companies")]
        return [r["id"] for c in companies for r in client.iter_rows(obj, parent_id=c)]
    if obj.parent_lists:  # comments per note and task, responses per survey: a list each
        return [
            r[obj.id_field]
            for pl in obj.parent_lists
            for parent in sandbox.store.rows(pl.object)
            for r in client.iter_rows(obj, parent_id={pl.param: parent["id"], **pl.fixed})
        ]
    return [r[obj.id_field] for r in client.iter_rows(obj)]


@pytest.mark.parametrize("obj", EXTRACTED, ids=lambda o: o.name)
def test_every_extracted_object_lists_completely(sb_client, sandbox, obj) -> None:
    ids = listed_ids(sb_client, sandbox, obj)
    stored = {r[obj.id_field] for r in sandbox.store.rows(obj.name)}
    assert len(ids) == len(set(ids)), "a row came twice"
    assert set(ids) == stored and stored
    assert {entry.status for entry in sandbox.journal} == {200}
    asked = [int(entry.query["itemsPerPage"]) for entry in sandbox.journal]
    if obj.envelope is Envelope.BARE_ARRAY:  # no total: one more page tells a cap from the end
        asked = asked[:-1]
    assert asked and set(asked) == {obj.page_size_max}


def test_rows_are_the_sandbox_rows(sb_client, sandbox) -> None:
    listed = {r["id"]: r for r in sb_client.iter_rows("tickets")}
    for rec in sandbox.store.rows("tickets"):
        assert listed[rec["id"]] == rec


def test_multi_page_scan_in_sort_order(sb_client, sandbox) -> None:
    pages = list(sb_client.iter_pages("people", page_size=50))
    assert len(pages) == 10 and all(p.total == 500 for p in pages)
    stamps = [r["updated_at"] for p in pages for r in p.rows]
    assert stamps == sorted(stamps, reverse=True)
    sorting = json.loads(sandbox.journal[0].query["sorting"])
    assert sorting == {"field": "updated_at", "direction": "desc"}


def test_person_gets_and_not_found(sb_client, sandbox) -> None:
    person = next(p for p in sandbox.store.rows("people") if p.get("user_id") and p.get("email"))
    assert sb_client.people_get(email=person["email"])["id"] == person["id"]
    assert sb_client.people_get(user_id=person["user_id"])["id"] == person["id"]
    assert sb_client.people_get(id=person["id"])["email"] == person["email"]
    with pytest.raises(NotFound) as exc:  # Custify's "200 with an empty array" (§18.3)
        sb_client.people_get(email="nobody@nowhere.invalid")
    assert exc.value.status == 200 and "nobody@" not in str(exc.value)
    with pytest.raises(NotFound) as exc:
        sb_client.people_get(id="ffffffffffffffffffffffff")
    assert exc.value.status == 404


def test_company_and_task_gets(sb_client, sandbox) -> None:
    company = sandbox.store.rows("companies")[0]
    assert sb_client.companies_get(company_id=company["company_id"])["id"] == company["id"]
    assert sb_client.companies_get(id=company["id"])["company_id"] == company["company_id"]
    with pytest.raises(NotFound):
        sb_client.companies_get(company_id="no-such-company")
    task = sandbox.store.rows("tasks")[0]
    assert sb_client.get_one("tasks", by="id", value=task["id"])["name"] == task["name"]
    with pytest.raises(NotFound):
        sb_client.get_one("tasks", by="id", value="ffffffffffffffffffffffff")


def test_wrong_key_is_an_auth_error_with_a_clear_message(sandbox, clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    settings = ConnectionSettings(api_key=ApiKey(SECRET), base_url="https://sb.invalid")
    client = CustifyClient(settings, transport=sandbox.transport(), clock=clock,
                           budget=__import__("custify").RateBudget(clock=clock))  # fmt: skip
    with pytest.raises(AuthError) as exc:
        client.list_page("people", 1)
    assert exc.value.status == 401
    assert "check CUSTIFY_API_KEY" in str(exc.value) and "invalid API-KEY" in str(exc.value)
    assert len(sandbox.journal) == 1  # never retried
    for text in (str(exc.value), repr(exc.value), caplog.text, repr(client)):
        assert SECRET not in text


def test_5xx_and_dropped_connections_are_retried(sb_client, sandbox) -> None:
    sandbox.faults.update(error_rate_5xx=0.25, drop_rate=0.15, malformed_json_rate=0.1)
    ids = [r["id"] for r in sb_client.iter_rows("people", page_size=20)]
    assert sorted(ids) == sorted(r["id"] for r in sandbox.store.rows("people"))
    faults = {e.fault for e in sandbox.journal}
    assert {"5xx", "drop", "malformed"} <= faults  # the faults did happen...
    assert sb_client.stats.snapshot()["retries"] >= 2  # ...and were absorbed
    assert sb_client.stats.snapshot()["errors"] == 0


def test_429_storm_is_absorbed(sb_client, sandbox) -> None:
    sandbox.faults.storm(12, retry_after=1)
    assert len(list(sb_client.iter_rows("companies"))) == 100
    assert sandbox.journal.count(status=429) == 12
    assert sb_client.stats.snapshot()["rate_limited"] == 12
    assert sb_client.stats.snapshot()["errors"] == 0


def test_the_budget_keeps_the_sandbox_window(sandbox, clock) -> None:
    """Client and sandbox both at 20 per 1 s: 150 requests, not one 429, no window over 20."""
    sandbox.rate_limit, sandbox.window.window_s = 20, 1.0
    settings = ConnectionSettings(
        api_key=ApiKey(sandbox.api_key), base_url="https://sb.invalid",
        rate_limit=20, rate_window_s=1.0,
    )  # fmt: skip
    budget = __import__("custify").RateBudget(20, 1.0, clock=clock, safety_s=0.05)
    client = CustifyClient(settings, transport=sandbox.transport(), budget=budget, clock=clock)
    for page in range(1, 151):
        client.list_page("people", 1 + page % 5, page_size=10)
    assert sandbox.journal.count(status=429) == 0
    assert sandbox.journal.max_in_window(1.0) <= 20


def test_budget_learns_a_smaller_plan_from_remaining_headers(sb_client, sandbox) -> None:
    """Configured for 100/10 s, the account allows 10: X-RateLimit-Remaining corrects us."""
    sandbox.rate_limit = 10
    for i in range(60):
        sb_client.list_page("people", 1 + i % 5, page_size=10)
    assert sandbox.journal.count(status=429) == 0
    assert sandbox.journal.max_in_window(10.0) <= 10
    assert sb_client.stats.snapshot()["errors"] == 0


def test_records_changing_between_pages_do_not_trip_the_loop_guard(sb_client, sandbox) -> None:
    before = {r["id"]: r["updated_at"] for r in sandbox.store.rows("notes")}
    sandbox.faults.update(mutate_while_paging=3)
    seen = [r["id"] for r in sb_client.iter_rows("notes", page_size=10)]
    untouched = {i for i, r in ((r["id"], r) for r in sandbox.store.rows("notes"))
                 if before.get(i) == r["updated_at"]}  # fmt: skip
    assert untouched and untouched <= set(seen)  # descending order skips nothing unchanged
