"""Delete detection: exactly the records deleted in Custify are marked, with their events."""

from __future__ import annotations

import random

from models.registry import EXTRACTED
from pipelines import ExtractOptions, run_extract
from tests.pipelines.helpers import assert_matches_sandbox, events, marked_deleted
from warehouse import Warehouse

ALL = [o.name for o in EXTRACTED]


def _delete_some(sb, rng: random.Random) -> dict[str, set[str]]:
    """Delete two records of every object; what vanished, counting what the deletes took
    along (a company's objectives, a person's notes: deletes cascade, custify-api.md §2, §3)."""
    before = {name: {r["id"] for r in sb.store.rows(name)} for name in ALL}
    for name in ALL:
        ids = sorted(before[name] & {r["id"] for r in sb.store.rows(name)})
        for rid in rng.sample(ids, min(2, len(ids) - 1)):
            sb.store.delete(name, rid)
    return {name: before[name] - {r["id"] for r in sb.store.rows(name)} for name in ALL}


def test_reconcile_marks_exactly_the_deleted_records(sandbox, client, clock, warehouse_cfg):
    options = ExtractOptions(page_size=10, intervals={})
    run = dict(settings=client.settings, warehouse_cfg=warehouse_cfg, client=client, clock=clock,
               options=options, objects=ALL)  # fmt: skip
    run_extract(**run)
    gone = _delete_some(sandbox, random.Random(4))
    clock.advance(120)

    plain = run_extract(**run)  # deletes are invisible to polling
    assert all(marked_deleted(warehouse_cfg, n) == set() for n in ALL)
    assert not any(e["event_type"].endswith(".deleted") for e in events(warehouse_cfg))

    report = run_extract(**run, reconcile=True)
    for name in ALL:
        assert marked_deleted(warehouse_cfg, name) == gone[name], name
        assert report.objects[name].reconcile == "done", name
    deleted = {(e["object"], e["record_id"]) for e in events(warehouse_cfg, report.run_id)}
    assert deleted == {(n, i) for n, ids in gone.items() for i in ids}
    assert sum(report.deleted.values()) == sum(len(v) for v in gone.values())
    assert_matches_sandbox(sandbox, warehouse_cfg)  # live rows only

    again = run_extract(**run, reconcile=True)  # marks are not repeated, events not doubled
    assert sum(again.deleted.values()) == 0
    assert events(warehouse_cfg, again.run_id) == []
    assert plain.objects["people"].reconcile == ""


def test_hard_delete_removes_rows_and_their_children(sandbox, client, clock, duckdb_cfg):
    options = ExtractOptions(intervals={}, delete_mode="hard")
    run = dict(settings=client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock,
               options=options, objects=["tickets", "people"])  # fmt: skip
    run_extract(**run)
    ticket = next(t for t in sandbox.store.rows("tickets") if t.get("replies"))
    sandbox.store.delete("tickets", ticket["id"])
    run_extract(**run, reconcile=True)
    wh = Warehouse(duckdb_cfg)
    replies = wh.query_rows(
        f"SELECT COUNT(*) FROM {wh.table('tickets__replies')} WHERE _parent_id = %s",
        (ticket["id"],),
    )
    assert replies == [(0,)]
    assert_matches_sandbox(sandbox, duckdb_cfg, ["tickets", "people"])
