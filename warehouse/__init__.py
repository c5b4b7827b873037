"""Warehouse access shared by the ELT and the reverse ETL (DuckDB, Postgres, Snowflake via dlt)."""

from warehouse.config import (
    DESTINATIONS,
    WarehouseConfig,
    WarehouseConfigError,
    check_identifier,
    warehouse_config,
)
from warehouse.connection import (
    Warehouse,
    WarehouseUnavailable,
    make_destination,
    make_pipeline,
    postgres_dsn,
)
from warehouse.session import SessionWarehouse

__all__ = [
    "DESTINATIONS",
    "SessionWarehouse",
    "Warehouse",
    "WarehouseConfig",
    "WarehouseConfigError",
    "WarehouseUnavailable",
    "check_identifier",
    "make_destination",
    "make_pipeline",
    "postgres_dsn",
    "warehouse_config",
]
