"""custify.http at the network edge (httpx.MockTransport): retry rules, headers, stats.

The sandbox cannot produce every transport quirk on demand (connect errors before sending,
read timeouts, exact Retry-After values), so these use scripted answers; everything else is
tested against the sandbox in test_sandbox_*.py.
"""

from __future__ import annotations

import socketserver
import threading

import httpx
import pytest

from custify.client import CustifyClient
from custify.errors import (
    AuthError,
    ConfigError,
    ConnectFailed,
    FatalError,
    NotFound,
    RateLimitedError,
    RecordRejected,
    RetriableError,
)
from custify.http import RequestStats
from custify.settings import ConnectionSettings

OK = httpx.Response(200, json={"companies": [{"id": "c1"}], "total": 1})
REQ = httpx.Request("GET", "https://api.custify.example/x")


def test_headers_auth_and_user_agent(scripted) -> None:
    client, script = scripted(OK)
    client.request("GET", "/company/all", params={"page": 1})
    sent = script.requests[0]
    assert sent.headers["authorization"].startswith("Bearer sk_test_")
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("custify-sync/")
    assert str(sent.url) == "https://api.custify.example/company/all?page=1"


def test_5xx_is_retried_with_backoff_through_the_clock(scripted, clock) -> None:
    client, script = scripted(httpx.Response(502), httpx.Response(503), OK)
    start = clock.now()
    assert client.request("GET", "/company/all").json()["total"] == 1
    assert len(script.requests) == 3
    assert client.stats.snapshot()["retries"] == 2
    assert clock.now() >= start  # waited on the fake clock, not in real time


def test_retries_run_out(scripted) -> None:
    client, script = scripted(httpx.Response(500, json={"error": "Some other error occurred"}))
    with pytest.raises(RetriableError, match="500: Some other error occurred") as exc:
        client.request("GET", "/company/all")
    assert len(script.requests) == 5  # 1 + max_retries=4
    assert exc.value.attempts == 5
    assert client.stats.snapshot()["errors"] == 1


def test_retry_after_on_503_is_honoured(scripted, clock) -> None:
    client, _ = scripted(httpx.Response(503, headers={"Retry-After": "7"}), OK)
    start = clock.now()
    client.request("GET", "/company/all")
    assert clock.now() - start == pytest.approx(7.0)


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused", request=REQ), httpx.ConnectTimeout("slow", request=REQ)],
)
def test_connection_errors_before_sending_are_retried_once_custify_answered(scripted, exc) -> None:
    client, script = scripted(OK, exc, exc, httpx.Response(200, json={"id": "n1"}))
    client.request("GET", "/people/all")
    # even a create that Custify does not deduplicate: it never left this machine
    assert client.notes_create({"text": "t", "entity": "c1", "entityModel": "Company"}) == {
        "id": "n1"
    }
    assert len(script.requests) == 4


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused", request=REQ), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known", request=REQ), "DNS"),
        (
            httpx.ConnectError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=REQ
            ),
            "TLS certificate",
        ),  # fmt: skip
        (httpx.ConnectTimeout("timed out", request=REQ), "connect timeout"),
    ],
)
def test_the_first_request_that_cannot_connect_ends_the_run_at_once(scripted, exc, cause) -> None:
    """A wrong base URL is a setup error: one attempt, a message naming the setting and why."""
    client, script = scripted(exc, OK)
    with pytest.raises(ConnectFailed) as info:
        client.request("GET", "/people/all")
    assert len(script.requests) == 1
    assert "CUSTIFY_BASE_URL" in str(info.value) and cause in str(info.value)
    assert isinstance(info.value, ConfigError)  # the CLI's exit code 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500),
        httpx.ReadTimeout("timed out", request=REQ),
        httpx.RemoteProtocolError("Server disconnected", request=REQ),
        httpx.Response(200, content=b'{"id": "n1'),
    ],
)
def test_non_idempotent_create_is_not_retried_after_sending(scripted, answer) -> None:
    client, script = scripted(answer, httpx.Response(200, json={"id": "n2"}))
    with pytest.raises(RetriableError) as exc:
        client.notes_create({"text": "t", "entity": "c1", "entityModel": "Company"})
    assert exc.value.maybe_applied is True
    assert len(script.requests) == 1  # the ledger must look before re-sending
    assert exc.value.path == "/note" and exc.value.method == "POST"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500),
        httpx.ReadTimeout("timed out", request=REQ),
        httpx.RemoteProtocolError("Server disconnected", request=REQ),
    ],
)
def test_idempotent_writes_are_retried_after_sending(scripted, answer) -> None:
    client, script = scripted(answer, httpx.Response(200, json={"id": "p1"}))
    assert client.people_upsert({"email": "a@b.c"}) == {"id": "p1"}
    assert len(script.requests) == 2


def test_malformed_json_on_a_read_is_retried(scripted) -> None:
    client, script = scripted(httpx.Response(200, content=b'{"companies": [{"id"'), OK)
    assert client.list_page("companies", 1).rows == [{"id": "c1"}]
    assert len(script.requests) == 2


