"""Where the sandbox follows the notes closely: financial externalId conflicts (§12), ``limit``
on notes and tags (§1.7) and segment membership (§1.7 includeSegments)."""

from __future__ import annotations

import pytest

from models.clock import FakeClock
from sandbox import Sandbox
from tests.sandbox.conftest import make_client

KINDS = ("deal", "invoice", "subscription")


@pytest.mark.parametrize("kind", KINDS)
def test_update_to_an_externalid_another_record_holds_is_409(sb, client, kind):
    a = client.post(f"/financial/{kind}", json={"externalId": "F-a"}).json()
    b = client.post(f"/financial/{kind}", json={"externalId": "F-b"}).json()
    table = f"{kind}s"
    r = client.post(f"/financial/{kind}/{b['id']}", json={"externalId": "F-a"})
    assert r.status_code == 409 and "F-a" in r.json()["error"]
    assert sb.store.get(table, b["id"])["externalIds"] == {"custify": "F-b"}
    assert len(sb.store.find(table, externalIds__custify="F-a")) == 1
    # its own externalId again, or a free one, is fine; an upsert by externalId updates
    assert client.post(f"/financial/{kind}/{b['id']}", json={"externalId": "F-b"}).is_success
    assert client.post(f"/financial/{kind}/{b['id']}", json={"externalId": "F-c"}).is_success
    assert client.post(f"/financial/{kind}", json={"externalId": "F-a"}).json()["id"] == a["id"]
    assert sb.store.get(table, b["id"])["externalIds"] == {"custify": "F-c"}


@pytest.mark.parametrize(("path", "key", "cap"), [("/note", "notes", 50), ("/tag", "tags", 100)])
def test_limit_is_the_page_size_of_notes_and_tags(sb, client, path, key, cap):
    template = {k: v for k, v in sb.store.rows(key)[0].items() if k != "id"}
    for _ in range(cap + 10):
        sb.store.create(key, **template)
    assert len(client.get(path).json()[key]) == 20  # documented default
    assert len(client.get(path, params={"limit": 7}).json()[key]) == 7
    assert len(client.get(path, params={"itemsPerPage": 9}).json()[key]) == 9
    assert len(client.get(path, params={"limit": 7, "itemsPerPage": 9}).json()[key]) == 7
    assert len(client.get(path, params={"limit": 10_000}).json()[key]) == cap  # sandbox cap
    page2 = client.get(path, params={"limit": 7, "page": 2}).json()[key]
    both = client.get(path, params={"limit": 14}).json()[key]
    assert [r["id"] for r in page2] == [r["id"] for r in both[7:]]
    assert client.get(path, params={"limit": "x"}).status_code == 400
    # other lists do not take limit (it is not their documented parameter)
    assert len(client.get("/task", params={"limit": 3}).json()["tasks"]) == 20


def test_include_segments_returns_seeded_membership(sb, client):
    segs = {s["id"]: s for s in sb.store.rows("segments")}
    people = client.get("/people/all", params={"includeSegments": "true", "itemsPerPage": 200})
    companies = client.get("/company/all", params={"includeSegments": "true",
                                                   "itemsPerPage": 200})  # fmt: skip
    for rows, kind in ((people.json()[0]["people"], "people"),
                       (companies.json()["companies"], "company")):  # fmt: skip
        held = [s for r in rows for s in r["segments"]]
        assert held, kind
        assert all(segs[s["id"]]["type"] == kind and s["name"] == segs[s["id"]]["name"]
                   for s in held)  # fmt: skip
        assert any(not r["segments"] for r in rows), kind  # a subset, not everyone
        assert len({s["id"] for s in held}) == sum(1 for s in segs.values() if s["type"] == kind)
    person = people.json()[0]["people"][0]
    one = client.get(f"/people/{person['id']}", params={"includeSegments": "true"}).json()
    assert one["segments"] == person["segments"]
    co = companies.json()["companies"][0]
    got = client.get(f"/company/{co['id']}", params={"includeSegments": "true"}).json()
    assert got["companies"][0]["segments"] == co["segments"]
    again = Sandbox(seed=7, scale=0.2, clock=FakeClock(), rate_limit=None)
    body = make_client(again).get("/company/all", params={"includeSegments": "true",
                                                          "itemsPerPage": 200})  # fmt: skip
    assert body.json()["companies"] == companies.json()["companies"]  # deterministic
