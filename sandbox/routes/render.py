"""How a stored record is shown in a list or get answer.

Mostly the stored READ shape as is. Objects whose lists take ``properties`` (the registry's
``accepts_properties``: people and companies) honour it (a JSON array of field names; ``id``,
``name``, ``created_at`` and ``updated_at`` always come back) and, on reads (where a ``store`` is passed), ``includeSegments`` (§1.7): the ``{id, name}`` of each
segment of the entity's type that holds it (``Store.segments_of``). Playbooks drop
``company_counts`` with ``includeCounts=false``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from models.registry import REGISTRY
from sandbox.util import Req, bad_request

if TYPE_CHECKING:
    from sandbox.store import Store

ALWAYS = ("id", "name", "created_at", "updated_at")


def row(obj: str, rec: dict, req: Req, store: Store | None = None) -> dict:
    known = REGISTRY.get(obj)
    if known is not None and known.accepts_properties:
        return entity(rec, req, store, obj)
    if obj == "playbooks" and req.query.get("includeCounts", "true").lower() == "false":
        return {k: v for k, v in rec.items() if k != "company_counts"}
    return rec


def entity(rec: dict, req: Req, store: Store | None = None, obj: str = "people") -> dict:
    """A person or company (``obj``) with ``properties`` and ``includeSegments`` applied."""
    out = rec
    props = req.query.get("properties")
    if props:
        try:
            names = json.loads(props)
        except ValueError:
            names = [p.strip() for p in props.split(",")]
        if not isinstance(names, list):
            raise bad_request("properties: expected a JSON array of field names")
        keep = set(ALWAYS) | {str(n).split(".", 1)[0] for n in names}
        out = {k: v for k, v in rec.items() if k in keep}
    if req.query.get("includeSegments", "").lower() == "true":
        out = {**out, "segments": store.segments_of(obj, rec["id"]) if store else []}
    return out
