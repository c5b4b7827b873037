"""``custify-sync dbt-sources``: a dbt ``sources.yml`` for a connection's dataset, from the registry.

Only the tables that exist in the dataset are listed, each with the columns it really has
(read from ``information_schema``, so custom attributes and objects added to the registry
later show up without a change here). What a table and its columns mean comes from the
registry row of its object: the id (``unique`` and ``not_null`` data tests), the cursor and created
fields, the fields Custify computes (``read_only``), the fields the write actions send (with
their types), child tables (``<object>__<field>``, tied to their parent by ``_parent_id``) and
the references a write names by Custify id (``relationships`` tests, at ``warn`` severity:
Custify may keep a reference to a record deleted since, and a soft-deleted row stays).
"""

from __future__ import annotations

from typing import Any

import yaml
from dlt.common.normalizers.naming.snake_case import NamingConvention

from models.registry import EXTRACTED, CustifyObject
from pipelines.events import EVENTS_TABLE
from warehouse import SessionWarehouse, WarehouseConfig

_naming = NamingConvention()
#: columns the ELT adds to every table (pipelines/source.py, pipelines/frames.py)
ENGINE_COLUMNS = {
    "_dlt_load_id": "dlt load package that last wrote the row",
    "_dlt_id": "dlt row key",
    "_parent_id": "Custify id of the parent record (child table of a list field)",
    "_idx": "position in the parent's list (-1: the parent's list is empty)",
    "_tombstone": "internal: marks a parent whose list emptied",
}
EVENT_DESCRIPTIONS = {
    "event_id": "deterministic id of the event (object, record, type, updated_at)",
    "object": "the Custify object (table) the record belongs to",
    "record_id": "Custify id of the record",
    "event_type": "e.g. person.created, ticket.updated, note.deleted",
    "run_id": "the extract run that detected it",
    "detected_at": "when the run detected it",
    "updated_at": "the record's updated_at in Custify",
    "origin": "custify (a change made in Custify) or custify-sync (an echo of our own write)",
    "changes": "the fields that changed, as JSON",
}


def col(name: str) -> str:
    """A Custify field name as dlt names its column (``companyId`` -> ``company_id``)."""
    return str(_naming.normalize_identifier(name))


def sources_yaml(cfg: WarehouseConfig, *, deleted_column: str = "_custify_deleted_at") -> str:
    with SessionWarehouse(cfg) as wh:
        tables = _tables(wh)
    doc = build(cfg.dataset, tables, deleted_column=deleted_column)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _tables(wh: SessionWarehouse) -> dict[str, dict[str, str]]:
    rows = wh.query_rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE lower(table_schema) = lower(%s) ORDER BY table_name, ordinal_position",
        [wh.cfg.dataset],
    )
    out: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        out.setdefault(str(table), {})[str(column)] = str(dtype)
    return out


def build(
    dataset: str, tables: dict[str, dict[str, str]], *, deleted_column: str
) -> dict[str, Any]:
    """The ``sources.yml`` document for ``tables`` (name -> column -> SQL type)."""
    by_table: dict[str, tuple[CustifyObject, str | None]] = {}
    for obj in EXTRACTED:
        by_table[obj.name] = (obj, None)
        for fld in obj.child_lists:
            by_table[f"{obj.name}__{col(fld)}"] = (obj, fld)
    objects = {o.name: o for o in EXTRACTED}
    entries = []
    for name in sorted(tables):
        head, _, rest = name.partition("__")
        if name not in by_table and rest and head in objects:  # a child table of any kind
            by_table[name] = (objects[head], rest)
        if name in by_table:
            obj, child = by_table[name]
            entries.append(_object_table(name, obj, child, tables, deleted_column))
        elif name == EVENTS_TABLE:
            entries.append(_events_table(tables[name]))
    return {
        "version": 2,
        "sources": [
            {
                "name": "custify",
                "description": f"Custify objects extracted by custify-sync (dataset {dataset})",
                "schema": dataset,
                "tables": entries,
            }
        ],
    }


