"""Every list endpoint: envelopes, page caps, sorting, filters, ends of lists (§1.7, §18)."""

from __future__ import annotations

import json

import pytest

from models.registry import OBJECTS
from models.types import Envelope

LISTED = [o for o in OBJECTS if o.list_path]


def list_url(sb, obj) -> tuple[str, dict]:
    """A concrete URL and the parameters each list needs (objectives: a company; comments: a
    parent)."""
    if obj.name == "customer_objectives":
        return obj.list_path, {"company": sb.store.rows("companies")[0]["id"]}
    if obj.name == "comments":
        c = sb.store.rows("comments")[0]
        return f"/comment/{c['entityModel']}/{c['entity']}", {}
    if obj.name == "survey_responses":
        return f"/survey/{sb.store.rows('survey_responses')[0]['survey']}/responses", {}
    return obj.list_path, {}


def rows_of(obj, body):
    if obj.envelope == Envelope.BARE_ARRAY:
        return body
    if obj.envelope == Envelope.ARRAY_WRAPPED:
        return body[0][obj.envelope_key]
    if obj.envelope == Envelope.OBJECT_OR_SINGLE and isinstance(body, dict) and "total" not in body:
        return [body]
    return body[obj.envelope_key]


@pytest.mark.parametrize("obj", LISTED, ids=lambda o: o.name)
def test_envelope_of_every_list(sb, client, obj):
    path, params = list_url(sb, obj)
    r = client.get(path, params={**params, "itemsPerPage": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    if obj.envelope == Envelope.BARE_ARRAY:
        assert isinstance(body, list)
    elif obj.envelope == Envelope.ARRAY_WRAPPED:
        assert isinstance(body, list) and len(body) == 1
        assert set(body[0]) == {obj.envelope_key, "total"}
    else:
        assert isinstance(body, dict) and obj.envelope_key in body and "total" in body
    rows = rows_of(obj, body)
    assert 1 <= len(rows) <= 3
    assert all(len(row["id"]) == 24 for row in rows)


@pytest.mark.parametrize("obj", LISTED, ids=lambda o: o.name)
def test_page_size_is_clamped_to_the_registry_max(sb, client, obj):
    path, params = list_url(sb, obj)
    first = rows_of(obj, client.get(path, params=params).json())[0]
    template = {k: v for k, v in sb.store.get(obj.name, first["id"]).items() if k != "id"}
    for _ in range(obj.page_size_max + 5):
        sb.store.create(obj.name, **template)
    r = client.get(path, params={**params, "itemsPerPage": 10_000})
    assert r.status_code == 200
    assert len(rows_of(obj, r.json())) == obj.page_size_max


def test_default_page_size_is_20(client):
    assert len(client.get("/company/all").json()["companies"]) == 20


def test_people_list_is_array_wrapped_with_total(sb, client):
    body = client.get("/people/all").json()
    assert body[0]["total"] == sb.store.count("people")


def test_objectives_echo_page_and_items_per_page(sb, client):
    cid = sb.store.rows("companies")[0]["id"]
    body = client.get("/objective", params={"company": cid, "page": 1, "itemsPerPage": 7}).json()
    assert body["page"] == 1 and body["itemsPerPage"] == 7
    assert {o["company"] for o in body["objectives"]} == {cid}


def test_objectives_need_a_company(sb, client):
    assert client.get("/objective").status_code == 400
    r = client.get("/objective", params={"company": "0" * 24})
    assert r.status_code == 404 and "error" in r.json()
    ext = sb.store.rows("companies")[1]
    r = client.get("/objective", params={"company_id": ext["company_id"]})
    assert r.status_code == 200 and {o["company"] for o in r.json()["objectives"]} == {ext["id"]}


def test_financial_list_is_a_bare_object_when_one_row_matches(sb, client):
    deal = sb.store.rows("deals")[0]
    company = deal["company"]
    for d in sb.store.find("deals", company=company):
        if d["id"] != deal["id"]:
            sb.store.delete("deals", d["id"])
    body = client.get(f"/financial/deal/{company}").json()
    assert body["id"] == deal["id"] and "deals" not in body
    sb.store.create("deals", company=company, externalIds={"custify": "x"})
    body = client.get(f"/financial/deal/{company}").json()
    assert body["total"] == 2 and len(body["deals"]) == 2


def test_time_tracks_under_singular_key_and_both_paths(client):
    a = client.get("/time-track").json()
    b = client.get("/time_track").json()
    assert a == b and "time_track" in a
    assert "startDate" in a["time_track"][0] and "startedDate" not in a["time_track"][0]


def test_files_carry_peoples_and_list_with_or_without_scope(sb, client):
    every = client.get("/file", params={"itemsPerPage": 50}).json()
    assert every["total"] == sb.store.count("files")
    assert all("peoples" in f and "people" not in f for f in every["files"])
    f = every["files"][0]
    scoped = client.get("/file", params={"companyId": f["companies"][0]}).json()
    assert scoped["files"] and all(f["companies"][0] in x["companies"] for x in scoped["files"])


def test_survey_list_is_a_bare_array(client):
    body = client.get("/survey").json()
    assert isinstance(body, list) and {"id", "name", "type", "created_at"} <= set(body[0])


@pytest.mark.parametrize(
    ("path", "param", "default", "other", "other_value"),
    [("/segment", "type", "people", "company", "company"),
     ("/segment", "type", "people", "companies", "company"),
     ("/playbook", "type", "companies", "people", "people")],
)  # fmt: skip
def test_type_defaults(sb, client, path, param, default, other, other_value):
    key = path.strip("/") + "s"
    default_rows = client.get(path, params={"itemsPerPage": 50}).json()[key]
    assert default_rows and {r["type"] for r in default_rows} == {default}
    rows = client.get(path, params={param: other, "itemsPerPage": 50}).json()[key]
    assert rows and {r["type"] for r in rows} == {other_value}


def test_playbooks_without_counts(client):
    rows = client.get("/playbook", params={"includeCounts": "false"}).json()["playbooks"]
    assert rows and all("company_counts" not in r for r in rows)


def paged_ids(client, path, key, per_page, **params):
    ids, page = [], 1
    while True:
        body = client.get(path, params={**params, "page": page, "itemsPerPage": per_page}).json()
        body = body[0] if isinstance(body, list) else body
        if not body[key]:
            return ids, body["total"]
        ids += [r["id"] for r in body[key]]
        page += 1


def test_paging_covers_every_row_once_and_ends_with_an_empty_page(sb, client):
    ids, total = paged_ids(client, "/company/all", "companies", 7)
    assert total == sb.store.count("companies") == len(ids) == len(set(ids))


def test_default_orders(sb, client):
    people = client.get("/people/all", params={"itemsPerPage": 200}).json()[0]["people"]
    keys = [(p["signed_up_at"], p["id"]) for p in people]
    assert keys == sorted(keys, reverse=True)
    tags = client.get("/tag", params={"itemsPerPage": 100}).json()["tags"]
    assert [(t["position"], t["id"]) for t in tags] == sorted(
        (t["position"], t["id"]) for t in tags
    )
    tickets = client.get("/ticket", params={"itemsPerPage": 200}).json()["tickets"]
    assert [t["openedAt"] for t in tickets] == sorted(
        (t["openedAt"] for t in tickets), reverse=True
    )
    notes = client.get("/note", params={"itemsPerPage": 50}).json()["notes"]
    assert [n["created_at"] for n in notes] == sorted(
        (n["created_at"] for n in notes), reverse=True
    )


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorting_json_and_sort_order(client, direction):
    sorting = json.dumps({"field": "updated_at", "direction": direction})
    people = client.get("/people/all", params={"sorting": sorting, "itemsPerPage": 200}).json()
    keys = [(p["updated_at"], p["id"]) for p in people[0]["people"]]
    assert keys == sorted(keys, reverse=direction == "desc")
    notes = client.get("/note", params={"sort": "updated_at", "order": direction}).json()["notes"]
    keys = [(n["updated_at"], n["id"]) for n in notes]
    assert keys == sorted(keys, reverse=direction == "desc")


def test_ties_are_broken_by_id(sb, client):
    for row in sb.store.rows("tasks")[:10]:
        sb.store.update("tasks", row["id"], updated_at="2030-01-01T00:00:00.000Z")
    sorting = json.dumps({"field": "updated_at", "direction": "desc"})
    rows = client.get("/task", params={"sorting": sorting, "itemsPerPage": 10}).json()["tasks"]
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    assert {r["updated_at"] for r in rows} == {"2030-01-01T00:00:00.000Z"}


@pytest.mark.parametrize(
    "params",
    [{"sorting": "{not json"}, {"sorting": json.dumps({"field": "x", "direction": "up"})},
     {"page": "0"}, {"itemsPerPage": "abc"}],
)  # fmt: skip
def test_bad_paging_and_sorting_is_400(client, params):
    r = client.get("/people/all", params=params)
    assert r.status_code == 400 and r.json()["error"]


def test_sort_order_is_ignored_where_the_list_takes_sorting_json(client):
    # /task takes `sorting`; a stray sort/order changes nothing (the registry's sort_style)
    plain = client.get("/task").json()
    assert client.get("/task", params={"sort": "name", "order": "asc"}).json() == plain


def date_filter(field, op, value):
    return json.dumps([{"fieldName": field, "fieldType": "Date", "filterType": op,
                        "filterValue": value}])  # fmt: skip


def test_date_filters_have_whole_day_granularity(sb, client):
    people = sb.store.rows("people")
    for i, p in enumerate(people[:3]):
        sb.store.update("people", p["id"], updated_at=f"2031-03-0{i + 4}T23:59:59.999Z")
    sb.store.update("people", people[3]["id"], updated_at="2031-03-06T00:00:00.000Z")

    def ids(op, day):
        body = client.get("/people/all", params={"filters": date_filter("updated_at", op, day),
                                                 "itemsPerPage": 200}).json()[0]  # fmt: skip
        return {p["id"] for p in body["people"]}

    assert ids("on", "2031-03-06") == {people[2]["id"], people[3]["id"]}
    assert ids("after", "2031-03-04") == {p["id"] for p in people[1:4]}
    assert people[0]["id"] in ids("before", "2031-03-05")
    assert people[1]["id"] not in ids("before", "2031-03-05")


def test_string_filter_and_and_combination(sb, client):
    c = sb.store.rows("companies")[0]
    filters = [{"fieldName": "company_id", "fieldType": "String", "filterType": "is",
                "filterValue": c["company_id"]}]  # fmt: skip
    body = client.get("/company/all", params={"filters": json.dumps(filters)}).json()
    assert [x["id"] for x in body["companies"]] == [c["id"]] and body["total"] == 1
    filters.append({"fieldName": "name", "fieldType": "String", "filterType": "is",
                    "filterValue": "nope"})  # fmt: skip
    body = client.get("/company/all", params={"filters": json.dumps(filters)}).json()
    assert body == {"companies": [], "total": 0}


def test_bad_filters_are_400(client):
    r = client.get("/people/all", params={"filters": date_filter("updated_at", "after", "May 1")})
    assert r.status_code == 400 and "filters" in r.json()["error"]


def test_page_beyond_the_end_is_empty_with_total(sb, client):
    body = client.get("/company/all", params={"page": 999}).json()
    assert body == {"companies": [], "total": sb.store.count("companies")}


def test_comments_per_parent(sb, client):
    c = sb.store.rows("comments")[0]
    body = client.get(f"/comment/{c['entityModel']}/{c['entity']}").json()
    assert {x["entity"] for x in body["comments"]} == {c["entity"]}
    assert client.get(f"/comment/Ticket/{c['entity']}").status_code == 400
    assert client.get(f"/comment/Note/{'f' * 24}").status_code == 404


def test_scoped_lists(sb, client):
    person = next(p for p in sb.store.rows("people") if p["companies"])
    company = person["companies"][0]
    people = client.get(f"/company/people/{company}", params={"itemsPerPage": 200}).json()
    assert person["id"] in {p["id"] for p in people[0]["people"]}
    ticket = sb.store.rows("tickets")[0]
    body = client.get("/ticket", params={"externalId": ticket["externalId"]}).json()
    assert [t["id"] for t in body["tickets"]] == [ticket["id"]]
    body = client.get(f"/ticket/{ticket['company'][0]}").json()
    assert ticket["id"] in {t["id"] for t in body["tickets"]}
    assert client.get(f"/ticket/{'a' * 24}").status_code == 404


def test_single_record_gets(sb, client):
    task = next(t for t in sb.store.rows("tasks") if t["externalId"])
    assert client.get(f"/task/{task['id']}").json() == {"tasks": [task], "total": 1}  # quirk 4
    assert client.get(f"/task/{'0' * 24}").json() == {"tasks": [], "total": 0}
    body = client.get("/task", params={"externalId": task["externalId"]}).json()
    assert body == {"tasks": [task], "total": 1}
    tag = sb.store.rows("tags")[0]
    assert client.get(f"/tag/{tag['id']}").json() == tag
    assert client.get(f"/tag/{'0' * 24}").status_code == 404
    seg = sb.store.rows("segments")[0]
    assert client.get(f"/segment/{seg['id']}").json() == seg


def test_people_and_company_properties_and_segments(sb, client):
    body = client.get("/people/all", params={"properties": '["email"]', "itemsPerPage": 3}).json()
    assert all(
        set(p) == {"id", "name", "created_at", "updated_at", "email"} for p in body[0]["people"]
    )
    co = client.get("/company/all", params={"includeSegments": "true"}).json()["companies"][0]
    assert co["segments"] == sb.store.segments_of("companies", co["id"])
    assert "segments" not in client.get("/company/all").json()["companies"][0]


def test_async_transport(sb):
    import asyncio

    import httpx

    async def go():
        async with httpx.AsyncClient(transport=sb.async_transport(), base_url="https://x",
                                     headers={"Authorization": f"Bearer {sb.api_key}"}) as c:  # fmt: skip
            return (await c.get("/tag")).status_code

    assert asyncio.run(go()) == 200
