"""The sandbox's "unknowns" profile: every open question of the API notes answered the less
convenient way at once, through the real CLI. The run must end bounded and reported (the
objects that cannot be read fail alone, exit 1), everything else exact, and pushes exact."""

from __future__ import annotations

import re

import duckdb

from tests.deploy.conftest import ok, project
from tests.pipelines.helpers import assert_matches_sandbox
from warehouse import WarehouseConfig

PUSH = """
[extract]
overlap_s = 0

[syncs.crm]
object = "people"
match = "user_id"
table = "want_people"

[syncs.tickets]
object = "tickets"
action = "create"
table = "want_tickets"

[syncs.time]
object = "time_tracks"
action = "create"
table = "want_time"
"""


def test_every_unknown_at_once_ends_bounded_and_exact(tmp_path, cli, sandboxes):
    served = sandboxes(61, scale=0.1, profile="unknowns")
    sb = served.sb
    d = project(tmp_path / "p", PUSH)
    done = ok(cli(d, "extract", env=served.env()), 1)
    failed = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    # files and surveys cannot be read; responses are listed under the surveys' list
    assert len(failed) == 3 and any("files" in f for f in failed)
    assert len([f for f in failed if "survey_responses" in f]) == 1
    assert any("surveys" in f and "survey_responses" not in f for f in failed)
    survey_calls = sb.journal.count(method="GET", path_prefix="/survey")
    # a list ignoring `page` ends within its page bound (1 page + 2), for each of the two
    # scans of it (the surveys' own and the responses' id listing)
    assert survey_calls <= 2 * 3
    cfg = WarehouseConfig(duckdb_path=d / "custify.duckdb", pipelines_dir=tmp_path / "reader")
    readable = [o for o in ("people", "companies", "notes", "tasks", "tickets", "time_tracks",
                            "meetings", "segments", "playbooks", "tags", "deals", "invoices",
                            "subscriptions", "comments", "calculated_metrics")]  # fmt: skip
    assert_matches_sandbox(sb, cfg, readable)  # capped pages loaded every row

    people = [p for p in sb.store.rows("people") if p.get("user_id")][:30]
    company = sb.store.rows("companies")[0]
    user = sb.store.rows("users")[0]
    rows = " UNION ALL ".join(f"SELECT '{p['user_id']}' AS user_id, 'gold' AS custom_attributes__tier"
                              for p in people)  # fmt: skip
    tickets = " UNION ALL ".join(
        f"SELECT 'UNK-{i}' AS externalId, 'Ticket {i}' AS title, '{company['company_id']}' AS company"
        for i in range(5)
    )
    time = (
        f"SELECT 'Call {i}' AS name, 900 AS duration, '2024-03-01 09:00:00' AS startedDate, "
        f"'{user['email']}' AS user, '{company['company_id']}' AS company_id"
        for i in range(3)
    )
    for name, sql in (("want_people", rows), ("want_tickets", tickets),
                      ("want_time", " UNION ALL ".join(time))):  # fmt: skip
        ok(cli(d, "sql", f"CREATE TABLE {name} AS {sql}", env=served.env()))
    ok(cli(d, "push", env=served.env()))
    for p in people:  # an opaque batch status: confirmed by read-back or the single endpoint
        (got,) = sb.store.find("people", user_id=p["user_id"])
        assert got["custom_attributes"].get("tier") == "gold"
    made = [t for t in sb.store.rows("tickets") if re.fullmatch(r"UNK-\d", t["externalId"] or "")]
    assert sorted(t["externalId"] for t in made) == [f"UNK-{i}" for i in range(5)]  # once each
    calls = [t for t in sb.store.rows("time_tracks") if t["name"].startswith("Call ")]
    assert sorted(t["name"] for t in calls) == ["Call 0", "Call 1", "Call 2"]
    before = len(sb.journal)
    ok(cli(d, "push", env=served.env()))
    assert len(sb.journal) == before  # nothing left to send: no request at all
    with duckdb.connect(str(d / "custify.duckdb"), read_only=True) as con:
        pending = con.execute("SELECT count(*) FROM custify.custify._custify_ledger "
                              "WHERE status IN ('pending', 'sent')").fetchone()  # fmt: skip
    assert pending == (0,)
