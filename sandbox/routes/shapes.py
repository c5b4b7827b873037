"""Write shape -> read shape, per object, for the generic write engine.

Custify reads back differently from what it is sent in several places; each shaper edits the
new record in place after the generic merge has copied the written fields:

* notes: ``entity``/``entityModel`` (Company/Customer) fill ``entityName``, ``company``, ``people``
* tasks: ``company``/``company_id`` and ``people``/``user_id`` resolve both ways; ``_id`` (§8)
* tickets: write ``company`` = your company_id, ``people`` = user_id or e-mail; read arrays (§7)
* comments: parent from the path (§9)
* financials: ``externalId`` -> ``externalIds.custify`` (409 when another record has it);
  company/people links (§12)
* time tracks: ``?user=`` required; company/people read as arrays (§13)
* renamed fields (a time track's ``startedDate`` read as ``startDate``) follow the registry's
  ``Action.read_as``, the same facts the reverse ETL compares with
* tags: position and colours (§5)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from models.registry import ACTIONS, Action, CustifyObject
from models.types import ReadNorm
from sandbox import lookup, validation
from sandbox.routes.scopes import parent
from sandbox.util import ApiError, Req, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.account import Account

#: Body keys that steer a write but are never stored as such.
NOT_STORED = {"id", "_id", "$unset"}
#: A ticket reply's types (``tickets.reply``'s constraint), for replies sent with a ticket too.
REPLY_TYPES = ACTIONS["tickets.reply"].constraints["type"].choices

Shaper = Callable[["Account", Req, Action, dict, dict, bool], None]


def defaults(obj: CustifyObject, action: Action) -> dict:
    """A new record: every writable field present (None), then the registry's
    ``new_record`` (how Custify reads back what was not written)."""
    rec: dict = {k: None for k in action.body if k not in NOT_STORED}
    rec.update(copy.deepcopy(dict(obj.new_record)))
    return rec


def shape(sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool) -> None:
    obj = action.object
    if "tags" in body and body["tags"] is not None:
        check_tags(sb, sb.registry[obj], body["tags"])
    shaper = _SHAPERS.get(obj)
    if shaper is not None:
        shaper(sb, req, action, body, rec, creating)
    rename_read(action, rec)


def rename_read(action: Action, rec: dict) -> None:
    """Write fields Custify reads back under another name (registry ``read_as``, §18.7)."""
    for name, read in action.read_as.items():
        renamed = read.field and read.field != name and read.norm is ReadNorm.SAME
        stored = name in action.body and name not in NOT_STORED and name in rec
        if renamed and not read.listed and stored:
            rec[read.field] = rec.pop(name)


def check_tags(sb: Account, obj: CustifyObject, tag_ids: list) -> None:
    """Tag ids must exist and belong to the object's category (§1.6)."""
    category = obj.tag_category
    tags = sb.store.table("tags").rows
    for tid in tag_ids:
        tag = tags.get(tid) if isinstance(tid, str) else None
        if tag is None:
            raise bad_request(f"tags: unknown tag {tid!r}")
        if category and tag["category"] != category:
            raise bad_request(f"tags: tag {tid} is a {tag['category']} tag, not a {category} tag")


def _notes(sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool) -> None:
    if creating or "entity" in body or "entityModel" in body:
        model, entity = rec.get("entityModel"), rec.get("entity")
        if model == "Company":
            comp = lookup.company_or_404(sb.store, id=entity)
            rec.update(entityName=comp["name"], company=[comp["id"]], people=[])
        elif model == "Customer":
            person = lookup.person_or_404(sb.store, id=entity)
            rec.update(entityName=person["name"], company=list(person["companies"]),
                       people=[person["id"]])  # fmt: skip
    meta = body.get("metadata")
    if isinstance(meta, dict):
        rec["metadata"] = {"mentionedUsers": [], **meta}


def _tasks(sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool) -> None:
    path_id = req.params.get("_id") or req.params.get("id")
    if "_id" in body and path_id and body["_id"] != path_id:
        raise bad_request("_id does not match the task id in the path")
    if body.get("company") or body.get("company_id"):
        comp = lookup.company_or_404(sb.store, id=body.get("company"),
                                     company_id=body.get("company_id"))  # fmt: skip
        rec.update(company=comp["id"], company_id=comp["company_id"])
    if body.get("people") or body.get("user_id"):
        person = lookup.person_or_404(sb.store, id=body.get("people"), user_id=body.get("user_id"))
        rec.update(people=person["id"], user_id=person["user_id"])
    if body.get("assignedTo"):
        user = lookup.user(sb.store, body["assignedTo"])
        if user is None:
            raise bad_request(f"assignedTo: no Custify user {body['assignedTo']!r}")
        rec.update(assignedTo=user["id"], assignedToEmail=user["email"],
                   assignedToName=user["name"], assignedToModel="User")  # fmt: skip
    for item in body.get("checklist") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise bad_request("checklist: each item needs a name")
    if "status" in body:
        done = rec["status"] == "done"
        rec["completedAt"] = (rec.get("completedAt") or sb.now_iso()) if done else None


