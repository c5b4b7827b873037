"""custify.pagination: registry-driven paging params, stop rules and the loop guard (§1.7)."""

from __future__ import annotations

import json

import httpx
import pytest

from custify.errors import PaginationError
from custify.pagination import list_request
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
    parent = "c1" if obj.per_parent else None
    path, query, size = list_request(obj, 3, parent_id=parent)
    assert path == obj.list_path
    assert (query["page"], query["itemsPerPage"], size) == (3, obj.page_size_max, obj.page_size_max)
    style = obj.sort_style.value
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


def test_more_pages_than_total_allows_is_caught(scripted) -> None:
    def handler(request):
        page = int(request.url.params["page"])
        # one row per page although two were asked for: the scan never reaches total
        return httpx.Response(200, json={"tasks": [{"id": f"p{page}"}], "total": 10})

    client, script = scripted(handler)
    with pytest.raises(PaginationError, match="page 8 is beyond total=10"):
        list(client.iter_pages("tasks", page_size=2))
    assert len(script.requests) == 8


def test_bare_array_loop_without_total_is_caught(scripted) -> None:
    client, _ = scripted(httpx.Response(200, json=ROWS[:50]))
    with pytest.raises(PaginationError, match="repeats"):
        list(client.iter_pages("surveys"))


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
