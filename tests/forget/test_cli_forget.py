"""``custify-sync forget`` through the real CLI against a served sandbox: refusals are one
line, exit 2 and change nothing; the real thing deletes one person and says what it changed
without naming them."""

from __future__ import annotations

from collections import Counter

from tests.deploy.conftest import ok, one_error, project
from tests.forget.helpers import cells_holding
from warehouse import WarehouseConfig

TOML = '[warehouse]\nduckdb_path = "wh.duckdb"\n'


def test_forget_through_the_cli(tmp_path, cli, sandboxes) -> None:
    served = sandboxes(31)
    sb = served.sb
    sb.configure(shared_emails=1)
    proj = project(tmp_path / "p", TOML)
    ok(cli(proj, "extract", "--objects", "people,notes", env=served.env()))
    people = list(sb.store.rows("people"))
    shared = next(e for e, n in Counter(r["email"] for r in people).items() if n == 2)
    person = next(p for p in people if p.get("user_id") and p["email"] != shared)
    before = sb.store.count("people")
    loaded = proj / ".custify-sync/dlt/custify/load/loaded"
    assert any(loaded.iterdir())  # dlt keeps completed packages, rows included
    sb.journal.clear()

    done = cli(proj, "forget", "--email", person["email"], env=served.env())
    one_error(done, 2, "--yes")
    done = cli(proj, "forget", "--email", shared, "--yes", env=served.env())
    one_error(done, 2, "2 people")
    assert shared not in done.stderr
    done = cli(proj, "forget", "--email", "a@b.c", "--id", "x", "--yes", env=served.env())
    one_error(done, 2, "exactly one")
    assert not sb.journal.filter("DELETE", "") and sb.store.count("people") == before

    dry = ok(cli(proj, "forget", "--user-id", person["user_id"], "--dry-run", env=served.env()))
    assert "people: 1 rows deleted" in dry.stderr and sb.store.count("people") == before
    done = ok(cli(proj, "forget", "--user-id", person["user_id"], "--yes", env=served.env()))
    assert "Custify deleted" in done.stderr
    assert sb.store.count("people") == before - 1 and sb.store.get("people", person["id"]) is None
    needles = [person["id"], person["email"], person["user_id"], person["name"]]
    assert not any(n in done.stderr + done.stdout for n in needles)
    cfg = WarehouseConfig(duckdb_path=proj / "wh.duckdb", pipelines_dir=proj / ".custify-sync/dlt")
    assert cells_holding(cfg, needles) == {}
    assert not any(loaded.iterdir())  # dropped with the rows they held
