"""One scenario per registry action, for the three layers that exercise every action.

Each entry of ``SCENARIOS`` (keyed by ``models.registry.ACTIONS``) carries what each layer needs:

- ``wire``: the named method's arguments and the request the client must build from the
  registry row (method, path, query, body subset), checked at the network edge against a
  scripted transport (``tests/client/test_actions.py``);
- ``check_raw``: the action's endpoint called over raw HTTP on a seeded sandbox, and the state
  it leaves there (``tests/sandbox/test_writes.py``);
- ``check_client``: the action through the client's named method on a seeded sandbox, and the
  state Custify then holds (``tests/client/test_sandbox_actions.py``).

The wire layer has no account behind it, so its arguments name a fixed id; the two sandbox
layers find their target records in the seeded account they are given, and probe different
edges of the same action (raw HTTP reaches the quirks a client never sends: alternative paths,
refusals, replaced sub-lists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from custify.client import CustifyClient
from custify.errors import NotFound, RecordRejected

ID = "5b9f95d838ab5e09b8ed66cb"
NOTE = {"text": "<p>hi</p>", "entity": ID, "entityModel": "Company"}
FIN = {"externalId": "X-1", "company_id": "acme"}
NOW = "2023-11-14T22:13:20.000Z"  # FakeClock's start, as Custify stamps it

ClientCheck = Callable[[CustifyClient, Any], None]
RawCheck = Callable[[Any, httpx.Client], None]


@dataclass(frozen=True)
class Wire:
    """A named method's call and the request it must put on the wire."""

    args: tuple
    kwargs: dict[str, Any]
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None  # a subset of the JSON body; None: no JSON body


@dataclass(frozen=True)
class Scenario:
    """One action's case in every layer (see the module docstring)."""

    wire: Wire
    check_raw: RawCheck
    check_client: ClientCheck


# -- finding seeded records ----------------------------------------------------------------------
def rows(sb, obj: str) -> list[dict]:
    return sb.store.rows(obj)


def one(sb, obj: str, **fields) -> dict:
    (found,) = sb.store.find(obj, **fields)
    return found


def first(sb, obj: str, pred: Callable[[dict], Any] = lambda r: True, **where) -> dict:
    """The first row of ``obj`` whose fields equal ``where`` and that satisfies ``pred``."""
    found = sb.store.find(obj, **where) if where else rows(sb, obj)
    return next(r for r in found if pred(r))


def tag_of(sb, category: str) -> dict:
    return first(sb, "tags", lambda t: t["category"] == category)


def person_with_uid(sb) -> dict:
    return first(sb, "people", lambda p: p["user_id"])


# == the client against the sandbox: the state each named method leaves ========================


# -- people ------------------------------------------------------------------------------------
def client_people_create(c, sb):
    made = c.people_create({"user_id": "u-new", "email": "new@example.com", "name": "Nia"})
    assert one(sb, "people", user_id="u-new")["email"] == "new@example.com" == made["email"]


def client_people_update(c, sb):
    p = first(sb, "people")
    c.people_update({"id": p["id"], "name": "Renamed", "custom_attributes": {"tier": "gold"}})
    stored = sb.store.get("people", p["id"])
    assert stored["name"] == "Renamed" and stored["custom_attributes"]["tier"] == "gold"


def client_people_upsert(c, sb):
    p = first(sb, "people", lambda r: r.get("user_id"))
    before = len(rows(sb, "people"))
    c.people_upsert({"user_id": p["user_id"], "phone": "+33 1 23 45"})
    assert sb.store.get("people", p["id"])["phone"] == "+33 1 23 45"
    c.people_upsert({"email": "fresh@example.com"})  # nothing matches: creates
    assert len(rows(sb, "people")) == before + 1


def client_people_get(c, sb):
    p = first(sb, "people", lambda r: r.get("email"))
    assert c.people_get(email=p["email"])["id"] == p["id"]
    with pytest.raises(NotFound):
        c.people_get(user_id="no-such-user")


def client_people_delete(c, sb):
    p = first(sb, "people", lambda r: r.get("email"))
    c.people_delete(email=p["email"])
    assert sb.store.get("people", p["id"]) is None
    with pytest.raises(NotFound):
        c.people_delete(id=p["id"])


def client_people_tag(c, sb):
    tag, p = tag_of(sb, "people"), first(sb, "people")
    c.people_tag({"ids": [p["id"]], "type": "add", "tag": tag["id"]})
    assert tag["id"] in sb.store.get("people", p["id"])["tags"]
    c.people_tag({"ids": [p["id"]], "type": "remove", "tag": tag["id"]})
    assert tag["id"] not in sb.store.get("people", p["id"])["tags"]


# -- companies ---------------------------------------------------------------------------------
def client_companies_create(c, sb):
    c.companies_create({"company_id": "acme-new", "name": "Acme New", "size": 12})
    assert one(sb, "companies", company_id="acme-new")["size"] == 12


def client_companies_update(c, sb):
    co = first(sb, "companies")
    c.companies_update({"id": co["id"], "plan": "enterprise"})
    assert sb.store.get("companies", co["id"])["plan"] == "enterprise"


