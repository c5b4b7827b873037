"""``trigger_events.changes``: what an update changed, as ``{field: [old, new]}``.

An ``updated`` event says that a record changed; a workflow that reacts to a transition
("ticket solved", "task done") needs to know *what* changed and from what, or it fires again
on every later edit of a solved ticket. So for every ``updated`` event the incoming row is
compared with the warehouse's row as it was before this run's load (the same prior state
event detection reads), column by column of the parent table: plain fields under their
column name (``status``, ``ticket_status``), custom attributes under theirs
(``custom_attributes__plan``), JSON lists and objects by value. Bookkeeping columns
(``updated_at``, dlt's ``_dlt_*``, the soft-delete mark) are not changes.

The prior rows are read once per batch for the updated records only, in chunks of one
``IN`` list (set-based, like ``events.existing_rows``). Created and deleted events carry
``NULL``. A column the warehouse does not have yet reads as ``null`` before (a field set for
the first time is a change from ``null``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import polars as pl

log = logging.getLogger("pipelines")
#: columns that change with every update or belong to the engine, never "what changed"
NOT_CHANGES = frozenset({"updated_at", "id"})


def compared_columns(frame: pl.DataFrame, stored: Iterable[str], deleted_column: str) -> list[str]:
    """The frame's columns worth comparing, among those the warehouse table already has."""
    have = set(stored)
    skip = NOT_CHANGES | {deleted_column}
    return [c for c in frame.columns
            if c in have and c not in skip and not c.startswith("_dlt")]  # fmt: skip


def prior_values(
    sql_client: Any, table: str, ids: list[str], columns: list[str], chunk: int = 500
) -> dict[str, dict[str, Any]]:
    """``id -> {column: value}`` of the warehouse rows among ``ids`` (before the load)."""
    if not ids or not columns:
        return {}
    qualified = sql_client.make_qualified_table_name(table)
    names = ", ".join(sql_client.escape_column_name(c) for c in columns)
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        marks = ", ".join(["%s"] * len(part))
        sql = f"SELECT id, {names} FROM {qualified} WHERE id IN ({marks})"
        for row in sql_client.execute_sql(sql, *part) or []:
            out[str(row[0])] = dict(zip(columns, row[1:], strict=True))
    return out


def changes_of(
    frame: pl.DataFrame, updated: list[str], prior: dict[str, dict[str, Any]],
    json_cols: set[str], columns: list[str], new_columns: tuple[str, ...] | list[str] = (),
) -> dict[str, str]:  # fmt: skip
    """``record id -> JSON {field: [old, new]}`` for the ``updated`` ids of ``frame``."""
    if not updated:
        return {}
    wanted = set(updated)
    rows = frame.filter(pl.col("id").is_in(list(wanted))).to_dicts()
    out: dict[str, str] = {}
    for row in rows:
        before = prior.get(str(row["id"]), {})
        diff: dict[str, list[Any]] = {}
        for col in [*columns, *new_columns]:
            is_json = col in json_cols
            old, new = _plain(before.get(col), is_json), _plain(row.get(col), is_json)
            if old != new:
                diff[col] = [old, new]
        out[str(row["id"])] = json.dumps(diff, sort_keys=True, default=str)
    return out


def _plain(value: Any, is_json: bool) -> Any:
    """One comparable, JSON-ready form per value, whichever driver or frame it came from."""
    if value is None:
        return None
    if is_json and isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
