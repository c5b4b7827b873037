"""A new object is a registry row: the sandbox lists, seeds and upserts it from the row alone.

The row below exists only in this test's copy of the registry (``Sandbox(objects=...)``); no
sandbox module names it, so whatever the sandbox serves for it comes from the row.
"""

from __future__ import annotations

import pytest

from models.registry import OBJECTS
from models.rows import Action, Constraint, CustifyObject, Finder, Identifier
from models.types import ActionKind, FieldType, IdLocation
from sandbox import Sandbox
from tests.sandbox.conftest import make_client

WIDGETS = CustifyObject(
    name="widgets",
    list_path="/widget",
    envelope_key="widgets",
    label="Widget",
    seed_rows=15,
    find_by={"externalId": Finder("query", "externalId")},
    actions=(
        Action(
            "widgets.upsert",
            "Widgets",
            ActionKind.UPSERT,
            "POST",
            "/widget",
            identifiers=(Identifier("externalId", IdLocation.BODY),),
            body={
                "externalId": FieldType.STRING,
                "name": FieldType.STRING,
                "size": FieldType.INTEGER,
                "kind": FieldType.STRING,
            },  # fmt: skip
            required=("externalId",),
            constraints={"size": Constraint(lo=1, hi=9), "kind": Constraint(choices=("a", "b"))},
        ),
    ),
)


@pytest.fixture
def sb(clock):
    return Sandbox(seed=3, scale=1.0, clock=clock, rate_limit=None, objects=(*OBJECTS, WIDGETS))


def test_the_new_object_is_seeded_from_its_field_types(sb):
    rows = sb.store.rows("widgets")
    assert len(rows) == WIDGETS.seed_rows
    for row in rows:
        assert 1 <= row["size"] <= 9 and row["kind"] in ("a", "b")
        assert row["name"].startswith("Widget ") and isinstance(row["externalId"], str)
        assert row["created_at"] <= row["updated_at"]


def test_seeding_it_leaves_every_other_table_as_it_was(sb, clock):
    plain = Sandbox(seed=3, scale=1.0, clock=clock, rate_limit=None)
    assert {n: plain.store.rows(n) for n in plain.store.tables} == {
        n: sb.store.rows(n) for n in plain.store.tables
    }


def test_the_new_object_lists_with_the_generic_envelope_and_paging(sb):
    with make_client(sb) as client:
        first = client.get("/widget", params={"itemsPerPage": 10}).json()
        second = client.get("/widget", params={"itemsPerPage": 10, "page": 2}).json()
    assert first["total"] == second["total"] == WIDGETS.seed_rows
    ids = [r["id"] for r in first["widgets"] + second["widgets"]]
    assert sorted(ids) == sorted(r["id"] for r in sb.store.rows("widgets"))


def test_the_new_object_upserts_on_its_identifier(sb):
    with make_client(sb) as client:
        made = client.post("/widget", json={"externalId": "w-1", "name": "One", "size": 3})
        again = client.post("/widget", json={"externalId": "w-1", "size": 4})
        refused = client.post("/widget", json={"externalId": "w-2", "size": 12})
    assert made.status_code == again.status_code == 200
    assert again.json()["id"] == made.json()["id"]
    stored = sb.store.find("widgets", externalId="w-1")
    assert [(r["name"], r["size"]) for r in stored] == [("One", 4)]
    assert refused.status_code == 400 and "size" in refused.json()["error"]
    assert sb.store.count("widgets") == WIDGETS.seed_rows + 1
