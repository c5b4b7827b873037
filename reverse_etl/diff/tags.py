"""Mirror of tag adds: the tags this sync added whose rows have left the source come off."""

from __future__ import annotations

import json

import polars as pl

from reverse_etl.config import SyncConfig
from reverse_etl.diff.changes import mirror_candidates
from reverse_etl.diff.payload import stable_hash
from reverse_etl.engine.context import Context
from reverse_etl.identify.tags import OBJECT_ID, tag_map
from reverse_etl.ledger.schemas import DIFF_SCHEMA


def tag_removals(
    ctx: Context, cfg: SyncConfig, desired_keys: pl.Series, state: pl.DataFrame
) -> pl.DataFrame:
    """Mirror: remove the tags this sync added whose rows have left the source."""
    gone = mirror_candidates(state, desired_keys, ("tag_add",))
    if gone.height == 0:
        return pl.DataFrame(schema=DIFF_SCHEMA)
    payloads = [json.loads(p) for p in gone.get_column("payload").to_list()]
    for p in payloads:
        p["type"] = "remove"
    tags = [str(p.get("tag")) for p in payloads]
    mapping = tag_map(ctx, cfg) if any(not OBJECT_ID.match(t) for t in tags) else {}
    frame = gone.select("key", "custify_id").with_columns(
        pl.Series("payload", [json.dumps(p, sort_keys=True) for p in payloads]),
        pl.Series("tag_id", [t if OBJECT_ID.match(t) else mapping.get(t) for t in tags]),
        pl.lit("tag_remove").alias("op"),
        pl.lit(False).alias("created"),
        pl.lit(None, dtype=pl.String).alias("row_hash"),
    )
    frame = frame.with_columns(stable_hash(frame.get_column("payload")).alias("payload_hash"))
    return frame.filter(pl.col("tag_id").is_not_null()).select(list(DIFF_SCHEMA)).cast(DIFF_SCHEMA)
