"""The row types of the object registry (``models.registry``): pure frozen data, no I/O.

One ``CustifyObject`` per Custify object, each with its ``Action`` rows; the reverse ETL's
identifier resolution (``Finder``, ``Ref``) and exactly-once creates (``Recovery``) are
described here too, so that a new action needs a registry row rather than new engine code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from models.types import (
    ActionKind,
    Envelope,
    FieldType,
    FilterStyle,
    IdLocation,
    ReadNorm,
    SortStyle,
    Trigger,
    ValueFormat,
)


@dataclass(frozen=True)
class Identifier:
    """One way an action can name its target record.

    ``path`` overrides the action's path template when this identifier is used, e.g. people
    get by ``id`` is ``GET /people/{id}`` while by ``email`` it is ``GET /people?email=``.
    """

    name: str
    location: IdLocation
    path: str | None = None


@dataclass(frozen=True)
class Finder:
    """How one record is found by an identifier the user knows (reverse-ETL resolution).

    ``how``: ``get`` = the object's registry get action; ``one`` = ``GET <list_path>/<value>``;
    ``query`` = ``GET <list_path>?<identifier>=<value>``; ``scan`` = list everything once and
    match ``field`` (the read field holding the identifier; financials keep theirs in
    ``externalIds.custify``, §1.3). ``within`` names fields a row may add to narrow the match
    (tag names are unique per category only, §1.6).
    """

    how: str
    field: str
    within: tuple[str, ...] = ()
    #: one value may name several records (an e-mail after Custify's "new person" rule, §2):
    #: deletes, updates and gets that name a record this way are resolved to ONE internal id
    #: first, and a value naming several records is rejected with every id found
    several: bool = False
    #: the entity-filter ``fieldType`` that lists EVERY record holding a value (§1.7); a get
    #: may answer with one record of several, so counting asks the filtered list as well
    filter_type: str | None = None
    #: where ``several`` comes from: DOC/INF and the custify-api.md section
    source: str = ""


@dataclass(frozen=True)
class Ref:
    """A request field that holds another record's Custify id, and the row column that may
    name that record by an identifier the user knows instead (custify-api.md §1.3).

    The reverse ETL resolves ``column`` (``by`` of ``object``) to the found record's ``take``
    field, writes it to ``field`` and adds ``sets`` (e.g. ``entityModel = "Company"``). A row
    whose value finds nothing, or several records, is rejected before anything is sent.
    ``when`` limits a ref to rows whose fields hold these values (polymorphic parents: a
    comment's ``entity`` is a note when ``entityModel`` is ``Note``).
    """

    column: str
    field: str
    object: str
    by: str
    # ``field`` names a dataclass field here, so the factory is spelled in full
    sets: Mapping[str, str] = dataclasses.field(default_factory=dict)
    when: Mapping[str, str] = dataclasses.field(default_factory=dict)
    take: str = "id"


@dataclass(frozen=True)
class Recovery:
    """How to tell whether an unconfirmed create reached Custify, which does not deduplicate
    it (§16): list the candidates and look for the one this attempt made.

    ``list_path`` is filled from the request's fields; ``params`` maps list query parameters
    to request fields; ``match`` maps request fields to the read fields that must hold the same
    value (a ``FILE`` field compares the file's name and byte size). ``marker`` names a body
    field that carries a hidden, deterministic token (a note's HTML text); ``external_key``
    one that gets a deterministic value when the row has none (a task's ``externalId``).
    ``items`` names the list inside the found record that holds the created item (a ticket's
    ``replies``).
    """

    list_path: str
    params: Mapping[str, str] = field(default_factory=dict)
    match: Mapping[str, str] = field(default_factory=dict)
    marker: str | None = None
    external_key: str | None = None
    items: str | None = None


@dataclass(frozen=True)
class ReadAs:
    """Where Custify reads a written body field back, and how the two sides compare.

    ``field`` is the read field (a dot path into the read shape; None = never read back, so
    the reverse ETL compares it with its own confirmed write only). ``listed``: the read side
    is a list that holds the written value (a time track's ``company`` array, §13).
    ``item``: read lists of objects, the key holding each id (a ticket's ``people`` are
    ``{id}`` objects, §7). ``email``: for ``USER``, the read field with the user's e-mail
    (``owners_csm_email``, §1.5). ``via``: for ``REF`` and ``LINKS``, the ``(object,
    identifier)`` pairs a written value may name a record by (``companies``, ``company_id``).
    """

    field: str | None
    norm: ReadNorm = ReadNorm.SAME
    listed: bool = False
    item: str | None = None
    email: str | None = None
    via: tuple[tuple[str, str], ...] = ()


#: a field Custify never reads back: compared with the confirmed write only
UNREAD = ReadAs(None)


@dataclass(frozen=True)
class ReadBack:
    """Where an appended item reads back from another object (a score: its person's response
    to the survey it names, §11), so a value changed in Custify is seen and set back.

    ``within`` maps body fields to the read fields that must hold the same value (the
    survey), ``person`` the row's resolved person id column to its read field, ``fields`` the
    body fields compared with the read fields of the same meaning. A row without a ``within``
    value has no read-back (a score tied to no survey is listed nowhere)."""

    object: str
    within: Mapping[str, str]
    person: tuple[str, str]
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Constraint:
    """What Custify accepts in one request field beyond its JSON type, with the notes'
    section saying so: checked before anything is sent (and answered 400 by the sandbox)."""

    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    format: ValueFormat | None = None
    max_len: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Action:
    """One Custify write (or get) action, as the integration we mirror exposes it."""

    name: str  # "<object>.<verb>", unique, e.g. "people.upsert"
    family: str  # the design's action family ("People", "Financials", ...), for the 49 count
    kind: ActionKind
    method: str
    path: str  # template; ``{name}`` placeholders are path parameters
    identifiers: tuple[Identifier, ...] = ()
    body: Mapping[str, FieldType] = field(default_factory=dict)
    required: tuple[str, ...] = ()  # body fields that must be present
    #: query parameters that are not identifiers (e.g. time tracks' ``user``)
    query: tuple[str, ...] = ()
    #: path parameters that name a parent (comments: entityModel + entity)
    parent_params: tuple[str, ...] = ()
    response: Envelope = Envelope.ENTITY
    response_key: str | None = None
    #: ``POST /batch`` job type that can carry this action's payload, if any (§15)
    batch_job: str | None = None
    multipart: bool = False
    #: Custify does not deduplicate this create (notes, tasks, comments, replies, files, ...)
    duplicates_on_retry: bool = False
    #: other records the request names by Custify id, and how rows may name them instead
    refs: tuple[Ref, ...] = ()
    #: how the reverse ETL finds an unconfirmed create before sending it again
    recovery: Recovery | None = None
    #: other placements of an identifier Custify may expect instead of the documented one
    #: (an INF guess, e.g. a time track's id in the path rather than ``?id=``, §13/§19): the
    #: client tries them in turn when the documented one is refused (404/400) and remembers
    #: the placement that worked
    alternates: tuple[Identifier, ...] = ()
    #: body fields that read back under another name or form (the rest: same name, same
    #: value); only meaningful for objects the ELT extracts
    read_as: Mapping[str, ReadAs] = field(default_factory=dict)
    #: request fields (body, query, parent) with ranges, enums or formats (§1.4-§13)
    constraints: Mapping[str, Constraint] = field(default_factory=dict)
    #: where an appended item reads back (scores: survey responses)
    read_back: ReadBack | None = None
    #: the body field Custify deduplicates this append on: a later request with the same
    #: value is accepted and ignored, so a retry is safe (an event's ``deduplication_id``, §4)
    dedup_key: str | None = None
    doc: str = ""

    def read_of(self, name: str) -> ReadAs:
        """How body field ``name`` reads back (default: the same field, the same value)."""
        return self.read_as.get(name) or ReadAs(name)

    @property
    def object(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def verb(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def path_params(self) -> tuple[str, ...]:
        import string

        return tuple(f for _, f, _, _ in string.Formatter().parse(self.path) if f)


@dataclass(frozen=True)
class ListVariant:
    """One extra query a list needs to cover the whole object (segments of both types)."""

    params: Mapping[str, str]
    label: str


@dataclass(frozen=True)
class ParentList:
    """A parent object whose records each have their own list of this object, named in the
    list path (comments per note and per task, §9; responses per survey, §11).

    ``param`` is the path parameter holding the parent's Custify id, ``fixed`` the other path
    parameters (a comment's ``entityModel``). Rows that lack them get them from the parent
    they were listed under, so every row says where it lives. ``changed_only``: only the lists
    of parents whose cursor moved since the last scan are read (a full pass on the first run,
    ``--full-refresh`` and ``--reconcile``), because a full pass costs one request per parent.
    """

    object: str
    param: str
    fixed: Mapping[str, str] = field(default_factory=dict)
    changed_only: bool = False

    @property
    def key(self) -> str:
        """The stream key of this parent's cursor in the child object's dlt state."""
        return self.object


@dataclass(frozen=True)
class KeyedList:
    """A nested object keyed by other records' ids, landed as rows rather than columns.

    A company's ``metrics.health_scores`` is keyed by health-score ObjectIds (and ``global``,
    §3): flattened, each id would be a column name, and Postgres's 63-character limit mangles
    them. Each entry becomes one row of ``<table>__<name>``: ``record_id`` (the parent's id),
    ``<key>`` (the entry's key), ``name`` (the entry's own ``name``, else the ``names_from``
    record's name, else the key itself for ``global``), ``value`` (the first of ``value``
    fields present: the MCP reads ``score ?? value``, §3) and the entry's other fields.
    """

    path: str
    name: str
    key: str
    value: tuple[str, ...] = ("value",)
    names_from: str | None = None


@dataclass(frozen=True)
class Link:
    """A read field holding the Custify id of a person or company (``object``): a hard delete
    of that record takes the id out of it (§2, §3 "including the person's events and other
    data"). ``many``: a list of ids; else one id, cleared with its ``companions`` (a task's
    ``user_id`` next to ``people``)."""

    field: str
    object: str
    many: bool = True
    companions: tuple[str, ...] = ()


@dataclass(frozen=True)
class GetOne:
    """A single-record read with no registry action (``GET /task/{id}``, ``GET /tag/{id}``).

    ``envelope_key`` None: the bare record, 404 on a miss; else ``{key: [...], "total": n}``,
    empty on a miss (quirk 4)."""

    path: str
    envelope_key: str | None = None


@dataclass(frozen=True)
class CustifyObject:
    """One Custify object: how to list it, how to page and sort it, and how to write it."""

    name: str  # registry key and warehouse table name
    list_path: str | None
    envelope: Envelope = Envelope.OBJECT
    envelope_key: str | None = None
    page_size_max: int = 50
    #: query parameters that carry the page size (§1.7: ``itemsPerPage``; notes and tags
    #: document ``limit``); every one is sent with the same value
    page_size_params: tuple[str, ...] = ("itemsPerPage",)
    sort_style: SortStyle = SortStyle.SORTING_JSON
    id_field: str = "id"
    #: field the incremental scan orders and filters on; None = not incrementally listable
    cursor_field: str | None = "updated_at"
    created_field: str = "created_at"
    triggers: tuple[Trigger, ...] = ()
    #: extracted by the ELT source into a warehouse table of the same name
    extracted: bool = False
    #: listed per parent record: the parent object and the query parameter that names it
    per_parent: tuple[str, str] | None = None
    #: listed per parent record through a path parameter (``ParentList``), one list per
    #: parent object; ``list_path`` holds the parameters
    parent_lists: tuple[ParentList, ...] = ()
    #: parents the list can be scoped to when the unscoped list is refused (files per company
    #: or person, §10 and §19): ``(parent object, query parameter)`` pairs
    scoped_by: tuple[tuple[str, str], ...] = ()
    variants: tuple[ListVariant, ...] = ()
    #: fixed list parameters (e.g. ``includeCounts=false`` to save Custify work)
    list_params: Mapping[str, str] = field(default_factory=dict)
    #: the list takes ``properties`` (§1.7), so an id-only listing (reconcile) costs little
    accepts_properties: bool = False
    #: tag category of this object's tags (custify-api.md §1.6)
    tag_category: str | None = None
    #: fields holding lists of objects that the ELT source lands as ``<table>__<field>``
    child_lists: tuple[str, ...] = ()
    #: nested objects keyed by other records' ids that land as rows ``<table>__<name>``
    keyed_lists: tuple[KeyedList, ...] = ()
    #: fields that Custify computes; the reverse ETL refuses to write them
    read_only: tuple[str, ...] = ()
    #: fields ``$unset`` may clear (custify-api.md §1.5); custom attributes always can
    unsettable: tuple[str, ...] = ()
    #: longest string Custify stores in this object's fields and attribute values (§1.4)
    string_max: int | None = None
    #: identifiers one record can be found by, and how (identifier resolution)
    find_by: Mapping[str, Finder] = field(default_factory=dict)
    #: other spellings Custify may give this object's path prefix (``/time_track`` for
    #: ``/time-track``, §13): the client tries them when the documented one is a 404, and
    #: remembers the one that answers
    path_spellings: tuple[str, ...] = ()
    #: ``GET`` path listing the custom attributes and their types (§1.5, the MCP's only)
    attributes_path: str | None = None
    #: what a "<label>: <id> not found" answer calls one record (the RudderStack mock's
    #: wording, §1.9); None: the object's name
    label: str | None = None
    #: the list's order when the request names none, ``(field, descending)`` (DOC §1.7 where
    #: documented; INF created_at descending elsewhere)
    default_sort: tuple[str, bool] = ("created_at", True)
    #: a ``sorting``-JSON list whose prose (or the MCP) also uses ``sort`` + ``order`` (§1.7, §14)
    also_sort_order: bool = False
    #: the list answer echoes ``page`` and ``itemsPerPage`` next to ``total`` (§1.7, §11, §14)
    echoes_paging: bool = False
    #: the ``filters`` dialect the list understands (§1.7); None: filters are refused
    filter_style: FilterStyle | None = None
    #: entity-scoped variants of ``list_path`` (``/note/{entity}``, ``/company/people/{company}``)
    scoped_paths: tuple[str, ...] = ()
    #: single-record reads that no action describes
    get_one: GetOne | None = None
    #: fields naming people or companies by Custify id, cleared when those are deleted
    links: tuple[Link, ...] = ()
    #: the field Custify matches a create on although no action names it an identifier
    #: (INF §7, §16: ``POST /ticket`` with a known externalId updates that ticket;
    #: ``facts.ticket_create_upserts``)
    create_key: str | None = None
    #: how a record created through the API reads back beyond its written fields (which read
    #: back None until written): Custify's defaults (§5–§13)
    new_record: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: rows the sandbox seeds for this object at scale 1 when no hand-written generator
    #: makes its data (``sandbox/generator_generic.py``)
    seed_rows: int = 20
    actions: tuple[Action, ...] = ()
    doc: str = ""

    @property
    def record_label(self) -> str:
        return self.label or self.name

    def find_field(self, identifier: str) -> str:
        """The read field holding ``identifier`` (financial externalIds live in
        ``externalIds.custify``, §1.3); the identifier's own name otherwise."""
        finder = self.find_by.get(identifier)
        return (
            finder.field if finder is not None and identifier not in ("id", "_id") else identifier
        )

    @property
    def sort_field(self) -> str | None:
        return self.cursor_field

    def action(self, verb: str) -> Action:
        for action in self.actions:
            if action.verb == verb:
                return action
        raise KeyError(f"object {self.name!r} has no action {verb!r}")
