"""Two project directories on one machine are two independent projects."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.deploy.conftest import ok, project
from tests.pipelines.helpers import assert_matches_sandbox
from warehouse import WarehouseConfig


def _cfg(d: Path) -> WarehouseConfig:
    return WarehouseConfig(duckdb_path=d / "custify.duckdb", pipelines_dir=d.parent / f"r-{d.name}")


def test_two_directories_each_load_everything_and_touch_nothing_of_the_other(
    tmp_path, cli, sandboxes, home
):
    a_sb, b_sb = sandboxes(1), sandboxes(2)
    a = project(tmp_path / "a", "[extract]\noverlap_s = 0\n")
    b = project(tmp_path / "b", "[extract]\noverlap_s = 0\n")
    ok(cli(a, "extract", env=a_sb.env()))
    ok(cli(b, "extract", env=b_sb.env()))
    assert_matches_sandbox(a_sb.sb, _cfg(a))
    assert_matches_sandbox(b_sb.sb, _cfg(b))
    for d in (a, b):  # all engine state inside the project; nothing in HOME
        assert (d / ".custify-sync" / "dlt").is_dir()
        assert list((d / ".custify-sync").glob("budget-*.sqlite3"))
    assert [p for p in home.rglob("*") if p.is_file()] == []

    # a change in account A reaches only project A, incrementally (A's own cursors)
    person = a_sb.sb.store.rows("people")[0]
    a_sb.sb.store.update("people", person["id"], name="Renamed In A")
    before_b = (b / "custify.duckdb").stat().st_mtime_ns
    ok(cli(a, "extract", env=a_sb.env()))
    assert_matches_sandbox(a_sb.sb, _cfg(a))
    assert (b / "custify.duckdb").stat().st_mtime_ns == before_b
    with duckdb.connect(str(a / "custify.duckdb"), read_only=True) as con:
        events = con.execute(
            "SELECT event_type, record_id FROM custify.custify.trigger_events"
        ).fetchall()
    assert events == [("person.updated", person["id"])]  # not a false "created" per record

    # status and push read the project's own warehouse, from another working directory too
    status = ok(cli(tmp_path, "status", "-c", str(b / "pipelines.toml"), env=b_sb.env()))
    assert f"{b_sb.sb.store.count('people')}" in status.stdout and "No extract" not in status.stdout


def test_a_relative_duckdb_path_belongs_to_the_config_files_directory(tmp_path, cli, sandboxes):
    served = sandboxes(3)
    proj = project(tmp_path / "proj", '[warehouse]\nduckdb_path = "data/wh.duckdb"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ok(cli(elsewhere, "extract", "-c", str(proj / "pipelines.toml"), env=served.env()))
    assert (proj / "data" / "wh.duckdb").exists() and (proj / ".custify-sync").is_dir()
    assert list(elsewhere.iterdir()) == []
    cfg = WarehouseConfig(duckdb_path=proj / "data/wh.duckdb", pipelines_dir=tmp_path / "r")
    assert_matches_sandbox(served.sb, cfg)


def test_lost_local_state_is_restored_from_the_warehouse(tmp_path, cli, sandboxes):
    """``.custify-sync`` is disposable (a new container, a moved project): the next run
    continues from the cursors dlt keeps in the warehouse, and detects changes as updates."""
    import shutil

    served = sandboxes(4)
    d = project(tmp_path / "p", "[extract]\noverlap_s = 0\n")
    ok(cli(d, "extract", "--objects", "people", env=served.env()))
    shutil.rmtree(d / ".custify-sync")
    person = served.sb.store.rows("people")[0]
    served.sb.store.update("people", person["id"], name="Changed Meanwhile")
    done = ok(cli(d, "extract", "--objects", "people", env=served.env()))
    assert "incremental" in done.stderr and "full" not in done.stderr
    with duckdb.connect(str(d / "custify.duckdb"), read_only=True) as con:
        events = con.execute("SELECT event_type, record_id FROM custify.custify.trigger_events")
        assert events.fetchall() == [("person.updated", person["id"])]
