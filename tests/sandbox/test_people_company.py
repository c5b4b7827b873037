"""People upsert lookup order (§2, quirk 12), company upsert (§3, quirk 13) and merges (§1.5)."""

from __future__ import annotations

import pytest


@pytest.fixture
def alice(sb):
    return sb.store.create("people", user_id="alice", email="alice@x.example", name="Alice",
                           custom_attributes={"plan": "pro", "seats": 3}, companies=[], tags=[])  # fmt: skip


@pytest.fixture
def no_uid(sb):
    return sb.store.create("people", user_id=None, email="bob@x.example", name="Bob",
                           custom_attributes={}, companies=[], tags=[])  # fmt: skip


def test_rule1_id_overwrites_user_id_and_email(sb, client, alice):
    r = client.post(
        "/people", json={"id": alice["id"], "user_id": "alice2", "email": "a2@x.example"}
    )
    assert r.status_code == 200 and r.json()["id"] == alice["id"]
    rec = sb.store.get("people", alice["id"])
    assert (rec["user_id"], rec["email"], rec["name"]) == ("alice2", "a2@x.example", "Alice")


def test_rule1_unknown_id_is_404(sb, client):
    n = sb.store.count("people")
    r = client.post("/people", json={"id": "0" * 24, "email": "x@x.example"})
    assert r.status_code == 404 and sb.store.count("people") == n


def test_rule2_user_id_match_updates_email(sb, client, alice):
    r = client.post("/people", json={"user_id": "alice", "email": "new@x.example"})
    assert r.json()["id"] == alice["id"]
    assert sb.store.get("people", alice["id"])["email"] == "new@x.example"


def test_rule3_email_match_without_user_id_sets_it(sb, client, no_uid):
    r = client.post("/people", json={"user_id": "bob", "email": "bob@x.example"})
    assert r.json()["id"] == no_uid["id"]
    assert sb.store.get("people", no_uid["id"])["user_id"] == "bob"


def test_rule4_email_match_with_other_user_id_creates_a_new_person(sb, client, alice):
    n = sb.store.count("people")
    r = client.post("/people", json={"user_id": "someone-else", "email": "alice@x.example"})
    assert r.status_code == 200 and r.json()["id"] != alice["id"]
    assert sb.store.count("people") == n + 1
    assert len(sb.store.find("people", email="alice@x.example")) == 2
    assert sb.store.get("people", alice["id"])["user_id"] == "alice"


def test_rule5_nothing_matches_creates(sb, client):
    n = sb.store.count("people")
    r = client.post("/people", json={"email": "fresh@x.example"})
    assert r.status_code == 200 and sb.store.count("people") == n + 1
    rec = sb.store.get("people", r.json()["id"])
    assert rec["created_at"] == rec["updated_at"] == "2023-11-14T22:13:20.000Z"
    assert r.json() == rec  # the response is the full entity


def test_create_needs_user_id_or_email(client):
    r = client.post("/people", json={"name": "Nobody"})
    assert r.status_code == 400 and "user_id" in r.json()["error"]


def test_merge_keeps_missing_keys_null_clears_and_attributes_merge(sb, client, alice):
    client.post("/people", json={"user_id": "alice", "phone": "123",
                                 "custom_attributes": {"seats": 5, "plan": None, "new": True}})  # fmt: skip
    rec = sb.store.get("people", alice["id"])
    assert rec["name"] == "Alice" and rec["phone"] == "123"
    assert rec["custom_attributes"] == {"seats": 5, "new": True}
    client.post("/people", json={"user_id": "alice", "name": None})
    assert sb.store.get("people", alice["id"])["name"] is None


def test_unset_removes_and_may_not_overlap(sb, client, alice):
    r = client.post("/people", json={"user_id": "alice",
                                     "$unset": ["custom_attributes.seats", "name"]})  # fmt: skip
    assert r.status_code == 200
    rec = sb.store.get("people", alice["id"])
    assert rec["custom_attributes"] == {"plan": "pro"} and rec["name"] is None
    r = client.post("/people", json={"user_id": "alice", "name": "A", "$unset": ["name"]})
    assert r.status_code == 400 and "$unset" in r.json()["error"]
    r = client.post("/people", json={"user_id": "alice", "$unset": ["email"]})
    assert r.status_code == 400


def test_company_links_add_and_remove(sb, client, alice):
    a, b = sb.store.rows("companies")[:2]
    client.post("/people", json={"user_id": "alice", "companies": [
        {"company_id": a["company_id"]}, {"id": b["id"]}]})  # fmt: skip
    assert sb.store.get("people", alice["id"])["companies"] == [a["id"], b["id"]]
    client.post("/people", json={"user_id": "alice", "companies": [
        {"company_id": a["company_id"], "remove": True}]})  # fmt: skip
    assert sb.store.get("people", alice["id"])["companies"] == [b["id"]]
    r = client.post("/people", json={"user_id": "alice", "companies": [{"company_id": "nope"}]})
    assert r.status_code == 404


def test_company_upsert_by_id_and_company_id(sb, client):
    co = sb.store.rows("companies")[0]
    r = client.post("/company", json={"company_id": co["company_id"], "plan": "Gold"})
    assert r.json()["id"] == co["id"] and sb.store.get("companies", co["id"])["plan"] == "Gold"
    r = client.post("/company", json={"id": co["id"], "name": "Renamed"})
    rec = sb.store.get("companies", co["id"])
    assert rec["name"] == "Renamed" and rec["plan"] == "Gold"
    assert rec["custom_attributes"] == co["custom_attributes"]
    n = sb.store.count("companies")
    assert client.post("/company", json={"company_id": "C-new"}).status_code == 200
    assert sb.store.count("companies") == n + 1
    assert client.post("/company", json={"id": "f" * 24}).status_code == 404
    assert client.post("/company", json={"name": "no id"}).status_code == 400


def test_company_id_is_immutable(sb, client):
    co = sb.store.rows("companies")[0]
    r = client.post("/company", json={"id": co["id"], "company_id": "changed"})
    assert r.status_code == 400 and "company_id" in r.json()["error"]
    assert sb.store.get("companies", co["id"])["company_id"] == co["company_id"]


def test_company_owners_and_currency_attribute(sb, client):
    user = sb.store.rows("users")[2]
    r = client.post("/company", json={"company_id": "C-own", "owners_csm": user["email"],
                                      "custom_attributes": {"arr": {"value": 10.5, "currency": "EUR"}}})  # fmt: skip
    rec = r.json()
    assert (rec["owners_csm"], rec["owners_csm_email"], rec["owners_csm_name"]) == (
        user["id"], user["email"], user["name"])  # fmt: skip
    assert rec["custom_attributes"]["arr"] == {"value": 10.5, "currency": "EUR"}
    assert (
        client.post("/company", json={"company_id": "C-own", "owners_csm": "x@y.z"}).status_code
        == 400
    )
    r = client.post("/company", json={"company_id": "C-own", "$unset": ["owners_csm"]})
    assert r.json()["owners_csm"] is None and r.json()["owners_csm_email"] is None


def test_parent_companies(sb, client):
    a, b = sb.store.rows("companies")[:2]
    client.post(
        "/company", json={"id": a["id"], "parent_companies": [{"company_id": b["company_id"]}]}
    )
    assert b["id"] in sb.store.get("companies", a["id"])["parent_companies"]
    r = client.post("/company", json={"id": a["id"], "parent_companies": [{"id": a["id"]}]})
    assert r.status_code == 400
