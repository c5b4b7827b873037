"""``dbt-sources``: the generated sources.yml names every table the dataset holds, with its
real columns, the registry's descriptions and tests (DuckDB and PostgreSQL)."""

from __future__ import annotations

import yaml

from custify.settings import Settings
from custify_sync.dbt_sources import sources_yaml
from models.registry import EXTRACTED
from pipelines.events import EVENTS_TABLE
from pipelines.run import run_extract
from warehouse import SessionWarehouse

ALL = [o.name for o in EXTRACTED]


def _columns(cfg) -> dict[str, list[str]]:
    with SessionWarehouse(cfg) as wh:
        rows = wh.query_rows(
            "SELECT table_name, column_name FROM information_schema.columns WHERE "
            "lower(table_schema) = lower(%s) ORDER BY table_name, ordinal_position",
            [cfg.dataset],
        )
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), []).append(str(column))
    return out


def test_sources_name_every_object_table_with_its_columns_and_tests(
    sandbox, client, clock, warehouse_cfg
) -> None:
    settings = Settings(connections={"default": client.settings}, raw={})
    run_extract(settings, objects=ALL, warehouse_cfg=warehouse_cfg, client=client, clock=clock)
    doc = yaml.safe_load(sources_yaml(warehouse_cfg))
    (source,) = doc["sources"]
    assert source["schema"] == warehouse_cfg.dataset
    tables = {t["name"]: t for t in source["tables"]}
    held = _columns(warehouse_cfg)
    bookkeeping = {t for t in held if t.startswith("_")}
    assert set(tables) == set(held) - bookkeeping  # objects, children, events; no _dlt_*/_custify_*
    assert set(ALL) | {EVENTS_TABLE} <= set(tables)
    for name, table in tables.items():
        assert [c["name"] for c in table["columns"]] == held[name], name
        assert table["description"] and all(c["description"] for c in table["columns"]), name
    for obj in EXTRACTED:
        ids = next(c for c in tables[obj.name]["columns"] if c["name"] == obj.id_field)
        assert ids["data_tests"] == ["unique", "not_null"], obj.name
    parents = [c for t in tables.values() for c in t["columns"] if c["name"] == "_parent_id"]
    assert parents and all("relationships" in c["data_tests"][1] for c in parents)
    refs = [test["relationships"]["to"] for t in tables.values() for c in t["columns"]
            for test in c.get("data_tests", []) if isinstance(test, dict)]  # fmt: skip
    assert all(r.split("'")[3] in tables for r in refs)  # only tables that exist
