"""Hard deletes take the record's data along (§2, §3 "including the person's events and other
data"), alike through the API's DELETE and through ``sb.store.delete`` (a delete in Custify)."""

from __future__ import annotations

import pytest

DELETE_WAYS = ("api", "store")


def linked_person(sb):
    """A person with a user_id linked to a company that has objectives and other people."""
    objectives = {o["company"] for o in sb.store.rows("customer_objectives")}
    return next(
        p for p in sb.store.rows("people") if p["user_id"] and p["companies"][0] in objectives
    )


def give_person_data(sb, client, person):
    """Events, a score, custom data, a ticket, a note on them and a task naming them."""
    cid = person["companies"][0]
    company = sb.store.get("companies", cid)
    for i in range(3):
        ev = {"name": "login", "created_at": "2024-01-01", "user_id": person["user_id"],
              "deduplication_id": f"d{person['id']}{i}"}  # fmt: skip
        assert client.post("/event", json=ev).status_code == 202
    assert client.post("/nps_score", params={"user_id": person["user_id"]},
                       json={"score": 9}).status_code == 200  # fmt: skip
    cd = {"data_type": "plan", "data_id": "1", "data": {"seats": 3}}
    assert client.post(f"/custom_data/people/{person['id']}", json=cd).status_code == 200
    ticket = client.post("/ticket", json={"externalId": f"T-{person['id']}", "title": "x",
                                          "company": company["company_id"],
                                          "people": person["user_id"]}).json()  # fmt: skip
    note = client.post("/note", json={"text": "<p>hi</p>", "entity": person["id"],
                                      "entityModel": "Customer"}).json()  # fmt: skip
    comment = client.post(f"/comment/Note/{note['id']}", json={"text": "c"}).json()
    task = client.post("/task", json={"name": "n", "priority": "low", "status": "open",
                                      "people": person["id"]}).json()  # fmt: skip
    return ticket, note, comment, task


def delete(sb, client, obj, rid, way):
    if way == "store":
        sb.store.delete(obj, rid)
        return
    path = {"people": "/people", "companies": "/company"}[obj]
    assert client.delete(f"{path}/{rid}").status_code == 200


@pytest.mark.parametrize("way", DELETE_WAYS)
def test_deleting_a_person_takes_their_events_links_and_data(sb, client, way):
    person = linked_person(sb)
    pid = person["id"]
    ticket, note, comment, task = give_person_data(sb, client, person)
    other = next(p for p in sb.store.rows("people") if p["id"] != pid and p["user_id"])
    client.post("/event", json={"name": "login", "created_at": "2024-01-01",
                                "user_id": other["user_id"]})  # fmt: skip
    assert sum(e["person"] == pid for e in sb.store.events) == 3
    delete(sb, client, "people", pid, way)
    assert sb.store.get("people", pid) is None
    assert not [e for e in sb.store.events if e["person"] == pid]
    assert [e["person"] for e in sb.store.events] == [other["id"]]  # other people keep theirs
    assert pid not in sb.store.scores["nps"]
    assert not [k for k in sb.store.custom_data if k[1] == pid]
    assert sb.store.get("notes", note["id"]) is None  # a note on the person is their data
    assert sb.store.get("comments", comment["id"]) is None
    kept = sb.store.get("tickets", ticket["id"])
    assert kept["people"] == [] and kept["peopleNames"] == []
    assert sb.store.get("tasks", task["id"])["people"] is None
    for table, fld in (("notes", "people"), ("files", "peoples"), ("meetings", "people"),
                       ("time_tracks", "people")):  # fmt: skip
        assert not sb.store.find(table, **{fld: pid}), table
        assert all(pid not in (r.get(fld) or []) for r in sb.store.rows(table)), table
    for table in ("deals", "invoices", "subscriptions", "survey_responses"):
        assert all(r.get("people") != pid for r in sb.store.rows(table)), table
    assert all(p.get("people") != pid for m in sb.store.rows("meetings") for p in m["participants"])
    assert client.get(f"/people/{pid}").status_code == 404


