"""Test helpers for the ELT: a client on the sandbox, and an INDEPENDENT comparison of the
warehouse with the sandbox's state.

The comparison does not reuse ``pipelines.frames``/``conform``: it flattens sandbox records
itself (nested dicts joined with ``__``, child lists apart, lists compared as JSON values) and
re-reads the warehouse (variant columns folded back, timestamps printed as Custify prints them,
JSON parsed). Only dlt's naming convention is shared, because the column names are dlt's.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from dlt.common.normalizers.naming.snake_case import NamingConvention

from custify import ApiKey, ConnectionSettings, CustifyClient, RateBudget
from models.registry import EXTRACTED, REGISTRY
from pipelines.events import EVENTS_TABLE
from sandbox.routes import render
from sandbox.util import Req
from warehouse import WarehouseConfig, make_pipeline

NAMING = NamingConvention()


def use_naming(cfg: WarehouseConfig) -> None:
    """Postgres caps identifiers at 63 characters and dlt shortens longer ones: compare with
    the destination's own naming convention (the flattening stays the test's own)."""
    global NAMING
    caps = make_pipeline(cfg).destination.capabilities()
    NAMING = NamingConvention(max_length=caps.max_identifier_length)


SKIP_COLUMNS = {"_dlt_load_id", "_dlt_id", "_custify_deleted_at"}
CHILD_META = {"_parent_id", "_idx", "_tombstone"}


def make_client(sb: Any, clock: Any, **settings: Any) -> CustifyClient:
    conn = ConnectionSettings(
        api_key=ApiKey(sb.api_key), base_url="https://api.custify.test", **settings
    )
    budget = RateBudget(conn.rate_limit, conn.rate_window_s, clock=clock)
    return CustifyClient(conn, transport=sb.transport(), budget=budget, clock=clock)


# -- sandbox side ------------------------------------------------------------------------------
def api_rows(sb: Any, name: str) -> list[dict[str, Any]]:
    """Records as the list endpoint shows them (e.g. playbooks without company_counts)."""
    obj = REGISTRY[name]
    req = Req("GET", obj.list_path or "", dict(obj.list_params))
    rows = sb.store.rows(name)
    if obj.per_parent:  # listed per parent: a record whose parent is gone is unreachable
        parent, fld = obj.per_parent
        alive = {r["id"] for r in sb.store.rows(parent)}
        rows = [r for r in rows if r.get(fld) in alive]
    if obj.parent_lists:  # listed under a parent in the path: the same holds
        rows = [r for r in rows if any(_under(sb, p, r) for p in obj.parent_lists)]
    return [render.row(name, rec, req) for rec in rows]


def _global(key: str) -> str | None:
    """The overall score is keyed ``global`` and has no definition: it is its own name."""
    return key if key == "global" else None


def _under(sb: Any, parent: Any, rec: dict[str, Any]) -> bool:
    fixed = all(rec.get(k) == v for k, v in parent.fixed.items())
    return fixed and rec.get(parent.param) in sb.store.table(parent.object).rows


def norm(value: Any) -> Any:
    """Nulls equal absence; timestamps print as Custify's ISO strings; dicts lose null keys."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def flatten(rec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rec.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, path + "__"))
        elif value is not None:
            out[NAMING.normalize_path(path)] = norm(value)
    return out


def expected_state(sb: Any, name: str) -> dict[str, tuple[dict, dict]]:
    """id -> (flat parent, {child field: [flat child, ...]}) from the sandbox."""
    obj = REGISTRY[name]
    out = {}
    for rec in api_rows(sb, name):
        rec = copy.deepcopy(rec)
        kids = {}
        for fld in obj.child_lists:
            items = rec.pop(fld, None) if isinstance(rec.get(fld), list | None) else []
            kids[fld] = [flatten(i) if isinstance(i, dict) else {"value": i} for i in items or []]
        for keyed in obj.keyed_lists:
            kids[keyed.name] = keyed_rows(sb, keyed, rec)
        out[rec["id"]] = (flatten(rec), kids)
    return out


def keyed_rows(sb: Any, keyed: Any, rec: dict[str, Any]) -> list[dict[str, Any]]:
    """A keyed object (health scores by id) as the rows the warehouse must hold, taken out
    of ``rec``; names are the definitions' names in the sandbox, ``global`` its own."""
    *outer, last = keyed.path.split(".")
    holder = rec
    for part in outer:
        holder = holder.get(part) or {}
    entries = holder.pop(last, None) or {}
    names = {r["id"]: r.get("name") for r in sb.store.rows(keyed.names_from)}
    out = []
    for key, entry in entries.items():
        entry = dict(entry) if isinstance(entry, dict) else {"value": entry}
        value = next((entry.pop(f) for f in keyed.value if entry.get(f) is not None), None)
        row = {
            "record_id": rec["id"],
            keyed.key: key,
            "name": names.get(key) or _global(key),
            "value": value,
        }
        out.append(flatten({**row, **{k: v for k, v in entry.items() if k not in keyed.value}}))
    return out


