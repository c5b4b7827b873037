"""What one ``[syncs.<name>]`` section means, once parsed: ``SyncConfig`` and its choices.

The parser (``config.parse``) builds these; every stage reads them. The choices are
``StrEnum``s, so a value compares equal to the word the config file spells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from models.registry import Action, CustifyObject, resolves_first
from models.types import ActionKind
from reverse_etl.config.fields import Field

#: targets of a tag sync besides the entity identifier; ``ids``/``category`` are computed
TAG_FIELDS = ("tag", "type")


class Kind(StrEnum):
    """How the engine diffs and sends a sync, decided by the action's registry kind."""

    RECORD = "record"  # create/update/upsert of one record per row
    APPEND = "append"  # events, scores, replies: one new item per row, never re-sent
    TAG = "tag"  # (entity, tag) pairs, grouped into bulk tag patches
    DELETE = "delete"  # every row names a record to delete (opt-in, guarded)
    GET = "get"  # every row names a record to read into ``<sync>__records``


#: the sync kind of each registry action kind
KIND_OF_ACTION = {
    ActionKind.CREATE: Kind.RECORD, ActionKind.UPDATE: Kind.RECORD, ActionKind.UPSERT: Kind.RECORD,
    ActionKind.APPEND: Kind.APPEND, ActionKind.TAG: Kind.TAG, ActionKind.DELETE: Kind.DELETE,
    ActionKind.GET: Kind.GET,
}  # fmt: skip


class Mode(StrEnum):
    """Which changes a record sync makes (``mode``)."""

    UPSERT = "upsert"  # create what is missing, update what differs
    UPDATE_ONLY = "update_only"  # never create
    CREATE_ONLY = "create_only"  # never overwrite
    MIRROR = "mirror"  # upsert, and delete what this sync created and no longer wants


class Nulls(StrEnum):
    """What a null cell means (``nulls``): leave the field alone, or ``$unset`` it (§1.5)."""

    SKIP = "skip"
    UNSET = "unset"


class Op(StrEnum):
    """A diff row's operation (the ``op`` column of the diff, the ledger and the snapshot)."""

    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"
    DELETE = "delete"
    EVENT = "event"
    INSERT = "insert"
    APPEND = "append"
    GET = "get"
    TAG_ADD = "tag_add"
    TAG_REMOVE = "tag_remove"
    #: ``<sync>__rejected`` and rejected ledger rows: why a row never became a request
    INVALID = "invalid"
    UNRESOLVED = "unresolved"
    REFUSED = "refused"


@dataclass(frozen=True)
class SyncConfig:
    name: str
    object: CustifyObject
    action: Action
    kind: Kind
    #: identifier the rows name their record by; None = a create keyed by ``key`` or content
    match: str | None
    mode: Mode = Mode.UPSERT
    table: str | None = None
    query: str | None = None
    diff_table: str | None = None
    #: warehouse column -> target path; None = columns named like the fields
    mapping: Mapping[str, str] | None = None
    nulls: Nulls = Nulls.SKIP
    connection: str | None = None
    allow_deletes: bool = False
    max_delete_share: float = 0.1
    max_attempts: int = 5
    retry_backoff_s: float = 60.0
    max_deletes: int = 100
    delete_flag: str | None = None
    #: object whose records a tag sync tags (any object with a tag category, §1.6)
    entity: CustifyObject | None = None
    #: columns naming one appended item (default: the match identifier + required fields)
    key: tuple[str, ...] = ()
    #: files.upload: every path column value must resolve inside this directory
    files_dir: Path | None = None
    #: syncs this one runs after in the same push or cycle (``config.order``)
    after: tuple[str, ...] = ()
    fields: Mapping[str, Field] = field(default_factory=dict, repr=False)

    def where(self, key: str | None = None) -> str:
        """``[syncs.<name>] key``: the prefix of every message about this sync."""
        return f"[syncs.{self.name}]" + (f" {key}" if key else "")

    @property
    def delete_action(self) -> Action | None:
        try:
            return self.object.action("delete")
        except KeyError:
            return None

    @property
    def target(self) -> CustifyObject:
        """The object whose records the rows name (the tagged entity for tag syncs)."""
        return self.entity or self.object

    @property
    def native_match(self) -> bool:
        """The action takes ``match`` itself (or only keys rows by it, as creates do);
        otherwise the engine resolves it to the id the action needs. Deletes, and actions
        on one record whose ``match`` may name several, always resolve to one id first
        (``models.registry.resolves_first``)."""
        if self.match is None or self.action.kind is ActionKind.CREATE:
            return True
        if self.match not in {i.name for i in self.action.identifiers}:
            return False
        return not resolves_first(self.action, self.match)