def client_companies_upsert(c, sb):
    co = first(sb, "companies")
    before = len(rows(sb, "companies"))
    c.companies_upsert({"company_id": co["company_id"], "industry": "Robotics"})
    assert sb.store.get("companies", co["id"])["industry"] == "Robotics"
    assert len(rows(sb, "companies")) == before


def client_companies_get(c, sb):
    co = first(sb, "companies")
    assert c.companies_get(company_id=co["company_id"])["id"] == co["id"]
    assert c.companies_get(id=co["id"])["company_id"] == co["company_id"]
    with pytest.raises(NotFound):
        c.companies_get(company_id="nope")


def client_companies_delete(c, sb):
    co = first(sb, "companies")
    c.companies_delete(company_id=co["company_id"])
    assert sb.store.get("companies", co["id"]) is None


def client_events_insert(c, sb):
    p = first(sb, "people", lambda r: r.get("user_id"))
    event = {"name": "login", "created_at": "2024-05-01T10:00:00Z", "user_id": p["user_id"],
             "deduplication_id": "evt-1", "metadata": {"plan": "pro"}}  # fmt: skip
    assert c.events_insert(event) is None  # 202, empty body (§18.15)
    assert c.events_insert(event) is None  # deduplicated by Custify
    (stored,) = [e for e in sb.store.events if e.get("deduplication_id") == "evt-1"]
    assert stored["person"] == p["id"]


# -- notes and tags ----------------------------------------------------------------------------
def note_body(sb) -> dict:
    return {"text": "<p>QBR went well</p>", "entity": first(sb, "companies")["id"],
            "entityModel": "Company"}  # fmt: skip


def client_notes_create(c, sb):
    made = c.notes_create(note_body(sb))
    assert sb.store.get("notes", made["id"])["text"] == "<p>QBR went well</p>"


def client_notes_update(c, sb):
    n = first(sb, "notes")
    c.notes_update(n["id"], {"text": "<p>edited</p>", "sticky": True})
    assert sb.store.get("notes", n["id"])["text"] == "<p>edited</p>"


def client_notes_upsert(c, sb):
    made = c.notes_upsert(note_body(sb))  # no id: creates (POST /note)
    c.notes_upsert({"text": "<p>v2</p>"}, id=made["id"])  # id: updates (POST /note/{id})
    assert sb.store.get("notes", made["id"])["text"] == "<p>v2</p>"


def client_tags_create(c, sb):
    made = c.tags_create({"name": "Champion", "category": "people"})
    assert sb.store.get("tags", made["id"])["name"] == "Champion"


def client_tags_update(c, sb):
    t = tag_of(sb, "company")
    c.tags_update(t["id"], {"description": "renewal at risk"})
    assert sb.store.get("tags", t["id"])["description"] == "renewal at risk"


def client_tags_upsert(c, sb):
    made = c.tags_upsert({"name": "Beta", "category": "company"})
    c.tags_upsert({"name": "Beta users"}, id=made["id"])
    assert sb.store.get("tags", made["id"])["name"] == "Beta users"


def client_tags_delete(c, sb):
    t, co = tag_of(sb, "company"), first(sb, "companies")
    c.tags_entity({"ids": [co["id"]], "type": "add", "category": "company", "tag": t["id"]})
    c.tags_delete(t["id"])
    assert sb.store.get("tags", t["id"]) is None
    assert t["id"] not in (sb.store.get("companies", co["id"]).get("tags") or [])


def client_tags_entity(c, sb):
    t = tag_of(sb, "company")
    ids = [co["id"] for co in rows(sb, "companies")[:3]]
    c.tags_entity({"ids": ids, "type": "add", "category": "company", "tag": t["id"]})
    assert all(t["id"] in sb.store.get("companies", i)["tags"] for i in ids)


# -- scores ------------------------------------------------------------------------------------
def client_scores_nps(c, sb):
    p = first(sb, "people", lambda r: r.get("email"))
    c.scores_nps({"score": 9, "comment": "great"}, email=p["email"])
    assert sb.store.scores["nps"][p["id"]]["score"] == 9


def client_scores_csat(c, sb):
    p = first(sb, "people")
    c.scores_csat({"score": 4}, id=p["id"])
    assert sb.store.scores["csat"][p["id"]]["score"] == 4
    with pytest.raises(RecordRejected, match="between 1 and 5"):
        c.scores_csat({"score": 9}, id=p["id"])


# -- tickets and tasks -------------------------------------------------------------------------
def ticket(c, sb, ext: str = "T-100") -> dict:
    co = first(sb, "companies")
    return c.tickets_create(
        {"externalId": ext, "title": "Login broken", "company": co["company_id"]}
    )


def client_tickets_create(c, sb):
    ticket(c, sb)
    assert one(sb, "tickets", externalId="T-100")["title"] == "Login broken"


def client_tickets_update(c, sb):
    ticket(c, sb, "T 7")  # a space in an externalId travels escaped
    c.tickets_update("T 7", {"ticketStatus": "solved"})
    assert one(sb, "tickets", externalId="T 7")["ticketStatus"] == "solved"


