"""Under a 429 storm, 5xx, dropped connections and lost answers, every valid row is confirmed
exactly once and the sandbox holds each record, event and tag exactly once."""

from __future__ import annotations

import threading

import httpx
import polars as pl

from tests.reverse_etl.conftest import Pusher, make_client

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


class LosesBatchAnswers(httpx.BaseTransport):
    """Custify runs each ``POST /batch`` the first time it arrives, but that answer never
    reaches us: the client must resend a batch that was already applied (the duplicate-prone
    case)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.seen, self.lost = inner, set(), 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/batch" and response.is_success:
            with self.lock:
                first = request.content not in self.seen
                self.seen.add(request.content)
                self.lost += first
            if first:
                raise httpx.ReadError("answer lost after Custify applied it", request=request)
        return response


def test_storm_5xx_and_drops_confirm_every_row_exactly_once(any_pusher: Pusher) -> None:
    p = any_pusher
    lossy = LosesBatchAnswers(p.sandbox.transport())
    p.client = make_client(p.sandbox, p.clock, transport=lossy)
    uids, tag_id = _setup(p)
    faults = p.sandbox.faults
    faults.storm(25, retry_after=2)  # below the client's 30 retries of one request on 429
    # apply_then_drop: a faulted write is applied first and only its answer is lost
    faults.error_rate_5xx, faults.drop_rate, faults.apply_then_drop = 0.2, 0.15, True
    report = p.push()
    problems = p.wh.query_df(
        "SELECT sync, status, error FROM _custify_ledger WHERE status <> 'confirmed'"
    ).to_dicts()
    assert report.exit_code == 0, problems
    statuses = {e.status for e in p.sandbox.journal if e.fault}
    assert {429, 0} <= statuses and statuses & {500, 502, 503}  # the faults really happened
    assert lossy.lost == 6  # 3 people + 3 event batches ran once, lost their answer, were resent
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
