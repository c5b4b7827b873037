"""The sandbox over real HTTP on 127.0.0.1: round trips, admin endpoints, dropped sockets."""

from __future__ import annotations

import httpx
import pytest

from models.clock import FakeClock
from sandbox import Sandbox, serve
from tests.sandbox.sockets import idle_connection_closed


@pytest.fixture
def served():
    sb = Sandbox(seed=4, scale=0.1, clock=FakeClock(), rate_limit=None)
    with serve(sb) as server:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        client = httpx.Client(base_url=server.url, headers=headers, timeout=10)
        with client:
            yield sb, server, client


def test_binds_loopback_on_a_free_port(served):
    sb, server, client = served
    assert server.url.startswith("http://127.0.0.1:") and server.port > 0
    with pytest.raises(ValueError):
        serve(sb, host="0.0.0.0")


def test_round_trip_list_write_and_upload(served):
    sb, server, client = served
    body = client.get("/people/all", params={"itemsPerPage": 5}).json()
    assert len(body[0]["people"]) == 5 and body[0]["total"] == sb.store.count("people")
    r = client.post("/people", json={"email": "http@x.example"})
    assert (
        r.status_code == 200 and sb.store.get("people", r.json()["id"])["email"] == "http@x.example"
    )
    r = client.post("/file", files={"file": ("x.csv", b"a,b\n", "text/csv")})
    assert r.status_code == 200 and r.json()["size"] == 4
    r = client.post(
        "/event", json={"name": "e", "created_at": "2023-01-01", "email": "http@x.example"}
    )
    assert r.status_code == 202 and r.content == b""
    assert r.headers.get("x-ratelimit-limit") is None  # rate_limit=None: no headers
    assert sb.journal.count(path_prefix="/people") == 2


def test_401_over_http(served):
    sb, server, _ = served
    r = httpx.get(server.url + "/tag")
    assert r.status_code == 401 and r.json()["statusCode"] == 401


def test_dropped_connection_over_http(served):
    sb, server, client = served
    sb.faults.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/tag")
    sb.faults.drop_rate = 0.0
    assert client.get("/tag").status_code == 200  # the server keeps serving


def test_admin_endpoints(served):
    sb, server, client = served
    rows = client.get("/_sandbox/state/companies").json()
    assert len(rows) == sb.store.count("companies")
    r = client.post("/_sandbox/faults", json={"error_rate_5xx": 1.0, "reject": ["x"]})
    assert r.status_code == 200 and sb.faults.error_rate_5xx == 1.0 and sb.faults.reject == {"x"}
    assert client.get("/tag").status_code >= 500
    client.post("/_sandbox/faults", json={"error_rate_5xx": 0.0, "rate_limit": 50})
    assert sb.rate_limit == 50
    created = client.post("/_sandbox/mutate", json={"op": "create", "object": "notes",
                                                     "fields": {"text": "from custify"}}).json()  # fmt: skip
    assert sb.store.get("notes", created["id"])["text"] == "from custify"
    client.post("/_sandbox/mutate", json={"op": "update", "object": "notes", "id": created["id"],
                                          "fields": {"text": "edited"}})  # fmt: skip
    assert sb.store.get("notes", created["id"])["text"] == "edited"
    client.post("/_sandbox/mutate", json={"op": "delete", "object": "notes", "id": created["id"]})
    assert sb.store.get("notes", created["id"]) is None
    journal = client.get("/_sandbox/journal").json()
    assert all(not e["path"].startswith("/_sandbox") for e in journal) and journal
    assert httpx.get(server.url + "/_sandbox/journal").status_code == 401
    assert client.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400
    assert client.post("/_sandbox/mutate", json={"op": "x", "object": "notes"}).status_code == 400


def test_concurrent_requests_with_latency_on_a_real_clock():
    """Latency sleeps in the request's own thread: parallel clients all get answers."""
    import concurrent.futures

    sb = Sandbox(scale=0.05, rate_limit=None)
    sb.faults.latency_s = 0.2
    with serve(sb) as server:
        headers = {"Authorization": f"Bearer {sb.api_key}"}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: httpx.get(server.url + "/tag", headers=headers).status_code,
                                  range(8)))  # fmt: skip
    assert codes == [200] * 8


def test_idle_keep_alive_connections_close_only_when_asked():
    """``idle_timeout_s`` closes a keep-alive connection left idle, as a load balancer does;
    by default it stays open."""
    sb = Sandbox(seed=4, scale=0.1, rate_limit=None)
    with serve(sb, idle_timeout_s=0.2) as server:
        assert idle_connection_closed(server.host, server.port, sb.api_key, idle_s=0.6)
    with serve(sb) as server:
        assert not idle_connection_closed(server.host, server.port, sb.api_key, idle_s=0.6)
