"""Delete detection: Custify's current ids against the warehouse's (custify-api.md §17 step 4).

Deletes are invisible to polling and permanent in Custify (people and companies are hard GDPR
deletes, §2/§3; there is no tombstone or deleted-since endpoint), so the only way to see them
is to list every id and anti-join. ``jobs.py`` produces the id listing and says whether it
can be trusted (a listing during which ``total`` dropped may have skipped rows, and marking
a skipped row as deleted would be a false delete). Here:

- ``delete_events`` (during extraction, before this run's load) turns the vanished ids into
  ``<object>.deleted`` events, loaded in the same package as the rows;
- ``apply_deletes`` (after the load) marks them: ``<deleted_column> = now`` by default, or a
  hard delete of the rows and their child rows. It is idempotent; the events' ids are
  deterministic, so a crash between the two steps is repaired by the next reconcile without
  doubling any event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import polars as pl

from models.registry import CustifyObject, get_object
from models.types import Trigger
from pipelines.events import event_type
from pipelines.frames import PARENT_ID, child_tables
from pipelines.options import ExtractOptions

CHUNK = 1000


def warehouse_ids(client: Any, table: str, deleted_column: str, columns: set[str]) -> pl.DataFrame:
    """``id, updated_at`` of the rows not already marked deleted."""
    where = f" WHERE {deleted_column} IS NULL" if deleted_column in columns else ""
    stamp = "updated_at" if "updated_at" in columns else "NULL"
    sql = f"SELECT id, {stamp} AS updated_at FROM {client.make_qualified_table_name(table)}{where}"
    with client.execute_query(sql) as cursor:
        arrow = cursor.arrow() if hasattr(cursor, "arrow") else None
        if arrow is not None:
            frame = pl.from_arrow(arrow)
            assert isinstance(frame, pl.DataFrame)
            return frame.select(
                pl.col("id").cast(pl.String),
                pl.col("updated_at").cast(pl.Datetime("us", "UTC"), strict=False),
            )
        rows = cursor.fetchall()
    return pl.DataFrame(
        {"id": [r[0] for r in rows], "updated_at": [r[1] for r in rows]},
        schema={"id": pl.String, "updated_at": pl.Datetime("us", "UTC")},
        strict=False,
    )


def delete_events(
    client: Any, obj: CustifyObject, custify_ids: Iterable[str], options: ExtractOptions
) -> pl.DataFrame:
    """``(record_id, event_type, updated_at)`` of warehouse rows whose id Custify no longer has."""
    columns = _columns(client, obj.name)
    if columns:
        held = warehouse_ids(client, obj.name, options.deleted_column, columns)
    else:  # not in the warehouse yet (extracted twice before one load): it holds nothing
        held = pl.DataFrame(schema={"id": pl.String, "updated_at": pl.Datetime("us", "UTC")})
    current = pl.DataFrame({"id": list(custify_ids)}, schema={"id": pl.String})
    gone = held.join(current, on="id", how="anti")
    return gone.select(
        pl.col("id").alias("record_id"),
        pl.lit(event_type(obj.name, Trigger.DELETED)).alias("event_type"),
        pl.col("updated_at"),
    ).sort("record_id")


def _columns(client: Any, table: str) -> set[str]:
    """Column names of ``table`` as the destination has them (lower-cased)."""
    sql = (
        "SELECT column_name FROM information_schema.columns "
        "WHERE lower(table_schema) = lower(%s) AND lower(table_name) = lower(%s)"
    )
    rows = client.execute_sql(sql, client.dataset_name, table) or []
    return {str(r[0]).lower() for r in rows}


def apply_deletes(
    client: Any, pending: dict[str, list[str]], options: ExtractOptions, when: datetime
) -> dict[str, int]:
    """Mark (or hard-delete) the reconciled ids; returns rows touched per object."""
    touched: dict[str, int] = {}
    for name, ids in pending.items():
        obj = get_object(name)
        table = client.make_qualified_table_name(name)
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(part))
            if options.delete_mode == "hard":
                client.execute_sql(f"DELETE FROM {table} WHERE id IN ({marks})", *part)
                for table_name in child_tables(obj):
                    _delete_children(client, table_name, marks, part)
            else:
                col = options.deleted_column
                client.execute_sql(
                    f"UPDATE {table} SET {col} = %s WHERE id IN ({marks}) AND {col} IS NULL",
                    when,
                    *part,
                )
        touched[name] = len(ids)
    return touched


def _delete_children(client: Any, table: str, marks: str, ids: list[str]) -> None:
    if not _columns(client, table):
        return
    qualified = client.make_qualified_table_name(table)
    client.execute_sql(f"DELETE FROM {qualified} WHERE {PARENT_ID} IN ({marks})", *ids)