def _tickets(sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool) -> None:
    """Write ``company`` is YOUR company_id, ``people`` a user_id or e-mail (quirk 10)."""
    if "externalId" in req.params:
        rec["externalId"] = req.params["externalId"]
    if "company" in body:
        comp = body["company"] and lookup.company_or_404(sb.store, company_id=body["company"])
        rec["company"] = [comp["id"]] if comp else []
        rec["companyNames"] = [{"id": comp["id"], "name": comp["name"]}] if comp else []
    if "people" in body:
        ref = body["people"]
        person = ref and (
            lookup.person(sb.store, user_id=ref) or lookup.person(sb.store, email=ref)
        )
        if ref and person is None:
            raise not_found(f"User: {ref} not found")
        rec["people"] = [{"id": person["id"]}] if person else []
        rec["peopleNames"] = [person["name"]] if person else []
    if "replies" in body:
        rec["replies"] = [check_reply(r) for r in body["replies"] or []]
    if creating:
        now = sb.now_iso()
        rec["openedAt"] = rec.get("openedAt") or now
        rec["lastModifiedAt"] = rec.get("lastModifiedAt") or now


def check_reply(reply: object) -> dict:
    """One ticket reply: a body, and a type among the reply action's choices (§7)."""
    if not isinstance(reply, dict) or not reply.get("body"):
        raise bad_request("replies: each reply needs a body")
    if reply.get("type") is not None and reply.get("type") not in REPLY_TYPES:
        raise bad_request(
            f"replies: type must be {validation.either(REPLY_TYPES)} (got {reply['type']!r})"
        )
    return {"body": reply["body"], "from": reply.get("from"),
            "submittedAt": reply.get("submittedAt"), "type": reply.get("type")}  # fmt: skip


def _comments(sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool) -> None:
    model, entity = req.params["entityModel"], req.params["entity"]
    parent(sb.store, model, entity)
    if not creating and (rec["entity"], rec["entityModel"]) != (entity, model):
        raise not_found(f"Comment: {rec['id']} not found under {model} {entity}")
    rec.update(entity=entity, entityModel=model)


def _financial(
    sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool
) -> None:
    """An externalId names one record of its kind: giving a record another one's is a 409.
    Fields read back elsewhere (``Action.read_as``: the externalId, ``company_id``,
    ``user_id``) are not stored under their written names."""
    ext = body.get("externalId")
    obj = sb.registry[action.object]
    if ext:
        fld = obj.find_field("externalId")
        holders = sb.store.table(action.object).lookup(fld, ext)
        if holders - {rec.get("id")}:
            label = obj.record_label.lower()
            raise ApiError(409, f"externalId {ext!r} is already used by another {label}")
        rec["externalIds"] = {**(rec.get("externalIds") or {}), "custify": ext}
    if body.get("company") or body.get("company_id"):
        rec["company"] = lookup.company_or_404(sb.store, id=body.get("company"),
                                               company_id=body.get("company_id"))["id"]  # fmt: skip
    if body.get("people") or body.get("user_id"):
        rec["people"] = lookup.person_or_404(sb.store, id=body.get("people"),
                                             user_id=body.get("user_id"))["id"]  # fmt: skip
    for key, read in action.read_as.items():
        if read.field and read.field != key:
            rec.pop(key, None)


def _time_tracks(
    sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool
) -> None:
    """``?user=`` is required on create (§13); company and people read back as arrays."""
    q = req.query
    if creating and not q.get("user"):
        raise bad_request("user is required (query parameter: Custify user id or e-mail)")
    if q.get("user"):
        user = lookup.user(sb.store, q["user"])
        if user is None:
            raise bad_request(f"user: no Custify user {q['user']!r}")
        rec["user"] = user["id"]
    if body.get("company") or q.get("company_id"):
        rec["company"] = [lookup.company_or_404(sb.store, id=body.get("company"),
                                                company_id=q.get("company_id"))["id"]]  # fmt: skip
    if body.get("people") or q.get("user_id") or q.get("email"):
        rec["people"] = [lookup.person_or_404(sb.store, id=body.get("people"),
                                              user_id=q.get("user_id"), email=q.get("email"))["id"]]  # fmt: skip


def _tags(sb: Account, req: Req, action: Action, body: dict, rec: dict, creating: bool) -> None:
    if creating:
        same = sb.store.table("tags").lookup("category", rec["category"])
        rows = sb.store.table("tags").rows
        rec["position"] = 1 + max((rows[i]["position"] for i in same), default=-1)


_SHAPERS: dict[str, Shaper] = {
    "notes": _notes, "tasks": _tasks, "tickets": _tickets, "comments": _comments,
    "deals": _financial, "invoices": _financial, "subscriptions": _financial,
    "time_tracks": _time_tracks, "tags": _tags,
}  # fmt: skip
