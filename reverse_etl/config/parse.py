"""``[syncs.<name>]`` sections of pipelines.toml, checked before anything is read or sent.

A sync says what Custify should hold (a warehouse table, a query, or a ready diff table), which
registry action makes it so, and how a row finds its record (``match``). Every mistake is one
line naming the key to fix (``SyncConfigError``, exit code 2), so a typo never turns into a
half-applied push.

```toml
[syncs.crm_people]
object = "people"            # registry object
action = "upsert"            # its action (default: upsert; events: insert; tags: entity)
match = "user_id"            # identifier of the action (people: id, user_id, email)
table = "desired_people"     # or: query = "SELECT ...", or: diff_table = "..."
mode = "upsert"              # upsert | update_only | create_only | mirror
nulls = "skip"               # skip | unset ($unset where custify-api.md §1.5 allows)
connection = "production"    # named Custify connection (default: the default one)
allow_deletes = false        # mirror and delete_flag need true
max_delete_share = 0.1       # stop when deletes exceed this share of the target
max_attempts = 5             # failed rows are retried on later runs up to this many times
max_deletes = 100            # stop when a run would delete more records than this
key = ["source_id"]          # creates: the columns naming one record to create (default: content)
files_dir = "exports/files"  # files.upload: the directory every uploaded path must stay inside
after = ["crm_companies"]    # run after these syncs in the same push (reverse_etl.config.order)
[syncs.crm_people.mapping]   # warehouse column -> Custify field (dot paths for attributes)
plan_name = "custom_attributes.plan"
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from custify.config_sources import did_you_mean
from models.registry import REGISTRY, TAGGABLE, Action, CustifyObject
from models.types import ActionKind
from reverse_etl.config import values
from reverse_etl.config.errors import SyncConfigError
from reverse_etl.config.fields import Field, resolve
from reverse_etl.config.order import check_after
from reverse_etl.config.sync import KIND_OF_ACTION, TAG_FIELDS, Kind, Mode, Nulls, SyncConfig
from reverse_etl.ledger.schemas import SYNC_TABLE_SUFFIXES

#: the longest suffix of a sync's own tables (``<sync>__rejected``)
_SUFFIX_MAX = max(len(s) for s in SYNC_TABLE_SUFFIXES)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYS = frozenset(
    {"object", "action", "match", "mode", "table", "query", "diff_table", "mapping", "nulls",
     "connection", "allow_deletes", "max_delete_share", "max_attempts", "delete_flag", "entity",
     "key", "retry_backoff_s", "max_deletes", "files_dir", "after"}
)  # fmt: skip
_DEFAULT_VERBS = ("upsert", "insert", "entity")


def load_syncs(raw: Mapping[str, Any]) -> dict[str, SyncConfig]:
    """Every ``[syncs.*]`` section of the parsed pipelines.toml, validated."""
    syncs = raw.get("syncs", {})
    if not isinstance(syncs, dict):
        raise SyncConfigError("[syncs] must be a table of [syncs.<name>] sections")
    parsed = {name: parse_sync(name, section) for name, section in syncs.items()}
    check_after(parsed)
    return parsed


def select_syncs(
    raw: Mapping[str, Any], names: list[str] | None, *, connection: str | None = None
) -> list[SyncConfig]:
    """The syncs to run, in the order asked (all when ``names`` is empty); with
    ``connection``, only that connection's (``default``: syncs that name none)."""
    syncs = load_syncs(raw)
    if not names:
        chosen = list(syncs.values())
    else:
        unknown = [n for n in names if n not in syncs]
        if unknown:
            known = ", ".join(sorted(syncs)) or "none (add a [syncs.<name>] section)"
            raise SyncConfigError(
                f"unknown sync {unknown[0]!r}{did_you_mean(unknown[0], syncs)}; "
                f"known syncs: {known}"
            )
        chosen = [syncs[n] for n in names]
    if connection is None:
        return chosen
    mine = [c for c in chosen if (c.connection or "default") == connection]
    other = [c for c in chosen if c not in mine]
    if names and other:
        raise SyncConfigError(
            f"{other[0].where('connection')}: sync {other[0].name!r} belongs to connection "
            f"{other[0].connection or 'default'!r}, not {connection!r}"
        )
    return mine


