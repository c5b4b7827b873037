"""The first value of a custom attribute (or event metadata key) fixes its type (§1.4, §1.5);
a later value of another type is rejected, coerced or ignored per ``attribute_type_mismatch``,
and ``GET /company/attributes`` / ``GET /customer/attributes`` show the detected types."""

from __future__ import annotations

import pytest

from sandbox.attributes import detect


@pytest.mark.parametrize(("name", "value", "kind"), [
    ("a", "2024-01-02", "Date"), ("a", "2024-01-02T10:00:00.000Z", "Date"), ("a", 7, "Number"),
    ("a", "7", "Number"), ("a", "5.4", "Number"), ("a", 2.5, "Number"), ("a", True, "Boolean"),
    ("a", "FALSE", "Boolean"), ("a", "seven", "String"), ("a", "", "String"),
    ("renewed_at", "soon", "Date"), ("a", {"value": 1, "currency": "USD"}, "Currency"),
])  # fmt: skip
def test_detection_tries_date_number_boolean_then_string(name, value, kind):
    assert detect(name, value) == kind


def types(client, path):
    return {a["name"]: a["type"] for a in client.get(path).json()}


def test_discovery_lists_the_generated_and_the_new_attributes(sb, client):
    company = sb.store.rows("companies")[0]
    assert types(client, "/company/attributes") == {
        "region": "String", "is_enterprise": "Boolean", "seats": "Number", "renewal_at": "Date",
        "contract_value": "Currency",
    }  # fmt: skip
    people = types(client, "/customer/attributes")
    assert people["seats_used"] == "Number" and people["last_login_at"] == "Date"
    r = client.post("/company", json={"id": company["id"],
                                      "custom_attributes": {"tier": "3", "vip": "true"}})  # fmt: skip
    assert r.status_code == 200
    found = types(client, "/company/attributes")
    assert (found["tier"], found["vip"], len(found)) == ("Number", "Boolean", 7)
    assert "tier" not in types(client, "/customer/attributes")  # per object
    assert r.json()["custom_attributes"]["tier"] == "3"  # a fitting value is kept as sent


@pytest.mark.parametrize("mode", ["reject", "coerce", "ignore"])
def test_a_value_of_another_type_per_knob(sb, client, mode):
    sb.faults.attribute_type_mismatch = mode
    company = sb.store.rows("companies")[0]
    body = {"id": company["id"], "custom_attributes": {"seats": "lots", "region": "NA"}}
    r = client.post("/company", json=body)
    stored = sb.store.get("companies", company["id"])["custom_attributes"]
    if mode == "reject":
        assert r.status_code == 400 and "custom_attributes.seats" in r.json()["error"]
        assert stored == company["custom_attributes"]  # nothing of the request applied
    elif mode == "coerce":
        assert r.status_code == 200 and stored["seats"] == "lots" and stored["region"] == "NA"
    else:
        assert r.status_code == 200 and stored["region"] == "NA"
        assert stored["seats"] == company["custom_attributes"]["seats"]
    assert types(client, "/company/attributes")["seats"] == "Number"  # the type never changes


def test_coerce_stores_the_string_form(sb, client):
    sb.faults.attribute_type_mismatch = "coerce"
    person = next(p for p in sb.store.rows("people") if p["user_id"])
    r = client.post("/people", json={"user_id": person["user_id"],
                                     "custom_attributes": {"is_admin": 3, "role": 7}})  # fmt: skip
    assert r.status_code == 200
    attrs = sb.store.get("people", person["id"])["custom_attributes"]
    assert attrs["is_admin"] == "3"  # a Boolean attribute given a number
    assert attrs["role"] == 7  # a number reads as a String: it fits, kept as sent


def test_the_first_value_fixes_the_type_for_every_later_writer(sb, client):
    people = [p for p in sb.store.rows("people") if p["user_id"]][:2]
    first = client.post("/people", json={"user_id": people[0]["user_id"],
                                         "custom_attributes": {"nps_band": 9}})  # fmt: skip
    assert first.status_code == 200
    r = client.post("/people", json={"user_id": people[1]["user_id"],
                                     "custom_attributes": {"nps_band": "promoter"}})  # fmt: skip
    assert r.status_code == 400 and "nps_band" in r.json()["error"]
    assert client.post("/people", json={"user_id": people[1]["user_id"],
                                        "custom_attributes": {"nps_band": "8"}}).is_success  # fmt: skip
    assert types(client, "/customer/attributes")["nps_band"] == "Number"


def test_a_refused_write_fixes_no_type(sb, client):
    person = next(p for p in sb.store.rows("people") if p["user_id"])
    r = client.post("/people", json={"user_id": person["user_id"],
                                     "custom_attributes": {"fresh": 1},
                                     "companies": [{"company_id": "NO-SUCH"}]})  # fmt: skip
    assert r.status_code == 404
    assert "fresh" not in types(client, "/customer/attributes")
    assert client.post("/people", json={"user_id": person["user_id"],
                                        "custom_attributes": {"fresh": "text"}}).is_success  # fmt: skip
    assert types(client, "/customer/attributes")["fresh"] == "String"


def test_names_ending_at_are_dates_from_the_first_value(sb, client):
    company = sb.store.rows("companies")[0]
    r = client.post("/company", json={"id": company["id"],
                                      "custom_attributes": {"churned_at": "yesterday"}})  # fmt: skip
    assert r.status_code == 400 and "churned_at" in r.json()["error"]


def test_batch_jobs_follow_the_same_rule(sb, client):
    person = next(p for p in sb.store.rows("people") if p["user_id"])
    jobs = [{"type": "people", "payload": {"user_id": person["user_id"],
                                           "custom_attributes": {"seats_used": "many"}}},
            {"type": "people", "payload": {"user_id": person["user_id"],
                                           "custom_attributes": {"seats_used": 4}}}]  # fmt: skip
    body = client.post("/batch", json={"jobs": jobs, "synchronous": True}).json()
    assert [j["status"] for j in body["results"]] == ["failed", "success"]
    assert "seats_used" in body["results"][0]["error"]


@pytest.mark.parametrize("mode", ["reject", "coerce", "ignore"])
def test_event_metadata_keys_keep_their_first_type(sb, client, mode):
    sb.faults.attribute_type_mismatch = mode
    person = next(p for p in sb.store.rows("people") if p["user_id"])
    base = {"name": "export", "created_at": "2024-01-01", "user_id": person["user_id"]}
    assert client.post("/event", json={**base, "metadata": {"rows": 10}}).status_code == 202
    r = client.post("/event", json={**base, "metadata": {"rows": "all", "format": "csv"}})
    last = sb.store.events[-1]["metadata"]
    if mode == "reject":
        assert r.status_code == 400 and "metadata.rows" in r.json()["error"]
        assert len(sb.store.events) == 1
    elif mode == "coerce":
        assert r.status_code == 202 and last == {"rows": "all", "format": "csv"}
    else:
        assert r.status_code == 202 and last == {"format": "csv"}
    fixed = {"rows": "Number"} if mode == "reject" else {"rows": "Number", "format": "String"}
    assert sb.store.attribute_types["events"] == fixed


def test_unknown_mode_is_refused(sb):
    with pytest.raises(ValueError, match="attribute_type_mismatch"):
        sb.faults.update(attribute_type_mismatch="guess")
