"""custify.transport over real sockets: keep-alive reuse, stale connections, TLS, and every
failure as the httpx exception the error taxonomy reads (custify.errors)."""

from __future__ import annotations

import gzip
import http.server
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from custify.client import CustifyClient
from custify.errors import ConnectFailed, RetriableError, error_from_transport
from custify.http import _Call
from custify.settings import ApiKey, ConnectionSettings
from custify.transport import KeepAliveTransport, keep_alive_transport
from sandbox import Sandbox, serve

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.connections = 0
        self.bodies: list[bytes] = []
        self.open_now = self.most_open = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handle)


class _Handle(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.server.open_now += 1
            self.server.most_open = max(self.server.most_open, self.server.open_now)

    def finish(self) -> None:
        with self.server.lock:
            self.server.open_now -= 1
        super().finish()

    def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
        self.server.answer(self)

    def do_POST(self) -> None:  # noqa: N802
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.bodies.append(body)
        self.server.answer(self)

    def log_message(self, *args: Any) -> None:
        pass


def _json(h: http.server.BaseHTTPRequestHandler, doc: Any = None, **headers: str) -> None:
    body = json.dumps({"path": h.path} if doc is None else doc).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        h.send_header(name.replace("_", "-"), value)
    h.end_headers()
    h.wfile.write(body)


@contextmanager
def _serving(answer: Handler) -> Iterator[_Server]:
    server = _Server(answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _transport(server: _Server, n: int = 4) -> KeepAliveTransport:
    transport = keep_alive_transport(f"http://127.0.0.1:{server.server_port}", max_connections=n)
    assert transport is not None
    return transport


def _get(transport: httpx.BaseTransport, server: _Server, path: str = "/x", **kw: Any) -> Any:
    timeout = kw.pop("timeout", {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0})
    request = httpx.Request(
        kw.pop("method", "GET"),
        f"http://127.0.0.1:{server.server_port}{path}",
        extensions={"timeout": timeout},
        **kw,
    )
    response = transport.handle_request(request)
    response.read()
    return response


def test_sequential_requests_share_one_connection() -> None:
    with _serving(_json) as server:
        transport = _transport(server)
        paths = [_get(transport, server, f"/p/{i}?page={i}").json()["path"] for i in range(20)]
        transport.close()
    assert paths == [f"/p/{i}?page={i}" for i in range(20)]
    assert server.connections == 1


def test_a_connection_the_server_closed_is_not_reused() -> None:
    """A server that drops idle keep-alive connections without saying so: the next request
    opens a new one instead of failing on the dead socket."""

    def answer_then_hang_up(h: http.server.BaseHTTPRequestHandler) -> None:
        _json(h)
        h.close_connection = True  # closes after answering, no "Connection: close" header

    with _serving(answer_then_hang_up) as server:
        transport = _transport(server)
        first = _get(transport, server, "/a")
        time.sleep(0.2)  # the server's close reaches us
        second = _get(transport, server, "/b")
        transport.close()
    assert (first.status_code, second.status_code) == (200, 200)
    assert server.connections == 2


def test_connection_close_from_the_server_is_honoured() -> None:
    with _serving(lambda h: _json(h, Connection="close")) as server:
        transport = _transport(server)
        for _ in range(3):
            assert _get(transport, server).status_code == 200
        transport.close()
    assert server.connections == 3


def test_threads_never_exceed_the_connection_limit() -> None:
    def slow(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(0.02)
        _json(h)

    with _serving(slow) as server:
        transport = _transport(server, n=2)
        results: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            for _ in range(5):
                status = _get(transport, server).status_code
                with lock:
                    results.append(status)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        transport.close()
    assert results == [200] * 30
    assert server.most_open <= 2
    assert server.connections <= 4  # reused, not one per request


def test_bodies_headers_and_content_encoding_arrive_intact() -> None:
    doc = {"people": [{"id": str(i), "name": "Zoë"} for i in range(500)]}

    def gzipped(h: http.server.BaseHTTPRequestHandler) -> None:
        body = gzip.compress(json.dumps(doc).encode())
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("X-RateLimit-Remaining", "42")
        h.end_headers()
        h.wfile.write(body)

    with _serving(gzipped) as server:
        transport = _transport(server)
        got = _get(transport, server, "/people/all", method="POST", json={"a": "é"})
        chunked = _get(transport, server, method="POST", content=iter([b"ab", b"cd"]))
        transport.close()
    assert got.json() == doc
    assert got.headers["x-ratelimit-remaining"] == "42"
    assert [json.loads(server.bodies[0]), server.bodies[1]] == [{"a": "é"}, b"abcd"]
    assert chunked.status_code == 200


def test_nothing_listening_is_a_connect_error_never_sent() -> None:
    with _serving(_json) as server:
        port = server.server_port
    transport = keep_alive_transport(f"http://127.0.0.1:{port}", max_connections=1)
    assert transport is not None
    request = httpx.Request("GET", f"http://127.0.0.1:{port}/x")
    with pytest.raises(httpx.ConnectError) as exc:
        transport.handle_request(request)
    err = error_from_transport(exc.value, "POST", "/note")
    assert err.maybe_applied is False  # safe to send again, even a create
    assert "refused" in err.cause


def test_a_slow_answer_is_a_read_timeout_after_sending() -> None:
    def slow(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        _json(h)

    with _serving(slow) as server:
        transport = _transport(server)
        with pytest.raises(httpx.ReadTimeout) as exc:
            _get(transport, server, timeout={"connect": 5.0, "read": 0.2})
        transport.close()
    assert error_from_transport(exc.value, "POST", "/note").maybe_applied is True


def test_a_dropped_or_cut_answer_is_a_protocol_error_after_sending() -> None:
    def drop(h: http.server.BaseHTTPRequestHandler) -> None:
        h.close_connection = True  # reads the request, answers nothing

    def cut(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.write(b'{"people": [')
        h.close_connection = True

    for answer in (drop, cut):
        with _serving(answer) as server:
            transport = _transport(server)
            with pytest.raises(httpx.RemoteProtocolError) as exc:
                _get(transport, server)
            transport.close()
        assert error_from_transport(exc.value, "POST", "/note").maybe_applied is True


def test_the_session_uses_it_and_retries_a_dropped_read() -> None:
    """Through the client: a GET whose first answer is cut is sent again and succeeds."""
    calls: list[str] = []

    def flaky(h: http.server.BaseHTTPRequestHandler) -> None:
        calls.append(h.path)
        if len(calls) == 1:
            h.close_connection = True
            return
        _json(h, {"companies": [{"id": "c1"}], "total": 1})

    with _serving(flaky) as server:
        settings = ConnectionSettings(
            api_key=ApiKey("sk_test_transport"),
            base_url=f"http://127.0.0.1:{server.server_port}",
            budget_path=None,
            max_backoff_s=0.01,
        )
        with CustifyClient(settings) as client:
            assert isinstance(client._session._transport, KeepAliveTransport)
            assert client.request("GET", "/company/all").json()["total"] == 1
            assert client.stats.snapshot()["retries"] == 1
    assert len(calls) == 2


# -- TLS -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def _serving_tls(cert: Path, key: Path) -> Iterator[_Server]:
    with _serving(_json) as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        yield server


def test_https_verifies_the_certificate_the_environment_trusts(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    with _serving_tls(cert, key) as server:
        url = f"https://127.0.0.1:{server.server_port}"
        untrusted = keep_alive_transport(url, max_connections=1)
        assert untrusted is not None
        with pytest.raises(httpx.ConnectError) as exc:
            untrusted.handle_request(httpx.Request("GET", url + "/x"))
        assert "certificate" in error_from_transport(exc.value, "GET", "/x").cause

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        trusted = keep_alive_transport(url, max_connections=1)
        assert trusted is not None
        answers = [trusted.handle_request(httpx.Request("GET", f"{url}/p/{i}")) for i in range(3)]
        trusted.close()
    assert [json.loads(a.read())["path"] for a in answers] == ["/p/0", "/p/1", "/p/2"]
    assert server.connections == 1  # one kept-alive connection (the refused one never got one)


def test_a_wrong_certificate_ends_the_first_request_naming_the_url(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    with _serving_tls(cert, key) as server:
        settings = ConnectionSettings(
            api_key=ApiKey("sk_test_transport"),
            base_url=f"https://127.0.0.1:{server.server_port}",
            budget_path=None,
        )
        with CustifyClient(settings) as client, pytest.raises(ConnectFailed) as exc:
            client.request("GET", "/company/all")
    assert "TLS certificate verification failed" in str(exc.value)
    assert settings.base_url in str(exc.value)


def test_only_http_and_https_origins() -> None:
    assert keep_alive_transport("ftp://example.com", max_connections=1) is None
    transport = keep_alive_transport("http://127.0.0.1:1", max_connections=1)
    assert transport is not None
    with pytest.raises(httpx.UnsupportedProtocol):
        transport.handle_request(httpx.Request("GET", "http://other.example/x"))
    assert isinstance(error_from_transport(httpx.UnsupportedProtocol("x"), "GET", "/"),
                      RetriableError)  # fmt: skip


def test_a_plain_get_goes_out_as_httpx_would_send_it() -> None:
    """The session writes a bodiless GET's target itself (no ``httpx.Request``): the server
    sees the same path, query and headers as through httpx's own request building."""

    def echo(h: http.server.BaseHTTPRequestHandler) -> None:
        _json(h, {"path": h.path, "headers": {k.lower(): v for k, v in h.headers.items()}})

    params = {"q": "a b&c=d/é?", "on": True, "off": False, "none": None, "ids": ["x", "y z"],
              "n": 5, "f": 1.5, "sort": '{"created_at":-1}'}  # fmt: skip
    with _serving(echo) as server:
        settings = ConnectionSettings(
            api_key=ApiKey("sk_test_transport"),
            base_url=f"http://127.0.0.1:{server.server_port}/api",
            budget_path=None,
        )
        with CustifyClient(settings) as client:
            session = client._session
            plain = _Call("GET", "/company/all", params, None, None, None, {})
            assert session._direct_target(plain) is not None  # this one skips httpx.Request
            bodiless_post = _Call("POST", "/company/all", params, None, None, None, {})
            assert session._direct_target(bodiless_post) is None  # httpx frames it, as before
            direct = client.request("GET", "/company/all", params=params).json()
            inner = session._transport

            class Wrapping(httpx.BaseTransport):  # not the session's own: httpx's path
                def handle_request(self, request: httpx.Request) -> httpx.Response:
                    return inner.handle_request(request)

            session._transport = Wrapping()
            via_httpx = client.request("GET", "/company/all", params=params).json()
            session._transport = inner
            escaped = client.request("GET", "/company/a b").json()  # escaping: httpx's path
    assert direct["path"] == via_httpx["path"]
    assert direct["path"].startswith("/api/company/all?q=a+b%26c%3Dd%2F%C3%A9%3F&on=true&off=false")
    assert direct["headers"] == via_httpx["headers"]
    assert direct["headers"]["authorization"] == "Bearer sk_test_transport"
    assert escaped["path"] == "/api/company/a%20b"


def test_a_connection_the_sandbox_closed_while_idle_is_replaced_without_a_retry() -> None:
    """The sandbox closes keep-alive connections idle for 0.2 s (as a load balancer in front
    of Custify may): the next list page goes out on a new connection, sent once."""
    sb = Sandbox(seed=4, scale=0.1, rate_limit=None)
    with serve(sb, idle_timeout_s=0.2) as server:
        settings = ConnectionSettings(
            api_key=ApiKey(sb.api_key), base_url=server.url, budget_path=None
        )
        with CustifyClient(settings) as client:
            first = client.list_page("people", 1, page_size=5)
            time.sleep(0.6)
            second = client.list_page("people", 1, page_size=5)
            stats = client.stats.snapshot()
    assert [r["id"] for r in second.rows] == [r["id"] for r in first.rows]
    assert (stats["requests"], stats["retries"]) == (2, 0)
    assert sb.journal.count(path_prefix="/people") == 2