# -- warehouse side ----------------------------------------------------------------------------
class Reader:
    """One SQL connection for a whole comparison (opening one costs dlt a config resolution)."""

    def __init__(self, cfg: WarehouseConfig) -> None:
        self.cfg = cfg
        self._manager = make_pipeline(cfg, pipeline_name="custify_test_reader").sql_client()

    def __enter__(self) -> Reader:
        self.client = self._manager.__enter__()
        rows = self.client.execute_sql(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE lower(table_schema) = lower(%s) ORDER BY table_name, ordinal_position",
            self.client.dataset_name,
        )
        self.columns: dict[str, dict[str, str]] = {}
        for table, col, kind in rows or []:
            self.columns.setdefault(str(table).lower(), {})[str(col).lower()] = str(kind)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._manager.__exit__(*exc)

    def table(self, name: str) -> str:
        return self.client.make_qualified_table_name(name)

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        return list(self.client.execute_sql(sql, *params) or [])


def read_table(db: Reader, table: str) -> list[dict[str, Any]]:
    """The table's rows, variants folded back; rows marked deleted by reconcile left out."""
    columns = db.columns.get(table, {})
    if not columns:
        return []
    json_cols = {c for c, t in columns.items() if t.lower() in ("json", "jsonb")}
    cols = [c for c in columns if c not in SKIP_COLUMNS]
    select = ", ".join('"' + c.replace('"', '""') + '"' for c in cols)
    live = " WHERE _custify_deleted_at IS NULL" if "_custify_deleted_at" in columns else ""
    out = []
    for row in db.rows(f"SELECT {select} FROM {db.table(table)}{live}"):
        rec: dict[str, Any] = {}
        for col, value in zip(cols, row, strict=True):
            if value is None:
                continue
            if col in json_cols and isinstance(value, str):
                value = json.loads(value)
            base = col.split("__v_", 1)[0]
            assert base not in rec, f"{table}.{col}: a value and its variant in one row"
            rec[base] = norm(value)
        out.append(rec)
    return out


def warehouse_state(db: Reader, name: str) -> dict[str, tuple[dict, dict]]:
    obj = REGISTRY[name]
    parents = read_table(db, name)
    ids = [p["id"] for p in parents]
    assert len(ids) == len(set(ids)), f"{name}: duplicate ids in the warehouse"
    kinds = [*obj.child_lists, *(k.name for k in obj.keyed_lists)]
    out = {p["id"]: (p, {f: [] for f in kinds}) for p in parents}
    for fld in kinds:
        rows = [r for r in read_table(db, f"{name}__{fld}") if r["_parent_id"] in out]
        assert not [r for r in rows if r.get("_tombstone")], "tombstones must not be stored"
        rows.sort(key=lambda r: (r["_parent_id"], r["_idx"]))
        keys = [(r["_parent_id"], r["_idx"]) for r in rows]
        assert len(keys) == len(set(keys)), f"{name}__{fld}: duplicate child rows"
        for r in rows:
            child = {k: v for k, v in r.items() if k not in CHILD_META}
            out[r["_parent_id"]][1][fld].append(child)
    return out


def assert_matches_sandbox(sb: Any, cfg: WarehouseConfig, names: list[str] | None = None) -> None:
    """Every extracted table equals the sandbox, field for field."""
    use_naming(cfg)
    with Reader(cfg) as db:
        for name in names or [o.name for o in EXTRACTED]:
            want, got = expected_state(sb, name), warehouse_state(db, name)
            assert set(got) == set(want), f"{name}: ids differ ({len(got)} vs {len(want)} rows)"
            for rid, (parent, kids) in want.items():
                assert got[rid][0] == parent, f"{name} {rid}: {_diff(got[rid][0], parent)}"
                assert got[rid][1] == kids, (
                    f"{name} {rid}: children differ: {_kids_diff(got[rid][1], kids)}"
                )


def _kids_diff(got: dict[str, list], want: dict[str, list]) -> str:
    """Which child lists differ, with their rows (warehouse first, then the sandbox)."""
    return "; ".join(
        f"{k}: {got.get(k)!r} != {want.get(k)!r}" for k in want if got.get(k) != want[k]
    )


def _diff(got: dict, want: dict) -> str:
    keys = sorted(set(got) | set(want))
    return "; ".join(
        f"{k}: {got.get(k)!r} != {want.get(k)!r}" for k in keys if got.get(k) != want.get(k)
    )


EVENT_FIELDS = ("object", "record_id", "event_type", "run_id", "updated_at", "origin", "event_id")


def events(cfg: WarehouseConfig, run_id: str | None = None) -> list[dict[str, Any]]:
    with Reader(cfg) as db:
        if EVENTS_TABLE not in db.columns:
            return []
        where, params = ("WHERE run_id = %s", (run_id,)) if run_id else ("", ())
        rows = db.rows(
            f"SELECT {', '.join(EVENT_FIELDS)} FROM {db.table(EVENTS_TABLE)} {where}", *params
        )
    return [dict(zip(EVENT_FIELDS, r, strict=True)) for r in rows]


def marked_deleted(cfg: WarehouseConfig, name: str) -> set[str]:
    with Reader(cfg) as db:
        rows = db.rows(f"SELECT id FROM {db.table(name)} WHERE _custify_deleted_at IS NOT NULL")
    return {r[0] for r in rows}
