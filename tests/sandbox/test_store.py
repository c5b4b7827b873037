"""Store helpers for tests, and the sorted/hash indexes staying right under writes."""

from __future__ import annotations

import random

import pytest

from sandbox.store import Table, get_path, sort_key


def test_rows_and_get_are_deep_copies(sb):
    row = sb.store.rows("people")[0]
    row["custom_attributes"]["hacked"] = True
    got = sb.store.get("people", row["id"])
    assert "hacked" not in got["custom_attributes"]
    got["name"] = "changed"
    assert sb.store.get("people", row["id"])["name"] != "changed"


def test_find_by_fields_and_dot_paths(sb):
    deal = sb.store.rows("deals")[0]
    assert sb.store.find("deals", externalIds__custify=deal["externalIds"]["custify"]) == [deal]
    assert sb.store.find("deals", id=deal["id"], company=deal["company"]) == [deal]


def test_create_update_delete_as_custify_would(sb, clock):
    rec = sb.store.create("tasks", name="From Custify", status="open")
    assert rec["created_at"] == rec["updated_at"] == sb.now_iso() and len(rec["id"]) == 24
    clock.advance(5)
    upd = sb.store.update("tasks", rec["id"], status="done")
    assert upd["status"] == "done" and upd["updated_at"] == sb.now_iso() != rec["updated_at"]
    sb.store.delete("tasks", rec["id"])
    assert sb.store.get("tasks", rec["id"]) is None
    with pytest.raises(KeyError):
        sb.store.delete("tasks", rec["id"])
    with pytest.raises(KeyError):
        sb.store.update("tasks", rec["id"], name="x")
    with pytest.raises(KeyError):
        sb.store.rows("nope")


def test_indexes_follow_random_writes():
    rng = random.Random(1)
    t = Table("x")
    t.load(
        {"id": f"{i:024x}", "v": rng.choice([None, 1, 2.5, "a", "b"]), "tags": []}
        for i in range(200)
    )
    t.sorted_index("v")
    t.lookup("tags", "t1")
    for step in range(500):
        rid = f"{rng.randrange(260):024x}"
        if rng.random() < 0.2 and rid in t.rows:
            t.remove(rid)
        else:
            t.put(
                {
                    "id": rid,
                    "v": rng.choice([None, 3, "c", 0.5]),
                    "tags": ["t1"] if step % 2 else [],
                }
            )
    fresh = sorted((*sort_key(get_path(r, "v")), i) for i, r in t.rows.items())
    assert t.sorted_index("v") == fresh
    assert t.page_ids("v", True, 5, 10) == [k[2] for k in reversed(fresh)][5:15]
    assert t.lookup("tags", "t1") == {i for i, r in t.rows.items() if "t1" in r["tags"]}


def test_list_pages_stay_consistent_after_api_writes(sb, client):
    import json

    sorting = json.dumps({"field": "updated_at", "direction": "desc"})
    client.get("/company/all", params={"sorting": sorting})  # builds the index
    co = sb.store.rows("companies")[-1]
    client.post("/company", json={"id": co["id"], "plan": "Bumped"})
    top = client.get("/company/all", params={"sorting": sorting, "itemsPerPage": 1}).json()
    assert top["companies"][0]["id"] == co["id"]
