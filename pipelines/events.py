"""Trigger events: one row per created/updated/deleted record a run detected.

The event types come from the registry's triggers (models.registry.TRIGGERS: every
created/updated pair of an extracted object, files and surveys created only, §17), named in
the singular: ``person.created``, ``note.updated``, ``file.created``...
Reconciliation adds ``<object>.deleted`` (models.types.Trigger.DELETED).

Detection compares each extracted row with the warehouse as it was before this run's load:

- no row (or a row marked deleted) -> ``created``; a record created and then updated between
  two runs is therefore ONE ``created`` event;
- a row with an older ``updated_at`` -> ``updated``;
- the same ``updated_at`` -> nothing: rows re-read because of the cursor overlap, or a page
  shift, produce no duplicate events.

``detected_at`` is when the engine saw the change (the batch's conform time, not the run's
start); ``changes`` on updates holds ``{field: [old, new]}`` (``pipelines.event_changes``),
so a workflow can fire once per transition (``changes->'status'``).

The first scan of an object (no cursor in its dlt state yet) records NO per-record events: it
is the baseline, as a polling trigger's first poll is in the integration we mirror. Otherwise
the initial load of a million people would "create" a million events that never happened
since the last run. A later full refresh still detects only real changes.

``event_id`` makes loading idempotent (dlt ``insert-only`` merge): a hash of run, type and
record for created/updated, and of type and record for deletes (an id is deleted once), so a
rerun after a crash between load and mark cannot double a delete event.

``origin`` tells a workflow who made the change: ``custify`` (someone or something in
Custify) or ``custify-sync`` (the reverse ETL's own write coming back, its "echo"). The reverse
ETL's ledger (``_custify_ledger`` in the same dataset) records every write it confirmed, with
the record's Custify id and when the attempt started and ended; a created/updated event whose
record was confirmed there and whose ``updated_at`` falls in that attempt's window (give or
take ``ECHO_SKEW_S`` of clock difference) is an echo. A change made in Custify after the
window is the user's again, so a workflow that ignores ``origin = 'custify-sync'`` never
ping-pongs and never misses a real edit made after the push.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any, Protocol

import polars as pl
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from models.clock import ECHO_SKEW_S
from models.registry import TRIGGERS, CustifyObject
from models.types import Trigger

EVENTS_TABLE = "trigger_events"
DEFAULT_ORIGIN = "custify"
ENGINE_ORIGIN = "custify-sync"
#: the reverse ETL's ledger (``reverse_etl.ledger.LEDGER``); read here, never written
LEDGER_TABLE = "_custify_ledger"

EVENT_COLUMNS = [
    {"name": "event_id", "data_type": "text", "nullable": False, "primary_key": True},
    {"name": "object", "data_type": "text"},
    {"name": "record_id", "data_type": "text"},
    {"name": "event_type", "data_type": "text"},
    {"name": "run_id", "data_type": "text"},
    {"name": "detected_at", "data_type": "timestamp"},
    {"name": "updated_at", "data_type": "timestamp"},
    {"name": "origin", "data_type": "text"},
    #: updates: ``{field: [old, new]}`` of what changed (pipelines.event_changes); else NULL
    {"name": "changes", "data_type": "json"},
]
_SCHEMA: dict[str, Any] = {
    "event_id": pl.String, "object": pl.String, "record_id": pl.String, "event_type": pl.String,
    "run_id": pl.String, "detected_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"), "origin": pl.String, "changes": pl.String,
}  # fmt: skip


def singular(name: str) -> str:
    """``people`` -> ``person``, ``companies`` -> ``company``, ``notes`` -> ``note``."""
    if name == "people":
        return "person"
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def event_type(obj: str, trigger: Trigger) -> str:
    return f"{singular(obj)}.{trigger.value}"


#: the polling triggers we mirror, derived from the registry (no hand-written list)
TRIGGER_EVENTS: tuple[str, ...] = tuple(event_type(o, t) for o, t in TRIGGERS)


def event_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def detect(obj: CustifyObject, batch: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """``(record_id, event_type, updated_at)`` for the rows of ``batch`` that are news.

    ``batch`` holds ``id`` and ``updated_at`` (timestamps); ``existing`` holds the warehouse's
    ``id``, ``wh_updated_at`` and ``wh_deleted`` for those ids.
    """
    triggers = set(obj.triggers)
    stamp = "updated_at" if "updated_at" in batch.columns else None
    keys = batch.select(
        pl.col("id").alias("record_id"),
        (pl.col(stamp) if stamp else _created(batch)).alias("updated_at"),
    )
    joined = keys.join(existing, left_on="record_id", right_on="id", how="left")
    is_new = pl.col("wh_present").is_null() | pl.col("wh_deleted")
    newer = pl.col("updated_at") > pl.col("wh_updated_at")
    created = event_type(obj.name, Trigger.CREATED) if Trigger.CREATED in triggers else None
    updated = event_type(obj.name, Trigger.UPDATED) if Trigger.UPDATED in triggers else None
    kind = (
        pl.when(is_new).then(pl.lit(created))
        .when(newer.fill_null(False)).then(pl.lit(updated))
        .otherwise(None)
    )  # fmt: skip
    out = joined.with_columns(kind.alias("event_type"))
    return out.filter(pl.col("event_type").is_not_null()).select(
        "record_id", "event_type", "updated_at"
    )


def _created(batch: pl.DataFrame) -> pl.Expr:
    if "created_at" in batch.columns:
        return pl.col("created_at")
    return pl.lit(None, dtype=pl.Datetime("us", "UTC"))


def empty() -> pl.DataFrame:
    """No events, in the table's schema."""
    return pl.DataFrame(schema=_SCHEMA)