def client_tickets_delete(c, sb):
    ticket(c, sb)
    c.tickets_delete("T-100")
    assert sb.store.find("tickets", externalId="T-100") == []


def client_tickets_reply(c, sb):
    ticket(c, sb)
    c.tickets_reply("T-100", {"body": "On it", "type": "outgoing"})
    assert one(sb, "tickets", externalId="T-100")["replies"][-1]["body"] == "On it"


def client_tasks_create(c, sb):
    made = c.tasks_create({"name": "Call champion", "priority": "high", "status": "open"})
    assert sb.store.get("tasks", made["id"])["priority"] == "high"


def client_tasks_update(c, sb):
    t = first(sb, "tasks")
    c.tasks_update(t["id"], {"status": "not relevant"})
    assert sb.store.get("tasks", t["id"])["status"] == "not relevant"


# -- comments ----------------------------------------------------------------------------------
def parent(sb) -> dict:
    return {"entityModel": "Note", "entity": first(sb, "notes")["id"]}


def client_comments_create(c, sb):
    made = c.comments_create({"text": "+1"}, **parent(sb))
    assert sb.store.get("comments", made["id"])["text"] == "+1"


def client_comments_update(c, sb):
    made = c.comments_create({"text": "draft"}, **parent(sb))
    c.comments_update({"id": made["id"], "text": "final"}, **parent(sb))
    assert sb.store.get("comments", made["id"])["text"] == "final"


def client_comments_upsert(c, sb):
    before = len(rows(sb, "comments"))
    made = c.comments_upsert({"text": "hello"}, **parent(sb))
    c.comments_upsert({"id": made["id"], "text": "hello again"}, **parent(sb))
    assert len(rows(sb, "comments")) == before + 1
    assert sb.store.get("comments", made["id"])["text"] == "hello again"


# -- files -------------------------------------------------------------------------------------
def upload(c, sb) -> tuple[dict, dict]:
    co = first(sb, "companies")
    made = c.files_upload({"companyId": co["id"]}, files={"file": ("plan.pdf", b"%PDF-1.4")})
    return made, co


def client_files_upload(c, sb):
    made, co = upload(c, sb)
    stored = sb.store.get("files", made["id"])
    assert stored["name"] == "plan.pdf" and co["id"] in stored["companies"]


def client_files_unlink(c, sb):
    made, co = upload(c, sb)
    c.files_unlink({"fileId": made["id"], "companyId": co["id"]})
    stored = sb.store.get("files", made["id"])
    assert stored is None or co["id"] not in stored["companies"]


def client_files_show_in_portal(c, sb):
    f = first(sb, "files")
    c.files_show_in_portal(f["id"], {"showInPortal": True})
    assert sb.store.get("files", f["id"])["showInPortal"] is True


# -- financials (deals, invoices, subscriptions) -------------------------------------------------
FIN_FIELDS = {"deals": ("value", 500), "invoices": ("total", 99.5), "subscriptions": ("mrr", 42.0)}


def fin_case(obj: str, verb: str) -> ClientCheck:
    field, value = FIN_FIELDS[obj]

    def run(c, sb):
        co = first(sb, "companies")["company_id"]
        method = lambda v: getattr(c, f"{obj}_{v}")  # noqa: E731
        made = method("create" if verb != "upsert" else "upsert")(
            {"externalId": f"{obj}-X1", "company_id": co, field: value}
        )
        stored = sb.store.get(obj, made["id"])
        assert stored["externalIds"]["custify"] == f"{obj}-X1" and stored[field] == value
        if verb == "update":
            method("update")(made["id"], {field: value * 2})
            assert sb.store.get(obj, made["id"])[field] == value * 2
        if verb == "upsert":
            method("upsert")({"externalId": f"{obj}-X1", field: value * 3})
            assert sb.store.get(obj, made["id"])[field] == value * 3
        if verb == "delete":
            method("delete")(externalId=f"{obj}-X1")
            assert sb.store.get(obj, made["id"]) is None

    return run


# -- time tracks -------------------------------------------------------------------------------
def track(c, sb) -> dict:
    user = first(sb, "users")
    body = {"name": "Onboarding call", "duration": 1800, "startedDate": "2024-05-01T09:00:00Z",
            "company": first(sb, "companies")["id"]}  # fmt: skip
    return c.time_tracks_create(body, user=user["email"])


def client_time_tracks_create(c, sb):
    made = track(c, sb)
    stored = sb.store.get("time_tracks", made["id"])
    assert stored["duration"] == 1800 and stored["startDate"] == "2024-05-01T09:00:00Z"


def client_time_tracks_update(c, sb):
    made = track(c, sb)
    c.time_tracks_update({"duration": 2400}, id=made["id"])
    assert sb.store.get("time_tracks", made["id"])["duration"] == 2400


def client_time_tracks_delete(c, sb):
    made = track(c, sb)
    c.time_tracks_delete(id=made["id"])
    assert sb.store.get("time_tracks", made["id"]) is None


# == raw HTTP against the sandbox: the state each endpoint leaves =============================


