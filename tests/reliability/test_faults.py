"""Faults: with the sandbox injecting 10 % 5xx, 1 % dropped connections,
429 storms, slow responses and malformed JSON, extract and push end with the exact expected
warehouse and sandbox states; a fault that persists ends the run with a clear error, leaves
what was not done pending, and the next run without the fault completes it.

What the older suites already cover and this one does not repeat: tests/reverse_etl/
test_faults.py (people/events/tags push under storm + 5xx + drops with apply_then_drop and
lost batch answers). New here: the ELT under every fault at once (several incremental rounds
with changes made in Custify between them), malformed JSON and latency on the push, a
create-type action (notes: Custify does not deduplicate them) under faults, and persistent
faults on both directions.
"""

from __future__ import annotations

import random

import pytest

from models.clock import FakeClock
from pipelines import ExtractOptions, extract_status, run_extract
from sandbox import Sandbox
from tests.pipelines.changes import make_changes
from tests.pipelines.helpers import assert_matches_sandbox
from tests.pipelines.helpers import make_client as elt_client
from tests.reliability.conftest import soak
from tests.reverse_etl.conftest import Pusher, make_client

OPTIONS = ExtractOptions(page_size=10, batch_rows=40, intervals={})


def injected(sb: Sandbox) -> int:
    """Requests the sandbox answered with a fault (5xx, drop, storm 429, malformed body)."""
    return sum(1 for e in sb.journal if e.fault)


def all_faults(sb: Sandbox, storm: int = 25) -> None:
    f = sb.faults
    f.error_rate_5xx, f.drop_rate, f.malformed_json_rate, f.latency_s = 0.10, 0.01, 0.03, 0.3
    f.storm(storm, retry_after=1)


def test_extract_under_every_fault_equals_the_sandbox(duckdb_cfg, tally) -> None:
    clock = FakeClock()
    sb = Sandbox(seed=11, scale=0.05, clock=clock)
    rng = random.Random(11)
    all_faults(sb)
    with elt_client(sb, clock) as client:
        run = dict(settings=client.settings, warehouse_cfg=duckdb_cfg, client=client,
                   clock=clock, options=OPTIONS)  # fmt: skip
        run_extract(**run)
        assert_matches_sandbox(sb, duckdb_cfg)
        for _ in range(soak(2)):
            make_changes(sb, clock, rng, per_object=2)
            clock.advance(30)
            sb.faults.storm(10)
            run_extract(**run, reconcile=True)
            assert_matches_sandbox(sb, duckdb_cfg)
    faults = injected(sb)
    kinds = {e.status for e in sb.journal if e.fault}
    assert {0, 429} <= kinds and kinds & {500, 502, 503}, kinds  # every kind really happened
    assert any(e.fault == "malformed" or "malformed" in str(e.fault) for e in sb.journal), {
        e.fault for e in sb.journal if e.fault
    }
    tally(faults=faults)


def _notes_rows(sb: Sandbox, n: int) -> dict[str, list]:
    companies = sorted(sb.store.rows("companies"), key=lambda r: r["id"])[:n]
    return {"company_id": [c["company_id"] for c in companies],
            "text": [f"<p>fault note {i}</p>" for i in range(len(companies))]}  # fmt: skip


def _push_until_done(p: Pusher, limit: int = 6) -> int:
    """Reruns (bounded) until a push reports exit 0; the clock passes every retry backoff."""
    for attempt in range(1, limit + 1):
        if p.push().exit_code == 0:
            return attempt
        p.clock.advance(24 * 3600)
    pytest.fail(f"the push did not complete in {limit} runs")
    return limit


