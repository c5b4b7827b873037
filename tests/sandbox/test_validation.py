"""Validation answers: 400 with an ``error`` naming the field (§1.4, §1.5, §5–§13)."""

from __future__ import annotations

import pytest

NOW = "2023-11-14T22:13:20.000Z"


def ids(sb):
    co = sb.store.rows("companies")[0]
    return co, next(p for p in sb.store.rows("people") if p["user_id"])


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/task", {"priority": "low", "status": "open"}, "name"),
        ("POST", "/task", {"name": "x", "priority": "urgent", "status": "open"}, "priority"),
        ("POST", "/task", {"name": "x", "priority": "low", "status": "closed"}, "status"),
        ("POST", "/task", {"name": 5, "priority": "low", "status": "open"}, "name"),
        ("POST", "/note", {"text": "t", "entity": "e", "entityModel": "People"}, "entityModel"),
        ("POST", "/note", {"entity": "e", "entityModel": "Company"}, "text"),
        ("POST", "/tag", {"name": "x", "category": "colour"}, "category"),
        ("POST", "/tag", {"category": "people"}, "name"),
        ("PATCH", "/tag/entity", {"ids": [], "type": "add", "category": "people", "tag": "t"}, "ids"),
        ("PATCH", "/tag/entity", {"ids": ["a"], "type": "toggle", "category": "people", "tag": "t"}, "type"),
        ("POST", "/comment/Ticket/abc", {"text": "x"}, "entityModel"),
        ("POST", "/event", {"created_at": NOW, "user_id": "u"}, "name"),
        ("POST", "/event", {"name": "e", "user_id": "u"}, "created_at"),
        ("POST", "/event", {"name": "e", "created_at": "yesterday", "user_id": "u"}, "created_at"),
        ("POST", "/people", {"email": "a@b.c", "session_count": "many"}, "session_count"),
        ("POST", "/people", {"email": "a@b.c", "signed_up_at": "31/12/2020"}, "signed_up_at"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"a.b": 1}}, "custom_attributes.a.b"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"$x": 1}}, "custom_attributes.$x"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"123": 1}}, "custom_attributes.123"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"k" * 191: 1}}, "custom_attributes"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"o": {"a": 1}}}, "custom_attributes.o"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"l": [1]}}, "custom_attributes.l"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {"s": "x" * 256}}, "custom_attributes.s"),
        ("POST", "/people", {"email": "a@b.c", "custom_attributes": {f"k{i}": i for i in range(251)}},
         "custom_attributes"),
        ("POST", "/people", {"email": "a@b.c", "name": "x" * 256}, "name"),
        ("POST", "/company", {"company_id": "c", "size": 2**31}, "size"),
        ("POST", "/financial/deal", {"name": "no external id"}, "externalId"),
        ("POST", "/batch", {"jobs": [{"type": "people", "payload": {}}] * 101}, "jobs"),
        ("POST", "/batch", {"jobs": [{"type": "ticket", "payload": {}}]}, "jobs[0].type"),
        ("POST", "/batch", {"jobs": [{"type": "people", "payload": {}}] * 4, "synchronous": True}, "jobs"),
    ],
)  # fmt: skip
def test_400_names_the_field(client, method, path, body, field):
    r = client.request(method, path, json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]


def test_invalid_json_body_is_400(client):
    r = client.post("/people", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_scores_range_and_unknown_records_404(sb, client):
    co, p = ids(sb)
    assert client.post(f"/nps_score/{p['id']}", json={"score": 11}).status_code == 400
    assert client.post(f"/csat_score/{p['id']}", json={"score": 0}).status_code == 400
    assert client.post(f"/nps_score/{'0' * 24}", json={"score": 5}).status_code == 404
    assert client.put(f"/task/{'0' * 24}", json={"status": "done"}).status_code == 404
    assert client.put("/ticket/NOPE", json={"title": "x"}).status_code == 404
    assert client.delete(f"/tag/{'0' * 24}").status_code == 404
    assert client.delete("/financial/deal", params={"externalId": "nope"}).status_code == 404
    assert client.post("/file/unlink", json={"fileId": "0" * 24}).status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_custom_attribute_values_that_are_allowed(sb, client):
    attrs = {"n": 1.5, "b": True, "s": "x" * 255, "d_at": NOW, "c": {"value": 3, "currency": "USD"},
             "num_as_str": "7", "nothing": None}  # fmt: skip
    r = client.post("/people", json={"email": "ok@x.example", "custom_attributes": attrs})
    assert r.status_code == 200
    del attrs["nothing"]
    assert r.json()["custom_attributes"] == attrs


def test_validation_leaves_state_alone(sb, client):
    before = sb.store.rows("tasks")
    client.post("/task", json={"name": "x", "priority": "urgent", "status": "open"})
    assert sb.store.rows("tasks") == before


def test_tags_on_writes_must_exist_and_match_the_category(sb, client):
    co = sb.store.rows("companies")[0]
    people_tag = sb.store.find("tags", category="people")[0]
    body = {"text": "t", "entity": co["id"], "entityModel": "Company"}
    r = client.post("/note", json={**body, "tags": [people_tag["id"]]})
    assert r.status_code == 400 and "tags" in r.json()["error"]
    note_tag = sb.store.find("tags", category="note")[0]
    assert client.post("/note", json={**body, "tags": [note_tag["id"]]}).status_code == 200
