"""Per-object list scoping: the query and path parameters that narrow a list.

This is the part of listing where Custify's endpoints really differ (§5–§14): segments,
playbooks and calculated metrics have a ``type`` whose default is their registry row's first
variant (quirk 17), objectives need a company (quirk 18), comments live under their parent,
tickets/notes/financials/meetings have per-entity paths (the rows' ``scoped_paths``), time
tracks take several filters and survey responses live under their survey. Each scoper fills
a ``Scope``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.registry import OBJECTS, REGISTRY, CustifyObject
from sandbox import lookup
from sandbox.util import DAY_S, Req, bad_request, day_start, not_found, parse_date

if TYPE_CHECKING:
    from sandbox.store import Store


Scoper = Callable[["Store", Req, "Scope"], None]


@dataclass
class Scope:
    """What narrows a list: equality constraints (hash-indexed) and an extra predicate."""

    eq: dict[str, Any] = field(default_factory=dict)
    pred: Callable[[dict], bool] | None = None
    key: str | None = None
    sticky_first: bool = False


def aliases(template: str, objects: Iterable[CustifyObject] = OBJECTS) -> list[str]:
    """``template`` and its other spellings: a path under an object's list path is also
    served under each of its ``path_spellings`` (``/time_track``, quirk 7)."""
    out = [template]
    for obj in objects:
        base = obj.list_path or ""
        for spelling in obj.path_spellings if base else ():
            if template.startswith(base):
                out.append(spelling + template[len(base) :])
    return out


def _people(store: Store, req: Req, scope: Scope) -> None:
    if "company" in req.params:
        scope.eq["companies"] = lookup.company_or_404(store, id=req.params["company"])["id"]


def _typed(obj: CustifyObject) -> Scoper:
    """Scoper for a list of both entity types (segments, playbooks, calculated metrics): the
    registry's ``variants`` name the stored ``type`` values, the first being the default
    (quirk 17); either spelling of the company type is accepted."""
    values = [v.params["type"] for v in obj.variants]
    company = next(v for v in values if v != "people")

    def scoper(store: Store, req: Req, scope: Scope) -> None:
        kind = req.query.get("type", values[0])
        if kind not in ("people", "company", "companies"):
            raise bad_request(f"type must be {' or '.join(values)} (got {kind!r})")
        scope.eq["type"] = "people" if kind == "people" else company

    return scoper


def _survey_responses(store: Store, req: Req, scope: Scope) -> None:
    if req.params["survey"] not in store.table("surveys").rows:
        raise not_found(f"Survey: {req.params['survey']} not found")
    scope.eq["survey"] = req.params["survey"]


def _objectives(store: Store, req: Req, scope: Scope) -> None:
    cid, ext = req.query.get("company"), req.query.get("company_id")
    if not cid and not ext:
        raise bad_request("company or company_id is required")
    scope.eq["company"] = lookup.company_or_404(store, id=cid, company_id=ext)["id"]


def _comments(store: Store, req: Req, scope: Scope) -> None:
    parent(store, req.params["entityModel"], req.params["entity"])
    scope.eq.update(entityModel=req.params["entityModel"], entity=req.params["entity"])


#: A comment's ``entityModel`` -> its parent's table, from the registry's parent lists (§9).
PARENT_MODELS = {
    p.fixed["entityModel"]: p.object
    for p in REGISTRY["comments"].parent_lists
    if "entityModel" in p.fixed
}


def parent(store: Store, model: str, entity: str) -> dict:
    """A comment's parent note or task (§9); 400 for a bad model, 404 for a missing parent."""
    table = PARENT_MODELS.get(model)
    if table is None:
        raise bad_request(f"entityModel must be Note or Task (got {model!r})")
    rec = store.table(table).rows.get(entity)
    if rec is None:
        raise not_found(f"{model}: {entity} not found")
    return rec


def _entity(field_company: str, field_people: str) -> Scoper:
    """Scoper for ``/<list>/{entity}``: a company or a person, detected by id (§7, §12)."""

    def scoper(store: Store, req: Req, scope: Scope) -> None:
        if "entity" in req.params:
            kind, rec = lookup.company_or_person(store, req.params["entity"])
            scope.eq[field_company if kind == "company" else field_people] = rec["id"]

    return scoper


