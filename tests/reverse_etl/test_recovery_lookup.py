"""The lookup before re-sending a create finds the earlier attempt's note even when the note
list of its entity starts with an older sticky note (a scoped note list is sticky-first, §6)."""

from __future__ import annotations

import datetime as dt

from models.registry import get_action
from reverse_etl.diff.payload import marker, token
from reverse_etl.identify import find_created


def test_an_old_sticky_note_does_not_hide_the_attempts_note(sandbox, client, clock):
    company = sandbox.store.rows("companies")[0]
    for old in sandbox.store.find("notes", entity=company["id"]):
        sandbox.store.delete("notes", old["id"])
    clock.advance(-400_000)  # a sticky note from days ago heads the entity's note list
    sticky = sandbox.store.create(
        "notes",
        text="<p>pinned</p>",
        entity=company["id"],
        entityModel="Company",
        company=[company["id"]],
        people=[],
        sticky=True,
    )
    clock.advance(400_000)
    since = dt.datetime.fromtimestamp(clock.now(), dt.UTC)
    tok = token("memo", "k-1")
    payload = {"text": f"<p>memo</p>{marker(tok)}", "entity": company["id"],
               "entityModel": "Company"}  # fmt: skip
    made = client.notes_create(payload)  # the attempt whose answer the crash lost
    listed = client.get_json(f"/note/{company['id']}", {"sort": "created_at", "order": "desc"})
    assert [n["id"] for n in listed["notes"]] == [sticky["id"], made["id"]]  # sticky first
    found = find_created(
        client, get_action("notes.create"), payload, since=since, claimed=set(), token=tok
    )
    assert found == made["id"] != sticky["id"]