def frame(
    obj: str, found: pl.DataFrame, run_id: str, detected_at: dt.datetime, *, deleted: bool = False
) -> pl.DataFrame:
    """Rows for ``trigger_events`` from ``(record_id, event_type, updated_at)``."""
    if found.is_empty():
        return empty()
    ids = [
        event_id(t, r) if deleted else event_id(run_id, t, r)
        for t, r in zip(found["event_type"], found["record_id"], strict=True)
    ]
    origin = found["origin"] if "origin" in found.columns else [DEFAULT_ORIGIN] * found.height
    changes = found["changes"] if "changes" in found.columns else [None] * found.height
    return pl.DataFrame(
        {
            "event_id": ids,
            "object": [obj] * found.height,
            "record_id": found["record_id"],
            "event_type": found["event_type"],
            "run_id": [run_id] * found.height,
            "detected_at": [detected_at] * found.height,
            "updated_at": found["updated_at"].cast(pl.Datetime("us", "UTC")),
            "origin": origin,
            "changes": changes,
        },
        schema=_SCHEMA,
    )


class SqlRows(Protocol):
    """What detection needs of a destination's SQL client (dlt's ``SqlClientBase``)."""

    def make_qualified_table_name(self, table_name: str, quote: bool = True) -> str: ...

    def execute_sql(self, sql: str, *args: Any, **kwargs: Any) -> Any: ...


def _select(
    sql_client: SqlRows | None, table: str, query: str, ids: list[str], chunk: int
) -> list[tuple[Any, ...]]:
    """Rows of ``query`` (``{table}`` and ``{marks}`` filled in) over ``ids`` in chunks;
    none without a client (the table cannot hold rows yet) or when the table is missing."""
    if sql_client is None or not ids:
        return []
    qualified = sql_client.make_qualified_table_name(table)
    rows: list[tuple[Any, ...]] = []
    try:
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            marks = ", ".join(["%s"] * len(part))
            rows.extend(sql_client.execute_sql(query.format(table=qualified, marks=marks), *part)
                        or [])  # fmt: skip
    except DatabaseUndefinedRelation:  # the first load has not created the table yet
        return []
    return rows


def own_writes(sql_client: SqlRows | None, ids: Iterable[str], chunk: int = 1000) -> pl.DataFrame:
    """``record_id, attempted_at, finished_at`` of the writes the reverse ETL confirmed on
    these records (none when it never ran in this dataset)."""
    query = (
        "SELECT custify_id, attempted_at, finished_at FROM {table} "
        "WHERE status = 'confirmed' AND custify_id IN ({marks})"
    )
    rows = _select(sql_client, LEDGER_TABLE, query, list(ids), chunk)
    stamp = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {"record_id": [r[0] for r in rows], "attempted_at": [r[1] for r in rows],
         "finished_at": [r[2] for r in rows]},
        schema={"record_id": pl.String, "attempted_at": stamp, "finished_at": stamp},
        strict=False,
    )  # fmt: skip


def mark_echoes(found: pl.DataFrame, writes: pl.DataFrame) -> pl.DataFrame:
    """Add ``origin``: ``custify-sync`` where a confirmed write of the reverse ETL explains
    the change (same record, ``updated_at`` within the attempt's window), else ``custify``."""
    if found.is_empty() or writes.is_empty():
        return found.with_columns(pl.lit(DEFAULT_ORIGIN).alias("origin"))
    skew = pl.duration(seconds=ECHO_SKEW_S)
    stamp = pl.col("updated_at").cast(pl.Datetime("us", "UTC"))
    inside = (stamp >= pl.col("attempted_at") - skew) & (stamp <= pl.col("finished_at") + skew)
    echoes = (
        found.select("record_id", "updated_at")
        .join(writes, on="record_id", how="inner")
        .filter(inside.fill_null(False))
        .select("record_id", "updated_at")
        .unique()
        .with_columns(pl.lit(ENGINE_ORIGIN).alias("origin"))
    )
    return found.join(echoes, on=["record_id", "updated_at"], how="left").with_columns(
        pl.col("origin").fill_null(DEFAULT_ORIGIN)
    )


def existing_rows(
    sql_client: SqlRows | None, table: str, ids: Iterable[str], columns: set[str],
    deleted_column: str, chunk: int = 1000,
) -> pl.DataFrame:  # fmt: skip
    """``id, wh_updated_at, wh_deleted, wh_present`` of the warehouse rows among ``ids``
    (none without a client: the table cannot hold rows yet)."""
    stamp = "updated_at" if "updated_at" in columns else "NULL"
    deleted = f"{deleted_column} IS NOT NULL" if deleted_column and deleted_column in columns \
        else "FALSE"  # fmt: skip
    query = f"SELECT id, {stamp}, {deleted} FROM {{table}} WHERE id IN ({{marks}})"
    rows = _select(sql_client, table, query, list(ids), chunk)
    return pl.DataFrame(
        {
            "id": [r[0] for r in rows],
            "wh_updated_at": [r[1] for r in rows],
            "wh_deleted": [bool(r[2]) for r in rows],
            "wh_present": [True] * len(rows),
        },
        schema={
            "id": pl.String,
            "wh_updated_at": pl.Datetime("us", "UTC"),
            "wh_deleted": pl.Boolean,
            "wh_present": pl.Boolean,
        },  # fmt: skip
        strict=False,
    )
