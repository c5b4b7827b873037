"""No change lost: incremental runs after creates, updates, page shifts and timestamp ties."""

from __future__ import annotations

import math
import random
import threading

import httpx
import pytest

from models.registry import EXTRACTED
from pipelines import ExtractOptions, run_extract
from sandbox import Faults, Sandbox
from tests.pipelines.changes import UPDATED_CURSOR, make_changes, snapshot
from tests.pipelines.helpers import assert_matches_sandbox, events, make_client

ALL = [o.name for o in EXTRACTED]


def extract(client, cfg, clock, options, **kw):
    kw.setdefault("objects", ALL)
    return run_extract(client.settings, warehouse_cfg=cfg, client=client, clock=clock,
                       options=options, **kw)  # fmt: skip


def test_second_run_loads_changes_and_records_exactly_their_events(
    sandbox, client, clock, warehouse_cfg, options
):
    first = extract(client, warehouse_cfg, clock, options)
    assert all(r.baseline for r in first.objects.values())
    assert events(warehouse_cfg) == []  # the first run is the baseline: no events
    clock.advance(3600)
    changes = make_changes(sandbox, clock, random.Random(11))
    clock.advance(60)

    second = extract(client, warehouse_cfg, clock, options)

    assert_matches_sandbox(sandbox, warehouse_cfg)
    got = events(warehouse_cfg, second.run_id)
    triples = [(e["object"], e["record_id"], e["event_type"]) for e in got]
    assert len(triples) == len(set(triples)), "duplicate events"
    assert set(triples) == changes.expected_events()
    assert {e["origin"] for e in got} == {"custify"}
    assert sum(second.events.values()) == len(triples)

    clock.advance(60)
    third = extract(client, warehouse_cfg, clock, options)
    assert events(warehouse_cfg, third.run_id) == []  # overlap re-reads make no events
    assert_matches_sandbox(sandbox, warehouse_cfg)


@pytest.mark.parametrize("ties", [0, 25])
def test_records_updated_while_paging_and_ties_are_caught(duckdb_cfg, ties):
    clock = __import__("models.clock", fromlist=["FakeClock"]).FakeClock()
    sb = Sandbox(seed=5, scale=0.1, clock=clock, faults=Faults(timestamp_ties=ties))
    options = ExtractOptions(page_size=10, batch_rows=30, intervals={}, overlap_s=0.0)
    with make_client(sb, clock) as client:
        extract(client, duckdb_cfg, clock, options)
        before = snapshot(sb)
        clock.advance(600)
        changes = make_changes(sb, clock, random.Random(3), per_object=3)
        sb.faults.mutate_while_paging = 2  # after every page, two records of it move on top
        run2 = extract(client, duckdb_cfg, clock, options)
        sb.faults.mutate_while_paging = 0
        clock.advance(1)
        run3 = extract(client, duckdb_cfg, clock, options)
        assert_matches_sandbox(sb, duckdb_cfg, UPDATED_CURSOR)
        # the fault also bumped objects whose lists an incremental scan does not re-read by
        # updated_at (files and surveys by created_at, responses by responseDate, comments
        # under changed parents only): full scans see it
        rest = [n for n in ALL if n not in UPDATED_CURSOR]
        extract(client, duckdb_cfg, clock, options, objects=rest, reconcile=True)
    assert_matches_sandbox(sb, duckdb_cfg)
    after = snapshot(sb)
    got = events(duckdb_cfg, run2.run_id) + events(duckdb_cfg, run3.run_id)
    changed = {(n, i) for n in UPDATED_CURSOR for i in after[n] if before[n].get(i) != after[n][i]}
    changed |= {(n, i) for n, ids in changes.created.items() for i in ids}
    with_triggers = {(n, i) for n, i in changed if dict(_triggers())[n]}
    assert {(e["object"], e["record_id"]) for e in got} == with_triggers
    created = [(e["object"], e["record_id"]) for e in got if e["event_type"].endswith(".created")]
    assert len(created) == len(set(created))
    assert set(created) == {
        (n, i) for n, ids in changes.created.items() for i in ids if dict(_triggers())[n]
    }
    versions = [(e["record_id"], e["updated_at"]) for e in got]
    assert len(versions) == len(set(versions)), "one version reported twice"


def _triggers():
    return [(o.name, bool(o.triggers)) for o in EXTRACTED]


