"""Custom attribute types: a value must fit the type Custify already holds the attribute as.

Custify fixes an attribute's type by the first value it ever receives (Date, then Number, then
Boolean, else String; a name ending in ``_at`` is always a Date, custify-api.md §1.4, §1.5).
A later value of another type is not converted back: sending ``"n/a"`` to a numeric attribute
would store a string in a number's place. Three witnesses say which type an attribute has,
cheapest first:

1. its name (``*_at``: a Date);
2. the extracted table: the warehouse type of ``custom_attributes__<key>``;
3. attribute discovery (``GET /company/attributes``, ``GET /customer/attributes``, §1.5: the
   MCP's only, not in the spec), asked only for rows that would be sent, and remembered in
   ``_custify_attributes`` for a day (so a push costs at most one such request per object
   and day). A 404 or an answer of another shape means "unknown": nothing is rejected on
   its account.

An attribute no witness knows takes whatever the first value is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl

from custify.errors import CustifyError
from models.registry import CustifyObject
from reverse_etl.config import Kind, SyncConfig
from reverse_etl.config.fields import Field, bool_expr, iso_expr, snake
from reverse_etl.engine.context import Context
from reverse_etl.ledger.schemas import ATTRIBUTES_SCHEMA, DISCOVERED_ATTRIBUTES
from reverse_etl.source.desired import Desired
from warehouse import Warehouse

NUMBER, BOOLEAN, DATE, STRING = "number", "boolean", "date", "string"
ATTRIBUTES = "custom_attributes"
#: warehouse column types -> attribute type (DuckDB, Postgres and Snowflake spellings)
_SQL_KINDS = (
    (("bigint", "integer", "int", "smallint", "double", "real", "float", "decimal", "numeric",
      "number", "hugeint"), NUMBER),
    (("bool",), BOOLEAN),
    (("timestamp", "date"), DATE),
    (("varchar", "text", "string", "character"), STRING),
)  # fmt: skip
#: attribute discovery's type names -> attribute type (unknown names: no check)
_DISCOVERED = {
    "number": NUMBER, "numeric": NUMBER, "integer": NUMBER, "int": NUMBER, "float": NUMBER,
    "double": NUMBER, "decimal": NUMBER, "boolean": BOOLEAN, "bool": BOOLEAN, "date": DATE,
    "datetime": DATE, "timestamp": DATE, "string": STRING, "text": STRING,
}  # fmt: skip

Kinds = dict[str, tuple[str, str]]  # field path -> (type, which witness said so)
CACHE_TTL = dt.timedelta(days=1)


def _sql_kind(sql_type: str) -> str | None:
    low = sql_type.lower()
    for names, kind in _SQL_KINDS:
        if any(low.startswith(n) for n in names):
            return kind
    return None


def known_kinds(fields: Mapping[str, Field], columns: Mapping[str, str]) -> Kinds:
    """Types the name rule and the extracted table's columns give the mapped attributes."""
    out: Kinds = {}
    for path, fld in fields.items():
        if fld.top != ATTRIBUTES or fld.sub is None:
            continue
        if fld.sub.endswith("_at"):
            out[path] = (DATE, "its name ends in _at, so Custify keeps it as a date (§1.4)")
            continue
        col = f"{ATTRIBUTES}__{snake(fld.sub)}"
        kind = _sql_kind(columns[col]) if col in columns else None
        variant = any(c.startswith(col + "__v_") for c in columns)
        if kind is not None and not variant:  # a variant: Custify already holds mixed types
            out[path] = (kind, "the extracted column's type")
    return out


def unknown_attributes(fields: Mapping[str, Field], kinds: Kinds) -> list[str]:
    return [p for p, f in fields.items() if f.top == ATTRIBUTES and f.sub and p not in kinds]


def discover(client: Any, obj: CustifyObject) -> dict[str, str]:
    """Attribute name -> type from Custify's attribute listing; {} when it cannot tell."""
    if obj.attributes_path is None:
        return {}
    try:
        body = client.get_json(obj.attributes_path)
    except CustifyError:  # 404 (not served), 403, a failing endpoint: no evidence either way
        return {}
    if isinstance(body, dict):
        body = next((v for v in body.values() if isinstance(v, list)), [])
    out: dict[str, str] = {}
    for item in body if isinstance(body, list) else []:
        if not isinstance(item, dict):
            continue
        name = item.get("name") or item.get("key") or item.get("field")
        kind = _DISCOVERED.get(str(item.get("type") or "").lower())
        if isinstance(name, str) and kind:
            out[name.removeprefix(f"{ATTRIBUTES}.")] = kind
    return out


