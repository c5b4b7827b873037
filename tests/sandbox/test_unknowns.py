"""The sandbox's "unknowns" knobs play the other plausible answers where the notes are silent.

Each knob is checked at the HTTP surface: what a request gets, what the store holds after.
"""

from __future__ import annotations

import pytest

from custify.batch import read_status

JOBS = [{"type": "people", "payload": {"user_id": f"k{i}", "email": f"k{i}@x.io"}}
        for i in range(3)]  # fmt: skip


@pytest.mark.parametrize("status", [404, 405, 403, 400])
def test_batch_unavailable_refuses_the_endpoint_and_applies_nothing(sb, client, status) -> None:
    sb.faults.update(batch_unavailable=status)
    n = sb.store.count("people")
    r = client.post("/batch", json={"jobs": JOBS})
    assert r.status_code == status and r.json()["error"]
    assert sb.store.count("people") == n and not sb.store.batch_jobs
    assert client.post("/people", json=JOBS[0]["payload"]).status_code == 200  # single is fine


@pytest.mark.parametrize("shape", ["default", "jobs", "nested", "opaque"])
def test_batch_status_shapes(sb, client, shape) -> None:
    sb.faults.update(batch_status_shape=shape)
    jid = client.post("/batch", json={"jobs": JOBS}).json()["id"]
    body = client.get(f"/batch/{jid}").json()
    state = read_status(body, JOBS)
    made = {uid: sb.store.find("people", user_id=uid)[0]["id"] for uid in ("k0", "k1", "k2")}
    if shape == "opaque":
        assert state.state == "unknown" and state.unreadable
        assert "results" not in body and "jobs" not in body
    else:
        assert state.state == "done"
        assert [o.status for o in state.outcomes] == ["success"] * 3
        assert [o.id for o in state.outcomes] == [made[f"k{i}"] for i in range(3)]
    if shape == "nested":  # no index: the reports name their jobs, newest first
        reports = body["data"]["data"]
        assert "index" not in reports[0] and reports[0]["user_id"] == "k2"
    assert len(made) == 3  # the shape changes the answer, never what was applied


def test_ticket_create_duplicates(sb, client) -> None:
    company = sb.store.rows("companies")[0]["company_id"]
    ticket = {"externalId": "DUP-1", "title": "first", "company": company}
    assert client.post("/ticket", json=ticket).status_code == 200
    assert client.post("/ticket", json={**ticket, "title": "again"}).status_code == 200
    assert len(sb.store.find("tickets", externalId="DUP-1")) == 1  # the default: an upsert
    sb.faults.update(ticket_create_duplicates=True)
    assert client.post("/ticket", json={**ticket, "title": "twice"}).status_code == 200
    assert len(sb.store.find("tickets", externalId="DUP-1")) == 2
    listed = client.get("/ticket", params={"externalId": "DUP-1"}).json()
    assert listed["total"] == 2


@pytest.mark.parametrize(
    "spelling, dash, underscore", [("dash", 200, 404), ("underscore", 404, 200), ("both", 200, 200)]
)
def test_time_track_spelling(sb, client, spelling, dash, underscore) -> None:
    sb.faults.update(time_track_spelling=spelling)
    assert client.get("/time-track").status_code == dash
    assert client.get("/time_track").status_code == underscore


@pytest.mark.parametrize("id_in", ["query", "path", "both"])
def test_time_track_id_placement(sb, client, id_in) -> None:
    sb.faults.update(time_track_id_in=id_in)
    user = sb.store.rows("users")[0]["email"]
    a, b = sorted(sb.store.rows("time_tracks"), key=lambda t: t["id"])[:2]
    body = {"name": "moved", "duration": 5, "startedDate": "2024-01-01T00:00:00Z"}
    by_query = client.put("/time-track", params={"id": a["id"], "user": user}, json=body)
    by_path = client.put(f"/time-track/{b['id']}", params={"user": user}, json=body)
    assert (by_query.status_code == 200) is (id_in != "path")
    assert (by_path.status_code == 200) is (id_in != "query")
    assert (sb.store.get("time_tracks", b["id"])["name"] == "moved") is (id_in != "query")
    gone_q = client.delete("/time-track", params={"id": a["id"]})
    gone_p = client.delete(f"/time-track/{b['id']}")
    assert (gone_q.status_code == 200) is (id_in != "path")
    assert (gone_p.status_code == 200) is (id_in != "query")
    if id_in != "both":  # a refused form answers like an unknown route
        refused = gone_p if id_in == "query" else gone_q
        assert refused.status_code == 404 and refused.json()["error"].startswith("Cannot DELETE")