def raw_people_get(sb, c):
    p = person_with_uid(sb)
    assert c.get(f"/people/{p['id']}").json()["id"] == p["id"]
    assert c.get("/people", params={"user_id": p["user_id"]}).json() == [{"people": [p]}]
    assert c.get("/people", params={"email": "nobody@x.example"}).json() == [{"people": []}]
    assert c.get(f"/people/{'0' * 24}").status_code == 404


def raw_people_delete(sb, c):
    p = person_with_uid(sb)
    assert c.delete("/people", params={"user_id": p["user_id"]}).status_code == 200
    assert sb.store.get("people", p["id"]) is None
    q = sb.store.rows("people")[0]
    assert (
        c.delete(f"/people/{q['id']}").status_code == 200
        and sb.store.get("people", q["id"]) is None
    )
    assert c.delete(f"/people/{q['id']}").status_code == 404


def raw_people_tag(sb, c):
    tag, ids = tag_of(sb, "people"), [p["id"] for p in sb.store.rows("people")[:3]]
    assert (
        c.post("/people/tag", json={"ids": ids, "type": "add", "tag": tag["id"]}).status_code == 200
    )
    assert all(tag["id"] in sb.store.get("people", i)["tags"] for i in ids)
    assert all(sb.store.get("people", i)["updated_at"] == NOW for i in ids)
    c.post("/people/tag", json={"ids": ids[:1], "type": "remove", "tag": tag["id"]})
    assert tag["id"] not in sb.store.get("people", ids[0])["tags"]


def raw_companies_get(sb, c):
    co = first(sb, "companies")
    assert c.get(f"/company/{co['id']}").json() == {"companies": [co], "total": 1}
    assert c.get("/company", params={"company_id": co["company_id"]}).json()["companies"] == [co]
    assert c.get("/company", params={"company_id": "nope"}).json() == {"companies": [], "total": 0}


def raw_companies_delete(sb, c):
    a, b = sb.store.rows("companies")[:2]
    assert c.delete(f"/company/{a['id']}").status_code == 200
    assert c.delete("/company", params={"company_id": b["company_id"]}).status_code == 200
    assert sb.store.get("companies", a["id"]) is None and sb.store.get("companies", b["id"]) is None


def raw_event(sb, c):
    p = person_with_uid(sb)
    body = {"name": "login", "created_at": NOW, "user_id": p["user_id"], "deduplication_id": "d1"}
    r = c.post("/event", json=body)
    assert r.status_code == 202 and r.content == b""
    c.post("/event", json=body)  # same deduplication_id: ignored
    assert [e["person"] for e in sb.store.events] == [p["id"]]
    r = c.post("/event", json={**body, "user_id": "ghost", "deduplication_id": "d2"})
    assert r.status_code == 404 and r.json()["error"] == "People not found"


def raw_note_create(sb, c):
    co = first(sb, "companies")
    r = c.post("/note", json={"text": "<p>hi</p>", "entity": co["id"], "entityModel": "Company"})
    note = sb.store.get("notes", r.json()["id"])
    assert (
        note["text"] == "<p>hi</p>" and note["company"] == [co["id"]] and note["created_at"] == NOW
    )
    c.post("/note", json={"text": "<p>hi</p>", "entity": co["id"], "entityModel": "Company"})
    assert len(sb.store.find("notes", text="<p>hi</p>")) == 2  # creates never deduplicate


def raw_note_update(sb, c):
    n = first(sb, "notes")
    assert c.post(f"/note/{n['id']}", json={"sticky": True}).status_code == 200
    new = sb.store.get("notes", n["id"])
    assert new["sticky"] is True and new["text"] == n["text"] and new["updated_at"] == NOW
    assert c.post(f"/note/{'0' * 24}", json={"sticky": True}).status_code == 404


def raw_tag_create(sb, c):
    r = c.post("/tag", json={"name": "Gold", "category": "company"})
    tag = sb.store.get("tags", r.json()["id"])
    assert (
        tag["category"] == "company"
        and tag["position"] == len(sb.store.find("tags", category="company")) - 1
    )


def raw_tag_update(sb, c):
    t = first(sb, "tags")
    c.post(f"/tag/{t['id']}", json={"description": "changed"})
    assert sb.store.get("tags", t["id"])["description"] == "changed"
    assert sb.store.get("tags", t["id"])["name"] == t["name"]


def raw_tag_delete(sb, c):
    p = next(p for p in sb.store.rows("people") if p["tags"])
    tid = p["tags"][0]
    assert c.delete(f"/tag/{tid}").status_code == 200
    assert sb.store.get("tags", tid) is None
    assert all(
        tid not in r.get("tags", []) for o in ("people", "companies") for r in sb.store.rows(o)
    )


def raw_tag_entity(sb, c):
    tag, task = tag_of(sb, "task"), first(sb, "tasks")
    body = {"ids": [task["id"]], "type": "add", "category": "task", "tag": tag["id"]}
    assert c.patch("/tag/entity", json=body).status_code == 200
    assert tag["id"] in sb.store.get("tasks", task["id"])["tags"]
    assert c.patch("/tag/entity", json={**body, "category": "note"}).status_code == 400
    assert c.patch("/tag/entity", json={**body, "ids": ["x"] * 101}).status_code == 400