def cached(wh: Warehouse, obj: CustifyObject, now: dt.datetime) -> dict[str, str] | None:
    """What discovery answered for ``obj`` within the last day; None: not asked since."""
    if obj.attributes_path is None or not wh.table_exists(DISCOVERED_ATTRIBUTES):
        return None
    q = wh.quote
    rows = wh.query_rows(
        f"SELECT {q('name')}, {q('type')}, {q('discovered_at')} FROM {wh.table(DISCOVERED_ATTRIBUTES)} "
        f"WHERE {q('object')} = %s",
        (obj.name,),
    )
    fresh = [r for r in rows if r[2] is not None and _utc(r[2]) >= now - CACHE_TTL]
    if not fresh:
        return None
    return {str(name): str(kind) for name, kind, _ in fresh if name is not None and kind}


def remember(wh: Warehouse, obj: CustifyObject, found: Mapping[str, str], now: dt.datetime):
    """Replace ``obj``'s remembered discovery answer (an empty one too: it was asked)."""
    q = wh.quote
    wh.create_table(DISCOVERED_ATTRIBUTES, ATTRIBUTES_SCHEMA)
    wh.execute(
        f"DELETE FROM {wh.table(DISCOVERED_ATTRIBUTES)} WHERE {q('object')} = %s", (obj.name,)
    )
    names: list[str | None] = [*found] or [None]
    frame = pl.DataFrame(
        {"object": [obj.name] * len(names), "name": names,
         "type": [found.get(n) if n else None for n in names], "discovered_at": [now] * len(names)},
        schema=ATTRIBUTES_SCHEMA,
    )  # fmt: skip
    wh.insert_df(DISCOVERED_ATTRIBUTES, frame)


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def discovered_kinds(found: Mapping[str, str], fields: Mapping[str, Field]) -> Kinds:
    return {
        path: (found[f.sub], "Custify's attribute discovery (§1.5)")
        for path, f in fields.items()
        if f.top == ATTRIBUTES and f.sub is not None and f.sub in found
    }


def fits(kind: str, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """True where the value can be held by an attribute of ``kind`` (nulls always fit)."""
    if kind == NUMBER:
        if dtype.is_numeric():
            ok = pl.lit(True)
        elif dtype == pl.String:
            ok = expr.str.strip_chars().cast(pl.Float64, strict=False).is_not_null()
        else:
            ok = pl.lit(False)
    elif kind == BOOLEAN:
        ok = bool_expr(expr, dtype).is_not_null()
    elif kind == DATE:
        ok = iso_expr(expr, dtype).is_not_null()
    else:
        ok = pl.lit(True)
    return expr.is_null() | ok


def reason(path: str, kind: str, source: str) -> str:
    return f"not a {kind}: Custify holds {path} as a {kind} ({source})"


def plan_kinds(ctx: Context, cfg: SyncConfig, desired: Desired) -> Kinds:
    """Types the name rule, the extracted table and a remembered discovery give the custom
    attributes a record sync's rows set (no request)."""
    obj = cfg.target
    if cfg.kind != Kind.RECORD or not any(f.top == ATTRIBUTES for f in desired.fields.values()):
        return {}
    columns = ctx.wh.columns(obj.name) if obj.extracted else {}
    kinds = known_kinds(desired.fields, columns)
    found = cached(ctx.wh, obj, ctx.now())
    if found is not None:
        ctx.cache[("attributes", cfg.connection, obj.name)] = found
        unknown = {p: desired.fields[p] for p in unknown_attributes(desired.fields, kinds)}
        kinds.update(discovered_kinds(found, unknown))
    return kinds


def misfits(
    ctx: Context, cfg: SyncConfig, kinds: Kinds, rows: pl.DataFrame, fields: Mapping[str, Field]
) -> pl.DataFrame:
    """Rows about to be sent (``rows``) whose attribute values do not fit the type attribute
    discovery gives, with a ``reason``: asked only when such rows set attributes no other
    witness knows and no answer of the last day is remembered."""
    unknown = unknown_attributes(fields, kinds)
    cache_key = ("attributes", cfg.connection, cfg.target.name)
    if not unknown or rows.height == 0 or cache_key in ctx.cache:
        return rows.clear()
    found = discover(ctx.client(cfg), cfg.target)
    ctx.cache[cache_key] = found
    if not ctx.dry_run:
        remember(ctx.wh, cfg.target, found, ctx.now())
    reasons = [
        pl.when(~fits(kind, pl.col(path), rows.schema[path]).fill_null(True)).then(
            pl.lit(f"{path}: {reason(path, kind, source)}")
        )
        for path, (kind, source) in discovered_kinds(found, {p: fields[p] for p in unknown}).items()
    ]
    if not reasons:
        return rows.clear()
    flagged = rows.with_columns(
        pl.concat_str(reasons, separator="; ", ignore_nulls=True).alias("reason")
    )
    return flagged.filter(pl.col("reason").is_not_null() & (pl.col("reason") != ""))
