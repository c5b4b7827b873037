"""A table's first load appends (no staging copy, no merge); every later load merges; a table
the warehouse already holds is merged even when nothing else remembers it."""

from __future__ import annotations

import logging
import shutil

from pipelines import custify_source, run_extract
from tests.pipelines.helpers import Reader, assert_matches_sandbox
from warehouse import make_pipeline

OBJECTS = ["people", "tickets"]  # tickets: a child list, and tickets without replies


def _extract(client, clock, cfg, **kw):
    return run_extract(client.settings, warehouse_cfg=cfg, client=client, clock=clock,
                       objects=OBJECTS, **kw)  # fmt: skip


def _counts(cfg, table: str, key: str) -> tuple[int, int]:
    with Reader(cfg) as db:
        ((rows, keys),) = db.rows(f"SELECT COUNT(*), COUNT(DISTINCT {key}) FROM {db.table(table)}")
    return rows, keys


def _staging_tables(cfg) -> set[str]:
    with Reader(cfg) as db:
        rows = db.rows("SELECT lower(table_name) FROM information_schema.tables "
                       "WHERE lower(table_schema) = lower(%s)", cfg.staging_dataset)  # fmt: skip
    return {r[0] for r in rows}


def test_the_first_load_appends_and_the_next_one_merges(sandbox, client, clock, warehouse_cfg):
    _extract(client, clock, warehouse_cfg)
    assert_matches_sandbox(sandbox, warehouse_cfg, OBJECTS)  # no tombstone rows, no duplicates
    assert not {"people", "tickets", "tickets__replies"} & _staging_tables(warehouse_cfg)

    person = sorted(sandbox.store.rows("people"), key=lambda r: r["id"])[0]
    ticket = next(t for t in sandbox.store.rows("tickets") if t.get("replies"))
    clock.advance(60)
    sandbox.store.update("people", person["id"], name="renamed after the first load")
    sandbox.store.update("tickets", ticket["id"], replies=[])
    _extract(client, clock, warehouse_cfg)

    assert_matches_sandbox(sandbox, warehouse_cfg, OBJECTS)  # the emptied list lost its rows
    assert {"people", "tickets__replies"} <= _staging_tables(warehouse_cfg)  # merged now
    rows, ids = _counts(warehouse_cfg, "people", "id")
    assert rows == ids == len(sandbox.store.rows("people"))


def test_a_table_the_warehouse_holds_is_merged_when_the_state_forgot_it(
    sandbox, client, clock, warehouse_cfg
):
    """Local state and dlt's bookkeeping tables gone, the data tables still there: the run
    knows nothing of them but must not append the same rows a second time."""
    _extract(client, clock, warehouse_cfg)
    shutil.rmtree(warehouse_cfg.pipelines_dir)
    with Reader(warehouse_cfg) as db:
        for table in ("_dlt_version", "_dlt_pipeline_state", "_dlt_loads"):
            db.rows(f"DROP TABLE {db.table(table)}")
    clock.advance(60)
    _extract(client, clock, warehouse_cfg)

    rows, ids = _counts(warehouse_cfg, "people", "id")
    assert rows == ids == len(sandbox.store.rows("people"))
    assert_matches_sandbox(sandbox, warehouse_cfg, OBJECTS)


def test_two_extracts_before_one_load_neither_fail_nor_append_twice(sandbox, client, duckdb_cfg):
    """A plain dlt pipeline that extracts twice before it loads: both packages reach the same
    new tables in one load; the second knows them from the first's schema and merges (and its
    reconcile finds nothing to delete in a table not loaded yet)."""
    pipeline = make_pipeline(duckdb_cfg)
    pipeline.extract(custify_source(client=client, objects=OBJECTS))
    assert pipeline.has_pending_data
    pipeline.extract(custify_source(client=client, objects=OBJECTS, full_refresh=True))
    pipeline.normalize()
    pipeline.load()

    rows, ids = _counts(duckdb_cfg, "people", "id")
    assert rows == ids == len(sandbox.store.rows("people"))
    replies = _counts(duckdb_cfg, "tickets__replies", "_parent_id || '/' || _idx")
    assert replies[0] == replies[1] > 0


def test_the_first_load_prints_no_warning_about_its_own_append(
    sandbox, client, clock, warehouse_cfg
):
    """dlt warns that merge hints are ignored on an append; appending a first load is meant,
    so none of those warnings reaches the user (dlt's other warnings still do)."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                seen.append(record.getMessage())

    dlt_logger = logging.getLogger("dlt")
    keep = Keep()
    dlt_logger.addHandler(keep)
    try:
        _extract(client, clock, warehouse_cfg)
        dlt_logger.warning('The "dedup_sort" column hint for column "x" in table "someone_else" '
                           'with write disposition "append" in schema "s" will be ignored.')  # fmt: skip
    finally:
        dlt_logger.removeHandler(keep)
    assert not [m for m in seen if "people" in m or "tickets" in m], seen
    assert any("someone_else" in m for m in seen)  # a table not ours still warns
    assert {"people", "tickets", "tickets__replies"}.isdisjoint(_staging_tables(warehouse_cfg))
