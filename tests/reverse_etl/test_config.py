"""Bad configuration: one clear line naming the key, SyncConfigError (exit 2), nothing sent."""

from __future__ import annotations

import pytest

from reverse_etl import SyncConfigError, load_syncs
from reverse_etl.config import parse_sync

PEOPLE = {"object": "people", "match": "user_id", "table": "desired_people"}


def _error(section: dict, name: str = "crm") -> str:
    with pytest.raises(SyncConfigError) as info:
        parse_sync(name, section)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({**PEOPLE, "object": "peeple"}, "[syncs.crm] object: unknown Custify object 'peeple'"),
        ({**PEOPLE, "action": "merge"}, "[syncs.crm] action: people has no pushable action"),
        ({**PEOPLE, "match": "phone"}, "[syncs.crm] match: 'phone' is not an identifier"),
        ({**PEOPLE, "mode": "sometimes"}, "[syncs.crm] mode: 'sometimes' is not one of"),
        ({**PEOPLE, "nulls": "zero"}, "[syncs.crm] nulls"),
        ({**PEOPLE, "tabel": "x"}, "[syncs.crm] tabel: unknown key"),
        ({**PEOPLE, "query": "SELECT 1"}, "give exactly one source"),
        ({**PEOPLE, "table": "x; DROP TABLE people"}, "[syncs.crm] table: 'x; DROP TABLE"),
        ({**PEOPLE, "mapping": {"plan": "custom_attributes"}} | {"mapping": {"a b": "email"}},
         "not a valid column name"),
        ({**PEOPLE, "mapping": {"plan": "plan_name"}}, "'plan_name' is not a field of people"),
        ({**PEOPLE, "mode": "mirror"}, "[syncs.crm] allow_deletes: mode = \"mirror\""),
        ({**PEOPLE, "delete_flag": "gone"}, "[syncs.crm] allow_deletes"),
        ({**PEOPLE, "max_delete_share": 2}, "[syncs.crm] max_delete_share"),
        ({"object": "events", "action": "insert", "table": "t", "mode": "update_only",
          "match": "user_id"}, "events.insert appends"),
        ({"object": "tags", "action": "entity", "table": "t", "match": "company_id",
          "entity": "companies",
          "mode": "create_only"}, "tag syncs use upsert"),
        ({"object": "events", "table": "t", "match": "user_id", "nulls": "unset"},
         "events.insert cannot $unset"),
        ({"object": "files", "action": "upload", "table": "t"},
         "[syncs.crm] files_dir: files.upload uploads local files"),
        ({**PEOPLE, "files_dir": "."}, "[syncs.crm] files_dir: people.upsert uploads no files"),
        ({"object": "files", "action": "upload", "table": "t", "files_dir": "/no/such/dir"},
         "is not a directory"),
        ({**PEOPLE, "action": "delete"}, "[syncs.crm] allow_deletes: people.delete deletes"),
        ({**PEOPLE, "action": "get", "mode": "mirror"}, "people.get takes no mode"),
        ({"object": "tasks", "action": "update", "table": "t", "match": "name"},
         "[syncs.crm] match: 'name' is not an identifier of tasks.update; use one of _id, id"),
        ({**PEOPLE, "max_deletes": -1}, "[syncs.crm] max_deletes"),
    ],
)  # fmt: skip
def test_bad_sections_name_the_key(section: dict, expected: str) -> None:
    assert expected in _error(section)


def test_sync_names_are_identifiers() -> None:
    assert "sync names use letters" in _error(PEOPLE, name="crm-people; drop")
    assert "sync names use letters" in _error(PEOPLE, name="x" * 60)


def test_defaults_come_from_the_registry() -> None:
    syncs = load_syncs(
        {
            "syncs": {
                "p": PEOPLE,
                "c": {"object": "companies", "match": "company_id", "query": "SELECT 1"},
                "e": {"object": "events", "match": "email", "table": "ev"},
                "t": {"object": "tags", "action": "entity", "match": "user_id", "table": "tw"},
            }
        }
    )
    assert syncs["p"].action.name == "people.upsert" and syncs["p"].mode == "upsert"
    assert syncs["c"].action.name == "companies.upsert"
    assert syncs["e"].action.name == "events.insert"
    assert syncs["t"].action.name == "tags.entity" and syncs["t"].target.name == "people"


def test_read_only_targets_resolve_for_row_level_rejection() -> None:
    cfg = parse_sync("crm", {**PEOPLE, "mapping": {"uid": "user_id", "segs": "segments"}})
    assert cfg.fields["segments"].read_only


def test_matches_the_engine_resolves_and_keyless_creates() -> None:
    syncs = load_syncs(
        {
            "syncs": {
                "task_upd": {"object": "tasks", "action": "update", "match": "externalId",
                             "table": "t"},
                "notes": {"object": "notes", "action": "create", "table": "t"},
                "tag_del": {"object": "tags", "action": "delete", "match": "name", "table": "t",
                            "allow_deletes": True},
                "ack": {"object": "tickets", "action": "reply", "table": "t"},
            }
        }
    )  # fmt: skip
    assert not syncs["task_upd"].native_match  # externalId -> _id, resolved by the engine
    assert syncs["notes"].match is None and syncs["notes"].native_match  # keyed by content
    assert syncs["tag_del"].kind == "delete" and not syncs["tag_del"].native_match
    assert syncs["ack"].match == "externalId" and syncs["ack"].kind == "append"
