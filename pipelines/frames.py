"""Custify rows -> polars frames: flattened parents, child tables, JSON lists.

Rows never pass through dlt's Python normalizer (~18x slower
than Arrow). A page's dicts go to Arrow in one C++ call (``pa.array``, strict about types) and
polars does the rest:

- nested dicts (``custom_attributes``, ``metrics``, ``organizer``...) become columns joined with
  dlt's ``__`` separator, e.g. ``custom_attributes__plan`` (§1.5: custom attributes are flat
  scalars, the Currency object is the one nested case, ``custom_attributes__x__value``);
- lists of objects named in the registry's ``child_lists`` become child tables
  ``<table>__<field>`` keyed by ``_parent_id`` + ``_idx``; a parent whose list is empty or
  missing gets one tombstone row (``_tombstone`` = True, ``_idx`` = -1) so that the child
  table's delete-insert on ``_parent_id`` removes stale children (see ``source.py``);
- any other list (tag ids, company ids, ``{id}`` lists, §1.6/§18.10) is kept whole as JSON text.

``pa.array`` refuses a field whose type differs between rows (a custom attribute that changed
type, §1.4 "changing the type later is discouraged" but possible). Then ``_mixed_frame`` does the
same flattening in Python and keeps each type in its own sub-column (``Mixed``), which
``conform.py`` turns into dlt-style variant columns: the change is loaded, not dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from models.registry import CustifyObject
from models.rows import KeyedList

PARENT_ID, CHILD_IDX, TOMBSTONE = "_parent_id", "_idx", "_tombstone"
SEP = "__"
#: Python type -> dlt data type, for the mixed-type fallback
_PY_TYPES = {bool: "bool", int: "bigint", float: "double", str: "text"}


@dataclass
class Table:
    """One frame for one warehouse table, with what ``conform`` needs to type it."""

    name: str
    frame: pl.DataFrame
    json_cols: set[str] = field(default_factory=set)
    #: column -> {dlt type: sub-column}: one field seen with several types in this batch
    mixed: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Batch:
    """The unit handed from a scan thread to the resource: a parent table and its children."""

    obj: str
    parent: Table
    children: list[Table]
    ids: list[object]  # each row's id as Custify wrote it (text, or a number on some lists)
    rows: int


def child_table(obj: CustifyObject, fld: str) -> str:
    return f"{obj.name}{SEP}{fld}"


def child_tables(obj: CustifyObject) -> list[str]:
    """Every child table of ``obj``: its child lists and its keyed lists (registry)."""
    return [child_table(obj, f) for f in (*obj.child_lists, *(k.name for k in obj.keyed_lists))]


def build_batch(
    obj: CustifyObject, rows: list[dict[str, Any]], names: dict[str, dict[str, str]] | None = None
) -> Batch:
    """Frames for ``rows`` (already deduplicated on id by the caller); ``names`` maps, per
    keyed list, entry keys to the names of the records they are keyed by."""
    parents, kids = split_children(obj, rows)
    parents, keyed = split_keyed(obj, parents, names or {})
    kids.update(keyed)
    children = [to_table(child_table(obj, f), kid_rows) for f, kid_rows in kids.items()]
    ids = [r.get(obj.id_field) for r in rows]
    return Batch(obj.name, to_table(obj.name, parents), children, ids, len(rows))


def split_children(
    obj: CustifyObject, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Pull the registry's child lists out of each row; tombstone parents with none."""
    if not obj.child_lists:
        return rows, {}
    kids: dict[str, list[dict[str, Any]]] = {f: [] for f in obj.child_lists}
    parents = []
    for row in rows:
        pid = row.get(obj.id_field)
        parent = dict(row)
        for fld in obj.child_lists:
            value = parent.pop(fld, None)
            if not isinstance(value, list):
                if value is not None:  # shape change (not a list): keep it on the parent
                    parent[fld] = value
                value = []
            out = kids[fld]
            for i, item in enumerate(value):
                body = item if isinstance(item, dict) else {"value": item}
                out.append({PARENT_ID: pid, CHILD_IDX: i, TOMBSTONE: False, **body})
            if not value:
                out.append({PARENT_ID: pid, CHILD_IDX: -1, TOMBSTONE: True})
        parents.append(parent)
    return parents, kids


