"""Two-way round trip: extract, push, extract, push, on DuckDB and on Postgres.

After the push and the next extract the warehouse shows the pushed values; the trigger events
of the engine's own writes carry ``origin = 'custify-sync'`` (echoes a workflow can ignore),
while a change someone makes in Custify afterwards stays ``origin = 'custify'``; and the last
push sends nothing at all (zero requests).
"""

from __future__ import annotations

import json

import polars as pl

from models.clock import ECHO_SKEW_S
from pipelines.events import ENGINE_ORIGIN, LEDGER_TABLE
from reverse_etl.ledger import LEDGER
from tests.reverse_etl.conftest import Pusher, extract

OBJECTS = ("people", "companies", "notes", "tickets")


def _syncs(p: Pusher, people: list[dict], company: dict, tag: dict, ticket: dict) -> None:
    p.syncs["focus"] = {
        "object": "people",
        "match": "user_id",
        "table": "focus",
        "mapping": {"user_id": "user_id", "focus": "custom_attributes.focus"},
    }
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "vip"}
    p.syncs["handover"] = {"object": "notes", "action": "create", "table": "handover"}
    p.syncs["escalate"] = {"object": "tickets", "action": "update", "match": "externalId",
                           "table": "escalate"}  # fmt: skip
    p.table("focus", {"user_id": [x["user_id"] for x in people], "focus": ["expand", "renew"]})
    p.table("vip", {"user_id": [people[0]["user_id"]], "tag": [tag["name"]]})
    p.table("handover", {"company_id": [company["company_id"]], "text": ["<p>Handover</p>"]})
    p.table("escalate", {"externalId": [ticket["externalId"]], "priority": ["urgent"]})


def _events(p: Pusher) -> pl.DataFrame:
    return p.wh.query_df(
        "SELECT object, record_id, event_type, origin FROM trigger_events ORDER BY record_id"
    )


def test_push_extract_push_marks_echoes_and_sends_nothing(any_pusher: Pusher) -> None:
    p = any_pusher
    sb = p.sandbox
    people = [r for r in sorted(sb.store.rows("people"), key=lambda r: r["id"])
              if r.get("user_id") and not r.get("tags")][:3]  # fmt: skip
    company = sorted(sb.store.rows("companies"), key=lambda r: r["id"])[0]
    tag = next(t for t in sb.store.rows("tags") if t["category"] == "people")
    ticket = sorted(sb.store.rows("tickets"), key=lambda r: r["id"])[0]
    extract(p, *OBJECTS)  # the first scan is the baseline: no events yet
    _syncs(p, people[:2], company, tag, ticket)
    first = p.push()
    assert first.exit_code == 0, first
    # someone edits a third person in Custify, well after the push's write window
    p.clock.advance(ECHO_SKEW_S * 4)
    sb.store.update("people", people[2]["id"], name="Edited In Custify")
    extract(p, *OBJECTS)

    shown = p.wh.query_df(
        "SELECT user_id, custom_attributes__focus AS focus FROM people WHERE user_id IN "
        f"('{people[0]['user_id']}', '{people[1]['user_id']}') ORDER BY user_id"
    )
    assert sorted(shown.get_column("focus").to_list()) == ["expand", "renew"]
    notes = p.wh.query_df("SELECT id, entity, text FROM notes WHERE text LIKE '%Handover%'")
    assert notes.height == 1 and notes.row(0, named=True)["entity"] == company["id"]
    (priority,) = p.wh.query_rows(f"SELECT priority FROM tickets WHERE id = '{ticket['id']}'")
    assert priority == ("urgent",)

    events = _events(p)
    ours = {people[0]["id"], people[1]["id"], ticket["id"], notes.row(0, named=True)["id"]}
    mine = events.filter(pl.col("record_id").is_in(list(ours)))
    assert set(mine.get_column("record_id")) == ours
    assert set(mine.get_column("origin")) == {ENGINE_ORIGIN}
    assert {"person.updated", "note.created", "ticket.updated"} <= set(mine["event_type"])
    theirs = events.filter(pl.col("record_id") == people[2]["id"]).to_dicts()
    assert theirs == [{"object": "people", "record_id": people[2]["id"],
                       "event_type": "person.updated", "origin": "custify"}]  # fmt: skip

    seen = p.requests()
    last = p.push()
    assert last.exit_code == 0 and last.requests == 0 and p.requests() == seen, last
    assert LEDGER == LEDGER_TABLE  # the ELT reads the ledger the reverse ETL writes


def test_a_custify_edit_after_the_push_is_pushed_back_and_not_an_echo(pusher: Pusher) -> None:
    """The warehouse stays the source of truth for what it sets: an edit made in Custify to a
    synced field is an ``origin = 'custify'`` event and the next push restores the value."""
    p = pusher
    person = next(r for r in p.sandbox.store.rows("people") if r.get("user_id"))
    extract(p, "people")
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "crm"}
    p.table("crm", {"user_id": [person["user_id"]], "name": ["Warehouse Name"]})
    assert p.push().exit_code == 0
    p.clock.advance(ECHO_SKEW_S * 4)
    p.sandbox.store.update("people", person["id"], name="Typed In Custify")
    extract(p, "people")
    (event,) = _events(p).filter(pl.col("record_id") == person["id"]).to_dicts()
    assert event["origin"] == "custify"
    again = p.push()
    assert again.syncs[0].confirmed == 1
    assert p.sandbox.store.get("people", person["id"])["name"] == "Warehouse Name"
    job = json.loads(json.dumps(p.bodies("POST", "/batch")[-1]["jobs"][0]["payload"]))
    assert job == {"name": "Warehouse Name", "user_id": person["user_id"]}
