"""The example dbt project (examples/dbt) end to end, as a user runs it: extract the sandbox,
generate sources.yml with ``custify-sync dbt-sources``, ``dbt build`` (source tests, staging,
the diff model and its tests), push the diff model with a sync, and find its values in Custify."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.deploy.conftest import ROOT, clean_env, ok, project

EXAMPLE = ROOT / "examples" / "dbt"
TOML = (
    '[warehouse]\nduckdb_path = "custify.duckdb"\n'
    + (EXAMPLE / "pipelines.example.toml").read_text()
)
DBT = Path(sys.executable).parent / "dbt"


def _dbt(project_dir: Path, home: Path, db: Path) -> subprocess.CompletedProcess:
    env = clean_env(home, {"CUSTIFY_DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS":
                           "false", "DBT_LOG_PATH": str(project_dir / "logs")})  # fmt: skip
    return subprocess.run([str(DBT), "build", "--project-dir", str(project_dir),
                           "--profiles-dir", str(project_dir)], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_extract_dbt_build_push_lands_the_models_values(tmp_path, cli, home, sandboxes) -> None:
    served = sandboxes(41)
    sb = served.sb
    proj = project(tmp_path / "proj", TOML)
    ok(cli(proj, "extract", "--objects", "people,companies", env=served.env()))
    dbt_dir = tmp_path / "dbt"
    shutil.copytree(EXAMPLE, dbt_dir, ignore=shutil.ignore_patterns("target", "logs"))
    sources = dbt_dir / "models" / "staging" / "sources.yml"
    ok(cli(proj, "dbt-sources", "--out", str(sources)))

    db = proj / "custify.duckdb"
    built = _dbt(dbt_dir, home, db)
    assert built.returncode == 0, built.stdout[-4000:]
    results = json.loads((dbt_dir / "target" / "run_results.json").read_text())["results"]
    source_tests = [r for r in results if "source_" in r["unique_id"]]
    assert source_tests and {r["status"] for r in results} == {"pass", "success"}
    with duckdb.connect(str(db), read_only=True) as con:
        wanted = dict(con.execute(
            "SELECT user_id, custom_attributes__role FROM analytics.people_role_changes"
        ).fetchall())  # fmt: skip
    assert wanted  # the sandbox holds people whose role the model changes

    ok(cli(proj, "push", "roles", env=served.env()))
    held = {p["user_id"]: (p.get("custom_attributes") or {}).get("role")
            for p in sb.store.rows("people") if p.get("user_id") in wanted}  # fmt: skip
    assert held == wanted
    sb.journal.clear()
    ok(cli(proj, "push", "roles", env=served.env()))  # confirmed already: nothing is sent
    assert not sb.journal.filter("POST", "")


def test_the_example_ships_no_build_output() -> None:
    assert not (EXAMPLE / "target").exists() and not (EXAMPLE / "logs").exists()
    assert os.path.exists(EXAMPLE / "profiles.yml")
