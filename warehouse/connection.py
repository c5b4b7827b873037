"""dlt pipeline and SQL access for the configured warehouse.

Both directions go through dlt's destinations, so DuckDB, Postgres and Snowflake are configured
once, the way dlt documents it. ``Warehouse`` is the small SQL surface the engines need beyond
dlt's loads: reading desired rows and extracted tables, and writing the ledger, diffs and
trigger events with parameters (never string-formatted values).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dlt
import polars as pl

from warehouse import duckdb_catalog
from warehouse.config import (
    STAGING_LAYOUT,
    WarehouseConfig,
    WarehouseConfigError,
    check_identifier,
)

INSERT_CHUNK_ROWS = 500


def make_destination(cfg: WarehouseConfig) -> Any:
    """The dlt destination object for ``cfg``; credentials None = dlt's providers resolve them."""
    layout: dict[str, Any] = {"staging_dataset_name_layout": STAGING_LAYOUT}
    if cfg.destination == "duckdb":
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        duckdb_catalog.install()

        # no insertion order to keep: the load writes staging tables and merges them, which
        # lets DuckDB stream within the memory limit instead of buffering whole files; one
        # thread: every DuckDB thread holds buffers of its own beyond the limit, and the load's
        # many small merges gain nothing from parallel plans (bench/README.md, benchmark 5)
        settings: dict[str, Any] = {"preserve_insertion_order": False, "threads": 1}
        if cfg.duckdb_memory_limit:
            settings["memory_limit"] = cfg.duckdb_memory_limit
        creds = DuckDbCredentials(str(cfg.duckdb_path), global_config=settings)
        return dlt.destinations.duckdb(creds, **layout)
    factory = getattr(dlt.destinations, cfg.destination)
    return factory(credentials=cfg.credentials, **layout)


def postgres_dsn(cfg: WarehouseConfig | None = None) -> str | None:
    """The DSN of dlt's postgres destination, or None when none is configured.

    ``cfg``'s own credentials when it is the Postgres warehouse, else what dlt's providers hold
    (``DESTINATION__POSTGRES__CREDENTIALS``, ``[destination.postgres] credentials``), whatever
    the warehouse: the rate budget's ``postgres`` backend keeps its log there.
    """
    from dlt.common.configuration.exceptions import ConfigurationException

    try:
        return postgres_credentials(cfg)
    except ConfigurationException:  # missing or malformed: the caller names the variable
        return None


def postgres_credentials(cfg: WarehouseConfig | None = None) -> str:
    """Like ``postgres_dsn``, but raising dlt's exception that names what is missing."""
    from dlt.common.configuration import resolve_configuration
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    explicit = cfg.credentials if cfg is not None and cfg.destination == "postgres" else None
    creds = resolve_configuration(
        PostgresCredentials(), sections=("destination", "postgres"), explicit_value=explicit
    )
    return str(creds.to_native_representation())


def make_pipeline(cfg: WarehouseConfig, *, pipeline_name: str | None = None) -> dlt.Pipeline:
    """A dlt pipeline writing to ``cfg``'s dataset; its state lives in ``cfg.pipelines_dir``."""
    kwargs: dict[str, Any] = {}
    if cfg.pipelines_dir is not None:
        kwargs["pipelines_dir"] = str(cfg.pipelines_dir)
    return dlt.pipeline(
        pipeline_name=pipeline_name or cfg.pipeline_name,
        destination=make_destination(cfg),
        dataset_name=cfg.dataset,
        **kwargs,
    )


def sql_type(dtype: pl.DataType, destination: str) -> str:
    """The column type ``create_table`` uses for a polars dtype on ``destination``."""
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype.is_integer():
        return "BIGINT"
    if dtype.is_float():
        return "DOUBLE PRECISION"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP WITH TIME ZONE"
    return "VARCHAR" if destination == "snowflake" else "TEXT"


