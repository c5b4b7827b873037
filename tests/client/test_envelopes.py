"""custify.envelopes on literal bodies: every wrapper of custify-api.md §18."""

from __future__ import annotations

import pytest

from custify.envelopes import parse, parse_one
from custify.errors import FatalError, NotFound
from models.types import Envelope as E

P1, P2 = {"id": "a1", "name": "Ann"}, {"id": "b2", "name": "Bob"}


@pytest.mark.parametrize(
    ("body", "envelope", "key", "rows", "total"),
    [
        ({"companies": [P1, P2], "total": 7}, E.OBJECT, "companies", [P1, P2], 7),
        ({"companies": [], "total": 0}, E.OBJECT, "companies", [], 0),
        ({}, E.OBJECT, "tasks", [], 0),
        ([{"people": [P1], "total": 3}], E.ARRAY_WRAPPED, "people", [P1], 3),
        ({"people": [P1], "total": 3}, E.ARRAY_WRAPPED, "people", [P1], 3),  # object form
        ([], E.ARRAY_WRAPPED, "people", [], 0),
        ([{"people": []}], E.ARRAY_WRAPPED, "people", [], None),
        (P1, E.ARRAY_WRAPPED, "people", [P1], 1),  # GET /people/{id}: the bare person
        ([P1, P2], E.BARE_ARRAY, None, [P1, P2], None),  # surveys
        ({"deals": [P1, P2], "total": 2}, E.OBJECT_OR_SINGLE, "deals", [P1, P2], 2),
        (P1, E.OBJECT_OR_SINGLE, "deals", [P1], 1),  # exactly one match: a bare row
        (
            {"externalIds": {"custify": "9"}},
            E.OBJECT_OR_SINGLE,
            "deals",
            [{"externalIds": {"custify": "9"}}],
            1,
        ),
        ({"time_track": [P1], "total": 1}, E.OBJECT, "time_track", [P1], 1),
        ({"time_tracks": [P1], "total": 1}, E.OBJECT, "time_track", [P1], 1),  # alias
        ({"data": [P1], "total": 1}, E.OBJECT, "notes", [P1], 1),  # MCP fallback key
        (P1, E.ENTITY, None, [P1], 1),
        (None, E.EMPTY, None, [], None),
        ({}, E.EMPTY, None, [], None),
    ],
)
def test_parse(body, envelope, key, rows, total) -> None:
    parsed = parse(body, envelope, key)
    assert parsed.rows == rows
    assert parsed.total == total


def test_objectives_echo_page_fields() -> None:
    body = {"objectives": [P1], "total": 51, "page": 2, "itemsPerPage": 50}
    parsed = parse(body, E.OBJECT, "objectives")
    assert (parsed.rows, parsed.total, parsed.echoed_page) == ([P1], 51, 2)


@pytest.mark.parametrize(
    ("body", "envelope", "key"),
    [
        ({"notes": "nope"}, E.OBJECT, "notes"),
        ({"unexpected": [P1]}, E.OBJECT, "notes"),
        ([P1], E.OBJECT, "notes"),
        ({"people": [P1]}, E.BARE_ARRAY, None),
        ([{"people": [1, 2]}], E.ARRAY_WRAPPED, "people"),
        ([{"people": []}, {"people": []}], E.ARRAY_WRAPPED, "people"),
        ("text", E.ENTITY, None),
    ],
)
def test_unexpected_shapes_are_fatal_not_silently_empty(body, envelope, key) -> None:
    with pytest.raises(FatalError, match="expected|unexpected"):
        parse(body, envelope, key)


@pytest.mark.parametrize(
    ("body", "envelope", "key"),
    [
        ([{"people": [], "total": 0}], E.ARRAY_WRAPPED, "people"),
        ([], E.ARRAY_WRAPPED, "people"),
        ({"companies": [], "total": 0}, E.OBJECT, "companies"),
        ([], E.OBJECT, "companies"),
        ({"tasks": []}, E.OBJECT, "tasks"),
        ([], E.ENTITY, None),
    ],
)
def test_empty_lookup_is_not_found(body, envelope, key) -> None:
    with pytest.raises(NotFound, match="empty result") as exc:
        parse_one(body, envelope, key, method="GET", path="/people?email=a@b.c")
    assert exc.value.status == 200 and "a@b.c" not in str(exc.value)


def test_lookup_returns_the_row() -> None:
    assert parse_one([{"people": [P1], "total": 1}], E.ARRAY_WRAPPED, "people") == P1
    assert parse_one({"companies": [P2], "total": 1}, E.OBJECT, "companies") == P2
    assert parse_one(P1, E.ARRAY_WRAPPED, "people") == P1