def _object_table(
    name: str,
    obj: CustifyObject,
    child: str | None,
    tables: dict[str, dict[str, str]],
    deleted_column: str,
) -> dict[str, Any]:
    columns = tables[name]
    if child is not None:
        desc = f"One row per element of `{child}` of a Custify {obj.name} record."
        out = [_column(c, t, ENGINE_COLUMNS.get(c, f"`{child}` element field")) for c, t in
               columns.items()]  # fmt: skip
        for c in out:
            if c["name"] == "_parent_id":
                c["data_tests"] = ["not_null", _rel(obj.name, obj.id_field, "warn")]
        return {"name": name, "description": desc, "columns": out}
    described = _field_descriptions(obj, deleted_column)
    out = []
    for column, dtype in columns.items():
        entry = _column(column, dtype, described.get(column) or _guess(column))
        if column == col(obj.id_field):
            entry["data_tests"] = ["unique", "not_null"]
        ref = _references(obj).get(column)
        if ref and ref in tables and not _is_json(dtype):
            entry["data_tests"] = [_rel(ref, "id", "warn")]
        out.append(entry)
    text = f"Custify {obj.name}, merged on `{obj.id_field}`"
    if obj.cursor_field:
        text += f", extracted incrementally on `{obj.cursor_field}`"
    if obj.doc:
        text += f" (custify-api.md {obj.doc})"
    return {"name": name, "description": text + ".", "columns": out}


def _field_descriptions(obj: CustifyObject, deleted_column: str) -> dict[str, str]:
    writers: dict[str, tuple[str, list[str]]] = {}
    for action in obj.actions:
        for fld, ftype in action.body.items():
            writers.setdefault(col(fld), (ftype.value, []))[1].append(action.verb)
    out = {c: f"{t}; the reverse ETL writes it ({obj.name} {', '.join(dict.fromkeys(verbs))})"
           for c, (t, verbs) in writers.items()}  # fmt: skip
    for fld in obj.read_only:
        out[col(fld)] = "computed by Custify (read-only)"
    out[col(obj.id_field)] = "Custify id (primary key)"
    if obj.cursor_field:
        out[col(obj.cursor_field)] = "last change in Custify (the incremental cursor)"
    out.setdefault(col(obj.created_field), "created in Custify")
    out[deleted_column] = (
        "set when a reconcile (or --full-refresh) found the record deleted in Custify"
    )
    return out | ENGINE_COLUMNS


def _references(obj: CustifyObject) -> dict[str, str]:
    """Column -> referenced object, for refs that always name the same object by its id."""
    out: dict[str, str] = {}
    for action in obj.actions:
        for ref in action.refs:
            if not ref.sets and not getattr(ref, "when", None) and ref.field != "id":
                out.setdefault(col(ref.field), ref.object)
    if obj.per_parent is not None:
        parent, param = obj.per_parent
        out.setdefault(col(param), parent)
    return out


def _guess(column: str) -> str:
    if column.startswith("custom_attributes__"):
        return f"custom attribute `{column.removeprefix('custom_attributes__')}`"
    if column.startswith("metrics__"):
        return "metric computed by Custify"
    return "field as Custify returns it"


def _column(name: str, dtype: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "data_type": dtype.lower()}


def _events_table(columns: dict[str, str]) -> dict[str, Any]:
    out = []
    for column, dtype in columns.items():
        entry = _column(column, dtype, EVENT_DESCRIPTIONS.get(column) or ENGINE_COLUMNS.get(
            column, ""))  # fmt: skip
        if column == "event_id":
            entry["data_tests"] = ["unique", "not_null"]
        out.append(entry)
    return {
        "name": EVENTS_TABLE,
        "description": "The trigger events each extract detected (created, updated, deleted).",
        "columns": out,
    }


def _rel(table: str, field: str, severity: str) -> dict[str, Any]:
    return {
        "relationships": {
            "to": f"source('custify', '{table}')",
            "field": field,
            "config": {"severity": severity},
        }
    }


def _is_json(dtype: str) -> bool:
    return "json" in dtype.lower()
