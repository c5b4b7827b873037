"""Remember, per connection and across runs, that an account refuses ``POST /batch``.

A client learns within its life that ``/batch`` is refused (``custify.batch.BatchRoad``); a
scheduled push is a new process every time, and would pay one refused submit per run and
connection without this. ``_custify_roads`` keeps the refusal for ``RECHECK_S`` (then the next
run tries ``/batch`` again, in case the account gained it). A 400 is not kept across runs: it
may have been about that batch's content rather than the endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from reverse_etl.config import SyncConfig
from reverse_etl.engine.context import Context
from reverse_etl.ledger.schemas import ROADS, ROADS_SCHEMA

if TYPE_CHECKING:
    from custify.client import CustifyClient


RECHECK_S = 24 * 3600.0
_KEPT = ("403", "404", "405")


def _connection(cfg: SyncConfig) -> str:
    return cfg.connection or "default"


def restore(ctx: Context, cfg: SyncConfig, client: CustifyClient) -> None:
    """Close the client's batch road when an earlier run found it refused (once per run)."""
    key = ("roads", _connection(cfg))
    if key in ctx.cache or not cfg.action.batch_job:
        return
    ctx.cache[key] = True
    wh = ctx.wh
    if not wh.table_exists(ROADS):
        return
    q = wh.quote
    rows = wh.query_rows(
        f"SELECT {q('reason')}, {q('decided_at')} FROM {wh.table(ROADS)} "
        f"WHERE {q('connection')} = %s AND {q('road')} = 'batch' AND {q('status')} = 'refused'",
        [_connection(cfg)],
    )
    for reason, decided in rows:
        if decided.tzinfo is None:
            decided = decided.replace(tzinfo=dt.UTC)
        if (ctx.now() - decided).total_seconds() < RECHECK_S:
            client.batch_road.refuse(f"{reason}, found on an earlier run", remembered=True)


def persist(ctx: Context, cfg: SyncConfig, client: CustifyClient) -> None:
    """Record a refusal this client found; forget one when ``/batch`` took a submit again."""
    road = client.batch_road
    refused = road.refused is not None and not road.remembered
    if not cfg.action.batch_job or not (refused or road.accepted):
        return
    wh, conn = ctx.wh, _connection(cfg)
    if not wh.table_exists(ROADS):
        if not refused:
            return
        wh.create_table(ROADS, ROADS_SCHEMA)
    q = wh.quote
    wh.execute(
        f"DELETE FROM {wh.table(ROADS)} WHERE {q('connection')} = %s AND {q('road')} = 'batch'",
        [conn],
    )
    if refused and str(road.refused).startswith(_KEPT):
        row = {"connection": conn, "road": "batch", "status": "refused",
               "reason": road.refused, "decided_at": ctx.now()}  # fmt: skip
        wh.insert_df(ROADS, pl.DataFrame([row], schema=ROADS_SCHEMA))