def raw_score(kind, lo, hi):
    def check(sb, c):
        p = person_with_uid(sb)
        assert c.post(f"/{kind}_score/{p['id']}", json={"score": hi}).status_code == 200
        assert sb.store.scores[kind][p["id"]]["score"] == hi
        old = {"score": lo, "submittedAt": "2001-01-01T00:00:00.000Z"}
        c.post(f"/{kind}_score", params={"user_id": p["user_id"]}, json=old)
        assert sb.store.scores[kind][p["id"]]["score"] == hi  # only the newest is kept
        assert c.post(f"/{kind}_score/{p['id']}", json={"score": hi + 1}).status_code == 400

    return check


def raw_ticket_create(sb, c):
    co, p = first(sb, "companies"), person_with_uid(sb)
    r = c.post("/ticket", json={"externalId": "T-1", "title": "Broken", "company": co["company_id"],
                                "people": p["email"]})  # fmt: skip
    t = sb.store.get("tickets", r.json()["id"])
    assert t["company"] == [co["id"]] and t["people"] == [{"id": p["id"]}]


def raw_ticket_update(sb, c):
    t = next(t for t in sb.store.rows("tickets") if t["replies"])
    r = c.put(f"/ticket/{t['externalId']}", json={"title": "New", "replies": [{"body": "only"}]})
    new = sb.store.get("tickets", t["id"])
    assert r.status_code == 200 and new["title"] == "New" and new["description"] == t["description"]
    assert [x["body"] for x in new["replies"]] == ["only"]  # replies replaces all


def raw_ticket_delete(sb, c):
    t = first(sb, "tickets")
    assert c.delete(f"/ticket/{t['externalId']}").status_code == 200
    assert sb.store.get("tickets", t["id"]) is None


def raw_ticket_reply(sb, c):
    t = first(sb, "tickets")
    c.post(f"/ticket/{t['externalId']}/reply", json={"body": "b", "type": "outgoing"})
    assert sb.store.get("tickets", t["id"])["replies"][-1]["body"] == "b"
    assert len(sb.store.get("tickets", t["id"])["replies"]) == len(t["replies"]) + 1


def raw_task_create(sb, c):
    co = first(sb, "companies")
    r = c.post("/task", json={"name": "Call", "priority": "high", "status": "not relevant",
                              "company_id": co["company_id"]})  # fmt: skip
    task = sb.store.get("tasks", r.json()["id"])
    assert task["company"] == co["id"] and task["status"] == "not relevant"


def raw_task_update(sb, c):
    t = first(sb, "tasks", status="open")
    r = c.put(f"/task/{t['id']}", json={"_id": t["id"], "status": "done"})
    new = sb.store.get("tasks", t["id"])
    assert r.status_code == 200 and new["status"] == "done" and new["completedAt"] == NOW
    assert new["name"] == t["name"]
    assert c.put(f"/task/{t['id']}", json={"_id": "x" * 24, "status": "done"}).status_code == 400


def raw_comment_create(sb, c):
    n = first(sb, "notes")
    r = c.post(f"/comment/Note/{n['id']}", json={"text": "hello"})
    com = sb.store.get("comments", r.json()["id"])
    assert com["entity"] == n["id"] and com["entityModel"] == "Note"


def raw_comment_update(sb, c):
    com = first(sb, "comments")
    path = f"/comment/{com['entityModel']}/{com['entity']}"
    assert c.post(path, json={"id": com["id"], "text": "edited"}).status_code == 200
    assert sb.store.get("comments", com["id"])["text"] == "edited"
    assert c.post(path, json={"id": "0" * 24, "text": "x"}).status_code == 404


def raw_file_upload(sb, c):
    co = first(sb, "companies")
    r = c.post(
        "/file", data={"companyId": co["id"]}, files={"file": ("a.pdf", b"%PDF", "application/pdf")}
    )
    f = sb.store.get("files", r.json()["id"])
    assert f["companies"] == [co["id"]] and f["size"] == 4 and f["peoples"] == []
    assert sb.journal[-1].body["file"]["filename"] == "a.pdf"


def raw_file_unlink(sb, c):
    f = first(sb, "files")
    assert (
        c.post("/file/unlink", json={"fileId": f["id"], "companyId": f["companies"][0]}).status_code
        == 200
    )
    assert f["companies"][0] not in sb.store.get("files", f["id"])["companies"]


def raw_file_portal(sb, c):
    f = first(sb, "files", showInPortal=False)
    assert c.put(f"/file/{f['id']}/showInPortal", json={"showInPortal": True}).status_code == 200
    assert sb.store.get("files", f["id"])["showInPortal"] is True


FIN_FIELD = {"deals": "name", "invoices": "status", "subscriptions": "plan"}


