"""Run-level behaviour: request cost, intervals, backfill, errors, secrets, events output."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from collections import Counter

import dlt
import pytest

from custify import AuthError
from models.registry import EXTRACTED, REGISTRY
from models.types import Envelope
from pipelines import (
    ExtractOptions,
    UnknownObjectError,
    custify_source,
    extract_status,
    run_extract,
)
from sandbox import Sandbox
from tests.pipelines.helpers import assert_matches_sandbox, events, make_client
from warehouse import WarehouseConfig, WarehouseUnavailable, make_pipeline

ALL = [o.name for o in EXTRACTED]


def _paths(journal, start: int) -> Counter:
    """Requests per registry object since journal entry ``start``."""
    by_path = {o.list_path: o.name for o in EXTRACTED}
    return Counter(by_path.get(e.path, e.path) for e in list(journal)[start:])


def test_a_run_with_nothing_new_costs_one_request_per_object(sandbox, client, clock, duckdb_cfg):
    run = dict(settings=client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock)
    run_extract(**run)  # default options: objectives every 6 h
    clock.advance(60)
    start = len(sandbox.journal)
    idle = run_extract(**run)
    cost = _paths(sandbox.journal, start)
    # lists read on behalf of others: a parent's page 1 (comments: the notes and tasks that
    # changed) or its id listing (responses: the surveys), then a list per parent read; the
    # definitions whose names a company's health-score and metric rows carry
    # (a bare array has no total: its id listing's short page is confirmed by an empty one)
    under = Counter()
    for parent in (p for o in EXTRACTED for p in o.parent_lists):
        bare = REGISTRY[parent.object].envelope is Envelope.BARE_ARRAY
        under[parent.object] += 2 if bare and not parent.changed_only else 1
    for keyed in (k for o in EXTRACTED for k in o.keyed_lists):  # companies' score names
        under[keyed.names_from] += max(1, len(REGISTRY[keyed.names_from].variants))
    own = {o.name: 0 if o.per_parent or o.parent_lists else max(1, len(o.variants))
           for o in EXTRACTED}  # fmt: skip
    for obj in EXTRACTED:
        assert cost[obj.name] == own[obj.name] + under[obj.name], obj.name
    surveys = sandbox.store.count("surveys")
    responses = sum(n for p, n in cost.items() if p.startswith("/survey/"))
    assert responses == surveys  # page 1 of each survey's responses
    assert not [p for p in cost if p.startswith("/comment/")]  # no note or task changed
    assert idle.objects["customer_objectives"].status == "skipped"
    assert "not due" in idle.objects["customer_objectives"].note
    assert idle.requests == sum(cost.values()) == sum(own.values()) + under.total() + surveys

    clock.advance(6 * 3600)  # objectives are due: one request per company (§14)
    start = len(sandbox.journal)
    due = run_extract(**run)
    cost = _paths(sandbox.journal, start)
    companies = sandbox.store.count("companies")
    listing = math.ceil(companies / REGISTRY["companies"].page_size_max)
    assert cost["customer_objectives"] == companies
    assert cost["companies"] == 1 + listing  # its incremental page + the id-only listing
    assert due.objects["customer_objectives"].requests == companies + listing


def test_backfill_of_one_object_leaves_the_other_cursors_alone(sandbox, client, clock, duckdb_cfg):
    options = ExtractOptions(page_size=10, intervals={})
    run = dict(settings=client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock,
               options=options)  # fmt: skip
    run_extract(**run)
    before = {o.object: o.cursor for o in extract_status(duckdb_cfg).objects}
    clock.advance(60)
    start = len(sandbox.journal)
    report = run_extract(**run, objects=["people"], full_refresh=True)
    assert report.objects["people"].mode == "full"
    assert set(report.objects) == {"people"}
    pages = math.ceil(sandbox.store.count("people") / 10)
    assert _paths(sandbox.journal, start)["people"] == pages + 1  # page 1 again at the end
    summary = extract_status(duckdb_cfg)
    assert summary.last_run["run_id"] == report.run_id
    assert summary.tables["people"] == sandbox.store.count("people")
    assert summary.tables["tickets__replies"] > 0
    status = {o.object: o for o in summary.objects}
    assert {n: s.cursor for n, s in status.items()} == before
    assert status["people"].last_mode == "full" and status["notes"].last_mode == "full"
    assert events(duckdb_cfg, report.run_id) == []  # nothing changed: a refresh invents nothing
    assert_matches_sandbox(sandbox, duckdb_cfg)


def test_unknown_object_is_one_line_and_sends_nothing(sandbox, client, clock, duckdb_cfg):
    with pytest.raises(UnknownObjectError, match="unknown object 'peeple'") as info:
        run_extract(client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock,
                    objects=["people", "peeple"])  # fmt: skip
    assert "\n" not in str(info.value)
    assert len(sandbox.journal) == 0
    assert not duckdb_cfg.duckdb_path.exists()


def test_wrong_key_is_an_auth_error_and_advances_nothing(sandbox, clock, duckdb_cfg):
    bad = Sandbox(seed=7, scale=0.05, clock=clock, api_key="sk_other")
    with make_client(bad, clock) as wrong:
        wrong._session._transport = sandbox.transport()  # right server, wrong key
        with pytest.raises(AuthError, match="CUSTIFY_API_KEY"):
            run_extract(wrong.settings, warehouse_cfg=duckdb_cfg, client=wrong, clock=clock)
    pipeline = make_pipeline(duckdb_cfg)
    assert "custify" not in pipeline.state.get("sources", {})
    assert not pipeline.has_pending_data
    assert {e.status for e in sandbox.journal} == {401}


def test_unreachable_warehouse_fails_before_any_request(sandbox, client, clock, tmp_path):
    cfg = WarehouseConfig(destination="postgres", pipelines_dir=tmp_path / "dlt",
                          credentials="postgresql://postgres:pw@127.0.0.1:1/test")  # fmt: skip
    with pytest.raises(WarehouseUnavailable) as info:
        run_extract(client.settings, warehouse_cfg=cfg, client=client, clock=clock)
    assert "pw@" not in str(info.value)
    assert len(sandbox.journal) == 0


def test_the_api_key_reaches_no_state_trace_or_table(sandbox, client, clock, duckdb_cfg):
    run_extract(client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock,
                options=ExtractOptions(intervals={}))  # fmt: skip
    key = sandbox.api_key.encode()
    files = [p for p in duckdb_cfg.pipelines_dir.rglob("*") if p.is_file()]
    files.append(duckdb_cfg.duckdb_path)
    assert files and not [p for p in files if key in p.read_bytes()]
    trace = make_pipeline(duckdb_cfg).last_trace
    assert trace is None or sandbox.api_key not in repr(trace.asdict())


def test_events_stream_as_json_lines(sandbox, client, clock, duckdb_cfg):
    run = dict(settings=client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock,
               objects=["people", "notes"])  # fmt: skip
    run_extract(**run)
    person = sandbox.store.create("people", email="new@x.example", name="New Person")
    clock.advance(60)
    out = io.StringIO()
    report = run_extract(**run, events_out=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["event_type"], e["record_id"]) for e in lines] == [("person.created", person["id"])]
    assert lines[0]["run_id"] == report.run_id and lines[0]["origin"] == "custify"


def test_source_runs_in_a_plain_dlt_pipeline(sandbox, client, tmp_path):
    pipeline = dlt.pipeline(
        "standalone", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="crm", pipelines_dir=str(tmp_path / "dlt"),
    )  # fmt: skip
    pipeline.run(custify_source(client=client, objects=["notes", "tickets"]))
    with pipeline.sql_client() as c:
        notes = c.execute_sql(f"SELECT COUNT(*) FROM {c.make_qualified_table_name('notes')}")
    assert notes == [(sandbox.store.count("notes"),)]
    state = pipeline.state["sources"]["custify"]["resources"]
    assert set(state) == {"notes", "tickets"} and state["notes"]["cursor"]


def test_the_duckdb_file_is_free_for_another_process_once_a_run_returns(
    sandbox, client, clock, duckdb_cfg
) -> None:
    """Nothing of a finished run holds the file: another process (dbt, a notebook) opens it
    read-write and sees what the run loaded."""
    run_extract(client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock)
    script = (
        "import duckdb, sys\n"
        "db = duckdb.connect(sys.argv[1])\n"
        "db.execute('CREATE TABLE elsewhere AS SELECT 1 AS x')\n"
        "print(db.execute(f'SELECT count(*) FROM {sys.argv[3]}.{sys.argv[2]}.people').fetchone()[0])\n"
    )
    path = duckdb_cfg.duckdb_path
    done = subprocess.run([sys.executable, "-c", script, str(path), duckdb_cfg.dataset, path.stem],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == sandbox.store.count("people")  # it sees what the run loaded
