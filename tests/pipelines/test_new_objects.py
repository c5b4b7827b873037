"""The read side complete: tags, financials, comments, survey responses and calculated metrics
land as the sandbox holds them, after changes and after deletes; health scores are rows."""

from __future__ import annotations

import re

from pipelines import ExtractOptions, run_extract
from tests.pipelines.helpers import assert_matches_sandbox, marked_deleted
from warehouse import Warehouse

NEW = ["tags", "deals", "invoices", "subscriptions", "comments", "survey_responses",
       "calculated_metrics"]  # fmt: skip
OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def _run(client, cfg, clock, options, **kw):
    return run_extract(client.settings, warehouse_cfg=cfg, client=client, clock=clock,
                       options=options, **kw)  # fmt: skip


def test_new_tables_follow_changes_and_deletes(sandbox, client, clock, warehouse_cfg):
    options = ExtractOptions(page_size=10, batch_rows=40, intervals={})
    _run(client, warehouse_cfg, clock, options)
    assert_matches_sandbox(sandbox, warehouse_cfg, NEW)
    store = sandbox.store
    clock.advance(600)
    for name in ("tags", "deals", "invoices", "subscriptions", "calculated_metrics"):
        rid = sorted(r["id"] for r in store.rows(name))[0]
        store.update(name, rid, name=f"changed {name}")
    deal = sorted(store.rows("deals"), key=lambda r: r["id"])[1]
    store.update("deals", deal["id"], value=deal["value"] + 1, status="lost")
    note = sorted(r["id"] for r in store.rows("notes"))[0]
    store.update("notes", note)  # a changed parent: its comments are read again
    on_changed = store.create("comments", entity=note, entityModel="Note", text="<p>new</p>")
    quiet = sorted(r["id"] for r in store.rows("tasks"))[0]  # a parent that did not change
    on_quiet = store.create("comments", entity=quiet, entityModel="Task", text="<p>later</p>")
    survey = next(r for r in store.rows("surveys") if r["type"] == "csat")
    response = next(r for r in store.rows("survey_responses") if r["survey"] == survey["id"])
    store.update("survey_responses", response["id"], score=1, responseDate=store.stamp())
    clock.advance(60)

    report = _run(client, warehouse_cfg, clock, options)
    assert report.objects["comments"].mode == "incremental"
    # the cost: the changed note's list, not one list per note and task (the parents the
    # cursor overlap lists again were read at that version already)
    line = report.objects["comments"].note
    assert "lists of 1 notes and 0 tasks (changed since the last scan)" in line, line
    assert report.objects["comments"].requests == 2 + 1  # notes and tasks page 1, one list
    wh = Warehouse(warehouse_cfg)
    seen = {r[0] for r in wh.query_rows(f"SELECT id FROM {wh.table('comments')}")}
    assert on_changed["id"] in seen and on_quiet["id"] not in seen
    assert_matches_sandbox(sandbox, warehouse_cfg, [n for n in NEW if n != "comments"])

    gone = {name: sorted(r["id"] for r in store.rows(name))[0] for name in NEW}
    for name, rid in gone.items():
        store.delete(name, rid)
    clock.advance(60)
    _run(client, warehouse_cfg, clock, options, reconcile=True)
    assert_matches_sandbox(sandbox, warehouse_cfg, NEW)  # the quiet parent's comment too
    for name, rid in gone.items():
        assert rid in marked_deleted(warehouse_cfg, name), name


def test_a_reconcile_marks_the_objectives_of_a_deleted_company_when_they_are_not_due(
    sandbox, client, clock, duckdb_cfg
):
    options = ExtractOptions(page_size=10)  # objectives every 6 h (the default interval)
    _run(client, duckdb_cfg, clock, options)
    clock.advance(600)
    objectives = sandbox.store.rows("customer_objectives")
    company = sorted({o["company"] for o in objectives})[0]
    theirs = {o["id"] for o in objectives if o["company"] == company}
    assert theirs
    sandbox.store.delete("companies", company)

    plain = _run(client, duckdb_cfg, clock, options)
    assert plain.objects["customer_objectives"].mode == "skip"  # not due: not scanned
    report = _run(client, duckdb_cfg, clock, options, reconcile=True)

    assert report.objects["customer_objectives"].reconcile == "done"
    assert marked_deleted(duckdb_cfg, "customer_objectives") == theirs
    assert marked_deleted(duckdb_cfg, "companies") == {company}
    assert_matches_sandbox(sandbox, duckdb_cfg, ["companies", "customer_objectives"])


def test_health_scores_are_rows_that_follow_their_company(sandbox, client, clock, warehouse_cfg):
    options = ExtractOptions(page_size=10, intervals={})
    run = dict(objects=["companies"])
    _run(client, warehouse_cfg, clock, options, **run)
    company = sorted(sandbox.store.rows("companies"), key=lambda r: r["id"])[0]
    scores = dict(company["metrics"]["health_scores"])
    dropped = next(k for k in scores if k != "global")
    del scores[dropped]
    scores["global"] = {**scores["global"], "score": 3}
    metrics = {**company["metrics"], "health_scores": scores}
    clock.advance(60)
    sandbox.store.update("companies", company["id"], metrics=metrics)
    clock.advance(60)
    _run(client, warehouse_cfg, clock, options, **run)

    assert_matches_sandbox(sandbox, warehouse_cfg, ["companies"])
    wh = Warehouse(warehouse_cfg)
    columns = wh.columns("companies")
    rows = wh.query_rows(
        f"SELECT health_score_id, name, value FROM {wh.table('companies__health_scores')} "
        "WHERE record_id = %s",
        (company["id"],),
    )
    assert not [c for c in columns if OBJECT_ID.search(c)], "no column named after an id"
    held = {r[0]: (r[1], r[2]) for r in rows}
    assert held["global"] == ("global", 3)
    assert dropped not in held and len(held) == len(scores)

    kept = next(k for k in scores if k != "global")  # a definition renamed in Custify
    sandbox.store.update("health_scores", kept, name="Adoption (renamed)")
    clock.advance(60)
    report = _run(client, warehouse_cfg, clock, options, **run)
    assert report.objects["companies"].mode == "full"  # every company's rows carry the name
    assert_matches_sandbox(sandbox, warehouse_cfg, ["companies"])
    names = wh.query_rows(
        f"SELECT DISTINCT name FROM {wh.table('companies__health_scores')} "
        "WHERE health_score_id = %s",
        (kept,),
    )
    assert names == [("Adoption (renamed)",)]
    quiet = _run(client, warehouse_cfg, clock, options, **run)
    assert quiet.objects["companies"].mode == "incremental"