def test_a_delete_while_paging_keeps_the_cursor_so_nothing_is_skipped(duckdb_cfg, clock):
    """A delete above the current page pushes a row back across the boundary: the scan sees
    ``total`` drop, does not advance the cursor, and the next run reads the row."""
    sb = Sandbox(seed=9, scale=0.1, clock=clock)
    options = ExtractOptions(page_size=10, batch_rows=30, intervals={}, overlap_s=0.0)
    with make_client(sb, clock) as client:
        extract(client, duckdb_cfg, clock, options, objects=["people"])
        people = sorted(sb.store.rows("people"), key=lambda r: r["updated_at"])
        for rec in people[:30]:  # 30 changes at distinct times: three pages of 10
            clock.advance(10)
            sb.store.update("people", rec["id"], name=f"renamed {rec['id']}")
        victim = people[-1]["id"]  # the newest untouched row sits on page 1
        inner = client._session._transport

        class DeleteOnPageTwo(httpx.BaseTransport):
            def handle_request(self, request):
                page = request.url.params.get("page")
                if (
                    request.url.path == "/people/all"
                    and page == "2"
                    and sb.store.get("people", victim)
                ):
                    sb.store.delete("people", victim)
                return inner.handle_request(request)

        client._session._transport = DeleteOnPageTwo()
        second = extract(client, duckdb_cfg, clock, options, objects=["people"])
        client._session._transport = inner
        assert second.objects["people"].unstable
        assert second.objects["people"].cursor == second.objects["people"].previous_cursor
        clock.advance(1)
        extract(client, duckdb_cfg, clock, options, objects=["people"], reconcile=True)
    assert_matches_sandbox(sb, duckdb_cfg, ["people"])


def people_pages(sb, since: int = 0) -> list[str]:
    """The pages of ``GET /people/all`` the sandbox answered, in order, from entry ``since``."""
    return [e.query.get("page", "") for e in sb.journal[since:] if e.path == "/people/all"]


def test_a_row_pushed_between_pages_answered_out_of_order_is_still_read(duckdb_cfg, clock):
    """Page 3 is answered before page 2, and a change in between puts the oldest person on
    top: page 2's last row moves onto page 3, which was already answered. Page 1 read again
    shows the change, and the list is read again in order, so the first load holds everyone."""
    sb = Sandbox(seed=9, scale=0.1, clock=clock)
    assert sb.store.count("people") > 40
    options = ExtractOptions(page_size=10, batch_rows=30, intervals={}, overlap_s=0.0)
    oldest = min(sb.store.rows("people"), key=lambda r: r["updated_at"])["id"]
    page_3_answered = threading.Event()
    with make_client(sb, clock) as client:
        inner = client._session._transport

        class PageThreeFirst(httpx.BaseTransport):
            def handle_request(self, request):
                page = request.url.params.get("page")
                people = request.url.path == "/people/all"
                if people and page == "2" and not page_3_answered.is_set():
                    assert page_3_answered.wait(30), "pages 2 and 3 were not in flight together"
                    clock.advance(1)
                    sb.store.update("people", oldest, name="moved on top")
                response = inner.handle_request(request)
                if people and page == "3":
                    page_3_answered.set()
                return response

        client._session._transport = PageThreeFirst()
        first = extract(client, duckdb_cfg, clock, options, objects=["people"])
        client._session._transport = inner
        assert first.objects["people"].rows == sb.store.count("people")  # nobody skipped
        pages = math.ceil(sb.store.count("people") / 10)
        asked = people_pages(sb)
        assert asked.count("1") == 3  # the scan's, page 1 again, the ordered read's
        assert len(asked) == 2 * pages + 1
        clock.advance(1)
        extract(client, duckdb_cfg, clock, options, objects=["people"])  # the moved row's change
    assert_matches_sandbox(sb, duckdb_cfg, ["people"])


def test_a_quiet_full_scan_costs_one_request_more(duckdb_cfg, clock):
    sb = Sandbox(seed=9, scale=0.1, clock=clock)
    options = ExtractOptions(page_size=10, batch_rows=30, intervals={}, overlap_s=0.0)
    with make_client(sb, clock) as client:
        extract(client, duckdb_cfg, clock, options, objects=["people"])
    asked = people_pages(sb)
    assert sorted(asked, key=int) == [
        "1",
        "1",
        *map(str, range(2, math.ceil(sb.store.count("people") / 10) + 1)),
    ]
    assert_matches_sandbox(sb, duckdb_cfg, ["people"])


def test_created_cursor_objects_pick_up_updates_on_full_scans(sandbox, client, clock, duckdb_cfg):
    """Files and surveys list ``created_at`` only (§10, §11): an incremental run stops at
    known rows, so an update to an old file waits for the next full scan (reconcile)."""
    options = ExtractOptions(intervals={}, page_size=2)
    extract(client, duckdb_cfg, clock, options, objects=["files", "surveys"])
    old_file = min(sandbox.store.rows("files"), key=lambda r: r["created_at"])
    sandbox.store.update("files", old_file["id"], showInPortal=not old_file["showInPortal"])
    clock.advance(60)
    incremental = extract(client, duckdb_cfg, clock, options, objects=["files", "surveys"])
    assert incremental.objects["files"].mode == "incremental"
    with pytest.raises(AssertionError, match="files"):
        assert_matches_sandbox(sandbox, duckdb_cfg, ["files"])
    full = extract(client, duckdb_cfg, clock, options, objects=["files", "surveys"], reconcile=True)
    assert full.objects["files"].mode == "full"
    assert_matches_sandbox(sandbox, duckdb_cfg, ["files", "surveys"])
    assert events(duckdb_cfg, full.run_id) == []  # files have no update trigger
