"""The object registry: one frozen row per Custify object, with its write actions.

Everything object-specific in custify-sync is read from here: the client's pagination and
action methods, the sandbox's routes, the dlt resources, the reverse-ETL validation and the
parametrised tests. A new object is a new row, not new code. Facts and their sources are in
``docs/custify-api.md`` (section numbers are given next to each row).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from models.catalog_crm import CRM_OBJECTS, TAG_CATEGORIES
from models.catalog_read import READ_OBJECTS
from models.catalog_work import WORK_OBJECTS
from models.rows import (
    UNREAD,
    Action,
    Constraint,
    CustifyObject,
    Finder,
    GetOne,
    Identifier,
    KeyedList,
    Link,
    ListVariant,
    ParentList,
    ReadAs,
    ReadBack,
    Recovery,
    Ref,
)
from models.types import ActionKind, Trigger

OBJECTS: tuple[CustifyObject, ...] = CRM_OBJECTS + WORK_OBJECTS + READ_OBJECTS

#: ``POST /batch`` limits (custify-api.md §15).
BATCH_PATH = "/batch"
BATCH_STATUS_PATH = "/batch/{id}"
BATCH_MAX_JOBS = 100
BATCH_MAX_SYNC_JOBS = 3
#: ``PATCH /tag/entity`` takes at most this many ids (§5, the MCP's cap).
TAG_ENTITY_MAX_IDS = 100
#: Custify's published rate limit (§1.8).
RATE_LIMIT_REQUESTS = 100
RATE_LIMIT_WINDOW_S = 10.0

#: The design's action families and their sizes, as the product covers them.
ACTION_FAMILIES: Mapping[str, int] = MappingProxyType(
    {
        "People": 7, "Companies": 5, "Notes": 3, "Tags": 5, "Scores": 2, "Tickets": 4,
        "Tasks": 2, "Comments": 3, "Files": 3, "Financials": 12, "Time Tracks": 3,
    }
)  # fmt: skip

REGISTRY: Mapping[str, CustifyObject] = MappingProxyType({o.name: o for o in OBJECTS})
ACTIONS: Mapping[str, Action] = MappingProxyType({a.name: a for o in OBJECTS for a in o.actions})
EXTRACTED: tuple[CustifyObject, ...] = tuple(o for o in OBJECTS if o.extracted)
#: Triggers we mirror: every (object, created|updated) pair of an extracted object.
TRIGGERS: tuple[tuple[str, Trigger], ...] = tuple(
    (o.name, t) for o in EXTRACTED for t in o.triggers
)
#: Custom data rides ``POST /batch`` with no action of its own (§15): its jobs are named by the
#: id of the data they carry.
CUSTOM_DATA_JOB: tuple[str, tuple[str, ...]] = ("custom-data", ("data_id",))


def _batch_job_identifiers() -> Mapping[str, tuple[str, ...]]:
    """The payload fields that name one job of each ``POST /batch`` job type, most specific
    first: an append's dedup key (many jobs share a person), else the identifiers Custify's
    upsert of that type matches on (§2–§4, §15)."""
    out: dict[str, tuple[str, ...]] = {}
    for action in ACTIONS.values():
        if action.batch_job and action.dedup_key:
            out[action.batch_job] = (action.dedup_key,)
        elif action.batch_job and action.kind is ActionKind.UPSERT:
            out[action.batch_job] = tuple(i.name for i in action.identifiers)
    name, fields = CUSTOM_DATA_JOB
    out[name] = fields
    return MappingProxyType(out)


#: Every ``POST /batch`` job type, with the payload fields that name one of its jobs.
BATCH_JOB_IDENTIFIERS: Mapping[str, tuple[str, ...]] = _batch_job_identifiers()
#: Objects whose records ``PATCH /tag/entity`` tags (their category, §1.6 and §5) and that
#: rows can name by an identifier (``find_by``).
TAGGABLE: tuple[CustifyObject, ...] = tuple(o for o in OBJECTS if o.tag_category and o.find_by)


def get_object(name: str) -> CustifyObject:
    """The registry row for ``name``, or a KeyError that lists the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown Custify object {name!r}; known objects: {known}") from None


def resolves_first(action: Action, match: str) -> bool:
    """Must a row naming its record by ``match`` be resolved to ONE Custify id before
    ``action`` is sent (and the request name the record by that id)?

    Deletes destroy identity, permanently (§2, §3): whenever the action takes an internal id,
    a delete names its record by it, never by ``?email=``. Other actions that act on one
    record (updates, gets) do so when ``match`` may name several records
    (``Finder.several``). A value that names several records is rejected with their ids."""
    if match in ("id", "_id"):
        return False
    if not {i.name for i in action.identifiers} & {"id", "_id"}:
        return False
    if action.kind is ActionKind.DELETE:
        return True
    finder = REGISTRY[action.object].find_by.get(match)
    several = finder is not None and finder.several
    return several and action.kind in (ActionKind.UPDATE, ActionKind.GET)


def get_action(name: str) -> Action:
    """The action called ``name`` (``<object>.<verb>``), or a KeyError listing the known ones."""
    try:
        return ACTIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIONS))
        raise KeyError(f"unknown Custify action {name!r}; known actions: {known}") from None


__all__ = [
    "ACTIONS", "ACTION_FAMILIES", "BATCH_JOB_IDENTIFIERS", "BATCH_MAX_JOBS", "BATCH_MAX_SYNC_JOBS",
    "BATCH_PATH", "BATCH_STATUS_PATH", "EXTRACTED", "OBJECTS", "RATE_LIMIT_REQUESTS", "RATE_LIMIT_WINDOW_S",
    "REGISTRY", "TAGGABLE", "TAG_CATEGORIES", "TAG_ENTITY_MAX_IDS", "TRIGGERS", "UNREAD",
    "Action", "Constraint", "CustifyObject", "Finder", "GetOne", "Identifier", "KeyedList", "Link",
    "ListVariant",
    "ParentList",
    "ReadAs", "ReadBack",
    "Recovery", "Ref", "get_action", "get_object", "resolves_first",
]  # fmt: skip
