"""Run-level behaviour: bad input at run time, dry runs, status, retries, explicit diffs."""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from reverse_etl import SyncConfigError, sync_status
from tests.reverse_etl.conftest import Pusher, make_client, person_by
from warehouse import SessionWarehouse

DESIRED = {"user_id": ["r-1", "r-2"], "email": ["r1@x.io", "r2@x.io"]}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"table": "desired", "mapping": {"uid": "user_id"}},
         "[syncs.crm] mapping uid: unknown column 'uid'"),
        ({"table": "desired", "mapping": {"email": "email"}},
         "[syncs.crm] match: no source column maps to 'user_id'"),
        ({"query": "SELECT user_id, emial FROM desired"}, "[syncs.crm] query: the source failed"),
        ({"table": "missing_table"}, "[syncs.crm] table: table 'missing_table' does not exist"),
        ({"query": "SELECT user_id, email, 1 AS stray FROM desired"},
         "source column 'stray' is not a field of people.upsert"),
    ],
)  # fmt: skip
def test_a_bad_source_fails_its_sync_alone(pusher: Pusher, section: dict, expected: str) -> None:
    """What the warehouse shows only at run time (a missing table, a failing query, a column
    that maps nowhere) fails that sync with one line; the other syncs of the push go."""
    p = pusher
    p.table("desired", DESIRED)
    p.syncs["ok"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.syncs["crm"] = {"object": "people", "match": "user_id", **section}
    report = p.push()
    ok, bad = report.syncs
    assert report.exit_code == 1 and ok.error is None and ok.confirmed == 2
    assert bad.error is not None and expected in bad.error and "\n" not in bad.error
    assert bad.sent == 0 and len(person_by(p.sandbox, "user_id", "r-1")) == 1
    runs = p.wh.query_df("SELECT sync, status FROM _custify_runs ORDER BY sync")
    assert runs.rows() == [("crm", "error"), ("ok", "ok")]


def test_unknown_sync_name(pusher: Pusher) -> None:
    pusher.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    with pytest.raises(
        SyncConfigError, match=r"unknown sync 'crn' \(did you mean `crm`\?\); known syncs: crm"
    ):
        pusher.push("crn")


def test_dry_run_writes_the_diff_and_a_plan_and_sends_nothing(pusher: Pusher) -> None:
    p = pusher
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", DESIRED)
    report = p.push(dry_run=True)
    # one cheap read proves the key and the connection; no write
    assert [(e.method, e.path) for e in p.sandbox.journal] == [("GET", "/people/all")]
    assert report.syncs[0].planned == {"upsert": 2}
    assert report.syncs[0].sample[0]["payload"] == '{"email":"r1@x.io","user_id":"r-1"}'
    diff = p.wh.query_df("SELECT key, op, payload FROM crm__diff ORDER BY key").to_dicts()
    assert [(d["key"], d["op"]) for d in diff] == [("r-1", "upsert"), ("r-2", "upsert")]
    (run,) = p.wh.query_df("SELECT status, plan FROM _custify_runs").to_dicts()
    assert run["status"] == "dry_run" and json.loads(run["plan"])["ops"] == {"upsert": 2}
    assert p.wh.query_df("SELECT count(*) FROM _custify_ledger").item() == 0
    assert person_by(p.sandbox, "user_id", "r-1") == []


def test_explicit_diff_table(pusher: Pusher) -> None:
    p = pusher
    victim = next(r for r in p.sandbox.store.rows("people") if r.get("user_id"))
    p.syncs["handed"] = {"object": "people", "match": "user_id", "diff_table": "my_diff",
                         "allow_deletes": True, "max_delete_share": 1.0}  # fmt: skip
    p.table(
        "my_diff",
        {"key": ["d-1", victim["user_id"], "d-2"],
         "op": ["upsert", "delete", "upsert"],
         "payload": ['{"user_id": "d-1", "name": "From Diff", "custom_attributes": {"n": 1}}',
                     None, '{"user_id": "d-2", "session_count": "many"}']},
    )  # fmt: skip
    report = p.push()
    assert report.syncs[0].confirmed == 2 and report.syncs[0].rejected == 1
    (d1,) = person_by(p.sandbox, "user_id", "d-1")
    assert d1["name"] == "From Diff" and d1["custom_attributes"]["n"] == 1
    assert p.sandbox.store.get("people", victim["id"]) is None
    assert person_by(p.sandbox, "user_id", "d-2") == []


def test_custify_rejections_wait_for_a_change_and_status_counts_them(pusher: Pusher) -> None:
    p = pusher
    p.sandbox.faults.reject = {"bad-id"}
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", {"user_id": ["fine", "bad-id"], "name": ["Fine", "Refused"]})
    report = p.push()
    assert report.exit_code == 1
    assert (report.syncs[0].confirmed, report.syncs[0].rejected) == (1, 1)
    seen = p.requests()
    assert p.push().requests == 0 and p.requests() == seen  # same payload: held back
    (status,) = sync_status(p.settings(), p.wh_cfg)
    assert (status.confirmed, status.rejected, status.failed, status.pending) == (1, 1, 0, 0)
    assert status.last_run_id is not None
    p.sandbox.faults.reject = None
    p.table("desired", {"user_id": ["fine", "bad-id"], "name": ["Fine", "Fixed"]})
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].confirmed == 1
    assert person_by(p.sandbox, "user_id", "bad-id")[0]["name"] == "Fixed"


