"""Every constraint the registry holds (ranges, enums, formats, lengths) and every custom
attribute type rule rejects its row before sending: the row is in ``<sync>__rejected`` with
the reason, no request carries it, and the valid row of the same sync is sent, once.

``CASES`` names one bad value per registry ``Constraint``; a test fails when a constraint of
the registry has no case here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from models.registry import ACTIONS
from sandbox.app import Sandbox
from tests.reverse_etl.cases import companies, people_with_ids
from tests.reverse_etl.conftest import Pusher, extract, make_client

GOOD, BAD = "GOODMARK", "BADMARK"


@dataclass
class Rule:
    action: str
    field: str
    #: the sync section (without table) and two rows: the valid one first
    section: Callable[[Pusher], dict]
    rows: Callable[[Pusher], dict[str, list]]
    reason: str
    extract: tuple[str, ...] = ()


def _user(p: Pusher, n: int = 0) -> dict:
    return sorted(p.sandbox.store.rows("users"), key=lambda u: u["id"])[n]


def _note(p: Pusher) -> dict:
    return sorted(p.sandbox.store.rows("notes"), key=lambda n: n["id"])[0]


def _ticket(p: Pusher) -> dict:
    return sorted(p.sandbox.store.rows("tickets"), key=lambda t: t["id"])[0]


def _score(kind: str, good: int, bad: int, span: str) -> Rule:
    def rows(p: Pusher) -> dict:
        a, b = people_with_ids(p, 2)
        return {"email": [a["email"], b["email"]], "score": [good, bad],
                "comment": [GOOD, BAD]}  # fmt: skip

    return Rule(f"scores.{kind}", "score", lambda p: {"object": "scores", "match": "email"},
                rows, f"score: outside {span} (§11)")  # fmt: skip


def _people(column: str, good: object, bad: object, reason: str) -> Rule:
    return Rule("people.upsert", column, lambda p: {"object": "people", "match": "user_id"},
                lambda p: {"user_id": [f"{GOOD}-1", f"{BAD}-1"], column: [good, bad]},
                reason)  # fmt: skip


def _events(column: str, good: object, bad: object, reason: str) -> Rule:
    def rows(p: Pusher) -> dict:
        (a,) = people_with_ids(p, 1)
        return {"user_id": [a["user_id"]] * 2, "name": [GOOD, f"{BAD} event"],
                "created_at": ["2024-01-01T00:00:00Z"] * 2, column: [good, bad]}  # fmt: skip

    return Rule("events.insert", column, lambda p: {"object": "events", "match": "user_id"},
                rows, reason)  # fmt: skip


def _companies(field: str, good: Callable, bad: object, reason: str, extracted=()) -> Rule:
    def rows(p: Pusher) -> dict:
        a, b = companies(p, 2)
        return {"company_id": [a["company_id"], b["company_id"]], "name": [GOOD, BAD],
                field: [good(p), bad]}  # fmt: skip

    return Rule("companies.upsert", field.replace("__", "."),
                lambda p: {"object": "companies", "match": "company_id"}, rows, reason,
                extracted)  # fmt: skip


def _tasks(field: str, bad: str, reason: str) -> Rule:
    def rows(p: Pusher) -> dict:
        good = {"name": [GOOD, BAD], "priority": ["high", "high"], "status": ["open", "open"],
                "assignedTo": [_user(p)["email"]] * 2}  # fmt: skip
        good[field] = [good[field][0], bad]
        return good

    return Rule("tasks.create", field, lambda p: {"object": "tasks", "action": "create"}, rows,
                reason)  # fmt: skip


def _long_metadata() -> str:
    return json.dumps({f"k{i:02d}_" + "y" * 145: "v" * 90 for i in range(50)})


def _bad_email_score(p: Pusher) -> dict:
    (a,) = people_with_ids(p, 1)
    return {"email": [a["email"], "someone@nowhere"], "score": [9, 9], "comment": [GOOD, BAD]}


def _people_tag(p: Pusher) -> dict:
    tag = next(t["id"] for t in p.sandbox.store.rows("tags") if t["category"] == "people")
    return {"user_id": [r["user_id"] for r in people_with_ids(p, 2)], "tag": [tag] * 2,
            "type": ["add", "maybe"]}  # fmt: skip


CASES = [
    _score("nps", 10, 11, "0 to 10"),
    Rule("scores.nps", "email", lambda p: {"object": "scores", "match": "email"},
         _bad_email_score, "email: not an e-mail address"),
    _score("csat", 1, 0, "1 to 5"),
    _people("email", "good@ex.io", "not an e-mail", "email: not an e-mail address"),
    _people("email", "good@ex.io", "two@at@ex.io", "email: not an e-mail address"),
    _people("email", "good@ex.io", "nodot@localhost", "email: not an e-mail address"),
    _events("email", None, "me at ex.io", "email: not an e-mail address"),
    _events("metadata__note", "short", "n" * 101, "metadata.note: longer than 100 characters"),
    _events("metadata", "{}", _long_metadata(), "metadata: longer than 10,000 characters (§4)"),
    Rule("events.insert", "name", lambda p: {"object": "events", "match": "user_id"},
         lambda p: {"user_id": [people_with_ids(p, 1)[0]["user_id"]] * 2,
                    "name": [GOOD, BAD + "e" * 100], "created_at": ["2024-01-01"] * 2},
         "name: longer than 100 characters"),
    _companies("owners_csm", lambda p: _user(p)["email"], "John Smith",
               "owners_csm: not a Custify user id or e-mail (§1.5)"),
    _companies("owners_account", lambda p: _user(p, 1)["id"], "someone",
               "owners_account: not a Custify user id or e-mail (§1.5)"),
    _companies("custom_attributes__seats", lambda p: "12", "n/a",
               "not a number: Custify holds custom_attributes.seats as a number (the extracted "
               "column's type)", ("companies",)),
    _companies("custom_attributes__is_enterprise", lambda p: "TRUE", "yes",
               "not a boolean: Custify holds custom_attributes.is_enterprise as a boolean",
               ("companies",)),
    _companies("custom_attributes__renewal_at", lambda p: "2024-05-01", "next spring",
               "not a date: Custify holds custom_attributes.renewal_at as a date (its name "
               "ends in _at"),
    Rule("tags.create", "category", lambda p: {"object": "tags", "action": "create"},
         lambda p: {"name": [GOOD, BAD], "category": ["people", "persons"]},
         "category: must be one of people, company, task"),
    Rule("tags.update", "category", lambda p: {"object": "tags", "action": "update",
                                                "match": "id"},
         lambda p: {"id": [t["id"] for t in sorted(p.sandbox.store.rows("tags"),
                                                   key=lambda t: t["id"])[:2]],
                    "description": [GOOD, BAD], "category": ["people", "Company"]},
         "category: must be one of"),
    Rule("tags.upsert", "category", lambda p: {"object": "tags", "action": "upsert",
                                                "key": ["k"]},
         lambda p: {"k": ["a", "b"], "name": [GOOD, BAD], "category": ["note", "notes"]},
         "category: must be one of"),
    _tasks("status", "closed", "status: must be one of open, done, not relevant (§8, quirk 9)"),
    _tasks("priority", "urgent", "priority: must be one of low, medium, high (§8)"),
    _tasks("assignedTo", "the CSM", "assignedTo: not a Custify user id or e-mail (§1.5)"),
    Rule("notes.create", "entityModel", lambda p: {"object": "notes", "action": "create"},
         lambda p: {"entity": [companies(p, 1)[0]["id"]] * 2, "entityModel": ["Company", "People"],
                    "text": [GOOD, BAD]},
         "entityModel: must be one of Company, Customer (§6, quirk 11)"),
    Rule("tickets.reply", "type", lambda p: {"object": "tickets", "match": "externalId"},
         lambda p: {"externalId": [_ticket(p)["externalId"]] * 2, "body": [GOOD, BAD],
                    "type": ["outgoing", "sms"]},
         "type: must be one of note, incoming, outgoing (§7)"),
    Rule("comments.create", "entityModel", lambda p: {"object": "comments", "action": "create"},
         lambda p: {"entity": [_note(p)["id"]] * 2, "entityModel": ["Note", "Blog"],
                    "text": [GOOD, BAD]},
         "entityModel: must be one of Note, Task (§9, quirk 11)"),
    Rule("time_tracks.create", "user", lambda p: {"object": "time_tracks", "action": "create"},
         lambda p: {"user": [_user(p)["email"], "nobody"], "name": [GOOD, BAD],
                    "duration": [60, 60], "startedDate": ["2024-03-01 09:00:00"] * 2,
                    "company": [companies(p, 1)[0]["id"]] * 2},
         "user: not a Custify user id or e-mail (§1.5)"),
    Rule("tags.entity", "type", lambda p: {"object": "tags", "action": "entity",
                                            "match": "user_id"},
         lambda p: {"user_id": [r["user_id"] for r in people_with_ids(p, 2)],
                    "tag": [next(t["id"] for t in p.sandbox.store.rows("tags")
                                 if t["category"] == "people")] * 2, "type": ["add", "maybe"]},
         "type: must be add or remove"),
    Rule("people.tag", "type", lambda p: {"object": "people", "match": "user_id"}, _people_tag,
         "type: must be add or remove"),
]  # fmt: skip


def _requests_text(p: Pusher) -> list[str]:
    return [json.dumps([e.path, e.query, e.body], default=str) for e in p.sandbox.journal]


@pytest.mark.parametrize("rule", CASES, ids=lambda r: f"{r.action}.{r.field}")
def test_a_value_custify_would_refuse_is_rejected_before_sending(
    pusher: Pusher, rule: Rule
) -> None:
    p = pusher
    if rule.extract:
        extract(p, *rule.extract)
    p.syncs["s"] = {**rule.section(p), "action": rule.action, "table": "src"}
    rows = rule.rows(p)
    p.table("src", rows)
    report = p.push()
    assert report.exit_code == 1, report.syncs[0]
    (rejected,) = p.wh.query_df("SELECT row, reason, values FROM s__rejected").to_dicts()
    assert rejected["row"] == 1 and rule.reason in rejected["reason"], rejected
    bad = {v[1] for v in rows.values() if isinstance(v[1], str) and v[1] != v[0] and len(v[1]) > 3}
    sent = _requests_text(p)
    assert not [r for r in sent if BAD in r or any(b in r for b in bad)], sent  # none carries it
    writes = [e for e in p.sandbox.journal if e.method != "GET"]
    assert len(writes) == 1 and report.syncs[0].confirmed == 1, writes  # the valid row, once
    body = writes[0].body or {}
    assert len(body.get("jobs") or body.get("ids") or [None]) == 1


def test_every_registry_constraint_has_a_case() -> None:
    covered = {(r.action, r.field) for r in CASES}
    constrained = {(a.name, f) for a in ACTIONS.values() for f in a.constraints}
    # the same rule on sibling actions (create/update/upsert share a body) is one case
    families = {(a.split(".")[0], f) for a, f in covered}
    missing = sorted(
        (a, f) for a, f in constrained
        if (a, f) not in covered and (a.split(".")[0], f) not in families
    )  # fmt: skip
    assert not missing, f"constraints without a rejection case: {missing}"


def _attributes_transport(sb: Sandbox, answer: object) -> httpx.MockTransport:
    """The sandbox, plus the attribute listing the notes describe (§1.5, the MCP's form)."""
    inner = sb.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/customer/attributes":
            return httpx.Response(200, json=answer)
        return inner.handle_request(request)

    return httpx.MockTransport(handle)


def test_attribute_discovery_types_are_enforced_and_remembered(pusher: Pusher) -> None:
    """With no extract, Custify's attribute listing says ``tier`` is a number: a text value
    is rejected, asked once, and a later push reuses the remembered answer."""
    p = pusher
    answer = [{"name": "tier", "type": "number"}, {"name": "nick", "type": "string"}]
    p.client = make_client(p.sandbox, p.clock, _attributes_transport(p.sandbox, answer))
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "src"}
    p.table("src", {"user_id": [f"{GOOD}-1", f"{BAD}-1"], "custom_attributes__tier": ["3", "gold"],
                    "custom_attributes__nick": ["a", "b"]})  # fmt: skip
    report = p.push()
    assert report.exit_code == 1 and report.syncs[0].confirmed == 1
    (row,) = p.wh.query_df("SELECT key, reason FROM crm__rejected").to_dicts()
    assert row["key"] == f"{BAD}-1"
    assert (
        "custom_attributes.tier: not a number: Custify holds custom_attributes.tier as a "
        "number (Custify's attribute discovery (§1.5))"
    ) in row["reason"]
    assert not [r for r in _requests_text(p) if BAD in r]
    p.sandbox.journal.clear()
    p.table("src", {"user_id": [f"{BAD}-2"], "custom_attributes__tier": ["platinum"]})
    again = p.push()
    assert again.exit_code == 1 and again.requests == 0  # remembered: no second listing
    (row,) = p.wh.query_df("SELECT key, reason FROM crm__rejected").to_dicts()
    assert row["key"] == f"{BAD}-2" and "not a number" in row["reason"]


def test_a_missing_attribute_listing_rejects_nothing(pusher: Pusher) -> None:
    """The sandbox has no attribute listing (404): unknown types, every value goes."""
    p = pusher
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "src"}
    p.table("src", {"user_id": [f"{GOOD}-1"], "custom_attributes__tier": ["gold"]})
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].confirmed == 1
    assert p.sandbox.journal.count("GET", "/customer/attributes") == 1