def test_push_with_create_type_actions_under_every_fault_is_exact(pusher: Pusher, tally) -> None:
    p = pusher
    p.client = make_client(p.sandbox, p.clock, max_retries=12)
    n = 120
    uids = [f"pf-{i:04d}" for i in range(n)]
    tag = next(t for t in p.sandbox.store.rows("tags") if t["category"] == "people")
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.syncs["usage"] = {"object": "events", "match": "user_id", "table": "ev"}
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "tw"}
    p.syncs["memo"] = {"object": "notes", "action": "create", "table": "memos"}
    p.table("desired", {"user_id": uids, "name": [f"N {u} ✓ <b>&'\"" for u in uids],
                        "custom_attributes__seats": list(range(n))})  # fmt: skip
    p.table("ev", {"user_id": uids, "name": ["login"] * n,
                   "created_at": [f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z"
                                  for i in range(n)]})  # fmt: skip
    p.table("tw", {"user_id": uids[:60], "tag": [tag["id"]] * 60})
    memos = _notes_rows(p.sandbox, 10)
    p.table("memos", memos)
    notes_before = p.sandbox.store.count("notes")
    all_faults(p.sandbox, storm=30)
    runs = 0
    for round_ in range(soak(1)):
        runs += _push_until_done(p)
        if round_ + 1 < soak(1):  # soak: change every desired value, push again under faults
            p.table("desired", {"user_id": uids, "name": [f"R{round_} {u}" for u in uids],
                                "custom_attributes__seats": [round_] * n})  # fmt: skip
    tally(faults=injected(p.sandbox))
    # the exact state: every person once, with the desired values
    mine = [
        r for r in p.sandbox.store.rows("people") if str(r.get("user_id", "")).startswith("pf-")
    ]
    assert sorted(r["user_id"] for r in mine) == uids  # none lost, none created twice
    want = p.wh.query_df("SELECT user_id, name FROM desired").rows()
    assert {r["user_id"]: r["name"] for r in mine} == dict(want)
    # events once each (resent batches deduplicated), tags on exactly the 60, notes once each
    logins = [e for e in p.sandbox.store.events if e["name"] == "login"]
    assert len(logins) == n and len({e["deduplication_id"] for e in logins}) == n
    tagged = {r["user_id"] for r in mine if tag["id"] in (r.get("tags") or [])}
    assert tagged == set(uids[:60])
    texts = [nt["text"] for nt in p.sandbox.store.rows("notes") if "fault note" in nt["text"]]
    assert p.sandbox.store.count("notes") == notes_before + len(memos["text"])
    assert sorted(t.split("</p>")[0] for t in texts) == sorted(
        t.removesuffix("</p>") for t in memos["text"]
    )
    confirmed = p.wh.query_df(
        "SELECT sync, key, payload_hash, count(*) AS n FROM _custify_ledger "
        "WHERE status = 'confirmed' GROUP BY ALL HAVING count(*) > 1"
    )
    assert confirmed.height == 0, confirmed  # no payload confirmed twice
    tally(lost=0, duplicated=0)
    p.sandbox.faults.error_rate_5xx = p.sandbox.faults.drop_rate = 0.0
    p.sandbox.faults.malformed_json_rate = 0.0
    assert p.push().requests == 0  # nothing left over


def test_persistent_5xx_on_push_stops_clearly_and_the_next_run_completes(pusher: Pusher, tally):
    p = pusher
    p.client = make_client(p.sandbox, p.clock, max_retries=3)
    uids = [f"pp-{i:03d}" for i in range(40)]
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", {"user_id": uids, "name": uids})
    p.sandbox.faults.error_rate_5xx = 1.0
    report = p.push()
    assert report.exit_code != 0
    sync = report.syncs[0]
    assert sync.confirmed == 0 and (sync.failed or sync.error), sync
    tally(faults=injected(p.sandbox))
    status = p.wh.query_df(
        "SELECT status, count(*) AS n FROM _custify_ledger GROUP BY status"
    ).rows()
    assert dict(status).get("confirmed", 0) == 0 and sum(n for _, n in status) >= len(uids)
    assert not [r for r in p.sandbox.store.rows("people") if r.get("user_id") in set(uids)]
    p.sandbox.faults.error_rate_5xx = 0.0
    p.clock.advance(24 * 3600)  # past the retry backoff
    assert p.push().exit_code == 0
    mine = [r["user_id"] for r in p.sandbox.store.rows("people") if r.get("user_id") in set(uids)]
    assert sorted(mine) == uids
    tally(lost=0, duplicated=0)


def test_persistent_5xx_on_extract_is_one_error_and_advances_nothing(duckdb_cfg, tally) -> None:
    clock = FakeClock()
    sb = Sandbox(seed=12, scale=0.05, clock=clock)
    with elt_client(sb, clock, max_retries=2) as client:
        run = dict(settings=client.settings, warehouse_cfg=duckdb_cfg, client=client,
                   clock=clock, options=OPTIONS)  # fmt: skip
        run_extract(**run, objects=["people", "notes"])
        cursors = {o.object: o.cursor for o in extract_status(duckdb_cfg).objects}
        sb.store.create("notes", text="written while Custify is down")
        clock.advance(60)
        sb.faults.error_rate_5xx = 1.0
        failed = run_extract(**run, objects=["people", "notes"])
        assert failed.exit_code == 1 and len(failed.failures) == 2  # one line per object
        for message in failed.failures:
            assert "\n" not in message and "50" in message and "GET /" in message, message
            assert "Custify kept failing" in message
        assert {o.object: o.cursor for o in extract_status(duckdb_cfg).objects} == cursors
        tally(faults=injected(sb))
        sb.faults.error_rate_5xx = 0.0
        run_extract(**run, objects=["people", "notes"])
    assert_matches_sandbox(sb, duckdb_cfg, ["people", "notes"])
    tally(lost=0, duplicated=0)
