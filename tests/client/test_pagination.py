"""custify.pagination: registry-driven paging params, stop rules and the loop guard (§1.7)."""

from __future__ import annotations

import json

import httpx
import pytest

from custify.errors import PaginationError
from custify.pagination import Page, Pager, list_request
from models.registry import EXTRACTED, get_object


def pages_of(rows: list[dict], key: str, *, total: bool = True):
    """A server that pages ``rows`` correctly, in the envelope of ``key``."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["itemsPerPage"])
        chunk = rows[(page - 1) * size : page * size]
        if key == "":
            return httpx.Response(200, json=chunk)
        body = {key: chunk, **({"total": len(rows)} if total else {})}
        return httpx.Response(200, json=body)

    return handler


ROWS = [{"id": f"{i:024x}"} for i in range(120)]


@pytest.mark.parametrize("obj", EXTRACTED, ids=lambda o: o.name)
def test_page_params_follow_the_registry(obj) -> None:
    parent: str | dict[str, str] | None = "c1" if obj.per_parent else None
    if obj.parent_lists:  # the parent's id goes into the path
        parent = {obj.parent_lists[0].param: "p1", **obj.parent_lists[0].fixed}
    path, query, size = list_request(obj, 3, parent_id=parent)
    assert path == (obj.list_path.format(**parent) if isinstance(parent, dict) else obj.list_path)
    assert (query["page"], query["itemsPerPage"], size) == (3, obj.page_size_max, obj.page_size_max)
    style = obj.sort_style.value if obj.sort_field else "none"  # nothing to sort by: no sort
    if style == "sorting_json":
        assert json.loads(query["sorting"]) == {"field": obj.cursor_field, "direction": "desc"}
        assert "sort" not in query
    elif style == "sort_order":
        assert (query["sort"], query["order"]) == (obj.cursor_field, "desc")
        assert "sorting" not in query
    else:
        assert not {"sort", "order", "sorting"} & set(query)
    for k, v in obj.list_params.items():
        assert query[k] == v
    if obj.variants:
        assert query["type"] == obj.variants[0].params["type"]


def test_objectives_are_listed_per_company() -> None:
    obj = get_object("customer_objectives")
    with pytest.raises(ValueError, match="pass parent_id"):
        list_request(obj, 1)
    _, query, _ = list_request(obj, 1, parent_id="c1")
    assert query["company"] == "c1"


def test_comments_are_listed_per_note_or_task() -> None:
    obj = get_object("comments")
    path, _, _ = list_request(obj, 1, parent_id={"entityModel": "Task", "entity": "t1"})
    assert path == "/comment/Task/t1"
    with pytest.raises(ValueError, match="listed per parent"):
        list_request(obj, 1)


def test_page_size_above_the_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="1..50"):
        list_request(get_object("tasks"), 1, page_size=51)


def test_iter_pages_stops_at_total(scripted) -> None:
    client, script = scripted(pages_of(ROWS, "tasks"))
    pages = list(client.iter_pages("tasks"))
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    assert len(script.requests) == 3  # no extra request for an empty page
    assert [r["id"] for p in pages for r in p.rows] == [r["id"] for r in ROWS]


def test_iter_pages_stops_on_empty_page_when_total_lies(scripted) -> None:
    def handler(request):
        page = int(request.url.params["page"])
        rows = ROWS[(page - 1) * 50 : page * 50] if page <= 2 else []
        return httpx.Response(200, json={"tasks": rows, "total": 500})

    client, script = scripted(handler)
    assert sum(len(p.rows) for p in client.iter_pages("tasks")) == 100
    assert len(script.requests) == 3


def test_bare_array_without_total_stops_on_a_short_page(scripted) -> None:
    client, script = scripted(pages_of(ROWS, ""))
    assert sum(len(p.rows) for p in client.iter_pages("surveys")) == 120
    assert len(script.requests) == 3


def test_variants_are_all_listed(scripted) -> None:
    def handler(request):
        kind = request.url.params["type"]
        return httpx.Response(200, json={"segments": [{"id": kind}], "total": 1})

    client, script = scripted(handler)
    pages = list(client.iter_pages("segments"))
    assert [(p.variant, p.rows[0]["id"]) for p in pages] == [
        ("people", "people"),
        ("company", "company"),
    ]
    assert [p.rows[0]["id"] for p in client.iter_pages("segments", variant="company")] == [
        "company"
    ]


def test_server_ignoring_page_is_caught(scripted) -> None:
    client, script = scripted(httpx.Response(200, json={"tasks": ROWS[:50], "total": 5000}))
    with pytest.raises(PaginationError, match="page 2 repeats page 1"):
        list(client.iter_pages("tasks"))
    assert len(script.requests) == 2


def capped(rows: list[dict], key: str, cap: int, *, offsets_by: str = "server"):
    """A server that serves at most ``cap`` rows per page whatever is asked. ``offsets_by``:
    ``server`` counts page offsets with its own size, ``asked`` with the size asked for (the
    notes say neither, §1.7, §19)."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        asked = int(request.url.params["itemsPerPage"])
        start = (page - 1) * (cap if offsets_by == "server" else asked)
        chunk = rows[start : start + min(cap, asked)]
        return httpx.Response(200, json=chunk if key == "" else {key: chunk, "total": len(rows)})

    return handler


