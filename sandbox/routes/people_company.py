"""``POST /people`` and ``POST /company``: Custify's upsert rules (§2, §3, quirks 12, 13, 14).

People are matched id -> user_id -> e-mail. An e-mail match whose stored person carries a
*different* user_id creates a NEW person; an e-mail match without a stored user_id adopts the
sent one; an unknown ``id`` is a 404. Companies are matched by ``id`` or ``company_id``, and
``company_id`` cannot be changed through the API. Writes merge: keys left out keep their
values, ``custom_attributes`` merges key by key, null clears, ``$unset`` removes.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from models.registry import ACTIONS, REGISTRY, Action
from models.types import FieldType, ReadNorm
from sandbox import attributes, lookup, validation
from sandbox.routes import render
from sandbox.util import Req, Resp, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.account import Account

_STRUCTURED = (FieldType.LIST, FieldType.OBJECT, FieldType.ATTRIBUTES, FieldType.FILE)


def _owners(action: Action) -> tuple[str, ...]:
    """Fields naming a Custify user, read back with ``_email``/``_name`` (§1.5)."""
    return tuple(n for n, r in action.read_as.items() if r.norm is ReadNorm.USER)


def _plain(action: Action) -> tuple[str, ...]:
    """Scalar body fields stored as sent (not ids, links, attributes or owners)."""
    owners = _owners(action)
    return tuple(n for n, t in action.body.items()
                 if t not in _STRUCTURED and n != "id" and n not in owners)  # fmt: skip


#: What ``POST /people`` and ``POST /company`` store as sent, from the upsert actions' bodies.
PEOPLE_FIELDS = _plain(ACTIONS["people.upsert"])
COMPANY_FIELDS = _plain(ACTIONS["companies.upsert"])
OWNER_FIELDS = _owners(ACTIONS["companies.upsert"])


def match_person(sb: Account, body: dict) -> dict | None:
    """The person a ``POST /people`` body names, by §2's lookup order; None means create."""
    store = sb.store
    if body.get("id"):
        rec = store.table("people").rows.get(body["id"])
        if rec is None:
            raise not_found(f"User: {body['id']} not found")
        return rec
    uid, email = body.get("user_id"), body.get("email")
    if uid:
        rec = lookup.one(store, "people", "user_id", uid)
        if rec is not None:
            return rec
    if email:
        table = store.table("people")
        for pid in sorted(table.lookup("email", email)):
            rec = table.rows[pid]
            if not uid or not rec.get("user_id"):
                return rec  # rule 3 (adopts the user_id) or an e-mail-only request
        # rule 4: every e-mail match has a different user_id -> a new person
    return None


def upsert_person(sb: Account, req: Req) -> Resp:
    body = req.json_object()
    old = match_person(sb, body)
    action = ACTIONS["people.create" if old is None else "people.update"]
    sb.check_reject(action, req, body)
    validation.check(ACTIONS["people.upsert"], body, sb.registry["people"].string_max)
    unset = validation.check_unset("people", body)
    if old is None and not body.get("user_id") and not body.get("email"):
        raise bad_request("user_id or email is required to create a person")
    rec = copy.deepcopy(old) if old is not None else new_person()
    for name in PEOPLE_FIELDS:
        if name in body:
            rec[name] = body[name]
    types = merge_attributes(sb, "people", rec, body)
    if "companies" in body and body["companies"] is not None:
        rec["companies"] = link(sb, rec.get("companies") or [], body["companies"], "companies")
    apply_unset(rec, unset)
    stored = sb.stamp_and_store("people", rec, old is None)
    attributes.commit(sb.store.attribute_types["people"], types)
    return Resp(200, render.entity(stored, req))


def new_person() -> dict:
    rec: dict = {k: None for k in PEOPLE_FIELDS}
    rec.update(copy.deepcopy(dict(REGISTRY["people"].new_record)))
    return rec


