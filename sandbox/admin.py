"""The ``/_sandbox/`` admin surface for out-of-process tests, the demo and benchmarks.

Needs the same API key; never counted by the rate window and never journaled (design: tests
inspect the sandbox without disturbing what they measure).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx

from sandbox.httpio import UNAUTHORIZED, error_body, parse_body, to_httpx
from sandbox.util import ApiError, Req, Resp

if TYPE_CHECKING:
    from sandbox.account import Account


def handle(
    sb: Account, request: httpx.Request, method: str, path: str, query: dict
) -> httpx.Response:
    req = Req(method, path, query, t=sb.clock.now())
    if not sb.authorized(request):
        return to_httpx(Resp(401, UNAUTHORIZED), request)
    try:
        parse_body(request, req)
        with sb.locked():
            resp = _route(sb, req)
    except ApiError as err:
        resp = Resp(err.status, error_body(err))
    except (KeyError, ValueError, TypeError) as err:
        resp = Resp(400, {"error": str(err).strip('"'), "statusCode": 400})
    return to_httpx(resp, request)


def _route(sb: Account, req: Req) -> Resp:
    parts = req.path[len("/_sandbox/") :].strip("/").split("/")
    head = parts[0]
    if req.method == "GET" and head == "state" and len(parts) == 2:
        return Resp(200, state(sb, parts[1]))
    if req.method == "GET" and head == "journal":
        return Resp(200, [e.to_json() for e in sb.journal])
    if req.method == "GET" and head == "info":
        return Resp(200, {"seed": sb.seed, "scale": sb.scale, "rate_limit": sb.rate_limit,
                          "counts": {n: len(t) for n, t in sb.store.tables.items()},
                          "profile": sb.profile, "faults": sb.faults.snapshot()})  # fmt: skip
    if req.method == "POST" and head == "faults":
        sb.configure(**req.json_object())
        return Resp(200, sb.faults.snapshot())
    if req.method == "POST" and head == "mutate":
        return Resp(200, mutate(sb, req.json_object()))
    if req.method == "POST" and head == "journal" and parts[-1] == "clear":
        sb.journal.clear()
        return Resp(200, {"cleared": True})
    raise ApiError(404, f"Cannot {req.method} {req.path}")


def state(sb: Account, obj: str):
    if obj == "events":
        return list(sb.store.events)
    if obj == "scores":
        return sb.store.scores
    if obj == "batch_jobs":
        return list(sb.store.batch_jobs.values())
    return sb.store.rows(obj)


def mutate(sb: Account, spec: dict) -> dict:
    """``{"op": "create"|"update"|"delete", "object": name, "id": ..., "fields": {...}}``."""
    op, obj = spec.get("op"), spec.get("object")
    fields = spec.get("fields") or {}
    if op == "create":
        return sb.store.create(obj, **fields)
    if op == "update":
        return sb.store.update(obj, spec["id"], **fields)
    if op == "delete":
        sb.store.delete(obj, spec["id"])
        return {"deleted": 1}
    raise ValueError(f"op must be create, update or delete (got {json.dumps(op)})")
