"""pandera schemas generated from the registry: invalid rows are rejected with reasons, never
sent, and the valid rows still go."""

from __future__ import annotations

import polars as pl
import pytest

from reverse_etl.config import parse_sync
from reverse_etl.source.desired import map_columns
from reverse_etl.validate.schema import build_schema, validate
from tests.reverse_etl.conftest import Pusher


def _reasons(section: dict, frame: pl.DataFrame) -> dict[int, str]:
    cfg = parse_sync("s", section)
    _, bad = validate(cfg, map_columns(cfg, frame))
    return dict(zip(bad["__row"].to_list(), bad["reason"].to_list(), strict=True))


PEOPLE = {"object": "people", "match": "user_id", "table": "t"}


@pytest.mark.parametrize(
    ("column", "values", "reason"),
    [
        ("session_count", ["7", "x"], "session_count: not an integer"),
        ("session_count", [1, 2**40], "session_count: outside the int32 range"),
        ("signed_up_at", ["2024-01-02", "next tuesday"], "signed_up_at: not a date"),
        ("unsubscribed_from_emails", ["TRUE", "maybe"], "not a boolean"),
        ("name", ["ok", "x" * 256], "name: longer than 255 characters"),
        ("custom_attributes__plan", ["ok", "y" * 256], "longer than 255 characters"),
        ("segments", [None, "seg-1"], "segments: read-only"),
    ],
)
def test_type_and_limit_checks(column: str, values: list, reason: str) -> None:
    frame = pl.DataFrame({"user_id": ["a", "b"], column: values}, strict=False)
    assert list(_reasons(PEOPLE, frame)) == [1]
    assert reason in _reasons(PEOPLE, frame)[1]


def test_identifier_duplicates_and_attribute_rules() -> None:
    frame = pl.DataFrame(
        {
            "user_id": ["a", "b", "b", None, "e"],
            "custom_attributes__list": [None, None, None, None, [1, 2]],
        },
        strict=False,
    )
    reasons = _reasons(PEOPLE, frame)
    assert "duplicate key" in reasons[1] and "duplicate key" in reasons[2]
    assert reasons[3] == "user_id: is required"
    assert "arrays are not allowed" in reasons[4]
    assert 0 not in reasons


def test_attribute_keys_objects_and_currency() -> None:
    mapping = {"uid": "user_id", "odd": "custom_attributes.1234", "arr": "custom_attributes.arr",
               "obj": "custom_attributes.obj"}  # fmt: skip
    frame = pl.DataFrame(
        {"uid": ["a", "b", "c"], "odd": [None, 5, None],
         "arr": [{"value": 1.5, "currency": "USD"}, None, None],
         "obj": [None, None, {"x": 1}]},
    )  # fmt: skip
    reasons = _reasons({**PEOPLE, "mapping": mapping}, frame)
    assert 0 not in reasons  # Currency {value, currency} is the one allowed object
    assert "custom attribute key '1234'" in reasons[1]
    assert "objects are not allowed" in reasons[2]


def test_at_most_250_attributes_per_row() -> None:
    attrs = {f"custom_attributes__k{i}": [None, i] for i in range(251)}
    frame = pl.DataFrame({"user_id": ["a", "b"], **attrs})
    assert "more than 250 custom_attributes keys" in _reasons(PEOPLE, frame)[1]


def test_events_strings_are_capped_at_100_and_required_fields_checked() -> None:
    section = {"object": "events", "match": "user_id", "table": "t"}
    frame = pl.DataFrame(
        {"user_id": ["a", "b", "c"], "name": ["ok", "n" * 101, None],
         "created_at": ["2024-01-01", "2024-01-01", "2024-01-01"]}
    )  # fmt: skip
    reasons = _reasons(section, frame)
    assert "longer than 100" in reasons[1] and "name: is required" in reasons[2]


def test_schema_is_generated_from_the_registry_body() -> None:
    cfg = parse_sync("s", PEOPLE)
    frame = pl.DataFrame({"user_id": ["a"], "phone": ["1"], "session_count": [1]})
    schema = build_schema(cfg, map_columns(cfg, frame))
    assert set(schema.columns) == {"user_id", "phone", "session_count"}
    assert schema.unique == ["user_id"]


def test_invalid_rows_go_to_rejected_and_never_reach_custify(any_pusher: Pusher) -> None:
    p = any_pusher
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table(
        "desired",
        {"user_id": ["ok-1", "bad-1", "ok-2", "bad-2"],
         "session_count": ["3", "three", "4", "5"],
         "email": ["a@x.io", "b@x.io", "c@x.io", "e" * 300]},
    )  # fmt: skip
    report = p.push()
    assert report.exit_code == 1
    sync = report.syncs[0]
    assert (sync.confirmed, sync.rejected) == (2, 2)
    rejected = p.wh.query_df("SELECT key, reason FROM crm__rejected ORDER BY key").to_dicts()
    assert [r["key"] for r in rejected] == ["bad-1", "bad-2"]
    assert "session_count: not an integer" in rejected[0]["reason"]
    assert "email: longer than 255" in rejected[1]["reason"]
    sent = [j["payload"]["user_id"] for b in p.bodies("POST", "/batch") for j in b["jobs"]]
    assert sorted(sent) == ["ok-1", "ok-2"]
    assert p.sandbox.store.find("people", user_id="bad-1") == []
    again = p.push()  # rejected rows wait for a change: nothing new is sent or ledgered
    assert again.requests == 0 and again.syncs[0].rejected == 2
    ledger = p.wh.query_df(
        "SELECT count(*) AS n FROM _custify_ledger WHERE status = 'rejected'"
    ).item()
    assert ledger == 2
