"""The few SQL strings the reverse ETL builds, with every name validated and quoted.

Names reach SQL only through ``Warehouse.table``/``Warehouse.quote`` (which refuse anything but
letters, digits and underscores) and values only as parameters, so a sync name, a mapping or a
row value cannot inject SQL. The user's own ``query`` is run as written: it is their SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl

from reverse_etl.config import SyncConfig
from warehouse import Warehouse


def qualified(wh: Warehouse, name: str) -> str:
    """``table`` in the dataset, or ``schema.table`` elsewhere, both parts quoted."""
    if "." in name:
        schema, table = name.split(".", 1)
        return f"{wh.quote(schema)}.{wh.quote(table)}"
    return wh.table(name)


def source_sql(wh: Warehouse, cfg: SyncConfig) -> str:
    if cfg.query:
        return cfg.query
    return f"SELECT * FROM {qualified(wh, cfg.table or cfg.diff_table or '')}"


def select_where_sync(wh: Warehouse, table: str, columns: list[str]) -> str:
    """``SELECT <columns> FROM <table> WHERE sync = %s`` with quoted names."""
    cols = ", ".join(wh.quote(c) for c in columns)
    return f"SELECT {cols} FROM {wh.table(table)} WHERE {wh.quote('sync')} = %s"


@contextmanager
def staged(wh: Warehouse, df: pl.DataFrame, prefix: str) -> Iterator[str]:
    """A scratch table holding ``df`` for one set-based statement, dropped afterwards.

    Row-by-row UPDATEs would cost one round trip per record; one staged join costs three
    statements per wave whatever its size, on DuckDB and Postgres alike.
    """
    name = f"_{prefix}_{uuid.uuid4().hex[:12]}"
    wh.replace_df(name, df)
    try:
        yield wh.table(name)
    finally:
        wh.execute(f"DROP TABLE IF EXISTS {wh.table(name)}")
