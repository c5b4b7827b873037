"""People and event pushes end exact whatever ``/batch`` does: refused, read in another
format, unreadable, slow (custify-api.md §15 documents the endpoint, not its status).

Every case pushes 150 people upserts and 100 events, then checks the sandbox's state (each
person holds the wanted values, once), its event store (each event once), the journal (writes
per row) and that a second push sends nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from custify.batch import EXPECTED_FIRST_S
from models.clock import FakeClock
from sandbox import Sandbox
from tests.reverse_etl.conftest import Pusher, make_client, person_by
from warehouse import WarehouseConfig

N_PEOPLE, N_EVENTS = 150, 100
UIDS = [f"br-{i:03d}" for i in range(N_PEOPLE)]


def _pusher(root: Path, sb: Sandbox | None = None, **client_options) -> Pusher:
    clock = sb.clock if sb is not None else FakeClock()
    sb = sb or Sandbox(seed=7, scale=0.05, clock=clock)
    cfg = WarehouseConfig(duckdb_path=root / "custify.duckdb", pipelines_dir=root / "dlt")
    return Pusher(cfg, make_client(sb, clock, **client_options), clock, sb)


def _wanted(p: Pusher, seats_from: int = 0) -> None:
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.syncs["usage"] = {"object": "events", "match": "user_id", "table": "ev"}
    p.table("desired", pl.DataFrame({
        "user_id": UIDS, "email": [f"{u}@road.io" for u in UIDS],
        "custom_attributes__seats": [seats_from + i for i in range(N_PEOPLE)],
    }))  # fmt: skip
    p.table("ev", pl.DataFrame({
        "user_id": UIDS[:N_EVENTS], "name": ["road_login"] * N_EVENTS,
        "created_at": [f"2024-06-01T08:{i // 60:02d}:{i % 60:02d}Z" for i in range(N_EVENTS)],
    }))  # fmt: skip


def _exact(p: Pusher, seats_from: int = 0) -> None:
    for i, uid in enumerate(UIDS):
        (person,) = person_by(p.sandbox, "user_id", uid)
        assert person["custom_attributes"]["seats"] == seats_from + i, uid
        assert person["email"] == f"{uid}@road.io"
    events = [e for e in p.sandbox.store.events if e["name"] == "road_login"]
    assert len(events) == N_EVENTS  # no event twice, none lost
    assert len({e["deduplication_id"] for e in events}) == N_EVENTS


def _writes(p: Pusher) -> int:
    return len([e for e in p.sandbox.journal if e.method != "GET"])


@pytest.mark.parametrize("status", [404, 405, 403, 400])
def test_batch_unavailable_goes_through_the_single_endpoints(tmp_path: Path, status: int) -> None:
    p = _pusher(tmp_path)
    p.sandbox.faults.update(batch_unavailable=status)
    _wanted(p)
    report = p.push()
    assert report.exit_code == 0, report.syncs
    _exact(p)
    assert _writes(p) <= 1.1 * (N_PEOPLE + N_EVENTS)
    assert p.sandbox.journal.count("POST", "/batch") == 1  # refused once, remembered
    assert p.sandbox.journal.count("POST", "/people") == N_PEOPLE
    assert p.sandbox.journal.count("POST", "/event") == N_EVENTS
    roads = {s.name: s.road for s in report.syncs}
    assert roads == {"crm": f"single ({status} on POST /batch)",
                     "usage": f"single ({status} on POST /batch)"}  # fmt: skip
    ledger = p.wh.query_df("SELECT status, count(*) AS n FROM _custify_ledger GROUP BY 1")
    assert ledger.to_dicts() == [{"status": "confirmed", "n": N_PEOPLE + N_EVENTS}]
    seen = len(p.sandbox.journal)
    assert p.push().requests == 0 and len(p.sandbox.journal) == seen
    p.close()


@pytest.mark.parametrize("shape", ["default", "jobs", "nested"])
def test_readable_status_shapes_confirm_every_row_by_its_job(tmp_path: Path, shape: str) -> None:
    p = _pusher(tmp_path)
    p.sandbox.faults.update(batch_status_shape=shape)
    _wanted(p)
    report = p.push()
    assert report.exit_code == 0 and {s.road for s in report.syncs} == {"batch"}
    _exact(p)
    assert _writes(p) == 3  # two people batches, one event batch: nothing resent
    assert p.push().requests == 0
    p.close()


def test_an_unreadable_status_is_never_taken_for_success_or_failure(tmp_path: Path) -> None:
    p = _pusher(tmp_path)
    p.sandbox.faults.update(batch_status_shape="opaque")
    _wanted(p)
    report = p.push()
    assert report.exit_code == 0, report.syncs
    _exact(p)
    crm, usage = report.syncs
    # people: their records were read back (a batch submitted after the first unreadable
    # status went straight through POST /people); events: through POST /event
    found = re.fullmatch(r"(\d+) read back(?:, (\d+) single)? \(fallback after unreadable.*",
                         crm.road)  # fmt: skip
    assert found, crm.road
    read, single = int(found[1]), int(found[2] or 0)
    assert read >= 100 and read + single == N_PEOPLE
    assert p.sandbox.journal.count("GET", "/people") == read
    assert p.sandbox.journal.count("POST", "/people") == single
    assert usage.road.startswith("single") and "unreadable" in usage.road
    assert p.push().requests == 0
    p.close()


def test_a_read_back_that_disagrees_sends_the_row_again(tmp_path: Path) -> None:
    """Evidence means the record holds what the row sent: a job that is still queued when the
    status stays unreadable leaves old values, so the row goes through POST /people."""
    p = _pusher(tmp_path)
    p.sandbox.faults.update(batch_status_shape="opaque", batch_delay_s=3600)
    _wanted(p)
    report = p.push("crm")
    assert report.exit_code == 0
    assert p.sandbox.journal.count("POST", "/people") == N_PEOPLE
    assert report.syncs[0].road == (
        f"{N_PEOPLE} single (fallback after unreadable batch status "
        "(keys: batchId, progress, summary))"
    )
    p.clock.advance(3600)  # the late batch runs the same upserts: still one person each
    p.push("crm")
    for i, uid in enumerate(UIDS):
        (person,) = person_by(p.sandbox, "user_id", uid)
        assert person["custom_attributes"]["seats"] == i
    p.close()


def test_a_job_the_status_reports_failed_is_rejected_with_its_reason(tmp_path: Path) -> None:
    p = _pusher(tmp_path)
    p.sandbox.faults.update(reject={UIDS[3]})
    _wanted(p)
    report = p.push("crm")
    assert report.exit_code == 1 and report.syncs[0].rejected == 1
    (row,) = p.wh.query_df("SELECT key, reason FROM crm__rejected").to_dicts()
    assert row["key"] == UIDS[3] and "rejected by sandbox fault" in row["reason"]
    assert p.sandbox.journal.count("POST", "/people") == 0  # judged by the job, not resent
    p.close()


def test_the_refusal_is_remembered_across_runs(tmp_path: Path) -> None:
    p = _pusher(tmp_path)
    p.sandbox.faults.update(batch_unavailable=404)
    _wanted(p)
    assert p.push().exit_code == 0
    # a new process: new client, same warehouse (the connection's memory lives there)
    q = _pusher(tmp_path, p.sandbox)
    _wanted(q, seats_from=1000)
    p.sandbox.journal.clear()
    report = q.push()
    assert report.exit_code == 0
    _exact(q, seats_from=1000)
    assert q.sandbox.journal.count("POST", "/batch") == 0
    assert "found on an earlier run" in report.syncs[0].road
    p.close()
    q.close()


def test_batch_off_never_uses_the_batch_endpoint(tmp_path: Path) -> None:
    p = _pusher(tmp_path, batch="off")
    _wanted(p)
    report = p.push()
    assert report.exit_code == 0 and {s.road for s in report.syncs} == {"single (batch = off)"}
    _exact(p)
    assert p.sandbox.journal.count("POST", "/batch") == 0
    p.close()


def test_a_100_row_push_costs_at_most_0_025_requests_per_record(tmp_path: Path) -> None:
    """A job that completes in 1.5 s is polled once, when it is expected to be done (polling
    right after the submit would see it queued three times first)."""
    p = _pusher(tmp_path)
    p.sandbox.faults.update(batch_delay_s=0.75 * EXPECTED_FIRST_S)
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", pl.DataFrame({"user_id": UIDS[:100], "name": UIDS[:100]}))
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].confirmed == 100
    assert len(p.sandbox.journal) / 100 <= 0.025
    p.close()


def test_slower_jobs_are_learned_so_a_large_push_costs_0_02_per_record(tmp_path: Path) -> None:
    """Jobs taking 2.5 times the first guess: the first batch is polled three times, every
    later one once, at the completion time the first one taught."""
    p = _pusher(tmp_path, concurrency=1)
    p.sandbox.faults.update(batch_delay_s=2.5 * EXPECTED_FIRST_S)
    n = 2_000
    uids = [f"big-{i:05d}" for i in range(n)]
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", pl.DataFrame({"user_id": uids, "name": uids}))
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].confirmed == n
    batches = n // 100
    assert p.sandbox.journal.count("GET", "/batch/") == batches + 2
    assert len(p.sandbox.journal) / n <= 0.021
    p.close()
