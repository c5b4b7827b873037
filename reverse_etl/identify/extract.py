"""What Custify holds, as far as the warehouse knows: the ELT's extracted tables.

The ELT lands ``people``, ``companies``, ... in the read shape, with custom attributes
flattened to ``custom_attributes__<key>`` (dlt naming) and ``_custify_deleted_at`` on records the
reconciliation found gone. Each written field is read through the registry's ``ReadAs`` (a
time track's ``startedDate`` from ``start_date``, an owner's e-mail from ``owners_csm_email``,
lists of ids decoded to lists), so the diff compares like with like.

Every extracted record also carries *when* the warehouse learnt it (``x_read_at``): the start
of the last extract run that scanned the object in a way that re-reads changed records (any
finished, stable scan of an object listed by ``updated_at``; a full scan for objects listed by
``created_at`` only, whose updates an incremental scan never sees, §10, §11). The diff weighs
that time against this sync's confirmed writes: the newest known truth wins.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import polars as pl

from models.registry import REGISTRY, CustifyObject, ReadAs
from models.types import ReadNorm
from reverse_etl.config import SyncConfig
from reverse_etl.config.fields import Field, read_column, resolve
from warehouse import Warehouse

DELETED = "_custify_deleted_at"
#: the ELT's run log (``pipelines.status``): started_at and per-object mode/status
EXTRACT_RUNS = "_custify_extract_runs"
X_ID = "x_id"
X_UPDATED = "x_updated_at"
X_READ = "x_read_at"
X_PREFIX = "x:"
#: a USER field's e-mail companion (``owners_csm_email``)
X_EMAIL = "x@:"
UTC_TS = pl.Datetime("us", "UTC")
#: how many recent extract runs are searched for the one that last scanned an object
_RUNS_SEARCHED = 500
#: reads whose value is a list (of ids, or of ``{id}`` objects)
_LIST_NORMS = (ReadNorm.SET, ReadNorm.LINKS, ReadNorm.UNLINKED)


@dataclass
class Extracted:
    """One row per live record: ``key``, ``x_id``, ``x_updated_at``, ``x_read_at`` and the read
    values ``x:<path>`` (``x@:<path>`` for a user's e-mail); ``refs`` maps, per REF/LINKS
    field, the user's identifiers of the linked records to their Custify ids."""

    frame: pl.DataFrame
    table: str
    refs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.frame.height


def match_read_field(cfg: SyncConfig) -> str | None:
    """The read field holding the identifier rows are matched on: the ``find_by`` field of
    the target (``_id`` -> ``id``, financials' ``externalIds.custify``), else the match
    field's ``ReadAs`` (a file unlink's ``fileId`` is the file's ``id``)."""
    obj = cfg.target
    finder = obj.find_by.get(cfg.match or "")
    if finder is not None:
        return finder.field
    try:
        return resolve(obj, cfg.action, cfg.match or "").read.field
    except ValueError:  # identifiers such as "id" need not be body fields
        return cfg.match


def load_extracted(
    wh: Warehouse, cfg: SyncConfig, fields: dict[str, Field] | None = None
) -> Extracted | None:
    """The extracted table of the sync's target, projected on the mapped fields' read columns;
    None if the object is not extracted, the table is missing, or it lacks the match column."""
    obj = cfg.target
    if cfg.match is None or not obj.extracted or not wh.table_exists(obj.name):
        return None
    columns = wh.columns(obj.name)
    match_col = read_column(match_read_field(cfg))
    if match_col not in columns or obj.id_field not in columns:
        return None
    select: dict[str, str | list[str]] = {X_ID: obj.id_field, "key": match_col}
    if "updated_at" in columns:  # a change time; never created_at (files, surveys)
        select[X_UPDATED] = "updated_at"
    wanted = {p: f for p, f in (fields or {}).items() if _comparable(f)}
    for path, fld in wanted.items():
        select.update(_read_columns(path, fld.read, columns))
    q = wh.quote
    sources = list(dict.fromkeys(c for cols in select.values() for c in _as_list(cols)))
    where = f" WHERE {q(DELETED)} IS NULL" if DELETED in columns else ""
    sql = f"SELECT {', '.join(q(c) for c in sources)} FROM {wh.table(obj.name)}{where}"
    raw = wh.query_df(sql)
    raw = raw.rename(dict(zip(raw.columns, sources, strict=True)))  # drivers may upper-case
    frame = raw.select(_column(raw, alias, cols) for alias, cols in select.items())
    frame = frame.with_columns(pl.col("key").cast(pl.String), pl.col(X_ID).cast(pl.String))
    frame = frame.with_columns(_absent(frame, wanted, columns))
    frame = frame.with_columns(_lists(frame, wanted))
    if X_UPDATED in frame.columns:
        frame = frame.with_columns(_utc(frame, X_UPDATED))
    else:
        frame = frame.with_columns(pl.lit(None, dtype=UTC_TS).alias(X_UPDATED))
    frame = frame.with_columns(pl.lit(read_time(wh, obj), dtype=UTC_TS).alias(X_READ))
    frame = frame.filter(pl.col("key").is_not_null())
    if frame.get_column("key").is_duplicated().any():  # several records answer to one key:
        # the most recently updated one speaks for it (a sort only then: a copy of every row)
        frame = frame.sort(X_UPDATED, descending=True, nulls_last=True)
        frame = frame.unique("key", keep="first")
    refs = {p: ref_ids(wh, f.read.via) for p, f in wanted.items() if f.read.via}
    return Extracted(frame, obj.name, refs)


def _comparable(fld: Field) -> bool:
    return not (fld.read_only or fld.ident or not fld.send) and fld.read.field is not None


def _read_columns(path: str, read: ReadAs, columns: dict[str, str]) -> dict[str, list[str]]:
    """Alias -> source columns (the read column and its dlt type variants, coalesced)."""
    out: dict[str, list[str]] = {}
    for alias, name in ((X_PREFIX + path, read.field), (X_EMAIL + path, read.email)):
        col = read_column(name)
        if col is None:
            continue
        found = [c for c in columns if c == col or c.startswith(col + "__v_")]
        if col in found:
            out[alias] = [col] + [c for c in found if c != col]
    return out


def _absent(frame: pl.DataFrame, fields: dict[str, Field], columns: dict[str, str]) -> list:
    """A read field no extracted record holds has no column at all (dlt adds one with the
    first value): Custify holds nothing there. A field flattened into sub-columns (a Currency
    attribute's ``__value``/``__currency``) stays unknown instead."""
    out = []
    for path, fld in fields.items():
        col = read_column(fld.read.field) or ""
        nested = any(c.startswith(col + "__") for c in columns)
        if X_PREFIX + path not in frame.columns and not nested:
            out.append(pl.lit(None, dtype=pl.String).alias(X_PREFIX + path))
    return out


def _as_list(cols: str | list[str]) -> list[str]:
    return [cols] if isinstance(cols, str) else cols


def _column(raw: pl.DataFrame, alias: str, cols: str | list[str]) -> pl.Expr:
    names = _as_list(cols)
    if len(names) == 1:
        return pl.col(names[0]).alias(alias)
    # a value whose type changed landed in a variant column: compare its text
    return pl.coalesce([pl.col(c).cast(pl.String) for c in names]).alias(alias)


def _lists(frame: pl.DataFrame, fields: dict[str, Field]) -> list[pl.Expr]:
    """Read lists (JSON text or native) as ``List(String)`` of ids (``item`` of objects)."""
    out = []
    for path, fld in fields.items():
        read, alias = fld.read, X_PREFIX + path
        if alias not in frame.columns or not (read.listed or read.norm in _LIST_NORMS):
            continue
        out.append(as_id_list(pl.col(alias), frame.schema[alias], read.item).alias(alias))
    return out


def as_id_list(expr: pl.Expr, dtype: pl.DataType, item: str | None = None) -> pl.Expr:
    """A list of ids from JSON text or a native list; ``item`` picks the id of ``{id}`` items."""
    if dtype == pl.String:
        inner: pl.DataType = pl.Struct({item: pl.String}) if item else pl.String()
        expr = expr.str.json_decode(pl.List(inner))
        dtype = pl.List(inner)
    if not isinstance(dtype, pl.List | pl.Array):
        return pl.lit(None, dtype=pl.List(pl.String))
    if item:
        return expr.list.eval(pl.element().struct.field(item).cast(pl.String))
    return expr.list.eval(pl.element().cast(pl.String))


def _utc(frame: pl.DataFrame, name: str) -> pl.Expr:
    dtype = frame.schema[name]
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        col = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col
        return col.dt.convert_time_zone("UTC").cast(UTC_TS).alias(name)
    parsed = col.cast(pl.String).str.to_datetime(time_zone="UTC", strict=False)
    return parsed.cast(UTC_TS).alias(name)


def read_time(wh: Warehouse, obj: CustifyObject) -> dt.datetime | None:
    """When the extract last re-read ``obj``'s changed records: the start of the newest
    finished, stable scan that sees updates (None: the run log does not say)."""
    if not wh.table_exists(EXTRACT_RUNS):
        return None
    q = wh.quote
    rows = wh.query_rows(
        f"SELECT {q('started_at')}, {q('objects')} FROM {wh.table(EXTRACT_RUNS)} "
        f"ORDER BY {q('started_at')} DESC LIMIT {_RUNS_SEARCHED}"
    )
    sees_updates = obj.cursor_field not in (None, obj.created_field)
    for started, objects in rows:
        try:
            report = json.loads(objects or "{}").get(obj.name) or {}
        except (TypeError, ValueError):
            continue
        rereads = report.get("mode") == "full" or (
            sees_updates and report.get("mode") == "incremental"
        )
        if report.get("status") == "done" and rereads and not report.get("unstable"):
            return _aware(started)
    return None


def _aware(value: object) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def ref_ids(wh: Warehouse, via: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The user's identifier -> Custify id of the records a REF/LINKS field names, from the
    extracted tables (``companies.company_id``, ``people.user_id``/``email``); Custify ids
    map to themselves, so a row may give either."""
    out: dict[str, str] = {}
    for name, ident in via:
        obj = REGISTRY[name]
        columns = wh.columns(obj.name) if obj.extracted else {}
        col = read_column(ident)
        if col not in columns or obj.id_field not in columns:
            continue
        q = wh.quote
        live = f" WHERE {q(DELETED)} IS NULL" if DELETED in columns else ""
        sql = (
            f"SELECT CAST({q(col)} AS VARCHAR), CAST({q(obj.id_field)} AS VARCHAR) "
            f"FROM {wh.table(obj.name)}{live}"
        )
        for value, rid in wh.query_rows(sql):
            if value is not None and rid is not None:
                out.setdefault(str(value), str(rid))
                out.setdefault(str(rid), str(rid))
    return out


def load_tag_pairs(wh: Warehouse, cfg: SyncConfig, extracted: Extracted) -> pl.DataFrame | None:
    """``(x_id, tag_id)`` pairs the extract shows (dlt lands ``tags`` as ``<table>__tags``)."""
    child = f"{extracted.table}__tags"
    parent_cols = wh.columns(extracted.table)
    q = wh.quote
    if wh.table_exists(child) and "_dlt_id" in parent_cols:
        ids = cfg.target.id_field
        sql = (
            f"SELECT p.{q(ids)} AS x_id, c.{q('value')} AS tag_id FROM {wh.table(child)} c "
            f"JOIN {wh.table(extracted.table)} p ON c.{q('_dlt_parent_id')} = p.{q('_dlt_id')}"
        )
        df = wh.query_df(sql)
        return df.select(pl.col("x_id").cast(pl.String), pl.col("tag_id").cast(pl.String))
    if "tags" in parent_cols:  # a JSON column instead of a child table
        sql = f"SELECT {q(cfg.target.id_field)} AS x_id, {q('tags')} AS tags FROM " + wh.table(
            extracted.table
        )
        df = wh.query_df(sql)
        tags = df.get_column("tags")
        if tags.dtype == pl.String:
            tags = tags.str.json_decode(pl.List(pl.String))
        return (
            df.with_columns(tags.alias("tag_id"))
            .explode("tag_id")
            .select(pl.col("x_id").cast(pl.String), pl.col("tag_id").cast(pl.String))
            .drop_nulls()
        )
    return None
