"""Tag add/remove through bulk patches and events through batches land exactly once."""

from __future__ import annotations

from tests.reverse_etl.conftest import Pusher, extract


def _people_tags(p: Pusher) -> dict[str, str]:
    return {t["name"]: t["id"] for t in p.sandbox.store.rows("tags") if t["category"] == "people"}


def _tagged(p: Pusher, person_id: str) -> set[str]:
    return set(p.sandbox.store.get("people", person_id).get("tags") or [])


def test_tags_add_remove_and_mirror(any_pusher: Pusher) -> None:
    p = any_pusher
    tags = _people_tags(p)
    first, second = sorted(tags)[:2]
    folks = [r for r in p.sandbox.store.rows("people") if r.get("user_id")][:4]
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id",
                      "table": "wanted", "mode": "mirror",
                      "mapping": {"uid": "user_id", "tag_name": "tag", "op": "type"}}  # fmt: skip
    wanted = {
        "uid": [f["user_id"] for f in folks[:3]] + [folks[3]["user_id"]],
        "tag_name": [first, first, second, tags[first]],  # a name or an id
        "op": ["add", "add", "add", "remove"],
    }
    p.table("wanted", wanted)
    report = p.push()
    assert report.exit_code == 0, report
    assert tags[first] in _tagged(p, folks[0]["id"]) and tags[first] in _tagged(p, folks[1]["id"])
    assert tags[second] in _tagged(p, folks[2]["id"])
    assert tags[first] not in _tagged(p, folks[3]["id"])
    patches = p.sandbox.journal.filter("PATCH", "/tag/entity")
    assert len(patches) == 3  # grouped by (tag, direction): first+add, second+add, first+remove
    seen = p.requests()
    assert p.push().requests == 0 and p.requests() == seen
    # mirror: a pair this sync added leaves the source -> the tag comes off again
    p.table("wanted", {k: v[1:] for k, v in wanted.items()})
    assert p.push().exit_code == 0
    assert tags[first] not in _tagged(p, folks[0]["id"])
    assert tags[first] in _tagged(p, folks[1]["id"])


def test_tags_already_in_the_extract_cost_nothing(any_pusher: Pusher) -> None:
    p = any_pusher
    tagged = [r for r in p.sandbox.store.rows("people") if r.get("tags") and r.get("user_id")][0]
    tag_id = tagged["tags"][0]
    extract(p)
    p.syncs["t"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "w"}
    p.table("w", {"user_id": [tagged["user_id"]], "tag": [tag_id]})
    report = p.push()
    assert report.syncs[0].skipped == {"unchanged": 1} and p.requests() == 0


def test_unknown_tag_is_rejected_not_sent(pusher: Pusher) -> None:
    p = pusher
    (person,) = [r for r in p.sandbox.store.rows("people") if r.get("user_id")][:1]
    p.syncs["t"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "w"}
    p.table("w", {"user_id": [person["user_id"]], "tag": ["No Such Tag"]})
    report = p.push()
    assert report.exit_code == 1 and report.syncs[0].rejected == 1
    assert p.sandbox.journal.count("PATCH") == 0
    (row,) = p.wh.query_df("SELECT reason FROM t__rejected").to_dicts()
    assert "No Such Tag" in row["reason"]


def test_events_land_once_with_deduplication_ids(any_pusher: Pusher) -> None:
    p = any_pusher
    folks = [r for r in p.sandbox.store.rows("people") if r.get("user_id")][:3]
    p.syncs["usage"] = {"object": "events", "match": "user_id", "table": "ev",
                        "mapping": {"uid": "user_id", "event": "name", "at": "created_at",
                                    "seats": "metadata.seats"}}  # fmt: skip
    rows = {
        "uid": [f["user_id"] for f in folks],
        "event": ["login", "login", "export"],
        "at": ["2024-05-01T10:00:00Z", "2024-05-01 11:00:00", "2024-05-02"],
        "seats": [1, 2, 3],
    }
    p.table("ev", rows)
    before = len(p.sandbox.store.events)
    assert p.push().exit_code == 0
    events = p.sandbox.store.events[before:]
    assert len(events) == 3
    assert {e["name"] for e in events} == {"login", "export"}
    assert all(e.get("deduplication_id") for e in events)
    seen = p.requests()
    assert p.push().requests == 0 and p.requests() == seen
    p.table("ev", {k: [*v, v[0]] for k, v in rows.items()} | {"event": [*rows["event"], "logout"]})
    assert p.push().syncs[0].confirmed == 1
    assert len(p.sandbox.store.events) == before + 4
