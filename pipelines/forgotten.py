"""Keep forgotten people out of every extract (``custify-sync forget``, warehouse/forgotten.py).

Custify may still serve a person the warehouse forgot (a delete not yet visible, a re-import
by another tool): their rows never load again. Batches of the person object lose the rows
whose id, e-mail or user_id is tombstoned (and those rows' children); every text cell of
every object loses the mentions of a forgotten identifier or name (the row stays).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl

from models.registry import CustifyObject
from pipelines.context import RunContext
from pipelines.frames import PARENT_ID, Batch, Table
from warehouse import forgotten as tomb


def tombstones(ctx: RunContext, pipeline: Any) -> tomb.Tombstones:
    """The dataset's tombstones, read once per run (on the run's SQL client). A dataset that
    holds no table yet holds no tombstone either: its first load reads none (the table list
    of ``pipelines.first_load`` is all it asks, and a warehouse out of reach only makes every
    table merge)."""
    if ctx.forgotten is None:
        known = ctx.known
        loaded = known is not None and any(not t.startswith("_dlt") for t in known.existing)
        ctx.forgotten = tomb.load(ctx.sql(pipeline)) if loaded else tomb.Tombstones()
    return ctx.forgotten


def filter_batch(obj: CustifyObject, batch: Batch, stones: tomb.Tombstones) -> Batch:
    if not stones:
        return batch
    parent = batch.parent.frame
    gone: set[str] = set()
    if obj.name == tomb.PERSON and parent.height:
        mask = tomb.person_mask(parent, stones)
        if mask.any():
            gone = {str(v) for v in parent.filter(mask)[obj.id_field].to_list()}
            parent = parent.filter(~mask)
    children = [_clean(c, gone) for c in batch.children]
    ids = [i for i in batch.ids if str(i) not in gone]
    return replace(batch, parent=_redact(batch.parent, parent, stones), children=[
        _redact(c, c.frame, stones) for c in children], ids=ids,
        rows=batch.rows - len(gone))  # fmt: skip


def _clean(table: Table, gone: set[str]) -> Table:
    if not gone or PARENT_ID not in table.frame.columns:
        return table
    keep = ~pl.col(PARENT_ID).cast(pl.String).is_in(sorted(gone))
    return replace(table, frame=table.frame.filter(keep))


def _redact(table: Table, frame: pl.DataFrame, stones: tomb.Tombstones) -> Table:
    return replace(table, frame=tomb.redact_frame(frame, stones))