def match_company(sb: Account, body: dict) -> dict | None:
    if body.get("id"):
        rec = sb.store.table("companies").rows.get(body["id"])
        if rec is None:
            raise not_found(f"Company: {body['id']} not found")
        if body.get("company_id") and body["company_id"] != rec.get("company_id"):
            raise bad_request("company_id cannot be changed through the API")
        return rec
    if body.get("company_id"):
        return lookup.company(sb.store, company_id=body["company_id"])
    raise bad_request("id or company_id is required")


def upsert_company(sb: Account, req: Req) -> Resp:
    body = req.json_object()
    old = match_company(sb, body)
    action = ACTIONS["companies.create" if old is None else "companies.update"]
    sb.check_reject(action, req, body)
    validation.check(ACTIONS["companies.upsert"], body, sb.registry["companies"].string_max)
    unset = validation.check_unset("companies", body)
    rec = copy.deepcopy(old) if old is not None else new_company()
    for name in COMPANY_FIELDS:
        if name in body:
            rec[name] = body[name]
    for name in OWNER_FIELDS:
        if name in body:
            set_owner(sb, rec, name, body[name])
    types = merge_attributes(sb, "companies", rec, body)
    if body.get("parent_companies") is not None:
        parents = link(sb, rec.get("parent_companies") or [], body["parent_companies"],
                       "parent_companies")  # fmt: skip
        if rec.get("id") in parents:
            raise bad_request("parent_companies: a company cannot be its own parent")
        rec["parent_companies"] = parents
    for path in unset:
        if path in OWNER_FIELDS:
            set_owner(sb, rec, path, None)
    apply_unset(rec, unset)
    stored = sb.stamp_and_store("companies", rec, old is None)
    attributes.commit(sb.store.attribute_types["companies"], types)
    return Resp(200, render.entity(stored, req))


def new_company() -> dict:
    rec: dict = {k: None for k in COMPANY_FIELDS}
    rec.update(copy.deepcopy(dict(REGISTRY["companies"].new_record)))
    return rec


def set_owner(sb: Account, rec: dict, name: str, value: str | None) -> None:
    """Owners are Custify users, sent by e-mail or id; reads add ``_email``/``_name`` (§1.5)."""
    if value is None:
        rec.update({name: None, f"{name}_email": None, f"{name}_name": None})
        return
    user = lookup.user(sb.store, value)
    if user is None:
        raise bad_request(f"{name}: no Custify user {value!r}")
    rec.update({name: user["id"], f"{name}_email": user["email"], f"{name}_name": user["name"]})


def merge_attributes(sb: Account, scope: str, rec: dict, body: dict) -> dict[str, str]:
    """Key-by-key merge; null removes the key (§1.4 "sending null clears a value"). Values
    must fit the type each attribute's first value fixed (sandbox/attributes.py); returns the
    types this write fixes, for the caller to commit once the write is stored."""
    attrs = body.get("custom_attributes")
    if attrs is None:
        return {}
    current = rec.get("custom_attributes") or {}
    validation.check_attributes(attrs, current)
    attrs, types = attributes.enforce(sb.store.attribute_types[scope],
                                      sb.faults.attribute_type_mismatch, attrs,
                                      "custom_attributes")  # fmt: skip
    merged = {**current, **attrs}
    rec["custom_attributes"] = {k: v for k, v in merged.items() if v is not None}
    return types


def link(sb: Account, current: list[str], items: list, field: str) -> list[str]:
    """Apply ``[{company_id}|{id}, remove?]`` links to a list of Custify company ids (§2, §3)."""
    out = list(current)
    for item in items:
        if not isinstance(item, dict) or not (item.get("id") or item.get("company_id")):
            raise bad_request(f"{field}: each item needs id or company_id")
        comp = lookup.company_or_404(sb.store, id=item.get("id"), company_id=item.get("company_id"))
        if item.get("remove"):
            out = [c for c in out if c != comp["id"]]
        elif comp["id"] not in out:
            out.append(comp["id"])
    return out


def apply_unset(rec: dict, paths: list[str]) -> None:
    for path in paths:
        head, _, key = path.partition(".")
        if key:
            (rec.get(head) or {}).pop(key, None)
        else:
            rec[head] = None
