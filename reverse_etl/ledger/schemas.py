"""The column contract of every table the reverse ETL writes, and the names of those tables.

Each schema is named once here; the builders (``ledger.rows``), the readers (``ledger.tables``)
and the stages that fill a frame of that shape (the diff, the plan) all take it from here.
"""

from __future__ import annotations

import polars as pl
from polars._typing import PolarsDataType


def _schema(columns: dict[str, PolarsDataType]) -> pl.Schema:
    return pl.Schema(columns)


LEDGER = "_custify_ledger"
STATE = "_custify_sync_state"
RUNS = "_custify_runs"
UTC_TS = pl.Datetime("us", "UTC")
#: a row's content hash, from the source to the snapshot (a repeated row is sent once)
ROW_HASH = "row_hash"
#: a plan row's flag for a key Custify no longer holds (resolution found no record)
GONE = "__gone"

#: ``_custify_ledger``: one row per record attempt
LEDGER_SCHEMA = _schema({
    "attempt_id": pl.String, "run_id": pl.String, "sync": pl.String, "key": pl.String,
    "op": pl.String, "payload_hash": pl.String, "status": pl.String, "attempt": pl.Int64,
    "http_status": pl.Int64, "error": pl.String, "custify_id": pl.String,
    "attempted_at": UTC_TS, "finished_at": UTC_TS, "seq": pl.Int64,
})  # fmt: skip
#: the columns an outcome sets on its attempt's ledger row
OUTCOME_COLUMNS = ("status", "http_status", "error", "custify_id", "finished_at")
#: an attempt's outcome, as the sender reports it (``record``: what a get read)
OUTCOME_SCHEMA = _schema({
    "attempt_id": pl.String, "status": pl.String, "http_status": pl.Int64, "error": pl.String,
    "custify_id": pl.String, "record": pl.String,
})  # fmt: skip
#: ``_custify_sync_state``: the confirmed snapshot, one row per sync and key
STATE_SCHEMA = _schema({
    "sync": pl.String, "object": pl.String, "match": pl.String, "key": pl.String,
    "op": pl.String, "payload_hash": pl.String, "payload": pl.String, "custify_id": pl.String,
    "created": pl.Boolean, "confirmed_at": UTC_TS, "run_id": pl.String, "ref_id": pl.String,
    "row_hash": pl.String,
})  # fmt: skip
#: ``_custify_runs``: one row per sync run
RUNS_SCHEMA = _schema({
    "run_id": pl.String, "sync": pl.String, "started_at": UTC_TS, "finished_at": UTC_TS,
    "dry_run": pl.Boolean, "status": pl.String, "plan": pl.String, "sent": pl.Int64,
    "confirmed": pl.Int64, "rejected": pl.Int64, "failed": pl.Int64, "requests": pl.Int64,
})  # fmt: skip
#: one diff row: a change the run sends (``<sync>__diff`` keeps key, op, payload, hash)
DIFF_SCHEMA = _schema({
    "key": pl.String, "op": pl.String, "payload": pl.String, "payload_hash": pl.String,
    "custify_id": pl.String, "created": pl.Boolean, "tag_id": pl.String, "row_hash": pl.String,
})  # fmt: skip
#: what the diff's hold-back adds to each diff row for the sender
RETRY_COLUMNS = ("attempt", "recheck", "since", "prev_hash")
#: ``<sync>__plan``: one row per record and field a run would change (dry runs)
PLAN_SCHEMA = _schema({
    "key": pl.String, "op": pl.String, "field": pl.String, "holds": pl.String,
    "sends": pl.String, "why": pl.String,
})  # fmt: skip
#: ``<sync>__rejected`` (plus ``run_id``, ``rejected_at``): a row that did not go through
REJECTED_SCHEMA = _schema({
    "row": pl.Int64, "key": pl.String, "reason": pl.String, "values": pl.String,
    "op": pl.String, "row_hash": pl.String,
})  # fmt: skip
#: ``<sync>__records``: what a get sync read, one row per record and run
RECORDS_SCHEMA = _schema({
    "key": pl.String, "custify_id": pl.String, "record": pl.String, "run_id": pl.String,
    "fetched_at": UTC_TS,
})  # fmt: skip

#: ``_custify_roads``: a connection's road refused across runs (``send.roads``)
ROADS = "_custify_roads"
ROADS_SCHEMA = _schema({
    "connection": pl.String, "road": pl.String, "status": pl.String, "reason": pl.String,
    "decided_at": UTC_TS,
})  # fmt: skip
#: ``_custify_attributes``: what attribute discovery answered, per object (a row with no
#: name: asked, nothing known; ``validate.attributes``)
DISCOVERED_ATTRIBUTES = "_custify_attributes"
ATTRIBUTES_SCHEMA = _schema({
    "object": pl.String, "name": pl.String, "type": pl.String, "discovered_at": UTC_TS,
})  # fmt: skip

#: suffixes of the per-sync tables; the longest bounds a sync name's length
SYNC_TABLE_SUFFIXES = ("__diff", "__rejected", "__plan", "__records")


def diff_table(sync: str) -> str:
    return f"{sync}__diff"


def rejected_table(sync: str) -> str:
    return f"{sync}__rejected"


def plan_table(sync: str) -> str:
    return f"{sync}__plan"


def records_table(sync: str) -> str:
    return f"{sync}__records"