def _notes(store: Store, req: Req, scope: Scope) -> None:
    _entity("company", "people")(store, req, scope)
    scope.sticky_first = "entity" in req.params


def _tickets(store: Store, req: Req, scope: Scope) -> None:
    _entity("company", "people")(store, req, scope)
    if req.query.get("externalId"):
        scope.eq["externalId"] = req.query["externalId"]


def _tasks(store: Store, req: Req, scope: Scope) -> None:
    if req.query.get("externalId"):
        scope.eq["externalId"] = req.query["externalId"]


def _files(store: Store, req: Req, scope: Scope) -> None:
    if req.query.get("companyId"):
        scope.eq["companies"] = req.query["companyId"]
    if req.query.get("peopleId"):
        scope.eq["peoples"] = req.query["peopleId"]
    term = (req.query.get("searchKey") or "").lower()
    if term:
        scope.pred, scope.key = (lambda r: term in (r.get("name") or "").lower()), f"q={term}"


def _tags(store: Store, req: Req, scope: Scope) -> None:
    cat = req.query.get("category", "all")
    if cat != "all":
        scope.eq["category"] = cat


def _meetings(store: Store, req: Req, scope: Scope) -> None:
    if "entity" in req.params:
        model = req.params["model"]
        if model not in ("company", "people"):
            raise bad_request(f"entity type must be company or people (got {model!r})")
        _entity_ref(store, scope, model, id=req.params["entity"])
    _query_refs(store, req, scope)


def _entity_ref(store: Store, scope: Scope, model: str, **ident: str | None) -> None:
    if model == "company":
        scope.eq["company"] = lookup.company_or_404(store, **ident)["id"]
    else:
        scope.eq["people"] = lookup.person_or_404(store, **ident)["id"]


def _query_refs(store: Store, req: Req, scope: Scope) -> None:
    q = req.query
    if q.get("company") or q.get("company_id"):
        _entity_ref(store, scope, "company", id=q.get("company"), company_id=q.get("company_id"))
    if q.get("people") or q.get("user_id") or q.get("email"):
        _entity_ref(store, scope, "people", id=q.get("people"), user_id=q.get("user_id"),
                    email=q.get("email"))  # fmt: skip


def _time_tracks(store: Store, req: Req, scope: Scope) -> None:
    """Filters company, company_id, people, user_id, email, tags, user, start/end date (§13)."""
    q = req.query
    _query_refs(store, req, scope)
    if q.get("tags"):
        scope.eq["tags"] = q["tags"]
    if q.get("user"):
        u = lookup.user(store, q["user"])
        if u is None:
            raise not_found(f"User: {q['user']} not found")
        scope.eq["user"] = u["id"]
    if q.get("start_date") or q.get("end_date"):
        try:
            lo = day_start(q["start_date"]) if q.get("start_date") else float("-inf")
            hi = day_start(q["end_date"]) + DAY_S if q.get("end_date") else float("inf")
        except ValueError:
            raise bad_request("start_date/end_date must be YYYY-MM-DD") from None

        def pred(r: dict) -> bool:
            t = parse_date(r.get("startDate"))
            return t is not None and lo <= t < hi

        scope.pred, scope.key = pred, f"dates={lo},{hi}"


#: The lists whose scoping is their own (the API differs here); see ``scoper_for``.
SCOPERS: dict[str, Scoper] = {
    "people": _people, "customer_objectives": _objectives, "comments": _comments,
    "notes": _notes, "tickets": _tickets, "tasks": _tasks, "files": _files, "tags": _tags,
    "deals": _entity("company", "people"), "invoices": _entity("company", "people"),
    "subscriptions": _entity("company", "people"), "meetings": _meetings,
    "time_tracks": _time_tracks, "survey_responses": _survey_responses,
}  # fmt: skip


def scoper_for(obj: CustifyObject) -> Scoper | None:
    """The object's own scoper, else the type scoper when its variants vary ``type``."""
    if obj.name in SCOPERS:
        return SCOPERS[obj.name]
    if obj.variants and all("type" in v.params for v in obj.variants):
        return _typed(obj)
    return None
