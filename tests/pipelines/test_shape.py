"""A record whose shape changed (new field, type change) is loaded, not dropped, and reported."""

from __future__ import annotations

from pipelines import ExtractOptions, run_extract
from tests.pipelines.helpers import Reader, assert_matches_sandbox


def test_new_fields_and_type_changes_are_loaded_and_reported(sandbox, client, clock, warehouse_cfg):
    run = dict(settings=client.settings, warehouse_cfg=warehouse_cfg, client=client, clock=clock,
               objects=["people"], options=ExtractOptions(intervals={}))  # fmt: skip
    first = run_extract(**run)
    assert first.schema_changes == []  # a new table is not a shape change
    people = sorted(sandbox.store.rows("people"), key=lambda r: r["id"])
    assert isinstance(people[0]["custom_attributes"]["seats_used"], int)
    for rec in people[:3]:
        attrs = {**rec["custom_attributes"], "seats_used": "many", "region_code": "EU-1"}
        sandbox.store.update("people", rec["id"], custom_attributes=attrs, nickname="Nick")
    clock.advance(60)

    second = run_extract(**run)

    changes = {(c.table, c.column, c.kind, c.data_type) for c in second.schema_changes}
    assert changes == {
        ("people", "custom_attributes__seats_used__v_text", "type_change", "text"),
        ("people", "custom_attributes__region_code", "new_column", "text"),
        ("people", "nickname", "new_column", "text"),
    }
    with Reader(warehouse_cfg) as db:
        got = db.rows(
            f"SELECT custom_attributes__seats_used, custom_attributes__seats_used__v_text "
            f"FROM {db.table('people')} WHERE id = %s",
            people[0]["id"],
        )
    assert got == [(None, "many")]
    assert_matches_sandbox(sandbox, warehouse_cfg, ["people"])
