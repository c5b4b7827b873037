"""``build_defs`` of a two-connection project: assets, checks, schedules, pools, lineage."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from custify.errors import ConfigError
from custify_sync.dagster import build_defs
from models.registry import EXTRACTED
from tests.dagster.conftest import TWO_CONNECTIONS
from tests.deploy.conftest import CLEARED, project

OBJECTS = sorted(o.name for o in EXTRACTED)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith(CLEARED)]:
        monkeypatch.delenv(name)
    for name in ("CUSTIFY_SYNC_CONFIG", "DLT_PROJECT_DIR"):  # set by loading: undone after
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def _graph(defs: dg.Definitions):
    return defs.get_repository_def().asset_graph


def test_two_connections_list_their_assets_checks_and_schedules(tmp_path: Path) -> None:
    d = project(tmp_path / "p", TWO_CONNECTIONS)
    defs = build_defs(d / "pipelines.toml")
    graph = _graph(defs)
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for conn in ("alpha", "beta-2"):
        for name in [*OBJECTS, "trigger_events"]:
            assert f"custify/{conn}/{name}" in keys
    assert "custify/alpha/sync/alpha_followups" in keys
    assert "custify/beta-2/sync/beta_scores" in keys
    assert "warehouse/beta-2/analytics/scores" in keys  # read by a sync, not written by us
    # the default connection has no key and named ones exist: it has no assets
    assert not [k for k in keys if k.startswith("custify/default/")]
    assert len(keys) == 2 * (len(OBJECTS) + 1) + 3

    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert checks == {(f"custify/{conn}/sync/{sync}", check)
                      for conn, sync in (("alpha", "alpha_followups"), ("beta-2", "beta_scores"))
                      for check in ("rejected_rows", "failed_rows")}  # fmt: skip

    schedules = {s.name: s for s in defs.schedules}
    assert set(schedules) == {"custify_alpha_schedule", "custify_beta_2_schedule"}
    assert {s.cron_schedule for s in schedules.values()} == {"0 * * * *"}
    assert {s.job_name for s in schedules.values()} == {"custify_alpha_sync", "custify_beta_2_sync"}


def test_syncs_read_our_tables_and_external_ones(tmp_path: Path) -> None:
    graph = _graph(build_defs(project(tmp_path / "p", TWO_CONNECTIONS) / "pipelines.toml"))
    parents = graph.get(dg.AssetKey(["custify", "alpha", "sync", "alpha_followups"])).parent_keys
    assert {k.to_user_string() for k in parents} == {"custify/alpha/trigger_events",
                                                     "custify/alpha/people"}  # fmt: skip
    parents = graph.get(dg.AssetKey(["custify", "beta-2", "sync", "beta_scores"])).parent_keys
    assert {k.to_user_string() for k in parents} == {"warehouse/beta-2/analytics/scores"}
    assert not graph.get(dg.AssetKey(["warehouse", "beta-2", "analytics", "scores"])).is_executable
    # the extracted tables have no upstream: their source is Custify itself
    assert not graph.get(dg.AssetKey(["custify", "alpha", "people"])).parent_keys


def test_every_asset_of_an_account_is_in_its_pool(tmp_path: Path) -> None:
    defs = build_defs(project(tmp_path / "p", TWO_CONNECTIONS) / "pipelines.toml")
    pools: dict[str, set[str]] = {}
    for assets_def in defs.assets or []:
        if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_executable:
            continue
        pool = assets_def.op.pool
        for key in assets_def.keys:
            pools.setdefault(key.path[1], set()).add(pool)
    assert pools == {"alpha": {"custify-alpha"}, "beta-2": {"custify-beta-2"}}


def test_the_module_builds_defs_from_the_named_config(tmp_path: Path, monkeypatch) -> None:
    d = project(tmp_path / "p", TWO_CONNECTIONS)
    monkeypatch.setenv("CUSTIFY_SYNC_CONFIG", str(d / "pipelines.toml"))
    import custify_sync.dagster as module

    monkeypatch.setattr(module, "_built", {})
    assert "defs" in dir(module)
    assert isinstance(module.defs, dg.Definitions)
    assert {s.name for s in module.defs.schedules} == {"custify_alpha_schedule",
                                                       "custify_beta_2_schedule"}  # fmt: skip


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ('[dagster]\ncorn = "* * * * *"\n', ["[dagster] corn", "did you mean", "cron"]),
        ("[dagster]\nlock_wait_s = true\n", ["[dagster] lock_wait_s", "expected float"]),
        ('[dagster]\ncron = "every hour"\n', ["[dagster] cron", "not a cron expression"]),
    ],
)
def test_a_bad_dagster_section_is_one_line(tmp_path: Path, section: str, words: list[str]):
    d = project(tmp_path / "p", "[custify.connections.alpha]\n" + section)
    with pytest.raises(ConfigError) as err:
        build_defs(d / "pipelines.toml")
    for word in words:
        assert word in str(err.value)
    assert "\n" not in str(err.value)


def test_connections_with_one_dagster_name_are_refused(tmp_path: Path) -> None:
    toml = '[custify.connections.eu-1]\n[custify.connections.eu_1]\ndataset = "eu_other"\n'
    d = project(tmp_path / "p", toml)
    with pytest.raises(ConfigError, match="'eu-1' and 'eu_1' have one Dagster name"):
        build_defs(d / "pipelines.toml")


def test_no_config_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no pipelines.toml"):
        build_defs(tmp_path / "pipelines.toml")
