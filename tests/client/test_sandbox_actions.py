"""Every registry action through the client's named methods, asserting the sandbox's STATE.

One case per action (parametrised over ``models.registry.ACTIONS``): each performs the action
on a fresh seeded sandbox and then checks what Custify now holds, not only what the call
returned. A missing case fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from custify.client import CustifyClient
from custify.errors import NotFound, RecordRejected
from models.registry import ACTIONS

Case = Callable[[CustifyClient, object], None]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = fn
        return fn

    return register


def rows(sb, obj: str) -> list[dict]:
    return sb.store.rows(obj)


def one(sb, obj: str, **fields) -> dict:
    (found,) = sb.store.find(obj, **fields)
    return found


def first(sb, obj: str, pred=lambda r: True) -> dict:
    return next(r for r in rows(sb, obj) if pred(r))


def tag_of(sb, category: str) -> dict:
    return first(sb, "tags", lambda t: t["category"] == category)


# -- people ------------------------------------------------------------------------------------
@case("people.create")
def _(c, sb):
    made = c.people_create({"user_id": "u-new", "email": "new@example.com", "name": "Nia"})
    assert one(sb, "people", user_id="u-new")["email"] == "new@example.com" == made["email"]


@case("people.update")
def _(c, sb):
    p = first(sb, "people")
    c.people_update({"id": p["id"], "name": "Renamed", "custom_attributes": {"tier": "gold"}})
    stored = sb.store.get("people", p["id"])
    assert stored["name"] == "Renamed" and stored["custom_attributes"]["tier"] == "gold"


@case("people.upsert")
def _(c, sb):
    p = first(sb, "people", lambda r: r.get("user_id"))
    before = len(rows(sb, "people"))
    c.people_upsert({"user_id": p["user_id"], "phone": "+33 1 23 45"})
    assert sb.store.get("people", p["id"])["phone"] == "+33 1 23 45"
    c.people_upsert({"email": "fresh@example.com"})  # nothing matches: creates
    assert len(rows(sb, "people")) == before + 1


@case("people.get")
def _(c, sb):
    p = first(sb, "people", lambda r: r.get("email"))
    assert c.people_get(email=p["email"])["id"] == p["id"]
    with pytest.raises(NotFound):
        c.people_get(user_id="no-such-user")


@case("people.delete")
def _(c, sb):
    p = first(sb, "people", lambda r: r.get("email"))
    c.people_delete(email=p["email"])
    assert sb.store.get("people", p["id"]) is None
    with pytest.raises(NotFound):
        c.people_delete(id=p["id"])


@case("people.tag")
def _(c, sb):
    tag, p = tag_of(sb, "people"), first(sb, "people")
    c.people_tag({"ids": [p["id"]], "type": "add", "tag": tag["id"]})
    assert tag["id"] in sb.store.get("people", p["id"])["tags"]
    c.people_tag({"ids": [p["id"]], "type": "remove", "tag": tag["id"]})
    assert tag["id"] not in sb.store.get("people", p["id"])["tags"]


# -- companies ---------------------------------------------------------------------------------
@case("companies.create")
def _(c, sb):
    c.companies_create({"company_id": "acme-new", "name": "Acme New", "size": 12})
    assert one(sb, "companies", company_id="acme-new")["size"] == 12


@case("companies.update")
def _(c, sb):
    co = first(sb, "companies")
    c.companies_update({"id": co["id"], "plan": "enterprise"})
    assert sb.store.get("companies", co["id"])["plan"] == "enterprise"


@case("companies.upsert")
def _(c, sb):
    co = first(sb, "companies")
    before = len(rows(sb, "companies"))
    c.companies_upsert({"company_id": co["company_id"], "industry": "Robotics"})
    assert sb.store.get("companies", co["id"])["industry"] == "Robotics"
    assert len(rows(sb, "companies")) == before


@case("companies.get")
def _(c, sb):
    co = first(sb, "companies")
    assert c.companies_get(company_id=co["company_id"])["id"] == co["id"]
    assert c.companies_get(id=co["id"])["company_id"] == co["company_id"]
    with pytest.raises(NotFound):
        c.companies_get(company_id="nope")


@case("companies.delete")
def _(c, sb):
    co = first(sb, "companies")
    c.companies_delete(company_id=co["company_id"])
    assert sb.store.get("companies", co["id"]) is None


@case("events.insert")
def _(c, sb):
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


@case("notes.create")
def _(c, sb):
    made = c.notes_create(note_body(sb))
    assert sb.store.get("notes", made["id"])["text"] == "<p>QBR went well</p>"


@case("notes.update")
def _(c, sb):
    n = first(sb, "notes")
    c.notes_update(n["id"], {"text": "<p>edited</p>", "sticky": True})
    assert sb.store.get("notes", n["id"])["text"] == "<p>edited</p>"


@case("notes.upsert")
def _(c, sb):
    made = c.notes_upsert(note_body(sb))  # no id: creates (POST /note)
    c.notes_upsert({"text": "<p>v2</p>"}, id=made["id"])  # id: updates (POST /note/{id})
    assert sb.store.get("notes", made["id"])["text"] == "<p>v2</p>"


@case("tags.create")
def _(c, sb):
    made = c.tags_create({"name": "Champion", "category": "people"})
    assert sb.store.get("tags", made["id"])["name"] == "Champion"


@case("tags.update")
def _(c, sb):
    t = tag_of(sb, "company")
    c.tags_update(t["id"], {"description": "renewal at risk"})
    assert sb.store.get("tags", t["id"])["description"] == "renewal at risk"


@case("tags.upsert")
def _(c, sb):
    made = c.tags_upsert({"name": "Beta", "category": "company"})
    c.tags_upsert({"name": "Beta users"}, id=made["id"])
    assert sb.store.get("tags", made["id"])["name"] == "Beta users"


@case("tags.delete")
def _(c, sb):
    t, co = tag_of(sb, "company"), first(sb, "companies")
    c.tags_entity({"ids": [co["id"]], "type": "add", "category": "company", "tag": t["id"]})
    c.tags_delete(t["id"])
    assert sb.store.get("tags", t["id"]) is None
    assert t["id"] not in (sb.store.get("companies", co["id"]).get("tags") or [])


@case("tags.entity")
def _(c, sb):
    t = tag_of(sb, "company")
    ids = [co["id"] for co in rows(sb, "companies")[:3]]
    c.tags_entity({"ids": ids, "type": "add", "category": "company", "tag": t["id"]})
    assert all(t["id"] in sb.store.get("companies", i)["tags"] for i in ids)


# -- scores ------------------------------------------------------------------------------------
@case("scores.nps")
def _(c, sb):
    p = first(sb, "people", lambda r: r.get("email"))
    c.scores_nps({"score": 9, "comment": "great"}, email=p["email"])
    assert sb.store.scores["nps"][p["id"]]["score"] == 9


@case("scores.csat")
def _(c, sb):
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


@case("tickets.create")
def _(c, sb):
    ticket(c, sb)
    assert one(sb, "tickets", externalId="T-100")["title"] == "Login broken"


@case("tickets.update")
def _(c, sb):
    ticket(c, sb, "T 7")  # a space in an externalId travels escaped
    c.tickets_update("T 7", {"ticketStatus": "solved"})
    assert one(sb, "tickets", externalId="T 7")["ticketStatus"] == "solved"


@case("tickets.delete")
def _(c, sb):
    ticket(c, sb)
    c.tickets_delete("T-100")
    assert sb.store.find("tickets", externalId="T-100") == []


@case("tickets.reply")
def _(c, sb):
    ticket(c, sb)
    c.tickets_reply("T-100", {"body": "On it", "type": "outgoing"})
    assert one(sb, "tickets", externalId="T-100")["replies"][-1]["body"] == "On it"


@case("tasks.create")
def _(c, sb):
    made = c.tasks_create({"name": "Call champion", "priority": "high", "status": "open"})
    assert sb.store.get("tasks", made["id"])["priority"] == "high"


@case("tasks.update")
def _(c, sb):
    t = first(sb, "tasks")
    c.tasks_update(t["id"], {"status": "not relevant"})
    assert sb.store.get("tasks", t["id"])["status"] == "not relevant"


# -- comments ----------------------------------------------------------------------------------
def parent(sb) -> dict:
    return {"entityModel": "Note", "entity": first(sb, "notes")["id"]}


@case("comments.create")
def _(c, sb):
    made = c.comments_create({"text": "+1"}, **parent(sb))
    assert sb.store.get("comments", made["id"])["text"] == "+1"


@case("comments.update")
def _(c, sb):
    made = c.comments_create({"text": "draft"}, **parent(sb))
    c.comments_update({"id": made["id"], "text": "final"}, **parent(sb))
    assert sb.store.get("comments", made["id"])["text"] == "final"


@case("comments.upsert")
def _(c, sb):
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


@case("files.upload")
def _(c, sb):
    made, co = upload(c, sb)
    stored = sb.store.get("files", made["id"])
    assert stored["name"] == "plan.pdf" and co["id"] in stored["companies"]


@case("files.unlink")
def _(c, sb):
    made, co = upload(c, sb)
    c.files_unlink({"fileId": made["id"], "companyId": co["id"]})
    stored = sb.store.get("files", made["id"])
    assert stored is None or co["id"] not in stored["companies"]


@case("files.show_in_portal")
def _(c, sb):
    f = first(sb, "files")
    c.files_show_in_portal(f["id"], {"showInPortal": True})
    assert sb.store.get("files", f["id"])["showInPortal"] is True


# -- financials (deals, invoices, subscriptions) -------------------------------------------------
FIN_FIELDS = {"deals": ("value", 500), "invoices": ("total", 99.5), "subscriptions": ("mrr", 42.0)}


def fin_case(obj: str, verb: str) -> Case:
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


for _obj in FIN_FIELDS:
    for _verb in ("create", "update", "upsert", "delete"):
        CASES[f"{_obj}.{_verb}"] = fin_case(_obj, _verb)


# -- time tracks -------------------------------------------------------------------------------
def track(c, sb) -> dict:
    user = first(sb, "users")
    body = {"name": "Onboarding call", "duration": 1800, "startedDate": "2024-05-01T09:00:00Z",
            "company": first(sb, "companies")["id"]}  # fmt: skip
    return c.time_tracks_create(body, user=user["email"])


@case("time_tracks.create")
def _(c, sb):
    made = track(c, sb)
    stored = sb.store.get("time_tracks", made["id"])
    assert stored["duration"] == 1800 and stored["startDate"] == "2024-05-01T09:00:00Z"


@case("time_tracks.update")
def _(c, sb):
    made = track(c, sb)
    c.time_tracks_update({"duration": 2400}, id=made["id"])
    assert sb.store.get("time_tracks", made["id"])["duration"] == 2400


@case("time_tracks.delete")
def _(c, sb):
    made = track(c, sb)
    c.time_tracks_delete(id=made["id"])
    assert sb.store.get("time_tracks", made["id"]) is None


# -- the test ------------------------------------------------------------------------------------
def test_every_action_has_a_case() -> None:
    assert set(CASES) == set(ACTIONS)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_changes_sandbox_state(sb_client, sandbox, name: str) -> None:
    CASES[name](sb_client, sandbox)
    journal = [e for e in sandbox.journal if e.method == ACTIONS[name].method]
    assert journal, "the action reached the sandbox"
    assert sb_client.stats.snapshot()["errors"] in (0, 1)  # some cases check one refusal
