"""Each fault knob (sandbox/faults.py): decided before the write, deterministic from the seed."""

from __future__ import annotations

import httpx
import pytest

from models.clock import FakeClock
from sandbox import Faults, Sandbox
from tests.sandbox.conftest import make_client


def post_people(client, i):
    return client.post("/people", json={"user_id": f"f{i}", "email": f"f{i}@x.example"})


def test_5xx_is_decided_before_the_write(sb, client):
    sb.faults.error_rate_5xx = 1.0
    n = sb.store.count("people")
    r = post_people(client, 1)
    assert r.status_code in (500, 502, 503) and r.json()["error"]
    assert sb.store.count("people") == n
    assert sb.journal[-1].fault == "5xx" and sb.journal[-1].body["user_id"] == "f1"


def test_5xx_rate_is_a_fraction_and_deterministic():
    def codes(seed):
        sb = Sandbox(seed=seed, scale=0.05, clock=FakeClock(), rate_limit=None,
                     faults=Faults(error_rate_5xx=0.3))  # fmt: skip
        c = make_client(sb)
        return [c.get("/tag").status_code for _ in range(200)]

    a, b = codes(3), codes(3)
    assert a == b
    assert 30 <= sum(s >= 500 for s in a) <= 90
    assert codes(4) != a


def test_drop_raises_in_process_and_leaves_state(sb, client):
    sb.faults.drop_rate = 1.0
    n = sb.store.count("people")
    with pytest.raises(httpx.RemoteProtocolError):
        post_people(client, 1)
    assert sb.store.count("people") == n
    assert sb.journal[-1].status == 0 and sb.journal[-1].fault == "drop"


def test_apply_then_drop_applies_the_write_and_loses_the_answer(sb, client):
    sb.faults.drop_rate = 1.0
    sb.faults.apply_then_drop = True
    n = sb.store.count("people")
    with pytest.raises(httpx.RemoteProtocolError):
        post_people(client, 1)
    assert sb.store.count("people") == n + 1
    assert sb.journal[-1].fault == "apply_then_drop"
    sb.faults.drop_rate = 0.0
    sb.faults.error_rate_5xx = 1.0
    r = client.post("/note", json={"text": "t", "entity": sb.store.rows("companies")[0]["id"],
                                   "entityModel": "Company"})  # fmt: skip
    assert r.status_code >= 500 and sb.store.find("notes", text="t")


def test_malformed_json(sb, client):
    sb.faults.malformed_json_rate = 1.0
    r = client.get("/tag")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert sb.journal[-1].fault == "malformed"


def test_latency_sleeps_on_the_clock(sb, client, clock):
    sb.faults.latency_s = 2.5
    t0 = clock.now()
    client.get("/tag")
    client.get("/tag")
    assert clock.now() - t0 == pytest.approx(5.0)


def test_mutate_while_paging_bumps_records_between_pages(sb, client, clock):
    sb.faults.mutate_while_paging = 3
    before = {r["id"]: r["updated_at"] for r in sb.store.rows("tasks")}
    clock.advance(60)
    client.get("/task", params={"itemsPerPage": 10})
    after = {r["id"]: r["updated_at"] for r in sb.store.rows("tasks")}
    changed = [i for i in before if before[i] != after[i]]
    assert len(changed) == 3 and all(after[i] == sb.now_iso() for i in changed)


def test_timestamp_ties_make_many_records_share_updated_at():
    sb = Sandbox(seed=1, scale=0.2, clock=FakeClock(1_700_000_000.123), rate_limit=None,
                 faults=Faults(timestamp_ties=10))  # fmt: skip
    stamps = [p["updated_at"] for p in sb.store.rows("people")]
    assert len(set(stamps)) <= len(stamps) // 5
    r = make_client(sb).post("/people", json={"email": "t@x.example"})
    assert r.json()["updated_at"].endswith(":20.000Z")  # write stamps cut to whole seconds
    plain = Sandbox(seed=1, scale=0.2, clock=FakeClock(), rate_limit=None)
    assert len({p["updated_at"] for p in plain.store.rows("people")}) > 0.95 * len(stamps)


def test_reject_by_identifier_set_and_by_predicate(sb, client):
    sb.faults.reject = {"f2"}
    assert post_people(client, 1).status_code == 200
    r = post_people(client, 2)
    assert r.status_code == 400 and r.json()["error"] == "rejected by sandbox fault"
    assert not sb.store.find("people", user_id="f2")
    assert sb.journal[-1].fault == "rejected"
    sb.faults.reject = lambda action, payload: action.startswith("tasks.")
    r = client.post("/task", json={"name": "n", "priority": "low", "status": "open"})
    assert r.status_code == 400 and post_people(client, 3).status_code == 200


def test_reject_applies_to_batch_jobs(sb, client):
    sb.faults.reject = {"b1"}
    jobs = [{"type": "people", "payload": {"user_id": f"b{i}"}} for i in range(3)]
    r = client.post("/batch", json={"jobs": jobs, "synchronous": True}).json()
    assert [x["status"] for x in r["results"]] == ["success", "failed", "success"]
    assert r["results"][1]["error"] == "rejected by sandbox fault"


def test_faults_are_knobs_changeable_between_requests(sb, client):
    sb.faults.error_rate_5xx = 1.0
    assert client.get("/tag").status_code >= 500
    sb.faults.error_rate_5xx = 0.0
    assert client.get("/tag").status_code == 200


def test_faults_update_rejects_unknown_knobs():
    with pytest.raises(ValueError):
        Faults().update(nonsense=1)
