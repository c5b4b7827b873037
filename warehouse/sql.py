"""``custify-sync sql``: a user's query in one connection's dataset, on any destination.

Plain table names are the dataset's (``SELECT * FROM trigger_events``), so the same line works
on DuckDB, Postgres and Snowflake without knowing the catalog or schema layout.
"""

from __future__ import annotations

import polars as pl

from warehouse.config import WarehouseConfigError
from warehouse.connection import Warehouse, WarehouseUnavailable


class QueryError(WarehouseConfigError):
    """The user's query failed; the message is the warehouse's own first line."""


def run_query(wh: Warehouse, sql: str) -> pl.DataFrame:
    """The query's rows; a missing dataset or a failing query is one line (exit 2)."""
    with wh.pipeline.sql_client() as client:
        exists = client.has_dataset()
    if not exists:
        raise QueryError(
            f"dataset {wh.cfg.dataset!r} does not exist yet in {wh.cfg.destination}; "
            "run `custify-sync extract` first"
        )
    try:
        with wh.client() as client, client.execute_query(sql) as cursor:
            if not cursor.description:  # a statement without rows (DDL, DML)
                return pl.DataFrame()
            names = [d[0] for d in cursor.description]
            arrow = cursor.arrow()
            if arrow is None:
                return pl.DataFrame({n: [] for n in names})
            return pl.DataFrame(pl.from_arrow(arrow))
    except WarehouseUnavailable:
        raise
    except Exception as exc:
        lines = str(exc).strip().splitlines()
        raise QueryError(f"the query failed: {lines[0] if lines else type(exc).__name__}") from None