def test_429_is_absorbed_and_blocks_the_budget(scripted, clock) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "3"}, json={"error": "Too Many"})
    client, script = scripted(limited, limited, OK)
    start = clock.now()
    client.request("GET", "/company/all")
    assert len(script.requests) == 3
    assert client.stats.snapshot()["rate_limited"] == 2
    assert client.stats.snapshot()["retries"] == 0  # 429s do not use the error allowance
    assert clock.now() - start >= 6.0


def test_a_calls_tally_counts_its_own_attempts_and_the_stats_count_all(scripted) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "0"})
    client, _ = scripted(OK, limited, OK)
    client.list_page("companies", 1)  # not counted in the tally below
    tally = RequestStats()
    assert client.list_page("companies", 1, tally=tally).rows == [{"id": "c1"}]
    assert (tally.requests, tally.rate_limited, tally.retries) == (2, 1, 0)
    assert tally.by_status == {429: 1, 200: 1}
    assert (client.stats.requests, client.stats.rate_limited) == (3, 1)


def test_retry_after_zero_is_honoured_with_a_small_floor(scripted, clock) -> None:
    """Retry-After counts whole seconds rounded down: "0" may mean "0.9 s left" (§1.8)."""
    limited = httpx.Response(429, headers={"Retry-After": "0"})
    client, script = scripted(limited, limited, limited, OK)
    start = clock.now()
    client.request("GET", "/company/all")
    assert len(script.requests) == 4
    assert 0 < clock.now() - start <= 0.25 + 0.5 + 1.0 + 1e-6


def test_429_surfaces_only_when_its_allowance_runs_out(scripted) -> None:
    client, script = scripted(httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(RateLimitedError) as exc:
        client.request("GET", "/company/all")
    assert len(script.requests) == 31
    assert exc.value.maybe_applied is False and exc.value.retry_after == 1.0


def test_remaining_header_feeds_the_budget(scripted) -> None:
    client, _ = scripted(httpx.Response(200, json={}, headers={"X-RateLimit-Remaining": "10"}))
    client.request("GET", "/company/all")
    assert client.budget.in_window() == 90  # 100 - 10: somebody else used 89 of them


@pytest.mark.parametrize(
    ("status", "record", "cls"),
    [
        (401, False, AuthError),
        (403, True, AuthError),
        (400, False, FatalError),
        (400, True, RecordRejected),
        (404, True, NotFound),
        (301, False, FatalError),
    ],
)
def test_non_retriable_errors_raise_at_once(scripted, status, record, cls) -> None:
    client, script = scripted(httpx.Response(status, json={"error": "nope"}))
    with pytest.raises(cls):
        client.request("POST", "/people", json={}, record=record)
    assert len(script.requests) == 1


def test_stats_by_status(scripted) -> None:
    client, _ = scripted(httpx.Response(502), OK, OK)
    client.request("GET", "/a")
    client.request("GET", "/b")
    snap = client.stats.snapshot()
    assert snap["requests"] == 3 and snap["by_status"] == {502: 1, 200: 2}


def test_maybe_applied_remembers_earlier_attempts(scripted) -> None:
    """A 5xx that may have applied, then connect errors until the end: still maybe applied."""
    refused = httpx.ConnectError("refused", request=REQ)
    client, script = scripted(httpx.Response(503), refused)
    with pytest.raises(RetriableError) as exc:
        client.people_upsert({"email": "a@b.c"})
    assert "ConnectError" in str(exc.value) and exc.value.maybe_applied is True
    assert len(script.requests) == 5


def test_a_base_url_with_a_path_keeps_it_in_front_of_every_request(scripted) -> None:
    client, script = scripted(OK, OK, base_url="https://api.custify.example/v1/")
    client.request("GET", "/company/all", params={"page": 2})
    client.request("GET", "company/all")
    assert [str(r.url) for r in script.requests] == [
        "https://api.custify.example/v1/company/all?page=2",
        "https://api.custify.example/v1/company/all",
    ]


class _RefusingProxy(socketserver.StreamRequestHandler):
    """An HTTPS proxy that records each request line and refuses to open the tunnel."""

    lines: list[str] = []

    def handle(self) -> None:
        line = self.rfile.readline().decode("latin-1").strip()
        type(self).lines.append(line)
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # the rest of the request head
        self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")


def test_requests_go_through_the_proxy_the_environment_names(
    conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client picks its transport once, from the environment, like httpx's own client:
    a deployment behind a proxy (HTTPS_PROXY) reaches Custify through it, or fails naming it."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    settings = ConnectionSettings(**{**conn.__dict__, "base_url": "https://custify.invalid"})
    try:
        with CustifyClient(settings) as client, pytest.raises(ConnectFailed) as exc:
            client.request("GET", "/company/all")
    finally:
        server.shutdown()
        server.server_close()
    assert _RefusingProxy.lines == ["CONNECT custify.invalid:443 HTTP/1.1"]
    assert "custify.invalid" in str(exc.value)
    assert "the proxy refused the connection" in str(exc.value)  # at once: nothing was sent
    assert settings.api_key.reveal() not in str(exc.value)