@pytest.mark.parametrize("way", DELETE_WAYS)
def test_deleting_a_company_takes_its_objectives_links_and_events(sb, client, way):
    person = linked_person(sb)
    cid = person["companies"][0]
    company = sb.store.get("companies", cid)
    members = [p["id"] for p in sb.store.rows("people") if cid in p["companies"]]
    child = sb.store.create("companies", company_id="CHILD", name="Child", parent_companies=[cid])
    assert sb.store.find("customer_objectives", company=cid)
    client.post("/event", json={"name": "renewed", "created_at": "2024-01-01",
                                "company_id": company["company_id"]})  # fmt: skip
    cd = {"data_type": "contract", "data_id": "c1", "data": {"v": 1}}
    assert client.post(f"/custom_data/companies/{cid}", json=cd).status_code == 200
    note = client.post("/note", json={"text": "<p>co</p>", "entity": cid,
                                      "entityModel": "Company"}).json()  # fmt: skip
    deal = client.post("/financial/deal", json={"externalId": "D-cascade", "company": cid}).json()
    objectives_before = sb.store.count("customer_objectives")
    owned = len(sb.store.find("customer_objectives", company=cid))
    delete(sb, client, "companies", cid, way)
    assert sb.store.count("customer_objectives") == objectives_before - owned
    assert not sb.store.find("customer_objectives", company=cid)
    assert all(cid not in sb.store.get("people", p)["companies"] for p in members)
    assert all(sb.store.get("people", p) is not None for p in members)  # people stay
    assert sb.store.get("companies", child["id"])["parent_companies"] == []
    assert not [e for e in sb.store.events if e["company"] == cid]
    assert not [k for k in sb.store.custom_data if k[1] == cid]
    assert sb.store.get("notes", note["id"]) is None
    assert sb.store.get("deals", deal["id"])["company"] is None
    for table in ("tickets", "files", "meetings", "time_tracks", "notes"):
        fld = {"files": "companies"}.get(table, "company")
        assert all(cid not in (r.get(fld) or []) for r in sb.store.rows(table)), table
    assert all(cid not in [n["id"] for n in t["companyNames"]] for t in sb.store.rows("tickets"))
    assert all(t["company"] != cid for t in sb.store.rows("tasks"))
    r = client.get("/objective", params={"company": cid})
    assert r.status_code == 404


@pytest.mark.parametrize("bump", [True, False])
def test_records_losing_a_reference_move_their_updated_at_per_knob(sb, client, clock, bump):
    """INF (docs/architecture.md, INF 16): knob ``cascade_bumps_updated_at``, default True."""
    sb.faults.cascade_bumps_updated_at = bump
    person = linked_person(sb)
    ticket, *_ = give_person_data(sb, client, person)
    company = sb.store.get("companies", person["companies"][0])
    members = [p["id"] for p in sb.store.rows("people")
               if company["id"] in p["companies"] and p["id"] != person["id"]]  # fmt: skip
    before = sb.store.get("tickets", ticket["id"])["updated_at"]
    unrelated = sb.store.rows("tickets")[0]
    clock.advance(60)
    sb.store.delete("people", person["id"])
    after = sb.store.get("tickets", ticket["id"])["updated_at"]
    assert (after == sb.now_iso()) is bump and (after == before) is not bump
    if unrelated["id"] != ticket["id"] and {"id": person["id"]} not in unrelated["people"]:
        assert sb.store.get("tickets", unrelated["id"])["updated_at"] == unrelated["updated_at"]
    clock.advance(60)
    client.delete(f"/company/{company['id']}")
    stamps = {sb.store.get("people", m)["updated_at"] for m in members}
    assert members and (stamps == {sb.now_iso()} if bump else sb.now_iso() not in stamps)


def test_deleting_a_survey_or_a_task_takes_its_responses_or_comments(sb):
    survey = sb.store.rows("survey_responses")[0]["survey"]
    assert sb.store.find("survey_responses", survey=survey)
    sb.store.delete("surveys", survey)
    assert not sb.store.find("survey_responses", survey=survey)
    task_comment = next(c for c in sb.store.rows("comments") if c["entityModel"] == "Task")
    sb.store.delete("tasks", task_comment["entity"])
    assert not sb.store.find("comments", entity=task_comment["entity"])
