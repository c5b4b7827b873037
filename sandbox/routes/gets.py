"""Single-record reads, with each endpoint's own envelope (§2, §3, §5, §8, §14, §18).

People and company gets are registry actions (``people.get``, ``companies.get``); the rest
(``GET /task/{id}``, ``GET /tag/{id}``, the configuration objects' ``/{id}`` paths) are reads
no action describes, so they come from the registry rows' ``get_one``, with
``GET /health_score/simple`` and attribute discovery (the types ``sandbox/attributes.py``
fixed, under each object's ``attributes_path``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from models.registry import CustifyObject
from sandbox import lookup
from sandbox.generator_config import HEALTH_RANGES
from sandbox.routes import render
from sandbox.util import Req, Resp, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.account import Account

IMPACT_WEIGHTS = {"low": 1, "medium": 2, "high": 3}


def get_people(sb: Account, req: Req) -> Resp:
    """``/people/{id}`` is the bare object; ``?user_id=|email=`` is ``[{"people": [...]}]``."""
    if "id" in req.params:
        rec = sb.store.table("people").rows.get(req.params["id"])
        if rec is None:
            raise not_found(f"User: {req.params['id']} not found")
        return Resp(200, render.entity(rec, req, sb.store, "people"))
    uid, email = req.query.get("user_id"), req.query.get("email")
    if not uid and not email:
        raise bad_request("user_id or email is required")
    rec = lookup.person(sb.store, user_id=uid) if uid else lookup.person(sb.store, email=email)
    return Resp(200, [{"people": [render.entity(rec, req, sb.store, "people")] if rec else []}])


def get_company(sb: Account, req: Req) -> Resp:
    """Both forms answer with ``{"companies": [...], "total": n}``; a miss is 200 and empty."""
    if "id" in req.params:
        rec = lookup.company(sb.store, id=req.params["id"])
    elif req.query.get("company_id"):
        rec = lookup.company(sb.store, company_id=req.query["company_id"])
    else:
        raise bad_request("company_id is required")
    rows = [render.entity(rec, req, sb.store, "companies")] if rec else []
    return Resp(200, {"companies": rows, "total": len(rows)})


Handler = Callable[["Account", Req], Resp]


def _one(obj: str, wrapped: str | None) -> Handler:
    """GET ``/x/{id}``: bare object (404 on a miss) or ``{key: [...], total}`` (empty miss)."""

    def handle(sb: Account, req: Req) -> Resp:
        rec = sb.store.table(obj).rows.get(req.params["id"])
        if wrapped:
            rows = [render.row(obj, rec, req, sb.store)] if rec else []
            return Resp(200, {wrapped: rows, "total": len(rows)})
        if rec is None:
            raise not_found(f"{obj}: {req.params['id']} not found")
        return Resp(200, render.row(obj, rec, req, sb.store))

    return handle


def health_score_simple(sb: Account, req: Req) -> Resp:
    """``GET /health_score/simple`` (§14, MCP only): a bare array of every definition with its
    type, weight and the score ranges its labels come from. INF: ``type`` is the definition's
    ``kpiType``, ``weight`` follows its global impact (low 1, medium 2, high 3)."""
    rows = sb.store.table("health_scores").rows
    return Resp(200, [
        {"id": r["id"], "name": r["name"], "description": r.get("description"),
         "type": r.get("kpiType"), "weight": IMPACT_WEIGHTS.get(r.get("globalHealthScoreImpact") or "", 1),
         "ranges": [dict(band) for band in HEALTH_RANGES]}
        for _, r in sorted(rows.items())
    ])  # fmt: skip


def discovery(scope: str) -> Handler:
    """``GET /company/attributes`` / ``GET /customer/attributes``: ``[{name, type}]`` of the
    types the first values fixed (§1.5 "Discovering attributes")."""

    def handle(sb: Account, req: Req) -> Resp:
        known = sb.store.attribute_types[scope]
        return Resp(200, [{"name": n, "type": t} for n, t in sorted(known.items())])

    return handle


def routes(objects: Iterable[CustifyObject]) -> list[tuple[str, str, Handler, str]]:
    objects = tuple(objects)
    out = [("GET", o.get_one.path, _one(o.name, o.get_one.envelope_key), f"{o.name}.get_one")
           for o in objects if o.get_one]  # fmt: skip
    if any(o.name == "health_scores" for o in objects):
        out.append(("GET", "/health_score/simple", health_score_simple, "health_scores.simple"))
    out += [("GET", o.attributes_path, discovery(o.name), f"{o.name}.attributes")
            for o in objects if o.attributes_path]  # fmt: skip
    return out
