"""Under a 429 storm, 5xx, dropped connections and lost answers, every valid row is confirmed
exactly once and the sandbox holds each record, event and tag exactly once."""

from __future__ import annotations

import polars as pl

from tests.reverse_etl.conftest import Pusher

N_PEOPLE, N_EVENTS = 250, 250


def _setup(p: Pusher) -> tuple[list[str], str]:
    uids = [f"f-{i:04d}" for i in range(N_PEOPLE)]
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.syncs["usage"] = {"object": "events", "match": "user_id", "table": "ev"}
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "tw"}
    p.table("desired", {"user_id": uids, "name": [f"Person {u}" for u in uids],
                        "custom_attributes__score": list(range(N_PEOPLE))})  # fmt: skip
    p.table("ev", {"user_id": uids[:N_EVENTS], "name": ["seat_added"] * N_EVENTS,
                   "created_at": [f"2024-03-01T10:{i // 60:02d}:{i % 60:02d}Z"
                                  for i in range(N_EVENTS)]})  # fmt: skip
    tag = next(t for t in p.sandbox.store.rows("tags") if t["category"] == "people")
    p.table("tw", {"user_id": uids[:150], "tag": [tag["id"]] * 150})
    return uids, tag["id"]


def test_storm_5xx_and_drops_confirm_every_row_exactly_once(any_pusher: Pusher) -> None:
    p = any_pusher
    uids, tag_id = _setup(p)
    faults = p.sandbox.faults
    faults.storm(40, retry_after=2)
    # apply_then_drop: a faulted write is applied first and only its answer is lost, so the
    # client resends batches Custify already ran (the duplicate-prone case)
    faults.error_rate_5xx, faults.drop_rate, faults.apply_then_drop = 0.2, 0.15, True
    report = p.push()
    assert report.exit_code == 0, report
    statuses = {e.status for e in p.sandbox.journal if e.fault}
    assert {429, 0} <= statuses and statuses & {500, 502, 503}  # the faults really happened
    lost = [e for e in p.sandbox.journal.filter("POST", "/batch") if e.fault == "apply_then_drop"]
    assert lost  # some batches ran in Custify and were sent again
    confirmed = p.wh.query_df(
        "SELECT sync, key, count(*) AS n FROM _custify_ledger WHERE status = 'confirmed' "
        "GROUP BY sync, key"
    )
    assert confirmed.filter(pl.col("n") > 1).height == 0
    by_sync = dict(confirmed.group_by("sync").len().iter_rows())
    assert by_sync == {"crm": N_PEOPLE, "usage": N_EVENTS, "vip": 150}
    people = {r["user_id"]: r for r in p.sandbox.store.rows("people") if r.get("user_id")}
    all_uids = [r["user_id"] for r in p.sandbox.store.rows("people") if r.get("user_id")]
    assert len(all_uids) == len(set(all_uids))  # no person was created twice
    for i, uid in enumerate(uids):
        assert people[uid]["name"] == f"Person {uid}"
        assert people[uid]["custom_attributes"]["score"] == i
    events = [e for e in p.sandbox.store.events if e["name"] == "seat_added"]
    assert len(events) == N_EVENTS  # resent batches were deduplicated by Custify
    assert all(tag_id in people[u].get("tags", []) for u in uids[:150])
    faults.error_rate_5xx = faults.drop_rate = 0.0
    seen = p.requests()
    assert p.push().requests == 0 and p.requests() == seen
