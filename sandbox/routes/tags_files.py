"""Tag patches on entities (§5, ``PATCH /tag/entity`` and ``POST /people/tag``) and file
upload/unlink (§10, multipart).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from models.registry import ACTIONS, OBJECTS
from sandbox import lookup, validation
from sandbox.routes import render
from sandbox.util import ApiError, Req, Resp, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.account import Account

#: Tag category -> the table its entities live in (§1.6), from the registry's objects.
CATEGORY_TABLES = {o.tag_category: o.name for o in OBJECTS if o.tag_category}


def patch_entity(sb: Account, req: Req) -> Resp:
    return _patch(sb, req, "tags.entity", req.json_object())


def people_tag(sb: Account, req: Req) -> Resp:
    return _patch(sb, req, "people.tag", req.json_object())


def _patch(sb: Account, req: Req, action_name: str, body: dict) -> Resp:
    """Add or remove one tag on up to 100 entities of the tag's own category."""
    validation.check_tag_patch(ACTIONS[action_name], body)
    category = body.get("category", "people")
    tag = sb.store.table("tags").rows.get(body["tag"])
    if tag is None:
        raise not_found(f"Tag: {body['tag']} not found")
    if tag["category"] != category:
        raise bad_request(f"tag {tag['id']} is a {tag['category']} tag, not a {category} tag")
    table = sb.store.table(CATEGORY_TABLES[category])
    missing = [i for i in body["ids"] if i not in table.rows]
    if missing:
        raise not_found(f"{category}: {missing[0]} not found")
    sb.check_reject(ACTIONS[action_name], req, body)
    changed = 0
    for eid in dict.fromkeys(body["ids"]):
        rec = copy.deepcopy(table.rows[eid])
        tags = rec.get("tags") or []
        if body["type"] == "add" and tag["id"] not in tags:
            rec["tags"] = [*tags, tag["id"]]
        elif body["type"] == "remove" and tag["id"] in tags:
            rec["tags"] = [t for t in tags if t != tag["id"]]
        else:
            continue
        sb.stamp_and_store(table.name, rec, False)
        changed += 1
    return Resp(200, {"message": f"Tag {body['type']} done", "modified": changed})


def upload(sb: Account, req: Req) -> Resp:
    """Multipart ``file`` (+ companyId/peopleId). Never deduplicates. 409 for an empty file."""
    if "file" not in req.files:
        raise bad_request("file is required (multipart/form-data)")
    filename, data, ctype = req.files["file"]
    fields = {**req.query, **req.form}
    cid, pid = fields.get("companyId"), fields.get("peopleId")
    comp = lookup.company_or_404(sb.store, id=cid) if cid else None
    person = lookup.person_or_404(sb.store, id=pid) if pid else None
    sb.check_reject(ACTIONS["files.upload"], req, {**fields, "name": filename})
    if not data:
        raise ApiError(409, "file: empty upload conflicts with the expected format")
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    rec = {
        "account": "sandbox", "name": filename, "extension": ext, "mimeType": ctype,
        "size": len(data), "showInPortal": False, "companies": [comp["id"]] if comp else [],
        "peoples": [person["id"]] if person else [],
    }  # fmt: skip
    return Resp(200, sb.stamp_and_store("files", rec, True))


def unlink(sb: Account, req: Req) -> Resp:
    """Detach a file from a company and/or person; with neither, from everything (INF)."""
    body = req.json_object()
    action = ACTIONS["files.unlink"]
    validation.check(action, body)
    old = sb.store.table("files").rows.get(body["fileId"])
    if old is None:
        raise not_found(f"File: {body['fileId']} not found")
    sb.check_reject(action, req, body)
    rec = copy.deepcopy(old)
    cid, pid = body.get("companyId"), body.get("peopleId")
    if cid and cid not in rec["companies"] or pid and pid not in rec["peoples"]:
        raise not_found("File is not linked to that entity")
    if not cid and not pid:
        rec["companies"], rec["peoples"] = [], []
    if cid:
        rec["companies"] = [c for c in rec["companies"] if c != cid]
    if pid:
        rec["peoples"] = [p for p in rec["peoples"] if p != pid]
    sb.stamp_and_store("files", rec, False)
    return Resp(200, {"message": "File unlinked", "file": render.row("files", rec, req)})
