"""Literal types shared by the registry, the client, the sandbox and the engines.

Pure data, no I/O. Each enum value names a behaviour described in ``docs/custify-api.md``.
"""

from __future__ import annotations

from enum import StrEnum


class Envelope(StrEnum):
    """How a list or get response wraps its rows (custify-api.md §18)."""

    #: ``{"<key>": [...], "total": N}`` (most lists, ``GET /company/{id}``, ``GET /task/{id}``).
    OBJECT = "object"
    #: ``[{"<key>": [...], "total": N}]``; the object form is accepted too (§2, quirk 2).
    ARRAY_WRAPPED = "array_wrapped"
    #: ``[...]`` with no envelope and no total (``GET /survey``, quirk 6).
    BARE_ARRAY = "bare_array"
    #: ``{"<key>": [...], "total": N}``, but a bare row when exactly one matches (quirk 5).
    OBJECT_OR_SINGLE = "object_or_single"
    #: The entity itself, no wrapper (``GET /people/{id}``).
    ENTITY = "entity"
    #: 202 with an empty or ``{}`` body (``POST /event``, quirk 15).
    EMPTY = "empty"


class SortStyle(StrEnum):
    """Which sort parameters a list endpoint understands (custify-api.md §1.7)."""

    #: ``sorting={"field": ..., "direction": "asc"|"desc"}`` (URL-encoded JSON).
    SORTING_JSON = "sorting_json"
    #: ``sort=<field>&order=asc|desc``.
    SORT_ORDER = "sort_order"
    #: No sort parameter; the server's default order applies.
    NONE = "none"


class FilterStyle(StrEnum):
    """Which ``filters`` dialect a list endpoint understands (custify-api.md §1.7)."""

    #: ``[{fieldName, fieldType, filterType, filterValue}]``; conditions AND together
    ENTITY = "entity"
    #: ``[{field, values}]``; values of one field OR together, fields AND together
    ACTIVITY = "activity"


class IdLocation(StrEnum):
    """Where an identifier travels in a write or get request."""

    PATH = "path"
    QUERY = "query"
    BODY = "body"


class FieldType(StrEnum):
    """Type of a writable body field, used by validation (pandera) and the sandbox's 400s."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    LIST = "list"
    OBJECT = "object"
    #: ``custom_attributes``: flat object with the rules of custify-api.md §1.5.
    ATTRIBUTES = "attributes"
    #: A local file path, uploaded as multipart (files.upload).
    FILE = "file"


class ActionKind(StrEnum):
    """What an action does to Custify's state; decides ledger and retry semantics."""

    CREATE = "create"  # makes a new record; NOT idempotent unless the API dedupes
    UPDATE = "update"  # changes an existing record named by an identifier
    UPSERT = "upsert"  # Custify matches on an identifier, creates when nothing matches
    DELETE = "delete"  # permanent; needs opt-in in the reverse ETL
    GET = "get"  # read one record by an identifier
    TAG = "tag"  # add or remove a tag on entities
    APPEND = "append"  # adds to a record (event, reply, score); not idempotent


class Trigger(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"  # detected by reconciliation only; not one of the 22 polling triggers


class ReadNorm(StrEnum):
    """How a written body field compares with the value Custify reads back (custify-api.md
    §18): what the reverse ETL's diff and the sandbox's shapers both follow."""

    #: the read field holds the written value, in the body field's type (dates in UTC,
    #: numbers and booleans by value, custom attributes by Custify's type detection, §1.4)
    SAME = "same"
    #: a Custify user named by id or e-mail; read as the user's id plus ``<email>`` (§1.5)
    USER = "user"
    #: the user's own identifier of another record (a ticket's ``company`` is YOUR
    #: company_id, quirk 10); read as that record's Custify id
    REF = "ref"
    #: a list whose order means nothing (tag ids, file ids)
    SET = "set"
    #: ``[{company_id | id, remove?}]`` links (§2, §3); read as a list of Custify ids
    LINKS = "links"
    #: a Custify id the read list must NOT hold (a file unlinked from a company, §10)
    UNLINKED = "unlinked"


class ValueFormat(StrEnum):
    """Formats a string body field must have beyond its type (checked before sending)."""

    #: an e-mail address: one ``@``, no spaces, a dot in the domain
    EMAIL = "email"
    #: a Custify user: a 24-hex id or an e-mail (owners, assignees, time-track users, §1.5)
    USER = "user"
