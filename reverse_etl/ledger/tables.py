"""The per-record ledger and the confirmed snapshot, both warehouse tables.

``_custify_ledger`` has one row per record attempt. It is written ahead: ``pending`` before the
request leaves, then the outcome (``confirmed``, ``rejected``, ``failed``, or ``sent`` when
Custify accepted it but never said how it ended). A crash between the two leaves ``pending``
rows, and the rerun simply sends those rows again: every write this engine drives is idempotent
(upserts match on an identifier, events carry a deterministic ``deduplication_id``, tag patches
and deletes converge), so a resend neither loses nor duplicates anything.

``_custify_sync_state`` is "what this tool last confirmed Custify holds", per sync and key. It
advances only for confirmed rows; the diff compares against it when no fresh extract says
otherwise. ``_custify_runs`` has one row per sync run (the dry-run plan lives there too).

Updates are set-based (a staged table joined once per wave), never one statement per record.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from contextlib import ExitStack

import polars as pl
from polars._typing import PolarsDataType

from reverse_etl.ledger.schemas import (
    LEDGER,
    LEDGER_SCHEMA,
    OUTCOME_COLUMNS,
    RUNS,
    RUNS_SCHEMA,
    STATE,
    STATE_SCHEMA,
    UTC_TS,
)
from reverse_etl.ledger.sql import select_where_sync, staged, sweep_scratch
from warehouse import Warehouse
from warehouse.connection import sql_type


def ts(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def ensure_tables(wh: Warehouse) -> None:
    """Create the tables, add columns a newer version introduced (``ref_id``) to old ones,
    and drop scratch tables an older version's killed push left behind."""
    sweep_scratch(wh)
    for name, schema in ((LEDGER, LEDGER_SCHEMA), (STATE, STATE_SCHEMA), (RUNS, RUNS_SCHEMA)):
        have = wh.columns(name)
        if not have:
            wh.create_table(name, schema)
            continue
        for column, dtype in schema.items():
            if column not in have:
                wh.execute(
                    f"ALTER TABLE {wh.table(name)} ADD COLUMN {wh.quote(column)} "
                    f"{sql_type(dtype, wh.dialect)}"
                )


