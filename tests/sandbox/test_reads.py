"""Read endpoints of §11 and §14: survey responses, simple health scores, calculated metrics."""

from __future__ import annotations

import json

import pytest

from sandbox.util import parse_date

RESPONSE_FIELDS = {"id", "email", "name", "score", "comment", "responseDate", "company", "people",
                   "extraQuestions"}  # fmt: skip


def test_every_seeded_survey_has_responses_from_distinct_people(sb, client):
    surveys = sb.store.rows("surveys")
    for survey in surveys:
        body = client.get(f"/survey/{survey['id']}/responses", params={"itemsPerPage": 50}).json()
        assert set(body) == {"responses", "total", "page", "itemsPerPage"}
        assert body["total"] == len(sb.store.find("survey_responses", survey=survey["id"])) > 0
        rows = body["responses"]
        assert all(set(r) >= RESPONSE_FIELDS for r in rows)
        lo, hi = (0, 10) if survey["type"] == "nps" else (1, 5)
        assert all(lo <= r["score"] <= hi for r in rows)
        assert len({r["people"] for r in rows}) == len(rows)
        for r in rows:
            person = sb.store.get("people", r["people"])
            assert (r["email"], r["name"]) == (person["email"], person["name"])


def test_responses_page_at_most_50_newest_first(sb, client):
    survey = sb.store.rows("surveys")[0]["id"]
    template = sb.store.find("survey_responses", survey=survey)[0]
    for i in range(60):
        sb.store.create("survey_responses", **{**template, "id": None,
                                               "responseDate": f"2020-01-01T00:00:{i:02d}.000Z"})  # fmt: skip
    total = len(sb.store.find("survey_responses", survey=survey))
    first = client.get(f"/survey/{survey}/responses", params={"itemsPerPage": 500}).json()
    assert len(first["responses"]) == 50 and first["itemsPerPage"] == 50 and first["total"] == total
    seen, page = [], 1
    while True:
        body = client.get(f"/survey/{survey}/responses", params={"page": page}).json()
        if not body["responses"]:
            break
        assert body["page"] == page and body["itemsPerPage"] == 20
        seen += body["responses"]
        page += 1
    dates = [parse_date(r["responseDate"]) for r in seen]
    assert len(seen) == total and dates == sorted(dates, reverse=True)
    assert len({r["id"] for r in seen}) == total


def test_responses_of_an_unknown_survey_are_404(client):
    r = client.get(f"/survey/{'0' * 24}/responses")
    assert r.status_code == 404 and "Survey" in r.json()["error"]


@pytest.mark.parametrize("kind", ["nps", "csat"])
def test_a_score_with_survey_id_creates_then_replaces_the_response(sb, client, clock, kind):
    survey = next(s for s in sb.store.rows("surveys") if s["type"] == kind)
    answered = {r["people"] for r in sb.store.find("survey_responses", survey=survey["id"])}
    person = next(p for p in sb.store.rows("people") if p["id"] not in answered)
    before = len(sb.store.find("survey_responses", survey=survey["id"]))
    url = f"/{kind}_score/{person['id']}"
    body = {"score": 4, "comment": "ok", "surveyId": survey["id"],
            "submittedAt": "2024-03-01T10:00:00Z"}  # fmt: skip
    assert client.post(url, json=body).status_code == 200
    (resp,) = sb.store.find("survey_responses", survey=survey["id"], people=person["id"])
    assert (resp["score"], resp["comment"], resp["responseDate"]) == (
        4, "ok", "2024-03-01T10:00:00.000Z")  # fmt: skip
    assert resp["email"] == person["email"] and resp["company"] == person["companies"][0]
    clock.advance(60)
    newer = {**body, "score": 5, "submittedAt": "2024-04-01T10:00:00Z"}
    assert client.post(url, params={"surveyId": survey["id"]}, json=newer).status_code == 200
    (again,) = sb.store.find("survey_responses", survey=survey["id"], people=person["id"])
    assert again["id"] == resp["id"] and again["score"] == 5
    older = {**body, "score": 1, "submittedAt": "2023-01-01T10:00:00Z"}
    assert client.post(url, json=older).status_code == 200
    assert sb.store.get("survey_responses", resp["id"])["score"] == 5  # only the newest is kept
    assert len(sb.store.find("survey_responses", survey=survey["id"])) == before + 1
    listed = client.get(f"/survey/{survey['id']}/responses", params={"itemsPerPage": 50}).json()
    assert resp["id"] in {r["id"] for r in listed["responses"]}


def test_a_score_naming_a_missing_or_other_kind_survey_is_refused(sb, client):
    person = sb.store.rows("people")[0]
    csat = next(s for s in sb.store.rows("surveys") if s["type"] == "csat")
    n = sb.store.count("survey_responses")
    r = client.post(f"/nps_score/{person['id']}", json={"score": 3, "surveyId": "0" * 24})
    assert r.status_code == 404
    r = client.post(f"/nps_score/{person['id']}", json={"score": 3, "surveyId": csat["id"]})
    assert r.status_code == 400 and "csat" in r.json()["error"]
    assert sb.store.count("survey_responses") == n and person["id"] not in sb.store.scores["nps"]


def test_health_score_simple_is_a_bare_array_of_every_definition(sb, client):
    body = client.get("/health_score/simple").json()
    defs = {h["id"]: h for h in sb.store.rows("health_scores")}
    assert isinstance(body, list) and {h["id"] for h in body} == set(defs)
    for item in body:
        assert set(item) == {"id", "name", "description", "type", "weight", "ranges"}
        assert item["name"] == defs[item["id"]]["name"]
        assert [r["label"] for r in item["ranges"]] == ["bad", "average", "good"]
        assert all(set(r) == {"label", "color", "min", "max"} for r in item["ranges"])
    # every company's health-score label falls in the band the ranges give for its score
    bands = body[0]["ranges"]
    for co in sb.store.rows("companies"):
        g = co["metrics"]["health_scores"]["global"]
        band = next(b for b in bands if b["min"] <= g["score"] <= b["max"])
        assert (band["label"], band["color"]) == (g["label"], g["color"])
    assert client.get(f"/health_score/{body[0]['id']}").json() == defs[body[0]["id"]]


def test_calculated_metrics_list_by_type_company_by_default(sb, client):
    rows = sb.store.rows("calculated_metrics")
    by_type = {t: {r["id"] for r in rows if r["type"] == t} for t in ("company", "people")}
    assert by_type["company"] and by_type["people"]
    default = client.get("/calculated_metric").json()
    assert set(default) == {"calculated_metrics", "total"}
    assert {r["id"] for r in default["calculated_metrics"]} == by_type["company"]
    assert default["total"] == len(by_type["company"])
    people = client.get("/calculated_metric", params={"type": "people"}).json()
    assert {r["id"] for r in people["calculated_metrics"]} == by_type["people"]
    assert client.get("/calculated_metric", params={"type": "x"}).status_code == 400
    sorting = json.dumps({"field": "name", "direction": "asc"})
    names = [r["name"] for r in client.get("/calculated_metric",
                                           params={"sorting": sorting}).json()["calculated_metrics"]]  # fmt: skip
    assert names == sorted(names)
    one = rows[0]
    assert client.get(f"/calculated_metric/{one['id']}").json() == one
    assert client.get(f"/calculated_metric/{'0' * 24}").status_code == 404
    # company metrics point at real definitions
    co = sb.store.rows("companies")[0]
    assert set(co["metrics"]["calculated_metrics"]) <= {r["id"] for r in rows}