def raw_financial(kind, plural, verb):
    fld = FIN_FIELD[plural]

    def check(sb, c):
        co = first(sb, "companies")
        base = f"/financial/{kind}"
        if verb in ("create", "upsert"):
            c.post(base, json={"externalId": "E-1", "company_id": co["company_id"]})
            c.post(base, json={"externalId": "E-1", fld: "second"})
            rows = sb.store.find(plural, externalIds={"custify": "E-1"})
            assert len(rows) == 1 and rows[0]["company"] == co["id"] and rows[0][fld] == "second"
            assert "externalId" not in rows[0]
        elif verb == "update":
            row = first(sb, plural)
            assert c.post(f"{base}/{row['id']}", json={fld: "changed"}).status_code == 200
            assert sb.store.get(plural, row["id"])[fld] == "changed"
            assert sb.store.get(plural, row["id"])["externalIds"] == row["externalIds"]
        else:
            a, b = sb.store.rows(plural)[:2]
            assert (
                c.delete(base, params={"externalId": a["externalIds"]["custify"]}).status_code
                == 200
            )
            assert c.delete(f"{base}/{b['id']}").status_code == 200
            assert sb.store.get(plural, a["id"]) is None and sb.store.get(plural, b["id"]) is None

    return check


def raw_tt_create(sb, c):
    user, co = first(sb, "users"), first(sb, "companies")
    r = c.post("/time-track", params={"user": user["email"]},
               json={"name": "Call", "duration": 60, "startedDate": NOW, "company": co["id"]})  # fmt: skip
    tt = sb.store.get("time_tracks", r.json()["id"])
    assert tt["startDate"] == NOW and "startedDate" not in tt and tt["company"] == [co["id"]]
    assert tt["user"] == user["id"]
    assert (
        c.post("/time_track", json={"name": "x", "duration": 1, "startedDate": NOW}).status_code
        == 400
    )


def raw_tt_update(sb, c):
    tt = first(sb, "time_tracks")
    assert c.put("/time-track", params={"id": tt["id"]}, json={"duration": 5}).status_code == 200
    assert sb.store.get("time_tracks", tt["id"])["duration"] == 5


def raw_tt_delete(sb, c):
    a, b = sb.store.rows("time_tracks")[:2]
    assert c.delete("/time-track", params={"id": a["id"]}).status_code == 200
    assert c.delete(f"/time_track/{b['id']}").status_code == 200
    assert (
        sb.store.get("time_tracks", a["id"]) is None
        and sb.store.get("time_tracks", b["id"]) is None
    )


def raw_people_write(sb, c):
    r = c.post("/people", json={"user_id": "new-1", "email": "n@x.example", "name": "N"})
    assert r.status_code == 200 and sb.store.get("people", r.json()["id"])["name"] == "N"


def raw_company_write(sb, c):
    r = c.post("/company", json={"company_id": "new-co", "name": "New"})
    assert (
        r.status_code == 200 and sb.store.find("companies", company_id="new-co")[0]["name"] == "New"
    )


