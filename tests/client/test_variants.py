"""Time tracks whichever way Custify spells the path and places the id (§13, §19).

The spec's path key says ``/time-track``, its samples ``/time_track``; the id of an update or
delete goes in the query by its text and in the path by its delete sample. The sandbox plays
each answer (``time_track_spelling``, ``time_track_id_in``); the client tries the documented
form first and remembers what worked, so a second round costs no refused request.
"""

from __future__ import annotations

import itertools

import pytest

SPELLINGS = ("dash", "underscore", "both")
PLACEMENTS = ("query", "path", "both")


def _round(client, sb, user: str, company: str, name: str) -> str:
    body = {"name": name, "duration": 60, "startedDate": "2024-03-01T09:00:00Z",
            "company": company}  # fmt: skip
    made = client.time_tracks_create(body, user=user)
    client.time_tracks_update({**body, "id": made["id"], "duration": 90}, user=user)
    assert sb.store.get("time_tracks", made["id"])["duration"] == 90
    listed = {r["id"] for r in client.iter_rows("time_tracks", params={"user": user})}
    assert made["id"] in listed
    client.time_tracks_delete(id=made["id"])
    assert sb.store.get("time_tracks", made["id"]) is None
    return made["id"]


@pytest.mark.parametrize("spelling, id_in", list(itertools.product(SPELLINGS, PLACEMENTS)))
def test_time_tracks_work_under_every_spelling_and_id_placement(
    sb_client, sandbox, spelling: str, id_in: str
) -> None:
    sandbox.faults.update(time_track_spelling=spelling, time_track_id_in=id_in)
    user = sandbox.store.rows("users")[0]["email"]
    company = sandbox.store.rows("companies")[0]["id"]
    _round(sb_client, sandbox, user, company, "first")
    refused = [e for e in sandbox.journal if e.status == 404]
    # at most one refused request per uncertain fact: the spelling, then the placement
    assert len(refused) == (spelling == "underscore") + (id_in == "path")
    sandbox.journal.clear()
    _round(sb_client, sandbox, user, company, "second")
    assert [e for e in sandbox.journal if e.status >= 400] == []  # remembered
    methods = [e.method for e in sandbox.journal]
    assert methods == ["POST", "PUT", "GET", "DELETE"]


def test_a_missing_record_is_still_not_found(sb_client, sandbox) -> None:
    """Trying the other forms never turns a real 404 into something else."""
    from custify.errors import NotFound

    with pytest.raises(NotFound):
        sb_client.time_tracks_delete(id="0" * 24)
