"""Snowflake, verified offline: nothing here connects (no Snowflake account is reachable from the tests).

What IS checked: dlt's Snowflake destination accepts our config; our source extracts and
normalizes into Snowflake load packages (parquet files with the expected columns); the DDL and
the merge SQL dlt would send for our hints (delete-insert on id with dedup_sort, children
deleted by ``_parent_id`` with the ``_tombstone`` hard delete, insert-only events), and every
statement of our own (event lookup, reconcile, run log) parse as Snowflake SQL with sqlglot.
What is NOT: connecting, staging (PUT/COPY INTO), how VARIANT columns come out of parquet
strings, and running any of the statements.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlglot

from pipelines import ExtractOptions, custify_source
from pipelines.events import existing_rows
from pipelines.options import ExtractOptions as Options
from pipelines.reconcile import apply_deletes, warehouse_ids
from pipelines.status import RUN_COLUMNS, write_run
from warehouse import WarehouseConfig, make_pipeline

pytest.importorskip("snowflake.connector", reason="pip install 'dlt[snowflake]' to check SQL")

CREDENTIALS = "snowflake://loader:secret@acme-eu1/ANALYTICS?warehouse=LOAD_WH&role=LOADER"


@pytest.fixture
def snowflake(tmp_path: Path):
    cfg = WarehouseConfig(destination="snowflake", credentials=CREDENTIALS,
                          pipelines_dir=tmp_path / "dlt")  # fmt: skip
    return cfg, make_pipeline(cfg)


def parse(sql: str) -> None:
    assert sqlglot.parse(sql, read="snowflake"), sql


def normalized(snowflake, client):
    """The pipeline, with people and tickets extracted and normalized, and its load info."""
    _, pipeline = snowflake
    source = custify_source(client=client, objects=["people", "tickets"],
                            options=ExtractOptions(intervals={}))  # fmt: skip
    pipeline.extract(source)
    return pipeline, pipeline.normalize()


def test_extract_and_normalize_into_snowflake_packages(snowflake, client):
    pipeline, info = normalized(snowflake, client)
    package = pipeline.get_load_package_info(info.loads_ids[0])
    jobs = {j.job_file_info.table_name: j for j in package.jobs["new_jobs"]}
    assert {"people", "tickets", "tickets__replies"} <= set(jobs)
    ours = [j for t, j in jobs.items() if not t.startswith("_dlt")]  # dlt's state is jsonl
    assert {j.job_file_info.file_format for j in ours} == {"parquet"}
    replies = pq.read_schema(jobs["tickets__replies"].file_path).names
    assert {"_parent_id", "_idx", "_tombstone"} <= set(replies)
    people = pq.read_schema(jobs["people"].file_path).names
    assert "custom_attributes__role" in people and "id" in people
    schema = pipeline.default_schema
    assert schema.tables["people"]["columns"]["tags"]["data_type"] == "json"
    assert schema.tables["tickets__replies"]["columns"]["_tombstone"]["hard_delete"]


def test_ddl_and_merge_sql_parse_as_snowflake(snowflake, client):
    from dlt.destinations.impl.snowflake.snowflake import SnowflakeMergeJob

    pipeline, _ = normalized(snowflake, client)
    job_client = pipeline.destination_client()  # created, never entered: it does not connect
    statements = []
    for table in ("people", "tickets", "tickets__replies", "trigger_events"):
        if table not in pipeline.default_schema.tables:
            continue
        cols = list(pipeline.default_schema.tables[table]["columns"].values())
        statements += job_client._get_table_update_sql(table, cols, generate_alter=False)
        chain = [job_client.prepare_load_table(table)]
        statements += SnowflakeMergeJob.generate_sql(chain, job_client.sql_client)
    for sql in statements:
        parse(sql)
    merged = "\n".join(statements).upper()
    assert '"_TOMBSTONE"' in merged and '"_PARENT_ID"' in merged
    assert re.search(r'"ID" VARCHAR\s+NOT NULL', merged)


class Capture:
    """A Snowflake SQL client for names (it does not connect), recording the SQL we send."""

    def __init__(self, inner) -> None:
        self.inner, self.sql = inner, []
        self.dataset_name = inner.dataset_name

    def make_qualified_table_name(self, name: str) -> str:
        return self.inner.make_qualified_table_name(name)

    def escape_column_name(self, name: str) -> str:
        return self.inner.escape_column_name(name)

    def execute_sql(self, sql: str, *args):
        self.sql.append(sql.replace("%s", "?"))
        return [("id", "TEXT")] if "information_schema" in sql else []

    def has_dataset(self) -> bool:
        return True


def test_our_own_statements_parse_as_snowflake(snowflake):
    _, pipeline = snowflake
    capture = Capture(pipeline.sql_client())
    existing_rows(capture, "people", ["a", "b"], {"updated_at", "_custify_deleted_at"},
                  "_custify_deleted_at")  # fmt: skip
    for mode in ("soft", "hard"):
        apply_deletes(capture, {"tickets": ["a"]}, Options(delete_mode=mode), datetime.now(UTC))
    write_run(capture, tuple(range(len(RUN_COLUMNS))))
    assert any(s.startswith("UPDATE") for s in capture.sql)
    assert any("DELETE" in s and "_parent_id" in s for s in capture.sql)
    for sql in capture.sql:
        parse(sql)
    parse(
        "SELECT id, updated_at AS updated_at FROM "
        + pipeline.sql_client().make_qualified_table_name("people")
        + " WHERE _custify_deleted_at IS NULL"
    )
    assert warehouse_ids  # the reconcile read is the statement parsed just above