def split_keyed(
    obj: CustifyObject, rows: list[dict[str, Any]], names: dict[str, dict[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Pull the registry's keyed lists (health scores by ObjectId, §3) out of each row as
    ``(record_id, <key>, name, value, ...)`` rows; tombstone parents with none."""
    if not obj.keyed_lists:
        return rows, {}
    kids: dict[str, list[dict[str, Any]]] = {k.name: [] for k in obj.keyed_lists}
    out = []
    for row in rows:
        pid = row.get(obj.id_field)
        parent = row
        for keyed in obj.keyed_lists:
            parent, entries = _pop_path(parent, keyed.path.split("."))
            known = names.get(keyed.name, {})
            items = entries.items() if isinstance(entries, dict) else ()
            out_rows = kids[keyed.name]
            for i, (key, entry) in enumerate(items):
                out_rows.append(_keyed_row(keyed, pid, i, key, entry, known))
            if not items:
                out_rows.append({PARENT_ID: pid, CHILD_IDX: -1, TOMBSTONE: True})
        out.append(parent)
    return out, kids


def _keyed_row(
    keyed: KeyedList, pid: Any, idx: int, key: str, entry: Any, known: dict[str, str]
) -> dict[str, Any]:
    """One entry's row: its fields after ``name`` and ``value``, the value fields dropped.

    Built by one merge of the entry (tens of thousands of entries per batch of companies):
    ``name`` and ``value`` keep their places and are set after it."""
    known_name = known.get(key) or (key if key == "global" else None)
    if not isinstance(entry, dict):
        return {PARENT_ID: pid, CHILD_IDX: idx, TOMBSTONE: False, "record_id": pid,
                keyed.key: key, "name": known_name, "value": entry}  # fmt: skip
    value = None
    for f in keyed.value:
        value = entry.get(f)
        if value is not None:
            break
    name = entry.get("name") or known_name
    row = {PARENT_ID: pid, CHILD_IDX: idx, TOMBSTONE: False, "record_id": pid,
           keyed.key: key, "name": None, "value": None, **entry}  # fmt: skip
    for f in keyed.value:
        if f != "value":
            row.pop(f, None)
    row["name"] = name
    if "value" in keyed.value or "value" not in entry:  # else the entry's own ``value`` stays
        row["value"] = value
    return row


def _pop_path(row: dict[str, Any], path: list[str]) -> tuple[dict[str, Any], Any]:
    """``row`` without the value at ``path`` (copied along the way), and that value."""
    head, rest = path[0], path[1:]
    if head not in row:
        return row, None
    copy = dict(row)
    if not rest:
        return copy, copy.pop(head)
    inner = copy[head]
    if not isinstance(inner, dict):
        return row, None
    copy[head], value = _pop_path(inner, rest)
    if not copy[head]:
        del copy[head]
    return copy, value


def to_table(name: str, rows: list[dict[str, Any]]) -> Table:
    """Flatten ``rows`` into one typed frame (Arrow fast path, Python fallback on mixed types)."""
    try:
        arr = pa.array(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return _mixed_table(name, rows)
    frame = pl.from_arrow(pa.RecordBatch.from_struct_array(arr))
    assert isinstance(frame, pl.DataFrame)
    frame, json_cols = flatten(frame)
    return Table(name, frame, json_cols)


def flatten(frame: pl.DataFrame) -> tuple[pl.DataFrame, set[str]]:
    """Unnest structs into ``a__b`` columns; encode lists as JSON text; drop all-null columns."""
    while any(isinstance(t, pl.Struct) for t in frame.schema.values()):
        exprs = []
        for name, dtype in frame.schema.items():
            if not isinstance(dtype, pl.Struct):
                exprs.append(pl.col(name))
            elif dtype.fields:  # an empty object ({}) has no columns to give
                exprs.append(pl.col(name).name.prefix_fields(name + SEP).struct.unnest())
        frame = frame.select(exprs)
    json_cols = {n for n, t in frame.schema.items() if isinstance(t, pl.List | pl.Array)}
    if json_cols:
        frame = frame.with_columns(json_text(n) for n in json_cols)
    nulls = [n for n, t in frame.schema.items() if t == pl.Null]
    return frame.drop(nulls), json_cols


def json_text(name: str) -> pl.Expr:
    """A list column as JSON text, vectorised: encode ``{"v": list}`` and cut the wrapper."""
    encoded = pl.struct(pl.col(name).alias("v")).struct.json_encode()
    body = encoded.str.slice(5).str.strip_suffix("}")
    return pl.when(pl.col(name).is_null()).then(None).otherwise(body).alias(name)


def _flat_row(row: dict[str, Any], prefix: str, out: dict[str, Any], json_keys: set[str]) -> None:
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flat_row(value, name + SEP, out, json_keys)
        elif isinstance(value, list):
            out[name] = json.dumps(value, separators=(",", ":"), default=str)
            json_keys.add(name)
        else:
            out[name] = value


def _kind(value: Any, is_json: bool) -> str:
    return "json" if is_json else _PY_TYPES.get(type(value), "text")


def _mixed_table(name: str, rows: list[dict[str, Any]]) -> Table:
    """The slow path, taken only when a field's type differs between rows of one batch."""
    flat: list[dict[str, Any]] = []
    json_keys: set[str] = set()
    for row in rows:
        out: dict[str, Any] = {}
        _flat_row(row, "", out, json_keys)
        flat.append(out)
    columns: dict[str, list[Any]] = {}
    for i, out in enumerate(flat):
        for key, value in out.items():
            if value is not None:
                columns.setdefault(key, [None] * len(flat))[i] = value
    data: dict[str, pl.Series] = {}
    mixed: dict[str, dict[str, str]] = {}
    json_cols: set[str] = set()
    for key, values in columns.items():
        kinds = _split_kinds(values, key in json_keys)
        if len(kinds) == 1:
            ((kind, vals),) = kinds.items()
            data[key] = _series(key, vals, kind)
            if kind == "json":
                json_cols.add(key)
            continue
        mixed[key] = {}
        for kind, vals in kinds.items():
            sub = f"{key}{SEP}v_{kind}"
            data[sub] = _series(sub, vals, kind)
            mixed[key][kind] = sub
            if kind == "json":
                json_cols.add(sub)
    return Table(name, pl.DataFrame(data), json_cols, mixed)


def _split_kinds(values: list[Any], is_json: bool) -> dict[str, list[Any]]:
    """Values by dlt type (first-seen order); ints join floats when both occur."""
    kinds: dict[str, list[Any]] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        kind = _kind(value, is_json and isinstance(value, str))
        kinds.setdefault(kind, [None] * len(values))[i] = value
    if "bigint" in kinds and "double" in kinds:
        ints, floats = kinds.pop("bigint"), kinds["double"]
        kinds["double"] = [
            float(a) if a is not None else b for a, b in zip(ints, floats, strict=True)
        ]
    return kinds


_POLARS = {"bool": pl.Boolean, "bigint": pl.Int64, "double": pl.Float64}


def _series(name: str, values: list[Any], kind: str) -> pl.Series:
    return pl.Series(name, values, dtype=_POLARS.get(kind, pl.String), strict=False)
