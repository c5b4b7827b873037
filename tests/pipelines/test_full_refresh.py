"""``--full-refresh`` replaces an object's rows: records deleted in Custify are marked deleted
(``delete_mode = "soft"``) or gone (``"hard"``), with their events, the others untouched."""

from __future__ import annotations

import pytest

from pipelines import ExtractOptions, run_extract
from tests.pipelines.helpers import events, marked_deleted
from warehouse import Warehouse


def _ids(cfg, table: str) -> set[str]:
    wh = Warehouse(cfg)
    return {r[0] for r in wh.query_rows(f"SELECT id FROM {wh.table(table)}")}


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_a_full_refresh_drops_or_marks_what_custify_deleted(
    sandbox, client, clock, warehouse_cfg, mode
) -> None:
    options = ExtractOptions(page_size=10, intervals={}, delete_mode=mode)
    run = dict(settings=client.settings, warehouse_cfg=warehouse_cfg, client=client, clock=clock,
               options=options)  # fmt: skip
    run_extract(**run, objects=["notes", "tasks"])
    notes = sorted(r["id"] for r in sandbox.store.rows("notes"))
    tasks = sorted(r["id"] for r in sandbox.store.rows("tasks"))
    gone = set(notes[:3])
    for rid in gone:
        sandbox.store.delete("notes", rid)
    sandbox.store.delete("tasks", tasks[0])
    clock.advance(120)

    report = run_extract(**run, objects=["notes"], full_refresh=True)
    assert report.deleted == {"notes": 3}
    if mode == "soft":
        assert marked_deleted(warehouse_cfg, "notes") == gone
        assert _ids(warehouse_cfg, "notes") == set(notes)
    else:
        assert _ids(warehouse_cfg, "notes") == set(notes) - gone
    deleted = {e["record_id"] for e in events(warehouse_cfg) if e["event_type"] == "note.deleted"}
    assert deleted == gone
    assert tasks[0] in _ids(warehouse_cfg, "tasks")  # not refreshed: untouched