def test_failed_rows_back_off_and_give_up_after_max_attempts(pusher: Pusher) -> None:
    p = pusher
    p.client = make_client(p.sandbox, p.clock, max_retries=1)
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired",
                      "max_attempts": 2, "retry_backoff_s": 600}  # fmt: skip
    p.table("desired", {"user_id": ["flaky"], "name": ["Flaky"]})
    p.sandbox.faults.error_rate_5xx = 1.0
    first = p.push()
    assert first.exit_code == 1 and first.syncs[0].failed == 1
    p.sandbox.faults.error_rate_5xx = 0.0
    seen = p.requests()
    waiting = p.push()  # inside the backoff window: nothing is sent
    assert p.requests() == seen and waiting.syncs[0].skipped == {"held_backoff": 1}
    p.clock.advance(601)
    assert p.push().exit_code == 0
    assert person_by(p.sandbox, "user_id", "flaky")[0]["name"] == "Flaky"
    attempts = p.wh.query_df("SELECT attempt, status FROM _custify_ledger ORDER BY seq").to_dicts()
    assert attempts == [{"attempt": 1, "status": "failed"}, {"attempt": 2, "status": "confirmed"}]
    # a row that keeps failing stops after max_attempts
    p.table("desired", {"user_id": ["flaky"], "name": ["Flaky 2"]})
    p.sandbox.faults.error_rate_5xx = 1.0
    for _ in range(2):
        p.push()
        p.clock.advance(7200)
    seen = p.requests()
    gave_up = p.push()
    assert p.requests() == seen and gave_up.syncs[0].skipped == {"held_gave_up": 1}


def test_the_api_key_never_reaches_ledger_logs_or_errors(pusher: Pusher, caplog) -> None:
    p = pusher
    caplog.set_level(logging.DEBUG)
    p.client = make_client(p.sandbox, p.clock, max_retries=0)
    p.sandbox.faults.error_rate_5xx = 1.0
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", DESIRED)
    report = p.push()
    assert report.syncs[0].failed == 2
    key = p.sandbox.api_key
    errors = p.wh.query_df("SELECT error FROM _custify_ledger").get_column("error").to_list()
    assert all(e and key not in e for e in errors)
    assert key not in caplog.text and key not in repr(report)


def test_syncs_target_named_connections_and_report_progress(pusher: Pusher) -> None:
    """A sync of a named connection reads and keeps its ledger in that connection's dataset."""
    p = pusher
    asked: list[str | None] = []
    p.syncs["prod"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.syncs["stage"] = {"object": "people", "match": "user_id", "table": "desired",
                        "connection": "staging"}  # fmt: skip
    p.table("desired", DESIRED)
    staging_cfg = p.wh_cfg.for_connection("staging")
    with SessionWarehouse(staging_cfg) as staging:
        staging.replace_df("desired", pl.DataFrame({"user_id": ["s-1"], "email": ["s1@x.io"]}))
    seen: list[tuple[str, int, int]] = []

    def factory(name: str | None):
        asked.append(name)
        return p.client

    from reverse_etl import run_push

    report = run_push(p.settings(), None, warehouse_cfg=p.wh_cfg, client_factory=factory,
                      clock=p.clock, progress=lambda *a: seen.append(a))  # fmt: skip
    assert report.exit_code == 0 and sorted(asked, key=str) == [None, "staging"]
    assert ("prod", 2, 2) in seen and ("stage", 1, 1) in seen
    assert len(person_by(p.sandbox, "user_id", "s-1")) == 1
    with SessionWarehouse(staging_cfg) as staging:
        keys = staging.query_df("SELECT sync, key FROM _custify_sync_state").rows()
    assert keys == [("stage", "s-1")]  # and not in the default connection's snapshot:
    assert p.wh.query_df("SELECT DISTINCT sync FROM _custify_sync_state").rows() == [("prod",)]
    with pytest.raises(
        SyncConfigError, match=r"\[syncs.stage\] connection: unknown Custify connection .staging."
    ):
        run_push(p.settings(), ["stage"], warehouse_cfg=p.wh_cfg, clock=p.clock)


def test_a_batch_that_never_reports_is_finished_through_the_single_endpoint(
    pusher: Pusher,
) -> None:
    p = pusher
    p.sandbox.faults.batch_delay_s = 10_000  # longer than the engine polls (clock time)
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", DESIRED)
    first = p.push()
    # no final status and nothing to read back: the rows go through POST /people at once
    assert first.exit_code == 0 and first.syncs[0].confirmed == 2, first.syncs[0]
    assert "single" in first.syncs[0].road and "no final batch status" in first.syncs[0].road
    statuses = p.wh.query_df("SELECT status FROM _custify_ledger").get_column("status")
    assert statuses.to_list() == ["confirmed", "confirmed"]
    assert p.sandbox.journal.count("POST", "/people") == 2
    (status,) = sync_status(p.settings(), p.wh_cfg)
    assert status.pending == 0 and status.confirmed == 2
    p.clock.advance(10_000)  # the late batch job runs now: an upsert, nothing doubles
    p.push()
    assert len(person_by(p.sandbox, "user_id", "r-1")) == 1
    assert len(person_by(p.sandbox, "user_id", "r-2")) == 1
