"""``tags.entity`` on every taggable object of the registry (§1.6, §5): add and remove, the
records named by the identifiers the registry's ``find_by`` gives each object, the sandbox's
state checked after each push.
"""

from __future__ import annotations

import pytest

from models.registry import TAGGABLE
from tests.reverse_etl.conftest import Pusher, extract


def _tag(p: Pusher, category: str) -> dict:
    return next(t for t in sorted(p.sandbox.store.rows("tags"), key=lambda t: t["id"])
                if t["category"] == category)  # fmt: skip


def _tags_of(p: Pusher, obj: str, rid: str) -> list[str]:
    return p.sandbox.store.get(obj, rid).get("tags") or []


@pytest.mark.parametrize("entity", [o.name for o in TAGGABLE])
def test_add_and_remove_a_tag_on_every_taggable_object(pusher: Pusher, entity: str) -> None:
    p = pusher
    obj = next(o for o in TAGGABLE if o.name == entity)
    tag = _tag(p, obj.tag_category)
    a, b = [r["id"] for r in sorted(p.sandbox.store.rows(entity), key=lambda r: r["id"])[:2]]
    p.syncs["t"] = {"object": "tags", "action": "entity", "entity": entity, "match": "id",
                    "table": "w"}  # fmt: skip
    p.table("w", {"id": [a, b], "tag": [tag["name"]] * 2, "type": ["add", "add"]})
    assert p.push().exit_code == 0
    assert tag["id"] in _tags_of(p, entity, a) and tag["id"] in _tags_of(p, entity, b)
    (patch,) = p.sandbox.journal.filter("PATCH", "/tag/entity")
    assert patch.body["category"] == obj.tag_category and sorted(patch.body["ids"]) == [a, b]
    p.table("w", {"id": [a, b], "tag": [tag["name"]] * 2, "type": ["add", "remove"]})
    assert p.push().exit_code == 0
    assert tag["id"] in _tags_of(p, entity, a) and tag["id"] not in _tags_of(p, entity, b)
    seen = p.requests()
    assert p.push().requests == 0 and p.requests() == seen


@pytest.mark.parametrize(("entity", "match", "field"), [("tasks", "externalId", "externalId"),
                                                         ("notes", "id", "id")])  # fmt: skip
def test_tasks_and_notes_by_their_identifiers_with_an_extract(
    any_pusher: Pusher, entity: str, match: str, field: str
) -> None:
    """Tasks named by their externalId (resolved through the extract), notes by id: add on
    one, remove on another that has the tag, on DuckDB and Postgres."""
    p = any_pusher
    sb = p.sandbox
    category = {"tasks": "task", "notes": "note"}[entity]
    tag = _tag(p, category)
    records = sorted(sb.store.rows(entity), key=lambda r: r["id"])
    bare = next(r for r in records if tag["id"] not in (r.get("tags") or []))
    tagged = next(r for r in records if r["id"] != bare["id"])
    sb.store.update(entity, tagged["id"], tags=[*(tagged.get("tags") or []), tag["id"]])
    if field == "externalId":
        for i, r in enumerate((bare, tagged)):
            sb.store.update(entity, r["id"], externalId=f"EXT-{i}")
    keys = [sb.store.get(entity, r["id"])[field] for r in (bare, tagged)]
    extract(p, entity)
    p.syncs["t"] = {"object": "tags", "action": "entity", "entity": entity, "match": match,
                    "table": "w"}  # fmt: skip
    p.table("w", {match: keys, "tag": [tag["name"], tag["id"]], "type": ["add", "remove"]})
    report = p.push()
    assert report.exit_code == 0, report.syncs[0]
    assert tag["id"] in _tags_of(p, entity, bare["id"])
    assert tag["id"] not in _tags_of(p, entity, tagged["id"])
    patched = [(e.body["type"], e.body["ids"]) for e in sb.journal.filter("PATCH", "/tag/entity")]
    assert sorted(patched) == [("add", [bare["id"]]), ("remove", [tagged["id"]])]
    # the tag's name needed one listing of the tags; every entity was found in the extract
    assert [e.path for e in sb.journal.filter("GET")] == ["/tag"]


def test_an_object_without_a_tag_category_cannot_be_tagged(pusher: Pusher) -> None:
    from reverse_etl.config import SyncConfigError, parse_sync

    with pytest.raises(SyncConfigError, match="entity: 'tickets' cannot be tagged; use one of"):
        parse_sync("t", {"object": "tags", "action": "entity", "entity": "tickets",
                         "table": "w"})  # fmt: skip
