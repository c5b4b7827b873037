"""An explicit diff table handed by the user: ``key``, ``op`` and ``payload`` (JSON) columns.

The engine trusts the ops (no comparison with the extract) but still validates every payload
with the registry schema, keeps the ledger's promises (confirmed payloads are not resent,
rejected ones wait for a change) and applies the delete opt-in and guard.
"""

from __future__ import annotations

import json

import polars as pl

from reverse_etl.config import Kind, SyncConfig, SyncSourceError
from reverse_etl.source.desired import DELETE, Desired, map_columns, read_source
from warehouse import Warehouse

OPS = {
    Kind.RECORD: ("upsert", "update", "create", "delete"),
    Kind.APPEND: ("event", "insert", "append"),
    Kind.TAG: ("tag_add", "tag_remove"),
}


def load_explicit(wh: Warehouse, cfg: SyncConfig) -> Desired:
    """The diff table's payloads as a desired frame (deletes flagged like ``delete_flag``)."""
    raw = read_source(wh, cfg)
    cols = {c.lower(): c for c in raw.columns}
    for needed in ("key", "op"):
        if needed not in cols:
            raise SyncSourceError(f"{cfg.where('diff_table')}: the table needs a {needed!r} column")
    raw = raw.rename({cols["key"]: "key", cols["op"]: "op"})
    ops = set(raw.get_column("op").drop_nulls().unique().to_list())
    unknown = sorted(ops - set(OPS[cfg.kind]))
    if unknown:
        raise SyncSourceError(
            f"{cfg.where('diff_table')}: unknown op {unknown[0]!r}; use {', '.join(OPS[cfg.kind])}"
        )
    if "delete" in ops and not cfg.allow_deletes:
        raise SyncSourceError(f"{cfg.where('allow_deletes')}: the diff deletes; set it to true")
    payload = pl.col(cols["payload"]) if "payload" in cols else pl.lit(None, dtype=pl.String)
    fallback = pl.col("key").map_elements(lambda k: json.dumps({cfg.match: k}), pl.String)
    texts = raw.select(pl.coalesce(payload.cast(pl.String), fallback).alias("p"))
    decoded = texts.get_column("p").str.json_decode(infer_schema_length=None).struct.unnest()
    if cfg.kind == Kind.TAG:
        decoded = decoded.with_columns(
            pl.Series("type", ["remove" if o == "tag_remove" else "add" for o in raw["op"]])
        )
    if cfg.kind == Kind.RECORD:
        decoded = decoded.with_columns((raw.get_column("op") == "delete").alias(DELETE))
        cfg = _with_delete_flag(cfg)
    return map_columns(_identity(cfg), decoded)


def _identity(cfg: SyncConfig) -> SyncConfig:
    from dataclasses import replace

    return replace(cfg, mapping=None, fields={}, key=())


def _with_delete_flag(cfg: SyncConfig) -> SyncConfig:
    from dataclasses import replace

    return replace(cfg, delete_flag=DELETE)
