"""Deletes a sync plans: flagged rows, mirror's leftovers, and the guard over both.

Deletes in Custify are permanent (custify-api.md §2, §3), so every delete is named by the key
this sync knows, counted against ``max_deletes`` and ``max_delete_share`` before anything is
sent, and, for record syncs, resolved to ONE Custify id (``identify.delete_by_id``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl

from reverse_etl.config import DeleteGuardError, Kind, Mode, Op, SyncConfig
from reverse_etl.diff.changes import mirror_candidates
from reverse_etl.diff.payload import stable_hash
from reverse_etl.engine.context import Context
from reverse_etl.identify import ROW_HASH, X_READ, Extracted, delete_by_id
from reverse_etl.ledger.schemas import DIFF_SCHEMA

if TYPE_CHECKING:
    from reverse_etl.engine.sync_plan import SyncPlan


def plan_deletes(
    ctx: Context,
    plan: SyncPlan,
    rows: pl.DataFrame,
    flagged: pl.DataFrame,
    extracted: Extracted | None,
) -> pl.DataFrame:
    """Explicitly flagged rows (every row of a delete sync) plus, in mirror mode, what this
    sync created and no longer wants.

    Keys already gone (not in a fresh extract, or confirmed deleted) cost no request. A delete
    sync's rows carry their request (a resolved id, e.g. a tag deleted by name); the others
    name the record by the sync's identifier.
    """
    cfg, state = plan.cfg, plan.state
    by_match = pl.col("key").map_elements(lambda k: json.dumps({cfg.match: k}), pl.String)
    no_hash = pl.lit(None, dtype=pl.String).alias(ROW_HASH)
    if cfg.kind == Kind.DELETE:
        frame = flagged.select("key", "payload", ROW_HASH)
    else:
        frame = flagged.select("key", by_match.alias("payload"), no_hash)
    if cfg.mode is Mode.MIRROR:
        desired = pl.concat([rows.get_column("key"), plan.rejected.get_column("key").drop_nulls()])
        gone_keys = mirror_candidates(state, desired, (Op.CREATE, Op.UPDATE)).select("key")
        frame = pl.concat([frame, gone_keys.select("key", by_match.alias("payload"), no_hash)])
    frame = frame.unique("key", keep="first", maintain_order=True)
    confirmed = state.filter(pl.col("op") == Op.DELETE).get_column("key")
    frame = frame.filter(~pl.col("key").is_in(confirmed.implode()))
    if extracted is not None:  # gone unless the extract shows it or we wrote it since
        frame = frame.filter(
            pl.col("key").is_in(extracted.frame.get_column("key").implode())
            | pl.col("key").is_in(_written_since(state, extracted).implode())
        )
    _guard(cfg, frame.height, extracted, state)
    frame = frame.with_columns(
        pl.lit(Op.DELETE.value).alias("op"),
        stable_hash(frame.get_column("payload")).alias("payload_hash"),
    )
    ids = state.select("key", pl.col("custify_id"))
    frame = frame.join(ids, on="key", how="left").with_columns(
        pl.lit(False).alias("created"),
        pl.lit(None, dtype=pl.String).alias("tag_id"),
    )
    if cfg.kind != Kind.DELETE:  # a delete sync's rows were resolved with the others
        frame, refused, gone = delete_by_id(ctx, cfg, frame)
        plan.rejected = pl.concat([plan.rejected, refused], how="diagonal_relaxed")
        plan.counts["already_gone"] = plan.counts.get("already_gone", 0) + gone
    return frame.select(list(DIFF_SCHEMA)).cast(DIFF_SCHEMA)


def _written_since(state: pl.DataFrame, extracted: Extracted) -> pl.Series:
    """Keys this sync confirmed after the extract read the object (created since, say; a
    write at the read's very instant counts as after it, as in the diff)."""
    read = extracted.frame.get_column(X_READ).drop_nulls()
    if read.is_empty():
        return pl.Series("key", [], dtype=pl.String)
    live = state.filter((pl.col("op") != Op.DELETE) & (pl.col("confirmed_at") >= read.max()))
    return live.get_column("key")


def _guard(cfg: SyncConfig, n: int, extracted: Extracted | None, state: pl.DataFrame) -> None:
    """Deletes are permanent (§2, §3): stop above ``max_deletes`` records, or above
    ``max_delete_share`` of the target when its size is known (the extract, else the records
    this sync holds)."""
    if n == 0:
        return
    if n > cfg.max_deletes:
        raise DeleteGuardError(
            f"{cfg.where('max_deletes')}: this run would delete {n} {cfg.object.name}, more "
            f"than the allowed {cfg.max_deletes}; check the source, or raise max_deletes"
        )
    live = state.filter(pl.col("op") != Op.DELETE).height
    target = extracted.count if extracted is not None else live
    if extracted is None and cfg.kind == Kind.DELETE:
        return  # a delete sync holds no records: only max_deletes can tell
    share = n / max(target, 1)
    if share > cfg.max_delete_share:
        raise DeleteGuardError(
            f"{cfg.where('max_delete_share')}: this run would delete {n} of {target} "
            f"{cfg.object.name} ({share:.0%}), more than the allowed {cfg.max_delete_share:.0%}; "
            "check the source, or raise max_delete_share if this is intended"
        )
