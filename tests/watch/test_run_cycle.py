"""``run`` cycles: extract first, then the syncs wave by wave in ``after`` order; a chained
get -> tag acts on the record as read in the same cycle, on every update."""

from __future__ import annotations

import pytest

from pipelines.watch import run_cycle
from reverse_etl.config import SyncConfigError
from tests.reverse_etl.conftest import Pusher
from tests.watch.conftest import inputs_for

OBJECTS = ["people"]

FRESH = {
    "object": "people", "action": "get", "match": "id", "key": ["event_id"],
    # the newest event per person: every new event is a new key, so the person is read again
    "query": "SELECT e.event_id, e.record_id AS id FROM trigger_events e "
             "WHERE e.event_type = 'person.updated' AND e.origin = 'custify' "
             "QUALIFY row_number() OVER (PARTITION BY e.record_id ORDER BY e.detected_at DESC) = 1",
}  # fmt: skip
RISK = {
    "object": "tags", "action": "entity", "match": "id", "after": ["recipe_fresh"],
    "query": "SELECT custify_id AS id, 'At risk' AS tag, CASE WHEN CAST(json_extract(record, "
             "'$.session_count') AS INTEGER) < 20 THEN 'add' ELSE 'remove' END AS type "
             "FROM recipe_fresh__records QUALIFY row_number() OVER (PARTITION BY custify_id "
             "ORDER BY fetched_at DESC) = 1",
}  # fmt: skip


def _person(p: Pusher) -> dict:
    return sorted((r for r in p.sandbox.store.rows("people") if r.get("email")),
                  key=lambda r: r["id"])[3]  # fmt: skip


def test_a_chained_get_then_tag_acts_on_the_record_read_in_the_same_cycle(
    pusher: Pusher, at_risk: dict
) -> None:
    # DuckDB only: the recipe's SQL is DuckDB's (QUALIFY, json_extract), as the README's are
    p, store = pusher, pusher.sandbox.store
    # the tag sync is declared first: only `after` puts it behind the get
    p.syncs.update({"recipe_risk": RISK, "recipe_fresh": FRESH})
    first = run_cycle(inputs_for(p), objects=OBJECTS)  # the baseline: no events, nothing sent
    assert first.exit_code == 0 and first.events == 0
    person = _person(p)

    p.clock.advance(60)
    store.update("people", person["id"], session_count=3, tags=[])
    low = run_cycle(inputs_for(p), 2, objects=OBJECTS)
    assert low.exit_code == 0, low.errors
    assert [s.name for s in low.push.syncs] == ["recipe_fresh", "recipe_risk"]
    assert at_risk["id"] in store.get("people", person["id"])["tags"]

    p.clock.advance(60)  # a later update of the same person: read again, acted on again
    store.update("people", person["id"], session_count=950)
    high = run_cycle(inputs_for(p), 3, objects=OBJECTS)
    assert high.exit_code == 0, [(s.name, s.rejected, s.error) for s in high.push.syncs]
    assert at_risk["id"] not in store.get("people", person["id"])["tags"]
    records = p.wh.query_df("SELECT count(*) AS n FROM recipe_fresh__records")
    assert records["n"][0] == 2  # one read per event


def test_run_extracts_before_it_pushes(any_pusher: Pusher) -> None:
    """The push of a cycle sees the rows its extract loaded: a sync over ``people`` sends
    for a person created in Custify just before the cycle."""
    p, store = any_pusher, any_pusher.sandbox.store
    run_cycle(inputs_for(p), objects=OBJECTS)
    p.clock.advance(60)
    new = store.create("people", email="zoe@run.example", name="Zoe", tags=[],
                       companies=[], custom_attributes={})  # fmt: skip
    p.syncs["greet"] = {
        "object": "events", "match": "email", "key": ["id"],
        "query": "SELECT id, email, 'welcomed' AS name, created_at FROM people WHERE email LIKE '%@run.example'",
    }  # fmt: skip
    p.sandbox.journal.clear()
    cycle = run_cycle(inputs_for(p), 2, objects=OBJECTS)
    assert cycle.exit_code == 0, cycle.errors
    paths = [(e.method, e.path) for e in p.sandbox.journal]
    first_write = next(i for i, (m, _) in enumerate(paths) if m == "POST")
    assert all(m == "GET" for m, _ in paths[:first_write]) and first_write > 0
    assert cycle.push.syncs[0].confirmed == 1
    assert new["id"]


def test_a_sync_that_fails_holds_back_its_chain_and_the_others_go(any_pusher: Pusher) -> None:
    p = any_pusher
    run_cycle(inputs_for(p), objects=OBJECTS)
    p.syncs.update({
        "broken": {"object": "people", "action": "get", "match": "id",
                   "query": "SELECT id FROM no_such_table"},
        "after_broken": {**RISK, "after": ["broken"], "query": RISK["query"].replace(
            "recipe_fresh", "broken")},
        "independent": {"object": "events", "match": "email", "key": ["id"],
                        "query": "SELECT id, email, 'seen' AS name, created_at FROM people "
                                     "WHERE email IS NOT NULL ORDER BY id LIMIT 2"},
    })  # fmt: skip
    cycle = run_cycle(inputs_for(p), 2, objects=OBJECTS)
    by_name = {s.name: s for s in cycle.push.syncs}
    assert cycle.exit_code == 1
    assert "no_such_table" in by_name["broken"].error
    assert "'broken' failed" in by_name["after_broken"].error
    assert by_name["independent"].error is None and by_name["independent"].confirmed == 2


@pytest.mark.parametrize(
    ("after", "message"),
    [
        ({"a": ["b"], "b": ["a"]}, "wait on each other (a -> b -> a)"),
        ({"a": ["a"]}, "cannot run after itself"),
        ({"a": ["nope"]}, "unknown sync 'nope'"),
        ({"a": "b ; drop"}, "expected a list of sync names"),
    ],
)
def test_after_cycles_and_unknown_names_are_config_errors(
    pusher: Pusher, after: dict, message: str
) -> None:
    from reverse_etl import load_syncs

    base = {"object": "events", "match": "email", "key": ["id"], "query": "SELECT 1 AS id"}
    syncs = {n: {**base, "after": a} for n, a in after.items()}
    syncs.setdefault("b", base)
    with pytest.raises(SyncConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_syncs({"syncs": syncs})
