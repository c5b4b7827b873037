"""Tag syncs: tag names to ids, the tagged entities to ids, and mirror's removals.

Each costs requests, so each is asked only for what no extract and no snapshot knows. Tag names
resolve through one listing of the tags (a few requests whatever the row count).
"""

from __future__ import annotations

import re

import polars as pl

from reverse_etl.config import SyncConfig
from reverse_etl.engine.context import Context
from reverse_etl.identify import records

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")  # Custify ids are Mongo ObjectIds (§1.3)


def tag_map(ctx: Context, cfg: SyncConfig) -> dict[str, str]:
    """Tag name -> id for the entity's category (names are unique per category, §1.6)."""
    category = cfg.target.tag_category
    out: dict[str, str] = {}
    for row in ctx.client(cfg).iter_rows("tags"):
        if row.get("category") in (None, category) and row.get("name"):
            out.setdefault(str(row["name"]), str(row["id"]))
    return out


def learned_tag_ids(state: pl.DataFrame) -> dict[str, str]:
    """Tag name -> id as this sync's confirmed pairs recorded them (``ref_id``): names seen
    before need no listing of the tags."""
    known = state.filter(pl.col("ref_id").is_not_null())
    if known.height == 0:
        return {}
    names = known.get_column("payload").str.json_path_match("$.tag")
    return dict(zip(names.to_list(), known.get_column("ref_id").to_list(), strict=True))


def tag_ids(
    ctx: Context, cfg: SyncConfig, rows: pl.DataFrame, state: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add ``tag_id`` and ``adds`` to tag rows; rows naming an unknown tag or type are rejected.

    Names resolve from what this sync confirmed before, else one listing of the tags."""
    tags = rows.get_column("tag").cast(pl.String)
    names = sorted({t for t in tags.drop_nulls().to_list() if not OBJECT_ID.match(t)})
    mapping = learned_tag_ids(state) if state is not None else {}
    if any(n not in mapping for n in names):
        mapping = tag_map(ctx, cfg)
    typ = pl.col("type").cast(pl.String).str.to_lowercase() if "type" in rows.columns else None
    rows = rows.with_columns(
        pl.when(pl.col("tag").cast(pl.String).str.contains(OBJECT_ID.pattern))
        .then(pl.col("tag").cast(pl.String))
        .otherwise(pl.col("tag").cast(pl.String).replace_strict(mapping, default=None))
        .alias("tag_id"),
        (typ.fill_null("add") if typ is not None else pl.lit("add")).alias("__type"),
    )
    bad_type = ~pl.col("__type").is_in(["add", "remove"])
    reason = (
        pl.when(bad_type).then(pl.lit("type: must be add or remove"))
        .when(pl.col("tag_id").is_null())
        .then(pl.format("tag: no {} tag named '{}' in Custify", pl.lit(cfg.target.tag_category),
                        pl.col("tag")))
    )  # fmt: skip
    rows = rows.with_columns(reason.alias("reason"))
    bad = rows.filter(pl.col("reason").is_not_null()).select(
        pl.col("__row").alias("row"), "key", "reason", pl.col("payload").alias("values")
    )
    good = rows.filter(pl.col("reason").is_null()).with_columns(
        (pl.col("__type") == "add").alias("adds")
    )
    return good.drop("reason", "__type"), bad


def entity_ids(ctx: Context, cfg: SyncConfig, diff: pl.DataFrame) -> pl.DataFrame:
    """Fill ``custify_id`` of tag rows: snapshot of any sync on the entity, else one get each."""
    entity_key = pl.col("payload").str.json_path_match(f"$.{cfg.match}")
    diff = diff.with_columns(entity_key.alias("__entity"))
    missing = diff.filter(pl.col("custify_id").is_null()).get_column("__entity").unique()
    found = records.ids_by_key(
        ctx, cfg, [k for k in missing.to_list() if k is not None], unique=True
    )
    fill = pl.col("__entity").replace_strict(found, default=None, return_dtype=pl.String)
    return diff.with_columns(pl.coalesce("custify_id", fill).alias("custify_id")).drop("__entity")
