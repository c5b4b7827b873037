"""The ``forbidden_paths`` knob: a 403 aimed at one endpoint (method + exact path) or at a
path prefix, as a key without some scope sees it (§1.2)."""

from __future__ import annotations

import httpx
import pytest

from models.clock import FakeClock
from sandbox import Faults, Sandbox, serve


def test_forbidden_rules_target_one_method_and_one_exact_path(sb, client):
    survey = sb.store.rows("survey_responses")[0]["survey"]
    sb.faults.forbidden_paths = [
        {"method": "GET", "path": "/file", "match": "exact"},
        {"path": "/survey", "match": "exact"},
        {"method": "delete", "path": "/ticket"},
    ]
    assert client.get("/file").status_code == 403
    assert client.get("/file/", params={"companyId": "x"}).status_code == 403
    assert client.post("/file", files={"file": ("a.txt", b"a", "text/plain")}).status_code == 200
    assert client.get("/survey").status_code == 403
    assert client.get(f"/survey/{survey}/responses").status_code == 200
    ticket = sb.store.rows("tickets")[0]
    assert client.delete(f"/ticket/{ticket['externalId']}").status_code == 403
    assert client.get("/ticket").status_code == 200
    assert sb.store.get("tickets", ticket["id"]) is not None
    assert [e.fault for e in sb.journal if e.status == 403] == ["forbidden"] * 4
    sb.faults.forbidden_paths = ["/financial"]  # the original prefix form, any method
    assert client.get("/financial/deal").status_code == 403
    assert client.post("/financial/deal", json={"externalId": "x"}).status_code == 403


@pytest.mark.parametrize("rule", [{"method": "GET"}, {"path": "/x", "match": "regex"},
                                  {"path": "/x", "verb": "GET"}, 7])  # fmt: skip
def test_malformed_forbidden_rules_are_refused(rule):
    with pytest.raises(ValueError, match="forbidden_paths"):
        Faults().update(forbidden_paths=[rule])
    with pytest.raises(ValueError, match="forbidden_paths"):
        Faults(forbidden_paths=[rule])


def test_forbidden_rules_over_the_admin_endpoint(tmp_path):
    sb = Sandbox(seed=3, scale=0.1, clock=FakeClock(), rate_limit=None)
    with serve(sb) as server:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        with httpx.Client(base_url=server.url, headers=headers) as c:
            rule = {"method": "GET", "path": "/file", "match": "exact"}
            assert c.post("/_sandbox/faults", json={"forbidden_paths": [rule]}).status_code == 200
            assert c.get("/file").status_code == 403
            assert c.get("/_sandbox/info").json()["faults"]["forbidden_paths"] == [rule]
            bad = c.post("/_sandbox/faults", json={"forbidden_paths": [{"method": "GET"}]})
            assert bad.status_code == 400 and "forbidden_paths" in bad.json()["error"]
            assert c.get("/file").status_code == 403  # a refused update changes nothing
