"""Serve a ``Sandbox`` over real HTTP on the loopback interface (stdlib only).

Each connection gets its own thread (``ThreadingHTTPServer``), so the latency fault sleeps
in that thread without holding up other requests. A dropped-connection fault closes the
socket without writing a byte, which the client sees as a protocol error, as with a real
network failure.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from sandbox.app import Sandbox

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: answer at once: with Nagle on, each keep-alive answer waited ~40 ms for the client's
    #: delayed ACK, which no real API front end does (measured in bench/README.md)
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        # a keep-alive connection idle this long is closed, as load balancers do (Custify's
        # own limit is unknown); ``None`` keeps it open for as long as the client wants
        super().setup()
        self.connection.settimeout(self.server.idle_timeout_s)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        request = httpx.Request(
            self.command,
            f"http://{host}:{port}{self.path}",
            headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
            content=body,
        )
        try:
            response = self.server.sandbox.handle(request)
        except httpx.RemoteProtocolError:
            self.close_connection = True  # drop fault: no status line, no headers, no body
            return
        except Exception as exc:  # a sandbox bug: answer like a real server would, visibly
            body = json.dumps({"error": f"sandbox error: {exc!r}", "statusCode": 500}).encode()
            response = httpx.Response(
                500, content=body, headers={"Content-Type": "application/json"}
            )
        content = response.content
        self.send_response(response.status_code)
        for k, v in response.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the sandbox journal is the log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sandbox: Sandbox
    idle_timeout_s: float | None = None


class SandboxServer:
    """A running server: ``.url``, ``.stop()``; also a context manager."""

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_timeout_s: float | None = None,
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the sandbox only binds to loopback, not {host!r}")
        self.sandbox = sandbox
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sandbox = sandbox
        self._httpd.idle_timeout_s = idle_timeout_s
        bound, self.port = self._httpd.server_address[:2]
        self.host = bound.decode() if isinstance(bound, bytes) else bound
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
            name=f"custify-sandbox:{self.port}",
        )  # fmt: skip
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer({self.url})"


def serve(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, *, idle_timeout_s: float | None = None
) -> SandboxServer:
    """Start serving ``sandbox`` on ``host:port`` (0 = a free port) in a background thread;
    ``idle_timeout_s`` closes keep-alive connections idle that long (default: never)."""
    return SandboxServer(sandbox, host, port, idle_timeout_s=idle_timeout_s)
