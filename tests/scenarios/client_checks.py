"""The client layer's checks: each action through its named method on a seeded sandbox, and
the state Custify then holds."""

from __future__ import annotations

import pytest

from custify.errors import NotFound, RecordRejected
from tests.scenarios.records import ClientCheck, first, one, rows, tag_of


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
