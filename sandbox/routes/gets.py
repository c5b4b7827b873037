"""Single-record reads, with each endpoint's own envelope (§2, §3, §5, §8, §14, §18).

People and company gets are registry actions (``people.get``, ``companies.get``); the rest
(``GET /task/{id}``, ``GET /tag/{id}``, the configuration objects' ``/{id}`` paths) are reads
the registry lists no action for, so they come from the small ``GET_ONE`` table here, with
``GET /health_score/simple`` and attribute discovery (``sandbox/attributes.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox import attributes, lookup
from sandbox.generator_config import HEALTH_RANGES
from sandbox.routes import render
from sandbox.util import Req, Resp, bad_request, not_found

if TYPE_CHECKING:
    from sandbox.app import Sandbox

IMPACT_WEIGHTS = {"low": 1, "medium": 2, "high": 3}


def get_people(sb: Sandbox, req: Req) -> Resp:
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


def get_company(sb: Sandbox, req: Req) -> Resp:
    """Both forms answer with ``{"companies": [...], "total": n}``; a miss is 200 and empty."""
    if "id" in req.params:
        rec = lookup.company(sb.store, id=req.params["id"])
    elif req.query.get("company_id"):
        rec = lookup.company(sb.store, company_id=req.query["company_id"])
    else:
        raise bad_request("company_id is required")
    rows = [render.entity(rec, req, sb.store, "companies")] if rec else []
    return Resp(200, {"companies": rows, "total": len(rows)})


def _one(obj: str, wrapped: str | None):
    """GET ``/x/{id}``: bare object (404 on a miss) or ``{key: [...], total}`` (empty miss)."""

    def handle(sb: Sandbox, req: Req) -> Resp:
        rec = sb.store.table(obj).rows.get(req.params["id"])
        if wrapped:
            rows = [render.row(obj, rec, req, sb.store)] if rec else []
            return Resp(200, {wrapped: rows, "total": len(rows)})
        if rec is None:
            raise not_found(f"{obj}: {req.params['id']} not found")
        return Resp(200, render.row(obj, rec, req, sb.store))

    return handle


#: GET-one paths with no registry action: (object, path, envelope key or None for bare).
GET_ONE = (
    ("tasks", "/task/{id}", "tasks"),  # quirk 4
    ("tags", "/tag/{id}", None),
    ("segments", "/segment/{id}", None),
    ("lifecycles", "/lifecycle/{id}", None),
    ("playbooks", "/playbook/{id}", None),
    ("health_scores", "/health_score/{id}", None),
    ("calculated_metrics", "/calculated_metric/{id}", None),
)


def health_score_simple(sb: Sandbox, req: Req) -> Resp:
    """``GET /health_score/simple`` (§14, MCP only): a bare array of every definition with its
    type, weight and the score ranges its labels come from. INF: ``type`` is the definition's
    ``kpiType``, ``weight`` follows its global impact (low 1, medium 2, high 3)."""
    rows = sb.store.table("health_scores").rows
    return Resp(200, [
        {"id": r["id"], "name": r["name"], "description": r.get("description"),
         "type": r.get("kpiType"), "weight": IMPACT_WEIGHTS.get(r.get("globalHealthScoreImpact"), 1),
         "ranges": [dict(band) for band in HEALTH_RANGES]}
        for _, r in sorted(rows.items())
    ])  # fmt: skip


def routes():
    out = [("GET", path, _one(obj, key), f"{obj}.get_one") for obj, path, key in GET_ONE]
    out.append(("GET", "/health_score/simple", health_score_simple, "health_scores.simple"))
    return out + attributes.routes()
