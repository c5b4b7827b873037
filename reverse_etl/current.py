"""What Custify holds, as far as the warehouse knows: the ELT's extracted tables.

The ELT lands ``people``, ``companies``, ... in the read shape, with custom attributes
flattened to ``custom_attributes__<key>`` (dlt naming) and ``_custify_deleted_at`` on records the
reconciliation found gone. A fresh extract is the best evidence of Custify's state: a desired row
equal to it needs no request at all. When there is no extract, the diff falls back to the
confirmed snapshot (``ledger.load_state``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reverse_etl.config import SyncConfig
from reverse_etl.fields import Field, resolve
from warehouse import Warehouse

DELETED = "_custify_deleted_at"
X_ID = "x_id"
X_UPDATED = "x_updated_at"
X_PREFIX = "x:"


@dataclass
class Extracted:
    """One row per live record: ``key``, ``x_id``, ``x_updated_at`` and ``x:<path>`` values."""

    frame: pl.DataFrame
    table: str

    @property
    def count(self) -> int:
        return self.frame.height


def _match_field(cfg: SyncConfig) -> Field:
    obj = cfg.target
    action = cfg.action if cfg.entity is None else obj.action("get")
    try:
        return resolve(obj, action, cfg.match or "")
    except ValueError:  # identifiers such as "id" need not be body fields
        return Field(cfg.match, cfg.match, None, None)


def load_extracted(
    wh: Warehouse, cfg: SyncConfig, fields: dict[str, Field] | None = None
) -> Extracted | None:
    """The extracted table of the sync's target, projected on the mapped fields; None if the
    object is not extracted, the table is missing, or it lacks the match column."""
    obj = cfg.target
    if cfg.match is None or not obj.extracted or not wh.table_exists(obj.name):
        return None
    columns = wh.columns(obj.name)
    match_col = _match_field(cfg).extracted_column
    if match_col not in columns or obj.id_field not in columns:
        return None
    select = {X_ID: obj.id_field, "key": match_col}
    if obj.cursor_field and obj.cursor_field in columns:
        select[X_UPDATED] = obj.cursor_field
    for path, fld in (fields or {}).items():
        if not fld.read_only and fld.extracted_column in columns:
            select[X_PREFIX + path] = fld.extracted_column
    q = wh.quote
    sources = list(dict.fromkeys(select.values()))
    where = f" WHERE {q(DELETED)} IS NULL" if DELETED in columns else ""
    sql = f"SELECT {', '.join(q(c) for c in sources)} FROM {wh.table(obj.name)}{where}"
    raw = wh.query_df(sql)
    raw = raw.rename(dict(zip(raw.columns, sources, strict=True)))  # drivers may upper-case
    frame = raw.select(pl.col(src).alias(alias) for alias, src in select.items())
    frame = frame.with_columns(pl.col("key").cast(pl.String), pl.col(X_ID).cast(pl.String))
    if X_UPDATED in frame.columns:
        frame = frame.with_columns(_utc(frame, X_UPDATED))
        frame = frame.sort(X_UPDATED, descending=True, nulls_last=True)
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(X_UPDATED))
    frame = frame.filter(pl.col("key").is_not_null()).unique("key", keep="first")
    return Extracted(frame, obj.name)


def _utc(frame: pl.DataFrame, name: str) -> pl.Expr:
    dtype = frame.schema[name]
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        col = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col
        return col.dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC")).alias(name)
    parsed = col.cast(pl.String).str.to_datetime(time_zone="UTC", strict=False)
    return parsed.cast(pl.Datetime("us", "UTC")).alias(name)


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
