"""POST /batch and GET /batch/{id} (§15): 202, polling, per-job results, caps, retention."""

from __future__ import annotations

NOW = "2023-11-14T22:13:20.000Z"


def jobs(n, start=0):
    return [{"type": "people", "payload": {"user_id": f"b{i}", "email": f"b{i}@x.example"}}
            for i in range(start, start + n)]  # fmt: skip


def test_batch_is_202_and_applied_only_when_the_job_completes(sb, client):
    n = sb.store.count("people")
    r = client.post("/batch", json={"jobs": jobs(3)})
    assert r.status_code == 202
    jid = r.json()["id"]
    assert len(jid) == 24 and r.json()["status"] == "queued"
    assert sb.store.count("people") == n  # nothing applied by the submit itself
    done = client.get(f"/batch/{jid}").json()  # no delay: the worker ran before this poll
    assert done["status"] == "completed" and sb.store.count("people") == n + 3
    assert [x["status"] for x in done["results"]] == ["success"] * 3
    assert [x["index"] for x in done["results"]] == [0, 1, 2]
    assert {sb.store.get("people", x["id"])["user_id"] for x in done["results"]} == {
        "b0",
        "b1",
        "b2",
    }


def test_batch_waits_for_the_delay_then_completes_without_a_poll(sb, client, clock):
    sb.faults.batch_delay_s = 30
    n = sb.store.count("people")
    jid = client.post("/batch", json={"jobs": jobs(1)}).json()["id"]
    for _ in range(3):
        polled = client.get(f"/batch/{jid}").json()
        assert polled["status"] == "queued" and polled["results"] is None
    assert sb.store.count("people") == n
    clock.advance(30)
    client.get("/people/all", params={"itemsPerPage": 1})  # any request: the worker runs
    assert sb.store.count("people") == n + 1
    assert client.get(f"/batch/{jid}").json()["status"] == "completed"


def test_batch_per_job_results_use_the_single_endpoint_rules(sb, client):
    alice = sb.store.create("people", user_id="alice", email="alice@x.example", companies=[],
                            custom_attributes={}, tags=[])  # fmt: skip
    batch = [
        {"type": "people", "payload": {"user_id": "other", "email": "alice@x.example"}},  # rule 4
        {"type": "people", "payload": {"name": "no identifier"}},
        {"type": "company", "payload": {"company_id": "BC-1", "name": "Batch Co"}},
        {"type": "event", "payload": {"name": "e", "created_at": NOW, "user_id": "ghost"}},
        {"type": "event", "payload": {"name": "e", "created_at": NOW, "user_id": "alice"}},
        {"type": "people", "payload": {"id": alice["id"], "custom_attributes": {"a": [1]}}},
    ]
    jid = client.post("/batch", json={"jobs": batch}).json()["id"]
    res = client.get(f"/batch/{jid}").json()["results"]
    assert [r["status"] for r in res] == [
        "success",
        "failed",
        "success",
        "failed",
        "success",
        "failed",
    ]
    assert res[0]["id"] != alice["id"]
    assert "user_id" in res[1]["error"] and res[3]["error"] == "People not found"
    assert "custom_attributes.a" in res[5]["error"]
    assert sb.store.find("companies", company_id="BC-1")[0]["id"] == res[2]["id"]
    assert len(sb.store.events) == 1


def test_batch_caps(client):
    assert client.post("/batch", json={"jobs": jobs(100)}).status_code == 202
    assert client.post("/batch", json={"jobs": jobs(101)}).status_code == 400
    assert client.post("/batch", json={"jobs": []}).status_code == 400
    r = client.post("/batch", json={"jobs": jobs(3), "synchronous": True})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert client.post("/batch", json={"jobs": jobs(4), "synchronous": True}).status_code == 400


def test_batch_unknown_and_expired_ids_are_404(client, clock):
    assert client.get(f"/batch/{'0' * 24}").status_code == 404
    jid = client.post("/batch", json={"jobs": jobs(1)}).json()["id"]
    clock.advance(6 * 3600 + 1)
    assert client.get(f"/batch/{jid}").status_code == 404


def test_batch_jobs_are_inspectable_in_the_store(sb, client):
    jid = client.post("/batch", json={"jobs": jobs(2)}).json()["id"]
    assert (
        sb.store.batch_jobs[jid]["status"] == "queued"
        and len(sb.store.batch_jobs[jid]["jobs"]) == 2
    )


def test_custom_data_job(sb, client):
    co = sb.store.rows("companies")[0]
    job = {"type": "custom-data", "payload": {"entityModel": "companies", "company_id": co["company_id"],
                                              "data_type": "order", "data_id": "o1", "data": {"x": 1}}}  # fmt: skip
    r = client.post("/batch", json={"jobs": [job], "synchronous": True}).json()
    assert r["results"][0]["status"] == "success"
    assert sb.store.custom_data[("companies", co["id"], "order", "o1")]["data"] == {"x": 1}
