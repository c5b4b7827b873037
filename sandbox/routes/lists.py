"""Every list endpoint, generated from the registry (§1.7, §18 quirks 1, 2, 5, 6, 7, 17, 18).

One generic handler serves each ``CustifyObject`` with a ``list_path``: page/itemsPerPage
(clamped to the row's ``page_size_max``), sorting in the row's ``sort_style``, the row's
envelope. What really differs per object is only *scoping* (which query or path parameters
narrow the list, e.g. objectives need a company) and the default order; both are small
registry facts (``scoped_paths``, ``default_sort``, ``also_sort_order``, ``echoes_paging``,
``filter_style``) plus the scopers of ``routes/scopes.py``, not copies of the routing code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from models.registry import CustifyObject
from models.types import Envelope, SortStyle
from sandbox import filters
from sandbox.routes import render, scopes
from sandbox.routes.scopes import Scope
from sandbox.store import get_path, sort_key
from sandbox.util import Req, Resp, bad_request

if TYPE_CHECKING:
    from sandbox.account import Account

Handler = Callable[["Account", Req], Resp]


def routes(objects: Iterable[CustifyObject]) -> list[tuple[str, str, Handler, str]]:
    """``(method, template, handler, name)`` for every list path of the registry rows."""
    objects = tuple(objects)
    out = []
    for obj in objects:
        if not obj.list_path:
            continue
        handler = make_handler(obj)
        for template in [obj.list_path, *obj.scoped_paths]:
            for path in scopes.aliases(template, objects):
                out.append(("GET", path, handler, f"{obj.name}.list"))
    return out


def make_handler(obj: CustifyObject) -> Handler:
    scoper = scopes.scoper_for(obj)

    def handle(sb: Account, req: Req) -> Resp:
        _refuse_unscoped(sb, obj, req)
        scope = Scope()
        if scoper is not None:
            scoper(sb.store, req, scope)
        now = sb.clock.now()
        pred, key = filters.parse(obj, req.query.get("filters"), now)
        if pred is not None:
            scope.pred = _and(scope.pred, pred)
            scope.key = f"{scope.key}|{key}|day={int(now // 86_400)}"  # relative date filters
        fld, desc = sort_order(obj, req.query)
        if obj.name in sb.faults.ignore_sort:  # the knob: whatever was asked, by id (oldest first)
            fld, desc = "id", False
        page, per_page = _served(sb, obj, *paging(obj, req.query))
        ids, total = select(sb, obj.name, scope, fld, desc, (page - 1) * per_page, per_page)
        table = sb.store.table(obj.name)
        rows = [render.row(obj.name, table.rows[i], req, sb.store) for i in ids]
        body = envelope(obj, rows, total, page, per_page)
        if sb.faults.mutate_while_paging:
            _mutate(sb, obj.name, sb.faults.mutate_while_paging)
        return Resp(200, body)

    return handle


def _and(a: Callable[[dict], bool] | None, b: Callable[[dict], bool]) -> Callable[[dict], bool]:
    return b if a is None else (lambda r: a(r) and b(r))


def paging(obj: CustifyObject, query: dict[str, str]) -> tuple[int, int]:
    """1-based ``page``; page size default 20, clamped to the max (§1.7, INF clamp).

    The page size is ``itemsPerPage``, or on notes and tags ``limit`` (their documented name).
    When a notes/tags request sends both, ``limit`` wins: it is the parameter the spec defines
    for these two lists, so a client that sends both most likely means it, and ``itemsPerPage``
    there is only a courtesy to clients written against the other lists.
    """
    size_param = "itemsPerPage"
    if "limit" in obj.page_size_params and "limit" in query:
        size_param = "limit"
    try:
        page = int(query.get("page", 1))
        per_page = int(query.get(size_param, 20))
    except ValueError:
        raise bad_request(f"page and {size_param} must be integers") from None
    if page < 1:
        raise bad_request("page must be 1 or more")
    if per_page < 1:
        raise bad_request(f"{size_param} must be 1 or more")
    return page, min(per_page, obj.page_size_max)


def _served(sb: Account, obj: CustifyObject, page: int, per_page: int) -> tuple[int, int]:
    """The page and size actually served under the ``page_caps`` / ``ignore_page`` knobs."""
    cap = sb.faults.page_caps.get(obj.name)
    if cap:
        per_page = min(per_page, cap)
    if obj.name in sb.faults.ignore_page:
        page = 1
    return page, per_page


def _refuse_unscoped(sb: Account, obj: CustifyObject, req: Req) -> None:
    """The ``unscoped_files_refused`` knob: a list with ``scoped_by`` parents (``GET /file``)
    needs one of them (§19)."""
    params = [param for _, param in obj.scoped_by]
    if params and sb.faults.unscoped_files_refused and not any(req.query.get(p) for p in params):
        raise bad_request(f"{' or '.join(params)} is required")


def sort_order(obj: CustifyObject, query: dict[str, str]) -> tuple[str, bool]:
    """(field, descending) from ``sorting`` JSON or ``sort``+``order``, per the registry row."""
    fld, desc = obj.default_sort
    style = obj.sort_style
    if style == SortStyle.SORTING_JSON and query.get("sorting"):
        try:
            spec = json.loads(query["sorting"])
        except ValueError:
            raise bad_request("sorting: invalid JSON") from None
        if not isinstance(spec, dict) or not isinstance(spec.get("field", fld), str):
            raise bad_request('sorting: expected {"field": ..., "direction": asc|desc}')
        return spec.get("field", fld), _direction("sorting.direction", spec.get("direction"), desc)
    takes_sort_order = style == SortStyle.SORT_ORDER or (
        style == SortStyle.SORTING_JSON and obj.also_sort_order
    )
    if takes_sort_order and (query.get("sort") or query.get("order")):
        return query.get("sort") or fld, _direction("order", query.get("order"), desc)
    return fld, desc


def _direction(name: str, value: Any, default_desc: bool) -> bool:
    if value is None or value == "":
        return default_desc
    if str(value).lower() not in ("asc", "desc"):
        raise bad_request(f"{name} must be asc or desc (got {value!r})")
    return str(value).lower() == "desc"


def select(sb: Account, obj: str, scope: Scope, fld: str, desc: bool, offset: int,
           limit: int) -> tuple[list[str], int]:  # fmt: skip
    """One page of ids and the total, ordered by ``(fld, id)``; ties broken by id."""
    table = sb.store.table(obj)
    if not scope.eq and scope.pred is None and not scope.sticky_first:
        return table.page_ids(fld, desc, offset, limit), len(table)
    if not scope.eq:
        pred = scope.pred or (lambda r: True)
        ordered = table.cached(
            (fld, desc, scope.key),
            lambda: [i for i in table.ordered_ids(fld, desc) if pred(table.rows[i])],
        )
        return ordered[offset : offset + limit], len(ordered)
    cand: set[str] | None = None
    for k, v in scope.eq.items():
        hit = table.lookup(k, v)
        cand = set(hit) if cand is None else cand & hit
    recs = [table.rows[i] for i in cand or ()]
    if scope.pred is not None:
        recs = [r for r in recs if scope.pred(r)]
    recs.sort(key=lambda r: (*sort_key(get_path(r, fld)), r["id"]), reverse=desc)
    if scope.sticky_first:
        recs.sort(key=lambda r: not r.get("sticky"))
    return [r["id"] for r in recs[offset : offset + limit]], len(recs)


def envelope(obj: CustifyObject, rows: list[dict], total: int, page: int, per_page: int) -> Any:
    """The registry's envelope for this object, with its quirks."""
    if obj.envelope == Envelope.BARE_ARRAY:
        return rows
    if obj.envelope == Envelope.OBJECT_OR_SINGLE and total == 1 and len(rows) == 1:
        return rows[0]
    body: dict[str, Any] = {obj.envelope_key or obj.name: rows, "total": total}
    if obj.echoes_paging:
        body.update(page=page, itemsPerPage=per_page)
    if obj.envelope == Envelope.ARRAY_WRAPPED:
        return [body]
    return body


def _mutate(sb: Account, obj: str, n: int) -> None:
    """The mutate-while-paging fault: bump ``updated_at`` of ``n`` random records."""
    table = sb.store.table(obj)
    for rid in sb.faults.sample(list(table.rows), n):
        sb.store.touch(obj, rid)
