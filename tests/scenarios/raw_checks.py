"""The raw-HTTP layer's checks: each action's endpoint on a seeded sandbox, and the state it
leaves there."""

from __future__ import annotations

from tests.scenarios.records import NOW, first, person_with_uid, tag_of


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
