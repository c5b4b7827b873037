"""Every write endpoint behind the registry's actions, generated from the account's rows.

Actions that share a method and path (``people.create``/``update``/``upsert`` are all
``POST /people``) are one endpoint, as on the real server. Most endpoints run the generic
engine below: locate the target by the action's identifiers (path, query, body), validate
against the action's body schema, merge the write into the stored READ shape (keys left out
keep their values, §1.5), let the object's shaper translate write fields to read fields
(``routes/shapes.py``), stamp ``created_at``/``updated_at`` and store. Endpoints whose
behaviour really differs (people/company upserts, events, scores, tag patches, ticket
replies, file upload/unlink, gets) are named in ``SPECIAL``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from models.registry import Action, CustifyObject
from models.types import ActionKind, Envelope, IdLocation
from sandbox import validation
from sandbox.routes import appends, gets, people_company, render, shapes, tags_files
from sandbox.routes.scopes import aliases
from sandbox.util import Req, Resp, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.account import Account

Handler = Callable[["Account", Req], Resp]

#: Endpoints with their own logic, keyed by the set of action names served there.
SPECIAL: dict[frozenset[str], Handler] = {
    frozenset({"people.create", "people.update", "people.upsert"}): people_company.upsert_person,
    frozenset({"companies.create", "companies.update", "companies.upsert"}):
        people_company.upsert_company,
    frozenset({"people.get"}): gets.get_people,
    frozenset({"companies.get"}): gets.get_company,
    frozenset({"people.tag"}): tags_files.people_tag,
    frozenset({"tags.entity"}): tags_files.patch_entity,
    frozenset({"events.insert"}): appends.insert_event,
    frozenset({"scores.nps"}): appends.score("nps"),
    frozenset({"scores.csat"}): appends.score("csat"),
    frozenset({"tickets.reply"}): appends.ticket_reply,
    frozenset({"files.upload"}): tags_files.upload,
    frozenset({"files.unlink"}): tags_files.unlink,
}  # fmt: skip

_SHAPE = re.compile(r"\{\w+\}")


def templates(action: Action) -> list[str]:
    """Every path the action is served under: its own, its identifiers' overrides, and the
    alternate placements the notes leave open (a time track's id in the path, §13)."""
    idents = (*action.identifiers, *action.alternates)
    return list(dict.fromkeys([action.path, *(i.path for i in idents if i.path)]))


def routes(objects: Iterable[CustifyObject]) -> list[tuple[str, str, Handler, str]]:
    objects = tuple(objects)
    groups: dict[tuple[str, str], list[Action]] = {}
    first_template: dict[tuple[str, str], str] = {}
    for action in (a for o in objects for a in o.actions):
        for template in templates(action):
            key = (action.method, _SHAPE.sub("{}", template))
            groups.setdefault(key, []).append(action)
            first_template.setdefault(key, template)
    out = []
    for key, actions in groups.items():
        handler = SPECIAL.get(frozenset(a.name for a in actions)) or generic(actions)
        label = "+".join(a.name for a in actions)
        for path in aliases(first_template[key], objects):
            out.append((key[0], path, handler, label))
    return out


def generic(actions: list[Action]) -> Handler:
    by_kind = {a.kind: a for a in actions}

    def handle(sb: Account, req: Req) -> Resp:
        if ActionKind.DELETE in by_kind:
            return delete(sb, req, by_kind[ActionKind.DELETE])
        body = req.json_object()
        old, action = locate(sb, req, body, by_kind)
        return write(sb, req, action, body, old)

    return handle


def find(sb: Account, obj: str, ident: str, value: str) -> dict | None:
    """The record an identifier names, by the read field holding it (``find_field``)."""
    table = sb.store.table(obj)
    if ident in ("id", "_id"):
        return table.rows.get(value)
    fld = sb.registry[obj].find_field(ident)
    ids = table.lookup(fld, value)
    return table.rows[min(ids)] if ids else None


def _path_ident(action: Action, req: Req) -> tuple[str, str] | None:
    """``(identifier, value)`` from the path, skipping parent parameters (comments)."""
    for name, value in req.params.items():
        if name not in action.parent_params:
            return ("id" if name == "_id" else name), value
    return None


def locate(sb: Account, req: Req, body: dict, by_kind: dict) -> tuple[dict | None, Action]:
    """The stored target (None = create) and the action that applies to it."""
    main = next(a for a in actions_in(by_kind, "update", "upsert", "create"))
    obj = main.object
    existing_action = by_kind.get(ActionKind.UPDATE) or by_kind.get(ActionKind.UPSERT) or main
    create_action = by_kind.get(ActionKind.CREATE) or by_kind.get(ActionKind.UPSERT)
    label = sb.registry[obj].record_label
    in_path = _path_ident(main, req)
    if in_path is not None:
        rec = find(sb, obj, *in_path)
        if rec is None:
            raise not_found(f"{label}: {in_path[1]} not found")
        return rec, existing_action
    idents = [i for a in actions_in(by_kind, "upsert", "update", "create") for i in a.identifiers]
    names = list(dict.fromkeys(i.name for i in idents if i.location != IdLocation.PATH))
    create_key = sb.registry[obj].create_key  # the knob plays the other answer: a duplicate
    if create_key and not sb.faults.ticket_create_duplicates:
        names.append(create_key)
    for name in names:
        value = body.get(name) if name in body else req.query.get(name)
        if value in (None, ""):
            continue
        rec = find(sb, obj, name, str(value))
        if rec is not None:
            return rec, existing_action
        if name in ("id", "_id") or create_action is None:
            raise not_found(f"{label}: {value} not found")
    if create_action is None:
        raise bad_request(f"{' or '.join(names) or 'id'} is required")
    return None, create_action


def actions_in(by_kind: dict, *kinds: str) -> Iterator[Action]:
    return (by_kind[ActionKind(k)] for k in kinds if ActionKind(k) in by_kind)


def write(sb: Account, req: Req, action: Action, body: dict, old: dict | None) -> Resp:
    """Validate, merge, shape, stamp and store one record; answer with its READ shape."""
    sb.check_reject(action, req, body)
    obj = action.object
    validation.check(action, body, sb.registry[obj].string_max)
    rec = copy.deepcopy(old) if old is not None else shapes.defaults(sb.registry[obj], action)
    for name, value in body.items():
        if name in action.body and name not in shapes.NOT_STORED:
            rec[name] = copy.deepcopy(value)
    shapes.shape(sb, req, action, body, rec, creating=old is None)
    return Resp(200, render.row(obj, sb.stamp_and_store(obj, rec, old is None), req))


def delete(sb: Account, req: Req, action: Action) -> Resp:
    """Hard delete by path id or query identifier (§2, §3, §5, §7, §12, §13)."""
    obj = action.object
    label = sb.registry[obj].record_label
    ident = _path_ident(action, req) or next(
        ((i.name, req.query[i.name]) for i in action.identifiers
         if i.location == IdLocation.QUERY and req.query.get(i.name)),
        None,
    )  # fmt: skip
    if ident is None:
        raise bad_request(" or ".join(i.name for i in action.identifiers) + " is required")
    value = ident[1]
    rec = find(sb, obj, *ident)
    if rec is None:
        raise not_found(f"{label}: {value} not found")
    sb.check_reject(action, req, {"id": rec["id"]})
    sb.store.delete(obj, rec["id"])
    return Resp(200, None if action.response == Envelope.EMPTY else {"deleted": 1})
