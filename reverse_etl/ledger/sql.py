"""The ledger's SQL: every name validated and quoted, values only as parameters.

Names reach SQL only through ``Warehouse.table``/``Warehouse.quote`` (which refuse anything but
letters, digits and underscores) and values only as parameters, so a sync name, a mapping or a
row value cannot inject SQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl

from warehouse import Warehouse


def select_where_sync(wh: Warehouse, table: str, columns: list[str]) -> str:
    """``SELECT <columns> FROM <table> WHERE sync = %s`` with quoted names."""
    cols = ", ".join(wh.quote(c) for c in columns)
    return f"SELECT {cols} FROM {wh.table(table)} WHERE {wh.quote('sync')} = %s"


#: scratch tables of older versions (real tables, left behind by a killed push)
SCRATCH = re.compile(r"^_custify_(outcomes|state)_[0-9a-f]{12}$")


@contextmanager
def staged(wh: Warehouse, client: Any, df: pl.DataFrame, prefix: str) -> Iterator[str]:
    """A temporary table of ``client``'s session holding ``df``, for one set-based statement.

    Row-by-row UPDATEs would cost one round trip per record; one staged join costs three
    statements per wave whatever its size, on DuckDB and Postgres alike. The table is
    temporary: dropped here, and by the database with the session when the process dies,
    so a SIGKILL leaves no scratch state behind.
    """
    name = wh.temp_table(client, f"_{prefix}_{uuid.uuid4().hex[:12]}", df)
    try:
        yield name
    finally:
        client.execute_sql(f"DROP TABLE IF EXISTS {name}")


def sweep_scratch(wh: Warehouse) -> list[str]:
    """Drop scratch tables an older version left in the dataset (it staged in real tables,
    which a killed push never dropped); returns their names."""
    rows = wh.query_rows(
        "SELECT table_name FROM information_schema.tables WHERE lower(table_schema) = lower(%s)",
        (wh.cfg.dataset,),
    )
    stale = sorted(str(r[0]) for r in rows if SCRATCH.match(str(r[0]).lower()))
    for name in stale:
        wh.execute(f"DROP TABLE IF EXISTS {wh.table(name)}")
    return stale
