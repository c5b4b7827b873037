"""Named connections are isolated end to end: datasets, dlt state, cursors, ledger, events."""

from __future__ import annotations

from tests.deploy.conftest import ok, project
from tests.pipelines.helpers import Reader, assert_matches_sandbox, marked_deleted

CONNECTIONS = """
[custify.connections.staging]

[syncs.prod_notes]
object = "notes"
action = "create"
key = ["k"]
table = "wanted_notes"

[syncs.stage_notes]
object = "notes"
action = "create"
key = ["k"]
table = "wanted_notes"
connection = "staging"
"""


def _env(prod, stage, target) -> dict[str, str]:
    return {**prod.env(), **stage.env("CUSTIFY_STAGING"), **target.env}


def test_prod_and_staging_each_equal_their_own_account(tmp_path, cli, sandboxes, target):
    prod, stage = sandboxes(11), sandboxes(12)
    d = project(tmp_path / "p", target.toml + "[extract]\noverlap_s = 0\n" + CONNECTIONS)
    env = _env(prod, stage, target)
    ok(cli(d, "extract", env=env))
    ok(cli(d, "extract", "--connection", "staging", env=env))
    assert_matches_sandbox(prod.sb, target.cfg(d))
    assert_matches_sandbox(stage.sb, target.cfg(d, "staging"))
    # the default dataset's dlt merge staging dataset is not the staging connection's dataset
    assert target.cfg(d).staging_dataset != target.cfg(d, "staging").dataset

    # deletes in staging: a staging reconcile marks them there and nothing in prod
    gone = [p["id"] for p in stage.sb.store.rows("people")[:3]]
    for pid in gone:
        stage.sb.store.delete("people", pid)
    ok(cli(d, "extract", "--connection", "staging", "--reconcile", env=env))
    assert marked_deleted(target.cfg(d, "staging"), "people") == set(gone)
    assert marked_deleted(target.cfg(d), "people") == set()
    with Reader(target.cfg(d)) as db:
        prod_events = db.rows(f"SELECT count(*) FROM {db.table('trigger_events')}")
    assert prod_events == [(0,)]


def test_a_staging_push_resolves_nothing_against_prod(tmp_path, cli, sandboxes, target):
    prod, stage = sandboxes(21), sandboxes(22)
    d = project(tmp_path / "p", target.toml + CONNECTIONS)
    env = _env(prod, stage, target)
    only_prod = prod.sb.store.create(
        "people", user_id="only-in-prod", email="p@prod.example", name="Prod Only", companies=[]
    )
    in_stage = stage.sb.store.create(
        "people",
        user_id="only-in-staging",
        email="s@stage.example",
        name="Stage Only",
        companies=[],
    )
    ok(cli(d, "extract", "--objects", "people", env=env))
    ok(cli(d, "extract", "--objects", "people", "--connection", "staging", env=env))
    rows = (f"SELECT 'a' AS k, '{only_prod['user_id']}' AS user_id, '<p>a</p>' AS text UNION ALL "
            f"SELECT 'b', '{in_stage['user_id']}', '<p>b</p>'")  # fmt: skip
    for conn in (None, "staging"):
        args = ["sql", f"CREATE TABLE wanted_notes AS {rows}"]
        ok(cli(d, *args, *(["--connection", conn] if conn else []), env=env))
    before_prod = prod.sb.store.count("notes")
    done = cli(d, "push", "stage_notes", "--connection", "staging", env=env)
    ok(done, 1)  # the prod-only user_id is rejected in staging: it does not exist there
    made = [n for n in stage.sb.store.rows("notes") if "<p>b</p>" in n["text"]]
    assert len(made) == 1 and made[0]["entity"] == in_stage["id"]
    assert not [n for n in stage.sb.store.rows("notes") if "<p>a</p>" in n["text"]]
    assert prod.sb.store.count("notes") == before_prod  # prod was not touched at all
    with Reader(target.cfg(d, "staging")) as db:
        reasons = db.rows(f"SELECT reason FROM {db.table('stage_notes__rejected')}")
    assert len(reasons) == 1 and only_prod["user_id"] in reasons[0][0]
    with Reader(target.cfg(d)) as db:
        assert "_custify_ledger" not in db.columns  # the default dataset kept no ledger