# == the table ================================================================================
SCENARIOS: dict[str, Scenario] = {
    "people.create": Scenario(
        Wire(({"email": "a@b.c"},), {}, "POST", "/people", {}, {"email": "a@b.c"}),
        check_raw=raw_people_write,
        check_client=client_people_create,
    ),
    "people.update": Scenario(
        Wire(({"id": ID, "name": "A"},), {}, "POST", "/people", {}, {"id": ID}),
        check_raw=raw_people_write,
        check_client=client_people_update,
    ),
    "people.upsert": Scenario(
        Wire(({"user_id": "u1"},), {}, "POST", "/people", {}, {"user_id": "u1"}),
        check_raw=raw_people_write,
        check_client=client_people_upsert,
    ),
    "people.get": Scenario(
        Wire((), {"email": "a@b.c"}, "GET", "/people", {"email": "a@b.c"}, None),
        check_raw=raw_people_get,
        check_client=client_people_get,
    ),
    "people.delete": Scenario(
        Wire((), {"id": ID}, "DELETE", f"/people/{ID}", {}, None),
        check_raw=raw_people_delete,
        check_client=client_people_delete,
    ),
    "people.tag": Scenario(
        Wire(
            ({"ids": [ID], "type": "add", "tag": ID},),
            {},
            "POST",
            "/people/tag",
            {},
            {"type": "add"},
        ),
        check_raw=raw_people_tag,
        check_client=client_people_tag,
    ),
    "companies.create": Scenario(
        Wire(({"company_id": "acme"},), {}, "POST", "/company", {}, {"company_id": "acme"}),
        check_raw=raw_company_write,
        check_client=client_companies_create,
    ),
    "companies.update": Scenario(
        Wire(({"id": ID, "plan": "pro"},), {}, "POST", "/company", {}, {"id": ID}),
        check_raw=raw_company_write,
        check_client=client_companies_update,
    ),
    "companies.upsert": Scenario(
        Wire(({"company_id": "acme"},), {}, "POST", "/company", {}, {"company_id": "acme"}),
        check_raw=raw_company_write,
        check_client=client_companies_upsert,
    ),
    "companies.get": Scenario(
        Wire((), {"company_id": "acme"}, "GET", "/company", {"company_id": "acme"}, None),
        check_raw=raw_companies_get,
        check_client=client_companies_get,
    ),
    "companies.delete": Scenario(
        Wire((), {"company_id": "acme"}, "DELETE", "/company", {"company_id": "acme"}, None),
        check_raw=raw_companies_delete,
        check_client=client_companies_delete,
    ),
    "events.insert": Scenario(
        Wire(
            ({"name": "login", "created_at": "2024-01-01", "email": "a@b.c"},),
            {},
            "POST",
            "/event",
            {},
            {"name": "login"},
        ),
        check_raw=raw_event,
        check_client=client_events_insert,
    ),
    "notes.create": Scenario(
        Wire((NOTE,), {}, "POST", "/note", {}, NOTE),
        check_raw=raw_note_create,
        check_client=client_notes_create,
    ),
    "notes.update": Scenario(
        Wire((ID, {"text": "x"}), {}, "POST", f"/note/{ID}", {}, {"text": "x"}),
        check_raw=raw_note_update,
        check_client=client_notes_update,
    ),
    "notes.upsert": Scenario(
        Wire(({"text": "x"},), {"id": ID}, "POST", f"/note/{ID}", {}, {"text": "x"}),
        check_raw=raw_note_update,
        check_client=client_notes_upsert,
    ),
    "tags.create": Scenario(
        Wire(({"name": "vip", "category": "company"},), {}, "POST", "/tag", {}, {"name": "vip"}),
        check_raw=raw_tag_create,
        check_client=client_tags_create,
    ),
    "tags.update": Scenario(
        Wire((ID, {"name": "VIP"}), {}, "POST", f"/tag/{ID}", {}, {"name": "VIP"}),
        check_raw=raw_tag_update,
        check_client=client_tags_update,
    ),
    "tags.upsert": Scenario(
        Wire(({"name": "vip", "category": "company"},), {}, "POST", "/tag", {}, {"name": "vip"}),
        check_raw=raw_tag_update,
        check_client=client_tags_upsert,
    ),
    "tags.delete": Scenario(
        Wire((ID,), {}, "DELETE", f"/tag/{ID}", {}, None),
        check_raw=raw_tag_delete,
        check_client=client_tags_delete,
    ),
    "tags.entity": Scenario(
        Wire(
            ({"ids": [ID], "type": "remove", "category": "company", "tag": ID},),
            {},
            "PATCH",
            "/tag/entity",
            {},
            {"type": "remove"},
        ),
        check_raw=raw_tag_entity,
        check_client=client_tags_entity,
    ),
    "scores.nps": Scenario(
        Wire(
            ({"score": 9},),
            {"email": "a@b.c"},
            "POST",
            "/nps_score",
            {"email": "a@b.c"},
            {"score": 9},
        ),
        check_raw=raw_score("nps", 0, 10),
        check_client=client_scores_nps,
    ),
    "scores.csat": Scenario(
        Wire(({"score": 4},), {"id": ID}, "POST", f"/csat_score/{ID}", {}, {"score": 4}),
        check_raw=raw_score("csat", 1, 5),
        check_client=client_scores_csat,
    ),
    "tickets.create": Scenario(
        Wire(
            ({"externalId": "T-1", "company": "acme"},),
            {},
            "POST",
            "/ticket",
            {},
            {"externalId": "T-1"},
        ),
        check_raw=raw_ticket_create,
        check_client=client_tickets_create,
    ),
    "tickets.update": Scenario(
        Wire(("T/1", {"title": "x"}), {}, "PUT", "/ticket/T%2F1", {}, {"title": "x"}),
        check_raw=raw_ticket_update,
        check_client=client_tickets_update,
    ),
    "tickets.delete": Scenario(
        Wire(("T-1",), {}, "DELETE", "/ticket/T-1", {}, None),
        check_raw=raw_ticket_delete,
        check_client=client_tickets_delete,
    ),
    "tickets.reply": Scenario(
        Wire(("T-1", {"body": "hello"}), {}, "POST", "/ticket/T-1/reply", {}, {"body": "hello"}),
        check_raw=raw_ticket_reply,
        check_client=client_tickets_reply,
    ),
    "tasks.create": Scenario(
        Wire(
            ({"name": "n", "priority": "low", "status": "open"},),
            {},
            "POST",
            "/task",
            {},
            {"name": "n"},
        ),
        check_raw=raw_task_create,
        check_client=client_tasks_create,
    ),
    "tasks.update": Scenario(
        Wire(
            (ID, {"status": "not relevant"}),
            {},
            "PUT",
            f"/task/{ID}",
            {},
            {"_id": ID, "status": "not relevant"},
        ),
        check_raw=raw_task_update,
        check_client=client_tasks_update,
    ),
    "comments.create": Scenario(
        Wire(
            ({"text": "c"},),
            {"entityModel": "Note", "entity": ID},
            "POST",
            f"/comment/Note/{ID}",
            {},
            {"text": "c"},
        ),
        check_raw=raw_comment_create,
        check_client=client_comments_create,
    ),
    "comments.update": Scenario(
        Wire(
            ({"id": "c1", "text": "c"},),
            {"entityModel": "Task", "entity": ID},
            "POST",
            f"/comment/Task/{ID}",
            {},
            {"id": "c1"},
        ),
        check_raw=raw_comment_update,
        check_client=client_comments_update,
    ),
    "comments.upsert": Scenario(
        Wire(
            ({"text": "c"},),
            {"entityModel": "Note", "entity": ID},
            "POST",
            f"/comment/Note/{ID}",
            {},
            {"text": "c"},
        ),
        check_raw=raw_comment_update,
        check_client=client_comments_upsert,
    ),
    "files.upload": Scenario(
        Wire(
            ({"companyId": ID},), {"files": {"file": ("a.txt", b"abc")}}, "POST", "/file", {}, None
        ),
        check_raw=raw_file_upload,
        check_client=client_files_upload,
    ),
    "files.unlink": Scenario(
        Wire(({"fileId": ID, "companyId": ID},), {}, "POST", "/file/unlink", {}, {"fileId": ID}),
        check_raw=raw_file_unlink,
        check_client=client_files_unlink,
    ),
    "files.show_in_portal": Scenario(
        Wire(
            (ID, {"showInPortal": True}),
            {},
            "PUT",
            f"/file/{ID}/showInPortal",
            {},
            {"showInPortal": True},
        ),
        check_raw=raw_file_portal,
        check_client=client_files_show_in_portal,
    ),
    "deals.create": Scenario(
        Wire((FIN,), {}, "POST", "/financial/deal", {}, FIN),
        check_raw=raw_financial("deal", "deals", "create"),
        check_client=fin_case("deals", "create"),
    ),
    "deals.update": Scenario(
        Wire((ID, {"value": 5}), {}, "POST", f"/financial/deal/{ID}", {}, {"value": 5}),
        check_raw=raw_financial("deal", "deals", "update"),
        check_client=fin_case("deals", "update"),
    ),
    "deals.upsert": Scenario(
        Wire((FIN,), {}, "POST", "/financial/deal", {}, FIN),
        check_raw=raw_financial("deal", "deals", "upsert"),
        check_client=fin_case("deals", "upsert"),
    ),
    "deals.delete": Scenario(
        Wire((), {"externalId": "X-1"}, "DELETE", "/financial/deal", {"externalId": "X-1"}, None),
        check_raw=raw_financial("deal", "deals", "delete"),
        check_client=fin_case("deals", "delete"),
    ),
    "invoices.create": Scenario(
        Wire((FIN,), {}, "POST", "/financial/invoice", {}, FIN),
        check_raw=raw_financial("invoice", "invoices", "create"),
        check_client=fin_case("invoices", "create"),
    ),
    "invoices.update": Scenario(
        Wire((ID, {"total": 5.5}), {}, "POST", f"/financial/invoice/{ID}", {}, {"total": 5.5}),
        check_raw=raw_financial("invoice", "invoices", "update"),
        check_client=fin_case("invoices", "update"),
    ),
    "invoices.upsert": Scenario(
        Wire((FIN,), {}, "POST", "/financial/invoice", {}, FIN),
        check_raw=raw_financial("invoice", "invoices", "upsert"),
        check_client=fin_case("invoices", "upsert"),
    ),
    "invoices.delete": Scenario(
        Wire((), {"id": ID}, "DELETE", f"/financial/invoice/{ID}", {}, None),
        check_raw=raw_financial("invoice", "invoices", "delete"),
        check_client=fin_case("invoices", "delete"),
    ),
    "subscriptions.create": Scenario(
        Wire((FIN,), {}, "POST", "/financial/subscription", {}, FIN),
        check_raw=raw_financial("subscription", "subscriptions", "create"),
        check_client=fin_case("subscriptions", "create"),
    ),
    "subscriptions.update": Scenario(
        Wire((ID, {"mrr": 9.0}), {}, "POST", f"/financial/subscription/{ID}", {}, {"mrr": 9.0}),
        check_raw=raw_financial("subscription", "subscriptions", "update"),
        check_client=fin_case("subscriptions", "update"),
    ),
    "subscriptions.upsert": Scenario(
        Wire((FIN,), {}, "POST", "/financial/subscription", {}, FIN),
        check_raw=raw_financial("subscription", "subscriptions", "upsert"),
        check_client=fin_case("subscriptions", "upsert"),
    ),
    "subscriptions.delete": Scenario(
        Wire(
            (),
            {"externalId": "X-1"},
            "DELETE",
            "/financial/subscription",
            {"externalId": "X-1"},
            None,
        ),
        check_raw=raw_financial("subscription", "subscriptions", "delete"),
        check_client=fin_case("subscriptions", "delete"),
    ),
    "time_tracks.create": Scenario(
        Wire(
            ({"name": "call", "duration": 60, "startedDate": "2024-01-01"},),
            {"user": "csm@x.io"},
            "POST",
            "/time-track",
            {"user": "csm@x.io"},
            {"duration": 60},
        ),
        check_raw=raw_tt_create,
        check_client=client_time_tracks_create,
    ),
    "time_tracks.update": Scenario(
        Wire(
            ({"duration": 90},),
            {"id": ID, "user": "csm@x.io"},
            "PUT",
            "/time-track",
            {"id": ID, "user": "csm@x.io"},
            {"duration": 90},
        ),
        check_raw=raw_tt_update,
        check_client=client_time_tracks_update,
    ),
    "time_tracks.delete": Scenario(
        Wire((), {"id": ID}, "DELETE", "/time-track", {"id": ID}, None),
        check_raw=raw_tt_delete,
        check_client=client_time_tracks_delete,
    ),
}
