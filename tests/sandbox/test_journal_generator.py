"""The call journal's helpers and the seeded generator (determinism, scale, links, shapes)."""

from __future__ import annotations

import re

import pytest

from models.clock import FakeClock
from sandbox import Sandbox
from sandbox.journal import Journal, JournalEntry
from tests.sandbox.conftest import make_client

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HEX24 = re.compile(r"^[0-9a-f]{24}$")


def test_journal_records_every_request_without_the_key(sb, client):
    client.get("/tag", params={"category": "people"})
    client.post("/people", json={"email": "j@x.example"})
    make_client(sb, key="wrong").get("/tag")
    e1, e2, e3 = sb.journal[-3:]
    assert (e1.method, e1.path, e1.query, e1.status) == ("GET", "/tag", {"category": "people"}, 200)
    assert e2.body == {"email": "j@x.example"} and e2.status == 200
    assert e3.status == 401 and not e3.counted
    assert sb.api_key not in repr(list(sb.journal)) and "Authorization" not in repr(
        list(sb.journal)
    )


def test_journal_count_and_filter(sb, client):
    for _ in range(3):
        client.get("/tag")
    client.post("/people", json={"email": "j@x.example"})
    client.get("/nowhere")
    assert sb.journal.count() == 5
    assert sb.journal.count(method="GET") == 4
    assert sb.journal.count(path_prefix="/people") == 1
    assert sb.journal.count(status=404) == 1
    assert sb.journal.count(method="get", path_prefix="/tag", status=200) == 3


def test_max_in_window_is_a_sliding_window():
    j = Journal()
    for t in [0, 1, 2, 9.9, 10, 10.5, 19.9, 25]:
        j.append(JournalEntry(t, "GET", "/x", {}, 200))
    j.append(JournalEntry(10.2, "GET", "/x", {}, 429, counted=False))
    assert j.max_in_window(10.0) == 5  # 1, 2, 9.9, 10, 10.5
    assert j.max_in_window(1.0) == 3  # 9.9, 10, 10.5
    assert Journal().max_in_window(10.0) == 0


def test_admin_requests_are_not_journaled_or_counted(clock):
    sb = Sandbox(scale=0.05, clock=clock, rate_limit=1)
    c = make_client(sb)
    for _ in range(5):
        assert c.get("/_sandbox/state/tags").status_code == 200
    assert len(sb.journal) == 0
    assert c.get("/tag").status_code == 200


def dump(sb):
    return {name: sb.store.rows(name) for name in sb.store.tables}


def test_same_seed_same_data_other_seed_other_data():
    a = Sandbox(seed=5, scale=0.1, clock=FakeClock())
    b = Sandbox(seed=5, scale=0.1, clock=FakeClock())
    c = Sandbox(seed=6, scale=0.1, clock=FakeClock())
    assert dump(a) == dump(b)
    assert dump(a)["people"] != dump(c)["people"]


@pytest.mark.parametrize("scale", [0.1, 0.5, 2.0])
def test_scale_is_proportional(scale):
    sb = Sandbox(seed=1, scale=scale, clock=FakeClock())
    assert sb.store.count("people") == round(1000 * scale)
    assert sb.store.count("companies") == round(200 * scale)
    assert sb.store.count("notes") == round(300 * scale)


def test_generated_data_is_linked_and_well_formed():
    clock = FakeClock()
    sb = Sandbox(seed=2, scale=0.3, clock=clock)
    now = sb.now_iso()
    companies = {c["id"] for c in sb.store.rows("companies")}
    people = {p["id"]: p for p in sb.store.rows("people")}
    ids = set()
    for name, table in sb.store.tables.items():
        for row in table.rows.values():
            assert HEX24.match(row["id"]), name
            assert ISO.match(row["created_at"]) and ISO.match(row["updated_at"]), name
            assert row["created_at"] <= row["updated_at"] <= now, name
            ids.add(row["id"])
    assert len(ids) == sum(len(t) for t in sb.store.tables.values())  # ids never repeat
    assert all(set(p["companies"]) <= companies for p in people.values())
    assert all(set(t["company"]) <= companies for t in sb.store.rows("tickets"))
    assert all(n["entity"] in companies | set(people) for n in sb.store.rows("notes"))
    assert all(n["text"].startswith("<p>") for n in sb.store.rows("notes"))
    assert {s["type"] for s in sb.store.rows("segments")} == {"people", "company"}
    assert {p["type"] for p in sb.store.rows("playbooks")} == {"people", "companies"}
    per_company = {}
    for o in sb.store.rows("customer_objectives"):
        per_company[o["company"]] = per_company.get(o["company"], 0) + 1
    assert set(per_company) == companies and set(per_company.values()) <= {1, 2, 3}
    assert all("custify" in d["externalIds"] for d in sb.store.rows("deals"))
    assert any(t["replies"] for t in sb.store.rows("tickets"))
    assert any(t["checklist"] for t in sb.store.rows("tasks"))
    assert {c["entityModel"] for c in sb.store.rows("comments")} == {"Note", "Task"}
    assert all(m["participants"] for m in sb.store.rows("meetings"))
    assert all(lc["goals"] for lc in sb.store.rows("lifecycles"))
    attrs = next(iter(people.values()))["custom_attributes"]
    types = {type(v) for v in attrs.values()}
    assert {int, float, bool, str} <= types and any(k.endswith("_at") for k in attrs)


def test_timestamps_spread_over_two_years():
    sb = Sandbox(seed=3, scale=0.5, clock=FakeClock())
    created = sorted(p["created_at"] for p in sb.store.rows("people"))
    assert created[0] < "2022-01-15" and created[-1] > "2023-10-01"
