"""The registry is the one table every layer reads: these checks keep it coherent."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from models.registry import (
    ACTION_FAMILIES,
    ACTIONS,
    EXTRACTED,
    OBJECTS,
    REGISTRY,
    TRIGGERS,
    get_action,
    get_object,
)
from models.types import ActionKind, Envelope, IdLocation, SortStyle, Trigger

#: the tables the product promises: the trigger objects, companies, and the read side completed
TRIGGER_OBJECTS = {
    "people", "notes", "tasks", "tickets", "files", "surveys", "time_tracks", "meetings",
    "health_scores", "segments", "lifecycles", "playbooks", "customer_objectives",
}  # fmt: skip
READ_SIDE = {
    "companies", "survey_responses", "tags", "deals", "invoices", "subscriptions", "comments",
    "calculated_metrics",
}  # fmt: skip
DESIGN_EXTRACTED = TRIGGER_OBJECTS | READ_SIDE
#: §1.7: 200 where documented, tags 100 (no documented maximum; the MCP's value), else 50
PAGE_CAPS = {"people": 200, "companies": 200, "tickets": 200, "lifecycles": 200, "playbooks": 200,
             "tags": 100}  # fmt: skip


def test_every_extracted_object_of_the_design_is_registered():
    assert {o.name for o in EXTRACTED} == DESIGN_EXTRACTED


def test_action_families_match_the_design_counts():
    # the families and their sizes as the product promises them
    assert Counter(a.family for a in ACTIONS.values()) == Counter(ACTION_FAMILIES)
    assert len(ACTIONS) == sum(ACTION_FAMILIES.values())


def test_triggers_are_created_and_updated_except_files_and_surveys():
    created_only = {o.name for o in EXTRACTED if o.triggers == (Trigger.CREATED,)}
    assert created_only == {"files", "surveys"}
    # §17 lists no trigger for companies and the read side: extracted, no trigger
    assert {o.name for o in EXTRACTED if not o.triggers} == READ_SIDE
    assert {o.name for o in EXTRACTED if o.triggers} == TRIGGER_OBJECTS
    both = len(TRIGGER_OBJECTS) - len(created_only)
    assert len(TRIGGERS) == 2 * both + len(created_only)


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o.name)
def test_object_rows_are_coherent(obj):
    assert REGISTRY[obj.name] is obj
    if obj.list_path:
        assert obj.list_path.startswith("/")
        assert obj.page_size_max in (50, 100, 200)
        if obj.envelope in (Envelope.OBJECT, Envelope.ARRAY_WRAPPED, Envelope.OBJECT_OR_SINGLE):
            assert obj.envelope_key, "an enveloped list needs its key"
    if obj.extracted and obj.triggers:
        assert obj.list_path and obj.cursor_field == (
            "created_at" if obj.triggers == (Trigger.CREATED,) else "updated_at"
        )
    if obj.extracted and not obj.triggers:
        # the read side: survey responses by responseDate (§11), comments list no timestamp
        # (§9) and are read whole under changed parents; the rest by updated_at
        expected = {"survey_responses": "responseDate", "comments": None}
        assert obj.list_path and obj.cursor_field == expected.get(obj.name, "updated_at")
    if obj.sort_style is SortStyle.NONE:
        # no sort parameter: a cursor only where the default order is documented (§11)
        assert obj.cursor_field in (None, "created_at", "responseDate")
    for parent in obj.parent_lists:
        assert "{" + parent.param + "}" in (obj.list_path or "")
        assert all("{" + p + "}" in (obj.list_path or "") for p in parent.fixed)
        assert REGISTRY[parent.object].extracted
    for action in obj.actions:
        assert action.object == obj.name


def test_documented_page_caps():
    for obj in EXTRACTED:
        assert obj.page_size_max == PAGE_CAPS.get(obj.name, 50), obj.name


@pytest.mark.parametrize("action", ACTIONS.values(), ids=lambda a: a.name)
def test_action_rows_are_coherent(action):
    assert action.method in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert re.fullmatch(r"/[\w\-/{}]*", action.path)
    assert set(action.required) <= set(action.body), "required fields must be body fields"
    assert set(action.parent_params) <= set(action.path_params)
    for ident in action.identifiers:
        path = ident.path or action.path
        if ident.location is IdLocation.PATH:
            assert "{" + ident.name + "}" in path, f"{ident.name} must be a path parameter"
        else:
            assert ident.path is None
    unbound = set(action.path_params) - set(action.parent_params)
    path_idents = {
        i.name for i in action.identifiers if i.location is IdLocation.PATH and not i.path
    }
    assert unbound <= path_idents, f"path parameters {unbound - path_idents} have no source"
    if action.batch_job:
        assert action.batch_job in {"people", "company", "event"}
    if action.kind in (ActionKind.GET, ActionKind.DELETE):
        assert action.identifiers, "gets and deletes need an identifier"


def test_non_deduplicated_creates_are_flagged():
    flagged = {a.name for a in ACTIONS.values() if a.duplicates_on_retry}
    for must in ("notes.create", "tasks.create", "comments.create", "tickets.reply",
                 "files.upload", "time_tracks.create"):  # fmt: skip
        assert must in flagged
    for idempotent in ("people.upsert", "companies.upsert", "events.insert", "tags.entity"):
        assert idempotent not in flagged


def test_lookups_name_what_is_known():
    with pytest.raises(KeyError, match="known objects: .*people"):
        get_object("persons")
    with pytest.raises(KeyError, match="known actions: .*people.upsert"):
        get_action("people.upset")


@pytest.mark.parametrize("action", list(ACTIONS.values()), ids=lambda a: a.name)
def test_refs_name_real_fields_objects_and_identifiers(action):
    """Identifier resolution reads these rows: every ref fills a request field from an object
    that can be found by the identifier the row column holds."""
    request_fields = {*action.body, *action.parent_params, *action.query,
                      *(i.name for i in action.identifiers)}  # fmt: skip
    for ref in action.refs:
        assert ref.field in request_fields, ref
        assert ref.object in REGISTRY, ref
        target = REGISTRY[ref.object]
        assert ref.by == "id" or ref.by in target.find_by, ref
        assert set(ref.sets) | set(ref.when) <= request_fields, ref


@pytest.mark.parametrize("action", list(ACTIONS.values()), ids=lambda a: a.name)
def test_every_create_custify_does_not_deduplicate_has_a_recovery(action):
    if action.duplicates_on_retry and action.kind is not ActionKind.GET:
        rec = action.recovery
        assert rec is not None, f"{action.name}: no way to find an unconfirmed create"
        request_fields = {*action.body, *action.parent_params, *action.query,
                          *(i.name for i in action.identifiers)}  # fmt: skip
        assert set(rec.match) | set(rec.params.values()) <= request_fields
        assert rec.marker is None or action.body.get(rec.marker) is not None
        assert rec.match or rec.marker, "a recovery must compare something"
    else:
        assert action.recovery is None


def test_unset_and_string_limits_live_in_the_registry():
    """§1.4/§1.5: what $unset may clear and how long strings may be (the reverse ETL reads them)."""
    people, companies = REGISTRY["people"], REGISTRY["companies"]
    assert "phone" in people.unsettable and "email" not in people.unsettable
    assert "monthly_revenue" in companies.unsettable and "company_id" not in companies.unsettable
    for obj in (people, companies):
        assert set(obj.unsettable) <= set(obj.action("upsert").body)
    assert (people.string_max, companies.string_max, REGISTRY["events"].string_max) == (
        255, 255, 100,
    )  # fmt: skip


def test_list_facts_belong_to_listed_objects():
    for obj in OBJECTS:
        list_facts = (obj.filter_style, obj.scoped_paths, obj.echoes_paging, obj.also_sort_order)
        if any(list_facts) or obj.default_sort != ("created_at", True):
            assert obj.list_path, obj.name
        if obj.also_sort_order:
            assert obj.sort_style is SortStyle.SORTING_JSON, obj.name


def test_a_create_key_is_a_field_its_creates_write():
    keyed = [o for o in OBJECTS if o.create_key]
    assert keyed
    for obj in keyed:
        creates = [a for a in obj.actions if a.kind is ActionKind.CREATE]
        assert creates and all(obj.create_key in a.body for a in creates), obj.name
