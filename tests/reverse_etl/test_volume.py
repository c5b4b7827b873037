"""Requests used for 10,000 people upserts, 10,000 events and 10,000 tag changes.

The budget is 100 requests per 10 s, so requests per record decide throughput. A batch costs
one submit plus its status polls: a job the worker has finished by the first poll costs one
poll, so a batch of 100 jobs costs 2 requests (0.02 per record). Tag changes cost one
``PATCH /tag/entity`` per 100 entities (0.01 per record). A people sync that sets a custom
attribute no extract shows asks attribute discovery once (§1.5; remembered for a day).
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.reverse_etl.conftest import Pusher

N = 10_000


@pytest.mark.slow
def test_requests_per_record_at_10k(pusher: Pusher, capsys) -> None:
    p = pusher
    uids = [f"v-{i:05d}" for i in range(N)]
    tag = next(t for t in p.sandbox.store.rows("tags") if t["category"] == "people")
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.syncs["usage"] = {"object": "events", "match": "user_id", "table": "ev"}
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "tw"}
    p.table("desired", pl.DataFrame({"user_id": uids, "email": [f"{u}@v.io" for u in uids],
                                     "custom_attributes__seats": list(range(N))}))  # fmt: skip
    p.table("ev", pl.DataFrame({"user_id": uids, "name": ["login"] * N,
                                "created_at": ["2024-06-01T08:00:00Z"] * N}))  # fmt: skip
    p.table("tw", pl.DataFrame({"user_id": uids, "tag": [tag["id"]] * N}))
    used = {}
    for name in ("crm", "usage", "vip"):
        report = p.push(name)
        assert report.exit_code == 0, report
        assert report.syncs[0].confirmed == N
        used[name] = report.requests
    assert p.requests() == sum(used.values())  # the sandbox saw exactly what we report
    assert len([e for e in p.sandbox.store.events if e["name"] == "login"]) == N
    tagged = [r for r in p.sandbox.store.rows("people") if tag["id"] in (r.get("tags") or [])]
    assert sum(1 for r in tagged if r.get("user_id", "").startswith("v-")) == N
    per_record = {k: v / N for k, v in used.items()}
    with capsys.disabled():
        print(f"\nrequests for {N:,} records: {used} -> per record {per_record}")
    discovery = p.sandbox.journal.count("GET", "/customer/attributes")
    assert discovery == 1  # the seats attribute's type: asked once, then remembered
    assert (used["crm"] - discovery) / N <= 0.02 and per_record["usage"] <= 0.02
    assert per_record["vip"] <= 0.0101
    assert sum(p.push().requests for _ in range(1)) == 0  # nothing changed: nothing sent