def _cell(value: Any) -> Any:
    """Lists and dicts travel as JSON text; everything else as the driver's own type."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


class Warehouse:
    """SQL access to the dataset of one warehouse (one per process and config)."""

    def __init__(self, cfg: WarehouseConfig, pipeline: dlt.Pipeline | None = None) -> None:
        self.cfg = cfg
        self.pipeline = pipeline or make_pipeline(cfg, pipeline_name=f"{cfg.pipeline_name}_sql")
        self.dialect = cfg.destination

    def __repr__(self) -> str:
        return f"Warehouse({self.cfg!r})"

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A dlt SQL client; the dataset (schema) is created on first use."""
        try:
            with self.pipeline.sql_client() as client:
                if not client.has_dataset():
                    client.create_dataset()
                yield client
        except WarehouseConfigError:
            raise
        except Exception as exc:  # connection refused, bad credentials, missing driver...
            if _is_connection_error(exc):
                raise WarehouseUnavailable(self.cfg, exc) from None
            raise

    def table(self, name: str) -> str:
        """The validated, quoted and dataset-qualified name of table ``name``."""
        check_identifier(name, "table name")
        with self.pipeline.sql_client() as client:
            return client.make_qualified_table_name(name)

    def quote(self, column: str) -> str:
        check_identifier(column, "column name")
        with self.pipeline.sql_client() as client:
            return client.escape_column_name(column)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.client() as client:
            client.execute_sql(sql, *params)

    def query_df(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        with self.client() as client, client.execute_query(sql, *params) as cursor:
            arrow = cursor.arrow()
            if arrow is None:
                names = [d[0] for d in (cursor.description or [])]
                return pl.DataFrame({n: [] for n in names})
            return pl.from_arrow(arrow)  # type: ignore[return-value]

    def query_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.client() as client, client.execute_query(sql, *params) as cursor:
            return list(cursor.fetchall())

    def table_exists(self, name: str) -> bool:
        return bool(self.columns(name))

    def columns(self, name: str) -> dict[str, str]:
        """Column name -> SQL type of table ``name`` in the dataset ({} when it is missing)."""
        check_identifier(name, "table name")
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE lower(table_schema) = lower(%s) AND lower(table_name) = lower(%s) "
            "ORDER BY ordinal_position"
        )
        with self.client() as client:
            schema = client.dataset_name
            with client.execute_query(sql, schema, name) as cursor:
                return {str(c).lower(): str(t) for c, t in cursor.fetchall()}

    def create_table(self, name: str, schema: dict[str, pl.DataType]) -> None:
        cols = ", ".join(f"{self.quote(c)} {sql_type(t, self.dialect)}" for c, t in schema.items())
        self.execute(f"CREATE TABLE IF NOT EXISTS {self.table(name)} ({cols})")

    def insert_df(self, name: str, df: pl.DataFrame) -> int:
        """Append ``df`` to table ``name``, creating it from the frame's schema if missing."""
        if not self.table_exists(name):
            self.create_table(name, dict(df.schema))
        if df.height == 0:
            return 0
        with self.client() as client:
            return self._insert(client, self.table(name), df)

    def _insert(self, client: Any, target: str, df: pl.DataFrame) -> int:
        cols = ", ".join(self.quote(c) for c in df.columns)
        if self.dialect == "duckdb":
            conn = client.native_connection
            conn.register("__custify_insert", df.to_arrow())
            try:
                conn.execute(f"INSERT INTO {target} ({cols}) SELECT * FROM __custify_insert")
            finally:
                conn.unregister("__custify_insert")
            return df.height
        for chunk in df.iter_slices(INSERT_CHUNK_ROWS):
            row_sql = "(" + ", ".join(["%s"] * chunk.width) + ")"
            values = ", ".join([row_sql] * chunk.height)
            params = [_cell(v) for row in chunk.iter_rows() for v in row]
            client.execute_sql(f"INSERT INTO {target} ({cols}) VALUES {values}", *params)
        return df.height

    def temp_table(self, client: Any, name: str, df: pl.DataFrame) -> str:
        """A temporary table of ``client``'s session holding ``df``; returns its qualified
        name. The database drops it when the session ends, a killed process included, so it
        never outlives the statements that use it (run them on the same ``client``)."""
        check_identifier(name, "table name")
        cols = ", ".join(
            f"{self.quote(c)} {sql_type(t, self.dialect)}" for c, t in df.schema.items()
        )
        quoted = client.escape_column_name(name)
        # Snowflake keeps temporary tables in a schema, the others in the session's own
        temps = {"duckdb": f"temp.main.{quoted}", "postgres": f"pg_temp.{quoted}"}
        target = temps.get(self.dialect) or self.table(name)
        client.execute_sql(f"CREATE TEMPORARY TABLE {target} ({cols})")
        if df.height:
            self._insert(client, target, df)
        return target

    def replace_df(self, name: str, df: pl.DataFrame) -> int:
        """Make table ``name`` hold exactly ``df`` (dropped and recreated in one transaction)."""
        self.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
        self.create_table(name, dict(df.schema))
        return self.insert_df(name, df)


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached; the message gives the driver's own reason (missing
    password, unknown database, refused...) and names the setting to fix."""

    def __init__(self, cfg: WarehouseConfig, exc: BaseException) -> None:
        where = f"DuckDB file {cfg.duckdb_path}" if cfg.destination == "duckdb" else cfg.destination
        setting = f"DESTINATION__{cfg.destination.upper()}__CREDENTIALS"
        missing = _missing_fields(exc)
        if missing:
            super().__init__(
                f"the {cfg.destination} credentials lack {missing}: set {setting}="
                f"{_DSN_SHAPE.get(cfg.destination, '...')} (or [destination.{cfg.destination}] "
                "credentials in .dlt/secrets.toml)"
            )
            return
        hint = (
            "check the path and that no other process holds the file"
            if cfg.destination == "duckdb"
            else f"check {setting} (host, port, user, password, database)"
        )
        super().__init__(f"cannot reach the warehouse ({where}): {driver_reason(exc)}; {hint}")


_DSN_SHAPE = {
    "postgres": "postgresql://user:password@host:5432/database",
    "snowflake": "snowflake://user:password@account/database?warehouse=...&role=...",
}
_SECRET_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def driver_reason(exc: BaseException) -> str:
    """The innermost driver error's message on one line, any password in a URL masked."""
    inner = exc
    for e in _chain(exc):
        inner = e
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    text = "; ".join(lines)[:400] or type(inner).__name__
    return _SECRET_IN_URL.sub(r"\1***@", text)


def _missing_fields(exc: BaseException) -> str | None:
    """dlt's ``ConfigFieldMissingException``: which credential fields nobody provided."""
    for e in _chain(exc):
        if type(e).__name__ == "ConfigFieldMissingException":
            found = re.findall(r"missing field\(s\): ([^\n]+)", str(e))
            return found[-1].replace("`", "").strip() if found else "fields"
    return None


def _is_connection_error(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    return bool(
        names
        & {
            "OperationalError",
            "DestinationConnectionError",
            "ConfigFieldMissingException",
            "IOException",
            "ConnectionException",
        }
    )


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