def parse_sync(name: str, section: Any) -> SyncConfig:
    where = f"[syncs.{name}]"
    if not _NAME.match(name) or len(name) > 63 - _SUFFIX_MAX:
        raise SyncConfigError(
            f"{where}: sync names use letters, digits and underscores, start with a letter or "
            f"underscore, and have at most {63 - _SUFFIX_MAX} characters"
        )
    if not isinstance(section, dict):
        raise SyncConfigError(f"{where} must be a table")
    extra = sorted(set(section) - _KEYS)
    if extra:
        raise SyncConfigError(
            f"{where} {extra[0]}: unknown key{did_you_mean(extra[0], _KEYS)}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    obj = _object(where, section)
    action = _action(where, obj, section.get("action"))
    kind = KIND_OF_ACTION[action.kind]
    entity = _entity(where, section, kind)
    match = _match(where, section, action, kind, entity)
    cfg = SyncConfig(
        name=name,
        object=obj,
        action=action,
        kind=kind,
        match=match,
        entity=entity,
        mode=Mode(values.choice(where, section, "mode", tuple(Mode), Mode.UPSERT)),
        nulls=Nulls(values.choice(where, section, "nulls", tuple(Nulls), Nulls.SKIP)),
        connection=values.opt_str(where, section, "connection"),
        allow_deletes=values.flag(where, section, "allow_deletes", False),
        max_delete_share=values.number(where, section, "max_delete_share", 0.1, 0.0, 1.0),
        max_attempts=int(values.number(where, section, "max_attempts", 5, 1, 1000)),
        retry_backoff_s=values.number(where, section, "retry_backoff_s", 60.0, 0.0, 86400.0),
        max_deletes=int(values.number(where, section, "max_deletes", 100, 0, 10_000_000)),
        files_dir=values.files_dir(where, section, action),
        delete_flag=values.column(where, section, "delete_flag"),
        key=values.key_column_names(where, section),
        after=values.sync_names(where, section, "after"),
        **values.source(where, section),
    )
    mapping = _mapping(cfg, section.get("mapping"))
    fields = _fields(cfg, mapping)
    cfg = replace(cfg, mapping=mapping, fields=fields)
    _check_modes(cfg)
    return cfg


def _object(where: str, section: dict) -> CustifyObject:
    name = section.get("object")
    if not isinstance(name, str) or name not in REGISTRY:
        writable = sorted(n for n, o in REGISTRY.items() if o.actions)
        raise SyncConfigError(
            f"{where} object: unknown Custify object {name!r}; known: {', '.join(writable)}"
        )
    return REGISTRY[name]


def _action(where: str, obj: CustifyObject, verb: Any) -> Action:
    """``upsert`` or ``people.upsert``; by default the object's upsert/insert/entity action."""
    verbs = [a.verb for a in obj.actions]
    if verb is None:
        verb = next((v for v in _DEFAULT_VERBS if v in verbs), None)
    if isinstance(verb, str) and verb.startswith(f"{obj.name}."):
        verb = verb.split(".", 1)[1]
    if not isinstance(verb, str) or verb not in verbs:
        raise SyncConfigError(
            f"{where} action: {obj.name} has no pushable action {verb!r}; known: "
            f"{', '.join(verbs) or 'none (read-only object)'}"
        )
    return obj.action(verb)


def _entity(where: str, section: dict, kind: Kind) -> CustifyObject | None:
    if kind != Kind.TAG:
        if "entity" in section:
            raise SyncConfigError(f'{where} entity: only tag syncs (object = "tags") take it')
        return None
    name = section.get("entity", "people")
    obj = REGISTRY.get(name) if isinstance(name, str) else None
    if obj is None or obj not in TAGGABLE:
        taggable = sorted(o.name for o in TAGGABLE)
        raise SyncConfigError(
            f"{where} entity: {name!r} cannot be tagged; use one of {', '.join(taggable)}"
        )
    return obj


def _match(
    where: str, section: dict, action: Action, kind: Kind, entity: CustifyObject | None
) -> str | None:
    """The identifier rows are matched on: one the action (or entity) takes, or one the
    registry can find the record by (``find_by``), which the engine resolves to an id.

    Creates with no identifier, and upserts whose only identifier is the internal ``id``
    (notes, comments, tags: create first, then update the id this tool remembers), may go
    without: their rows are keyed by ``key`` columns or, by default, by their content. An
    update whose only identifier is ``id`` names its record by it (a file's portal flag).
    """
    if kind == Kind.TAG and entity is not None:  # the tagged records, by their find_by
        ids = own = list(entity.find_by)
        named = entity.name
    else:
        ids = [i.name for i in action.identifiers]
        if kind == Kind.RECORD and action.kind is not ActionKind.CREATE:
            ids = ids or list(action.required)
        own = [i.name for i in action.identifiers]
        ids += [i for i in REGISTRY[action.object].find_by if i not in ids]
        named = action.name
    only_id = set(i.name for i in action.identifiers) == {"id"}
    keyless = kind == Kind.RECORD and (
        action.kind is ActionKind.CREATE or (action.kind is ActionKind.UPSERT and only_id)
    )
    default = None if keyless else (ids[0] if len(ids) == 1 else own[0] if len(own) == 1 else None)
    if "match" not in section and (keyless or default is not None):
        return default
    match = section.get("match", default)
    if not isinstance(match, str) or match not in ids:
        raise SyncConfigError(
            f"{where} match: {match!r} is not an identifier of {named}"
            f"; use one of {', '.join(ids) or 'none'}"
        )
    return match


def _mapping(cfg: SyncConfig, mapping: Any) -> dict[str, str] | None:
    if mapping is None:
        return None
    where = cfg.where("mapping")
    if not isinstance(mapping, dict) or not mapping:
        raise SyncConfigError(f'{where}: expected a table of column = "field" pairs')
    seen: dict[str, str] = {}
    for column, target in mapping.items():
        if not _NAME.match(column) or len(column) > 63:
            raise SyncConfigError(f"{where} {column!r}: not a valid column name")
        if not isinstance(target, str) or not target:
            raise SyncConfigError(f"{where} {column}: expected a Custify field name")
        if target in seen:
            raise SyncConfigError(
                f"{where} {column}: {target!r} is already mapped from {seen[target]!r}"
            )
        seen[target] = column
    return dict(mapping)


def _fields(cfg: SyncConfig, mapping: Mapping[str, str] | None) -> dict[str, Field]:
    """Resolve every mapped target against the registry (known targets for an identity map)."""
    if mapping is None:
        return {}
    out: dict[str, Field] = {}
    for column, target in mapping.items():
        out[target] = resolve_target(cfg, target, f"{cfg.where('mapping')} {column}")
    return out


def resolve_target(cfg: SyncConfig, target: str, where: str) -> Field:
    """The ``Field`` a column writes, or SyncConfigError naming the mapping key."""
    if cfg.kind == Kind.TAG:
        if target == cfg.match or target in TAG_FIELDS:
            return Field(target, target, None, cfg.action.body.get(target))
        raise SyncConfigError(
            f"{where}: a tag sync maps {cfg.match}, tag and type (add/remove), not {target!r}"
        )
    try:
        return resolve(cfg.object, cfg.action, target)
    except ValueError as exc:
        raise SyncConfigError(f"{where}: {exc}") from None


def _check_modes(cfg: SyncConfig) -> None:
    where = cfg.where("mode")
    if cfg.kind in (Kind.DELETE, Kind.GET) and cfg.mode != "upsert":
        raise SyncConfigError(f"{where}: {cfg.action.name} takes no mode (every row is one call)")
    if cfg.kind == Kind.DELETE and not cfg.allow_deletes:
        raise SyncConfigError(
            f"{cfg.where('allow_deletes')}: {cfg.action.name} deletes records in Custify "
            "permanently; set allow_deletes = true to opt in"
        )
    if cfg.kind == Kind.APPEND and cfg.mode not in ("upsert", "create_only"):
        raise SyncConfigError(f"{where}: {cfg.action.name} appends; use upsert or create_only")
    if cfg.kind == Kind.TAG and cfg.mode not in ("upsert", "mirror"):
        raise SyncConfigError(f"{where}: tag syncs use upsert (add/remove as listed) or mirror")
    deletes = cfg.kind == Kind.RECORD and (cfg.mode == "mirror" or cfg.delete_flag)
    if deletes and cfg.delete_action is None:
        raise SyncConfigError(f"{where}: {cfg.object.name} has no delete action to mirror with")
    if deletes and not cfg.allow_deletes:
        raise SyncConfigError(
            f'{cfg.where("allow_deletes")}: mode = "mirror" and delete_flag delete records in '
            "Custify permanently; set allow_deletes = true to opt in"
        )
    if cfg.nulls == "unset" and "$unset" not in cfg.action.body:
        raise SyncConfigError(f"{cfg.where('nulls')}: {cfg.action.name} cannot $unset fields")
    if cfg.delete_flag and cfg.kind != Kind.RECORD:
        raise SyncConfigError(f"{cfg.where('delete_flag')}: only record syncs delete records")