def empty(schema: Mapping[str, PolarsDataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def latest_attempts(wh: Warehouse, sync: str) -> pl.DataFrame:
    """The newest ledger row per key of ``sync``: what the next run must retry or hold back."""
    cols = ["key", "status", "payload_hash", "attempt", "attempted_at", "seq"]
    q = wh.quote
    inner = select_where_sync(wh, LEDGER, cols)
    sql = (
        f"SELECT {', '.join(q(c) for c in cols[:-1])} FROM ("
        f"SELECT t.*, ROW_NUMBER() OVER (PARTITION BY {q('key')} "
        f"ORDER BY {q('seq')} DESC, {q('attempted_at')} DESC) AS rn FROM ({inner}) t"
        ") latest WHERE rn = 1"
    )
    df = wh.query_df(sql, [sync])
    return _conform(df, {c: LEDGER_SCHEMA[c] for c in cols[:-1]})


def recent_unresolved(wh: Warehouse, sync: str, since: dt.datetime) -> pl.DataFrame:
    """``(payload_hash, error)`` of rows rejected since ``since`` because an identifier found
    nothing (or several records): until then the same row is rejected again without asking
    Custify; afterwards it is looked up again, as the record may exist by now."""
    q = wh.quote
    sql = (
        f"SELECT {q('payload_hash')}, {q('error')} FROM {wh.table(LEDGER)} WHERE {q('sync')} = %s "
        f"AND {q('op')} = 'unresolved' AND {q('status')} = 'rejected' AND {q('attempted_at')} >= %s"
    )
    df = wh.query_df(sql, [sync, since])
    schema = {"payload_hash": pl.String, "error": pl.String}
    return _conform(df, schema).unique("payload_hash", keep="last")


def load_state(wh: Warehouse, sync: str) -> pl.DataFrame:
    cols = ["key", "op", "payload_hash", "payload", "custify_id", "created", "confirmed_at",
            "ref_id", "row_hash"]  # fmt: skip
    df = wh.query_df(select_where_sync(wh, STATE, cols), [sync])
    return _conform(df, {c: STATE_SCHEMA[c] for c in cols})


def known_ids(wh: Warehouse, obj: str, match: str) -> pl.DataFrame:
    """``key -> custify_id`` that any sync confirmed for ``obj`` matched on ``match``."""
    q = wh.quote
    sql = (
        f"SELECT {q('key')}, {q('custify_id')} FROM {wh.table(STATE)} "
        f"WHERE {q('object')} = %s AND {q('match')} = %s AND {q('custify_id')} IS NOT NULL"
    )
    df = wh.query_df(sql, [obj, match])
    return _conform(df, {"key": pl.String, "custify_id": pl.String}).unique("key", keep="last")


def _conform(df: pl.DataFrame, schema: Mapping[str, PolarsDataType]) -> pl.DataFrame:
    """Same columns and types on every warehouse (drivers differ on empty results and tz)."""
    if df.height == 0:
        return empty(schema)
    out = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if dtype == UTC_TS:
            d = df.schema[name]
            if isinstance(d, pl.Datetime) and d.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            out.append(col.cast(UTC_TS).alias(name))
        else:
            out.append(col.cast(dtype).alias(name))
    return df.select(out)


def write_pending(wh: Warehouse, rows: pl.DataFrame) -> None:
    """Write-ahead: one ``pending`` row per record, before any request leaves."""
    frame = rows.with_columns(
        pl.lit("pending").alias("status"),
        pl.lit(None, dtype=pl.Int64).alias("http_status"),
        pl.lit(None, dtype=pl.String).alias("error"),
        pl.lit(None, dtype=pl.String).alias("custify_id"),
        pl.lit(None, dtype=UTC_TS).alias("finished_at"),
        pl.lit(time.time_ns() // 1000, dtype=pl.Int64).alias("seq"),
    )
    wh.insert_df(LEDGER, frame.select(list(LEDGER_SCHEMA)).cast(LEDGER_SCHEMA))


def append_final(wh: Warehouse, rows: pl.DataFrame) -> None:
    """Rows that end without a request (validation rejects): written in their final status."""
    frame = rows.with_columns(pl.lit(time.time_ns() // 1000, dtype=pl.Int64).alias("seq"))
    wh.insert_df(LEDGER, frame.select(list(LEDGER_SCHEMA)).cast(LEDGER_SCHEMA))


def commit_wave(wh: Warehouse, outcomes: pl.DataFrame, sync: str, confirmed: pl.DataFrame) -> None:
    """Set each attempt's outcome and advance the snapshot of the confirmed keys, in ONE
    transaction: a crash leaves both or neither. (As two transactions, a kill between them left
    rows confirmed in the ledger but absent from the snapshot, and the rerun sent them again.)

    Confirmed deletes stay as ``op = "delete"`` rows in the snapshot: they stop the next run
    from deleting again (a wasted request), and a crash can never lose the ``created`` mark
    mirror relies on.
    """
    if outcomes.height == 0 and confirmed.height == 0:
        return
    out_schema = pl.Schema(
        {"attempt_id": pl.String(), **{c: LEDGER_SCHEMA[c] for c in OUTCOME_COLUMNS}}
    )
    q = wh.quote
    with ExitStack() as stack:
        # one session for the scratch tables and the transaction that consumes them (they
        # are temporary: a kill takes them along); created before the transaction, because
        # some warehouses commit on any DDL (Snowflake)
        client = stack.enter_context(wh.client())
        out_stage = state_stage = None
        if outcomes.height:
            frame = outcomes.select(list(out_schema)).cast(out_schema)
            out_stage = stack.enter_context(staged(wh, client, frame, "custify_outcomes"))
        if confirmed.height:
            frame = confirmed.select(list(STATE_SCHEMA)).cast(STATE_SCHEMA)
            state_stage = stack.enter_context(staged(wh, client, frame, "custify_state"))
        stack.enter_context(client.begin_transaction())
        if out_stage is not None:
            sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in OUTCOME_COLUMNS)
            client.execute_sql(
                f"UPDATE {wh.table(LEDGER)} AS l SET {sets} FROM {out_stage} AS s "
                f"WHERE l.{q('attempt_id')} = s.{q('attempt_id')}"
            )
        if state_stage is not None:
            cols = ", ".join(q(c) for c in STATE_SCHEMA)
            client.execute_sql(
                f"DELETE FROM {wh.table(STATE)} WHERE {q('sync')} = %s AND {q('key')} IN "
                f"(SELECT {q('key')} FROM {state_stage})",
                sync,
            )
            client.execute_sql(
                f"INSERT INTO {wh.table(STATE)} ({cols}) SELECT {cols} FROM {state_stage}"
            )


def advance_state(wh: Warehouse, sync: str, confirmed: pl.DataFrame) -> None:
    """The snapshot alone, for rows found already in Custify (no attempt to close)."""
    commit_wave(wh, pl.DataFrame(), sync, confirmed)


def record_run(wh: Warehouse, run: dict) -> None:
    frame = pl.DataFrame([run], schema=RUNS_SCHEMA)
    wh.insert_df(RUNS, frame)