ROWS_150 = [{"id": f"{i:024x}"} for i in range(150)]


@pytest.mark.parametrize("offsets_by", ["server", "asked"])
def test_a_cap_lower_than_asked_is_followed_and_every_row_loads(scripted, offsets_by) -> None:
    client, script = scripted(capped(ROWS_150, "notes", 20, offsets_by=offsets_by))
    pages = list(client.iter_pages("notes"))
    assert sorted({r["id"] for p in pages for r in p.rows}) == [r["id"] for r in ROWS_150]
    asked = [int(r.url.params["itemsPerPage"]) for r in script.requests]
    assert asked == [50] + [20] * 7  # the rest of the scan asks for the cap, page 2 onwards
    assert [int(r.url.params["page"]) for r in script.requests] == list(range(1, 9))


def test_a_short_last_page_is_not_a_cap(scripted) -> None:
    client, script = scripted(pages_of(ROWS, "tasks"))
    pager = Pager(get_object("tasks"))
    page_no: int | None = 1
    while page_no is not None:
        page_no = pager.after(client.list_page("tasks", page_no, page_size=pager.size))
    assert pager.lowered is None and pager.size == 50 and len(script.requests) == 3


def test_notes_and_tags_send_limit_and_items_per_page() -> None:
    for name in ("notes", "tags"):
        _, query, size = list_request(get_object(name), 1, page_size=7)
        assert query["limit"] == query["itemsPerPage"] == size == 7
    _, query, _ = list_request(get_object("tasks"), 1)
    assert "limit" not in query


def test_a_bare_array_under_a_cap_loads_every_row(scripted) -> None:
    client, script = scripted(capped(ROWS, "", 20))
    assert [r["id"] for r in client.iter_rows("surveys")] == [r["id"] for r in ROWS]
    assert len(script.requests) == 7  # 6 pages of 20, then the empty page that ends it


def test_a_short_bare_array_costs_one_more_request_only(scripted) -> None:
    client, script = scripted(pages_of(ROWS[:8], ""))
    assert len(list(client.iter_rows("surveys"))) == 8
    assert [int(r.url.params["itemsPerPage"]) for r in script.requests] == [50, 8]


def test_a_page_that_contradicts_its_total_is_caught(scripted) -> None:
    def handler(request):
        page = int(request.url.params["page"])
        total = 100 if page < 4 else 2  # rows keep coming on page 4 of a 2-row list
        return httpx.Response(200, json={"tasks": [{"id": f"p{page}-{i}"} for i in range(2)],
                                         "total": total})  # fmt: skip

    client, script = scripted(handler)
    with pytest.raises(PaginationError, match="page 4 is beyond total=2"):
        list(client.iter_pages("tasks", page_size=2))
    assert len(script.requests) == 4


def test_concurrent_pages_re_plan_from_a_cap_found_in_flight() -> None:
    pager = Pager(get_object("tasks"), 10)
    assert pager.after(Page([{"id": str(i)} for i in range(10)], 1, 95, 10)) == 2
    assert list(pager.plan(2)) == list(range(2, 11))
    pager.check(Page([{"id": f"b{i}"} for i in range(10)], 2, 95, 10))
    pager.check(Page([{"id": f"d{i}"} for i in range(4)], 4, 95, 10))  # short, not the last
    pager.check(Page([{"id": f"c{i}"} for i in range(4)], 3, 95, 10))
    assert (pager.size, pager.lowered, pager.take_restart()) == (4, 4, 4)
    assert list(pager.plan(4)) == list(range(4, 25)) and pager.take_restart() is None
    with pytest.raises(PaginationError, match="page 6 repeats page 5"):
        pager.check(Page([{"id": "x"}] * 4, 5, 95, 4))
        pager.check(Page([{"id": "x"}] * 4, 6, 95, 4))


@pytest.mark.parametrize("rows", [50, 8], ids=["full", "short"])
def test_bare_array_loop_without_total_is_caught(scripted, rows) -> None:
    client, script = scripted(httpx.Response(200, json=ROWS[:rows]))
    with pytest.raises(PaginationError, match="page 2 repeats page 1"):
        list(client.iter_pages("surveys"))
    assert len(script.requests) == 2


def test_objectives_echoed_page_mismatch_is_caught(scripted) -> None:
    body = {"objectives": [{"id": "o1"}], "total": 100, "page": 1, "itemsPerPage": 50}
    client, _ = scripted(httpx.Response(200, json=body))
    assert client.list_page("customer_objectives", 1, parent_id="c1").rows == [{"id": "o1"}]
    with pytest.raises(PaginationError, match="asked for page 2"):
        client.list_page("customer_objectives", 2, parent_id="c1")


def test_financial_single_row_quirk_through_a_list(scripted) -> None:
    client, _ = scripted(httpx.Response(200, json={"id": "d1", "externalIds": {"custify": "1"}}))
    page = client.list_page("deals", 1)
    assert (page.rows, page.total) == ([{"id": "d1", "externalIds": {"custify": "1"}}], 1)
