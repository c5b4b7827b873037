from __future__ import annotations

import polars as pl
import pytest

from warehouse import Warehouse, WarehouseConfig, WarehouseConfigError, WarehouseUnavailable


def test_insert_and_query_round_trip(warehouse_cfg):
    wh = Warehouse(warehouse_cfg)
    df = pl.DataFrame({"key": ["a", "b"], "n": [1, 2], "ok": [True, None]})
    wh.insert_df("things", df)
    wh.insert_df("things", df.head(1))
    got = wh.query_df(f"SELECT key, n, ok FROM {wh.table('things')} WHERE n = %s", (1,))
    assert got.to_dicts() == [{"key": "a", "n": 1, "ok": True}] * 2
    assert set(wh.columns("things")) == {"key", "n", "ok"}


def test_replace_makes_table_hold_exactly_the_frame(warehouse_cfg):
    wh = Warehouse(warehouse_cfg)
    wh.insert_df("t", pl.DataFrame({"x": [1, 2, 3]}))
    wh.replace_df("t", pl.DataFrame({"x": [9]}))
    assert wh.query_rows(f"SELECT x FROM {wh.table('t')}") == [(9,)]


@pytest.mark.parametrize("name", ['people"; DROP TABLE x; --', "a b", "", "1abc", "x" * 64])
def test_hostile_table_names_are_refused(duckdb_cfg, name):
    with pytest.raises(WarehouseConfigError):
        Warehouse(duckdb_cfg).table(name)


def test_unknown_destination_names_the_setting():
    with pytest.raises(WarehouseConfigError, match="destination"):
        WarehouseConfig(destination="oracle")


def test_unreachable_postgres_is_one_clear_error_without_password(tmp_path):
    cfg = WarehouseConfig(
        destination="postgres",
        credentials="postgresql://postgres:s3cr3t-pw@127.0.0.1:1/test",
        pipelines_dir=tmp_path / "dlt",
    )
    with pytest.raises(WarehouseUnavailable) as info:
        Warehouse(cfg).table_exists("people")
    assert "s3cr3t-pw" not in str(info.value)
    assert "DESTINATION__POSTGRES__CREDENTIALS" in str(info.value)
    assert "s3cr3t-pw" not in repr(cfg)


def test_dlt_loads_into_the_default_file_and_dataset_of_the_same_name(tmp_path):
    """custify.duckdb + dataset custify is the design's default; DuckDB finds it ambiguous."""
    import dlt

    from warehouse import make_pipeline

    cfg = WarehouseConfig(duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "d")
    assert cfg.dataset == "custify"

    @dlt.resource(primary_key="id", write_disposition="merge")
    def people():
        yield [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]

    pipeline = make_pipeline(cfg)
    pipeline.run(people())
    pipeline.run(people())  # merge goes through the staging dataset and back
    wh = Warehouse(cfg, pipeline)
    assert sorted(wh.query_rows(f"SELECT id, name FROM {wh.table('people')}")) == [
        (1, "a"),
        (2, "b"),
    ]


def test_session_warehouse_keeps_one_client_and_the_warehouse_api(warehouse_cfg):
    """The session (shared by both directions) answers like ``Warehouse`` on one connection."""
    from warehouse import SessionWarehouse

    with SessionWarehouse(warehouse_cfg) as wh:
        wh.insert_df("things", pl.DataFrame({"key": ["a"], "n": [1]}))
        with wh.client() as first, wh.client() as second:
            assert first is second
        assert wh.quote("key") == wh.quote("key") and wh.table("things") == wh.table("things")
        assert wh.query_rows(f"SELECT n FROM {wh.table('things')}") == [(1,)]
        with pytest.raises(WarehouseConfigError):
            wh.quote('key"; DROP TABLE things; --')
    assert Warehouse(warehouse_cfg).query_rows(f"SELECT n FROM {wh.table('things')}") == [(1,)]


def _load_setting(cfg: WarehouseConfig, name: str) -> str:
    """A DuckDB setting as dlt's load connection sees it, after a real (tiny) load."""
    from warehouse.connection import make_pipeline

    pipeline = make_pipeline(cfg)
    pipeline.run([{"id": 1}], table_name="probe")
    with pipeline.sql_client() as client:
        return str(client.execute_sql(f"SELECT current_setting('{name}')")[0][0])


def test_dlt_loads_into_duckdb_within_the_memory_limit(duckdb_cfg):
    assert _load_setting(duckdb_cfg, "memory_limit") == "91.5 MiB"  # 96 MB, as DuckDB shows it
    custom = duckdb_cfg.with_(duckdb_memory_limit="1GB")
    assert _load_setting(custom, "memory_limit") == "953.6 MiB"
    assert _load_setting(custom, "preserve_insertion_order").lower() == "false"
    assert _load_setting(custom, "threads") == "1"


@pytest.mark.parametrize("value", ["lots", "128", "-1MB", 128])
def test_a_memory_limit_that_is_no_size_is_refused(tmp_path, value):
    from warehouse.config import warehouse_config

    with pytest.raises(WarehouseConfigError, match="duckdb_memory_limit"):
        warehouse_config({"warehouse": {"duckdb_memory_limit": value}}, base_dir=tmp_path)
