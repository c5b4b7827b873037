"""Search every cell of every table of a connection's schemas for some values."""

from __future__ import annotations

from typing import Any

from warehouse import SessionWarehouse, WarehouseConfig


def cells_holding(cfg: WarehouseConfig, needles: list[str]) -> dict[str, int]:
    """``schema.table.column -> rows`` whose cell, cast to text, contains any needle
    (case-insensitive), over the dataset and dlt's staging dataset."""
    found: dict[str, int] = {}
    cast = "TEXT" if cfg.destination == "postgres" else "VARCHAR"
    with SessionWarehouse(cfg) as wh, wh.client() as client:
        for schema in cfg.schemas:
            cols = client.execute_sql(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
                "AND t.table_name = c.table_name WHERE lower(c.table_schema) = lower(%s) "
                "AND t.table_type = 'BASE TABLE'",
                schema,
            )
            for table, column in cols or []:
                q = f'"{schema}"."{table}"' if schema != cfg.dataset else wh.table(table)
                col = client.escape_column_name(column)
                likes = " OR ".join([f"lower(CAST({col} AS {cast})) LIKE %s"] * len(needles))
                params = [f"%{n.lower()}%" for n in needles]
                n = _one(client.execute_sql(f"SELECT count(*) FROM {q} WHERE {likes}", *params))
                if n:
                    found[f"{schema}.{table}.{column}"] = n
    return found


def row_counts(cfg: WarehouseConfig) -> dict[str, int]:
    """Rows per table of the dataset (to prove nothing changed)."""
    with SessionWarehouse(cfg) as wh, wh.client() as client:
        names = client.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE lower(table_schema) = "
            "lower(%s) AND table_type = 'BASE TABLE'",
            cfg.dataset,
        )
        return {
            str(t): _one(client.execute_sql(f"SELECT count(*) FROM {wh.table(str(t))}"))
            for (t,) in names or []
        }


def _one(rows: Any) -> int:
    return int(rows[0][0]) if rows else 0
